"""Hostile input: every slash command's options, as the command tree has them (so commands added
later are covered too), fed long, empty, unicode, mention, markup, URL, injection-shaped and
control-character values against one running bot, in a server with the bot and, for the commands
a member's own install offers, in a server without the bot and in a DM. Every answer comes in
time, within Discord's limits, escaped and without pinging; nothing breaks, nothing secret leaks,
nothing is posted in a channel where the bot is not, and the servers' settings and announcements
are unharmed."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from discord import AppCommandOptionType, app_commands

from bot.app import HaloBot
from bot.config import Config
from bot.ui.tree import apology
from cogs.announcements import JOB as ANNOUNCEMENTS
from tests.cogs.test_announcements import new_record, posts, publish
from tests.conftest import poll, running, speedrun_cog
from tests.fakes.discord import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
    Interaction,
    NotOffered,
    Place,
    make_guild,
    snowflake,
    user_payload,
)
from tests.fakes.discord.components import texts as layout_texts
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.speedrun_server import FakeSpeedrun
from tests.fakes.waypoint_server import PLAYER

# Raw mentions a member may type; none may come back unescaped.
MENTIONS = ("@everyone", "@here", "<@&123>", "<@456>", "<@&111111111111111111>", "<@!222222222222222222>")
CONTROL = "\x00\x01\x07\x08\t\n\r\x1b[31mred\x1b[0m\x7f\x85 end"
HOSTILE = {
    "long": ("Halo ✓ @everyone <@&123> **bold** `code` \x1b[1m \n" * 200)[:6000],
    "empty": "",
    # Fullwidth and script letters, an emoji sequence, Hebrew, a right-to-left override, Zalgo marks.
    "unicode": "\uff28\uff41\uff4c\uff4f \U0001f3c3\u200d\u2642\ufe0f \U0001d4d7\U0001d4ea\U0001d4f5 "
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u202eevil\u202c Z\u0338\u0322a\u0335l\u0337g\u0336o \u200b\ufeff",
    "mention": " ".join(MENTIONS),
    "markup": "**bold** __u__ ~~s~~ ||spoiler|| `code` ```block``` > quote\n# Heading "
    "[link](https://evil.example) -# x",
    "url": ("https://example.com/" + "a" * 3000)[:3000],
    "sql": "'; DROP TABLE guild_settings;--",
    "template": "../../etc/passwd {{7*7}} %s%n ${jndi:ldap://x}",
    "control": CONTROL,
}
# What a member would type for an option that is not under attack (by option name); any other
# string option gets "test".
VALID = {
    "level": "0504",
    "name": "deadcells",
    "wr": "5:00",
    "pb": "5:30",
    "game": "deadcells",
    "category": "Any%",
    "time": "12:54",
    "id": "y43enp3z",
    "gamertag": PLAYER,
}
KEY = "r0hbq2qq84hf9t47jdvmeh4gl"
OPERATOR_KEY = "operator-speedrun-key-0123456789"
ZETA = "48g10dr8"
ANSWER_SECONDS = 3.0
CONCURRENCY = 8
# Where a member's own install is attacked too; each hostile kind reaches each command offered
# there in one of these places (taking turns), to keep the test short.
ELSEWHERE: tuple[Place, ...] = ("user", "dm")


@dataclass
class Case:
    command: str
    options: dict[str, Any]
    focused: str | None = None  # an autocomplete of this option, not the command
    # Commands with text to attack run first; those without (/src key remove, /unlink) after, as
    # they take away what the first ones get to check.
    later: bool = False
    place: Place = "server"


def shared(place: Place, turn: int) -> bool:
    """Whether the ``turn``-th hostile value of a command is sent in ``place``: always in a server
    with the bot, in one of ``ELSEWHERE`` by turns."""
    return place == "server" or ELSEWHERE[turn % len(ELSEWHERE)] == place


@pytest.fixture
async def hostile_bot(
    discord_server: FakeDiscord,
    speedrun_server: FakeSpeedrun,
    make_config: Callable[..., Config],
    infinite_settings: dict[str, Any],
) -> AsyncIterator[HaloBot]:
    discord_server.guilds.append(make_guild("Another server", channels=("lobby", "records")))
    speedrun_server.limit_per_minute = 100_000
    config = make_config(
        infinite=infinite_settings,
        speedrun={"requests_per_minute": 100_000, "api_key": OPERATOR_KEY, "key_secret": "a key secret"},
        haloruns={"records_poll_seconds": 3600},  # the test runs the poll
    )
    async with running(config, discord_server) as bot:
        yield bot


def slash_commands(bot: HaloBot) -> list[app_commands.Command[Any, ..., Any]]:
    return [c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Command)]


def valid_value(param: app_commands.Parameter, server: FakeDiscord, turn: int) -> Any:
    """A value a member could pick for ``param``: a choice, a channel, a role, a number in range."""
    guild = server.guilds[0]
    if param.choices:
        return param.choices[turn % len(param.choices)].value
    kind = param.type
    if kind is AppCommandOptionType.string:
        return VALID.get(param.name, "test")
    if kind in (AppCommandOptionType.integer, AppCommandOptionType.number):
        return param.min_value if param.min_value is not None else 1
    if kind is AppCommandOptionType.boolean:
        return True
    if kind is AppCommandOptionType.channel:
        return server.channels["world-records"]["id"]
    if kind is AppCommandOptionType.role:
        return next(r["id"] for r in guild["roles"] if r["name"] == "Runners")
    raise AssertionError(f"no valid value for option {param.name} of type {kind}: add one here")


def as_typed(text: str, min_length: float | None, max_length: float | None) -> str | None:
    """``text`` as Discord would deliver it for a field of these lengths (``None``: not sendable)."""
    text = text[: int(max_length)] if max_length else text
    return None if min_length and len(text) < min_length else text


def is_hostile(param: app_commands.Parameter) -> bool:
    return param.type is AppCommandOptionType.string and not param.choices


def cases(bot: HaloBot, server: FakeDiscord) -> Iterator[Case]:
    """For each command: every hostile kind in all its free-text options at once; then each of
    those options hostile alone (long, empty and URL) with the other required ones valid; then
    the autocomplete of each option given hostile text; commands without free text, once. In a
    server without the bot and in a DM, the hostile kinds in all free-text options at once and one
    autocomplete of each option, shared out between the two; commands without free text, once in
    each."""
    turns = itertools.count()
    places: tuple[Place, ...] = ("server", *ELSEWHERE)
    for index, command in enumerate(slash_commands(bot)):
        name = command.qualified_name
        params = command.parameters
        free = [p for p in params if is_hostile(p)]
        if not free:
            options = {p.display_name: valid_value(p, server, next(turns)) for p in params if p.required}
            yield from (Case(name, options, later=True, place=place) for place in places)
            continue
        for turn, text in enumerate(HOSTILE.values(), index):
            options = {
                p.display_name: valid_value(p, server, next(turns)) for p in params if not is_hostile(p)
            }
            for p in free:  # what Discord cannot send is left out, or valid when required
                typed = as_typed(text, p.min_value, p.max_value)
                if typed is not None or p.required:
                    options[p.display_name] = typed if typed is not None else valid_value(p, server, 0)
            yield from (Case(name, options, place=place) for place in places if shared(place, turn))
        for param in free:
            for kind in ("long", "empty", "url"):
                value = as_typed(HOSTILE[kind], param.min_value, param.max_value)
                if value is None:
                    continue
                others = {
                    p.display_name: valid_value(p, server, next(turns))
                    for p in params
                    if p.required and p is not param
                }
                yield Case(name, others | {param.display_name: value})
        typed_ahead = ("long", "mention", "control")
        for at, param in enumerate((p for p in params if p.autocomplete), index):
            for kind in typed_ahead:
                others = {
                    p.display_name: valid_value(p, server, next(turns))
                    for p in params
                    if p.required and p is not param
                }
                options = others | {param.display_name: HOSTILE[kind]}
                # Outside a server with the bot, one of these kinds an option, by turns.
                where = places if kind == typed_ahead[at % len(typed_ahead)] else ("server",)
                yield from (
                    Case(name, options, focused=param.display_name, place=place)
                    for place in where
                    if shared(place, at)
                )


def answered(interaction: Interaction) -> bool:
    """Something the member can see: a message that is not "thinking…", a form, or choices."""
    return (
        interaction.modal is not None
        or interaction.choices is not None
        or any(not m.loading for m in interaction.messages)
    )


def settled(interaction: Interaction) -> bool:
    """Answered for good: choices, a form, or messages none of which is still "thinking…"."""
    if interaction.choices is not None or interaction.modal is not None:
        return True
    return bool(interaction.messages) and all(not m.loading for m in interaction.messages)


def form_values(modal: dict[str, Any], text: str) -> dict[str, str] | None:
    """``text`` typed into every field of ``modal`` (by label), as Discord would take it."""
    values = {}
    for row in modal["components"]:
        fields = [(row["label"], row["component"])] if row["type"] == 18 else [
            (f["label"], f) for f in row["components"]
        ]  # fmt: skip
        for label, field in fields:
            typed = as_typed(text, field.get("min_length"), field.get("max_length"))
            if typed is None:
                return None
            values[label] = typed
    return values


@dataclass
class Setup:
    """What was set up properly before the attack."""

    admin: int  # the permissions the attacker has: Manage Server, to reach /config too
    other: dict[str, Any]  # another server, which the attack does not touch
    other_settings: dict[str, Any]
    someone: dict[str, Any]  # another member, with a linked key


async def set_up(bot: HaloBot, server: FakeDiscord, speedrun: FakeSpeedrun, haloruns: FakeHaloRuns) -> Setup:
    """Two members' keys, the attacker's gamertag, announcements here and in another server, which
    also follows a game on speedrun.com."""
    admin = MEMBER_PERMISSIONS | MANAGE_GUILD
    home, other = server.guilds
    speedrun.api_keys[KEY] = ZETA
    someone = user_payload(snowflake(), "another runner")
    for member in (someone, server.member):  # the attacker's key opens /src submit's checks
        key_form = await server.invoke("src key set", user=member)
        await (await server.submit(key_form, {"API key": KEY}, user=member)).reply()
    await (await server.invoke("link", {"gamertag": PLAYER})).reply()
    other_channel, other_role = server.channels["records"]["id"], other["roles"][1]["id"]
    for guild, where, options in (
        (home, "general", {"channel": server.channels["world-records"]["id"]}),
        (other, "lobby", {"channel": other_channel, "role": other_role}),
        (other, "lobby", {"channel": other_channel, "game": "deadcells"}),
    ):
        command = "config src" if "game" in options else "config announcements"
        await (await server.invoke(command, options, guild=guild, channel=where, permissions=admin)).reply()
    other_settings = await bot.settings.of_guild(int(other["id"]))
    assert set(other_settings) == {"announcements", "src:nd2ee5ed"}
    return Setup(admin, other, dict(other_settings), someone)


async def attack(bot: HaloBot, server: FakeDiscord, admin: int) -> list[Interaction]:
    """Every case against the one bot, a few at a time; every form a command opens is filled in
    with every hostile kind too (by turns outside a server with the bot). The interactions, once
    all are answered for good."""
    all_cases = list(cases(bot, server))
    assert {c.command for c in all_cases} == {c.qualified_name for c in slash_commands(bot)}
    before = len(server.interactions)
    limit = asyncio.Semaphore(CONCURRENCY)
    elsewhere = make_guild("A server without the bot", channels=("chat",))

    async def send(case: Case) -> Interaction:
        where: dict[str, Any] = {"guild": elsewhere, "channel": "chat"} if case.place == "user" else {}
        return await server.invoke(
            case.command, case.options, permissions=admin, focused=case.focused, place=case.place, **where
        )

    async def one(case: Case) -> Interaction | None:
        async with limit:
            try:
                sent = await send(case)
            except NotOffered:
                return None
            await sent.wait_for(answered)
            return sent

    async with asyncio.timeout(60):
        forms: list[Case] = []
        not_offered: set[tuple[Place, str]] = set()
        for later in (False, True):
            phase = [case for case in all_cases if case.later == later]
            sent = await asyncio.gather(*map(one, phase))
            for case, interaction in zip(phase, sent, strict=True):
                if interaction is None:
                    not_offered.add((case.place, case.command))
                elif interaction.modal:
                    forms.append(case)
        # One at a time, as a member does: the bot knows a form only once Discord has taken it.
        for case, (turn, text) in itertools.product(forms, enumerate(HOSTILE.values())):
            if not shared(case.place, turn):
                continue
            opened = await send(case)
            await opened.wait_for(answered)
            assert opened.modal is not None
            values = form_values(opened.modal, text)
            if values is not None:
                await (await server.submit(opened, values)).wait_for(answered)
        attacked = list(server.interactions.values())[before:]
        for interaction in attacked:  # "thinking…" is followed by the real answer
            await interaction.wait_for(settled)
    # A member's own install offers every command but the server settings.
    settings = {c.qualified_name for c in slash_commands(bot) if (c.root_parent or c).name == "config"}
    assert not_offered == {(place, name) for place in ELSEWHERE for name in settings}
    assert len(attacked) > len([c for c in all_cases if (c.place, c.command) not in not_offered])
    return attacked


def message_of(body: dict[str, Any]) -> dict[str, Any]:
    """The message in a request body (an interaction callback holds it in ``data``)."""
    return body["data"] if isinstance(body.get("data"), dict) else body


def texts(body: dict[str, Any]) -> Iterator[str]:
    """The text a member reads in a message body: its content, its embeds' and its layout's text."""
    message = message_of(body)
    yield str(message.get("content") or "")
    yield from layout_texts(message.get("components") or [])
    for embed in message.get("embeds") or []:
        yield from (str(embed.get(key) or "") for key in ("title", "description"))
        yield str((embed.get("footer") or {}).get("text") or "")
        yield str((embed.get("author") or {}).get("name") or "")
        for field in embed.get("fields") or []:
            yield f"{field.get('name')}\n{field.get('value')}"


async def test_hostile_option_values_never_break_an_answer(
    hostile_bot: HaloBot,
    discord_server: FakeDiscord,
    speedrun_server: FakeSpeedrun,
    haloruns_server: FakeHaloRuns,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bot = hostile_bot
    setup = await set_up(bot, discord_server, speedrun_server, haloruns_server)

    attacked = await attack(bot, discord_server, setup.admin)

    # Where the bot is not (a server without it, a DM), answers come through the interaction only:
    # no request names a channel or server there.
    bots = {g["id"] for g in discord_server.guilds} | {
        c["id"] for g in discord_server.guilds for c in g["channels"]
    }
    outside = {i.payload["channel_id"] for i in attacked} - bots
    outside |= {i.payload["guild_id"] for i in attacked if "guild_id" in i.payload} - bots
    assert {i.payload["context"] for i in attacked if i.payload["channel_id"] in outside} == {0, 1}
    assert [r.path for r in discord_server.requests if outside.intersection(r.path.split("/"))] == []

    # Every interaction is acknowledged in time and shows something; none meets the apology.
    late = [
        (i.payload["data"], i.acknowledged_at and i.acknowledged_at - i.sent_at)
        for i in attacked
        if i.acknowledged_at is None or i.acknowledged_at - i.sent_at > ANSWER_SECONDS
    ]
    assert late == [], "every interaction is acknowledged within Discord's 3 seconds"
    shown = [m for i in attacked for m in i.messages]
    assert all(m.content or m.embeds or m.layout for m in shown), "every answer shows something"
    sorry = apology("")[: apology("").index("`")]
    assert [m.content for m in shown if sorry in m.content] == [], "no unexpected-error apology"
    assert discord_server.violations == [], "Discord would have refused these bodies"
    # Nothing pings, nor could it if allowed mentions were widened; nothing secret is shown.
    secrets = (discord_server.token, KEY, OPERATOR_KEY, "a key secret")
    for request in (r for r in discord_server.requests if isinstance(r.body, dict)):
        assert not [s for s in secrets if s in json.dumps(request.body)], request.path
        read = "\n".join(texts(request.body))
        assert not [m for m in MENTIONS if m in read], (request.path, read[:300])
        assert "\u202e" not in read, "no echo turns the rest of a line right to left"
        if read.strip() and request.path.startswith(("/interactions/", "/webhooks/")):
            allowed = message_of(request.body).get("allowed_mentions") or {}
            assert allowed.get("parse") == [], request.path
            assert not allowed.get("users"), request.path
            assert not allowed.get("roles"), request.path
    # No traceback, no error, no secret in the log.
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert not [line for line in caplog.messages if any(s in line for s in secrets)]

    # Unharmed: the other server's settings as they were, this server's shown, the other member's
    # key still linked, and a new world record still announced in both servers.
    assert await bot.settings.of_guild(int(setup.other["id"])) == setup.other_settings
    settings = await (await discord_server.invoke("config show", permissions=setup.admin)).reply()
    assert settings.embeds[0]["fields"][0]["value"].startswith(
        f"Channel: <#{discord_server.channels['world-records']['id']}>"
    )
    linked = await speedrun_cog(bot).keys.of(int(setup.someone["id"]))
    assert linked is not None
    assert linked.api_key.get_secret_value() == KEY
    publish(haloruns_server, new_record(1))
    await poll(bot, ANNOUNCEMENTS)
    assert all(
        any("Fast Runner 1" in p.subtitle for p in posts(discord_server, channel))
        for channel in ("world-records", "records")
    )
