"""speedrun.com announcements end to end: /config src, the poller, and what each server sees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot.config import Config
from cogs.src_announcements import JOB
from tests.conftest import poll, running
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message
from tests.fakes.speedrun_server import FakeSpeedrun

DEAD_CELLS = "nd2ee5ed"
RECORD_HOLDER = "zxz5690x"  # holds the Any% (1.0) record: 2:56.990, played 2022-02-10
ZETA = "48g10dr8"


def player(user_id: str) -> list[dict[str, str]]:
    return [{"rel": "user", "id": user_id, "uri": f"https://www.speedrun.com/api/v1/users/{user_id}"}]


async def configure(server: FakeDiscord, options: dict[str, Any]) -> Message:
    interaction = await server.invoke("config src", options, permissions=MANAGE_GUILD)
    return await interaction.reply()


def posts(server: FakeDiscord, channel: str = "world-records") -> list[Message]:
    return [m for m in server.channel_messages(server.channels[channel]["id"]) if m.data["type"] == 0]


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return make_config(speedrun={"poll_seconds": 3600})  # the tests run each poll


async def test_every_verified_run_is_posted_once_with_world_records_marked(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Config
) -> None:
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    channel = discord_server.channels["world-records"]["id"]
    role = discord_server.guilds[0]["roles"][1]["id"]
    async with running(config, discord_server) as bot:
        saved = await configure(discord_server, {"channel": channel, "game": "Dead Cells", "role": role})
        await poll(bot, JOB)
        speedrun_server.add_run("slow0001", 300, date(2026, 11, 20), players=player(ZETA))
        speedrun_server.add_run("fast0001", 170, date(2026, 11, 21), players=player(RECORD_HOLDER))
        await poll(bot, JOB)
    speedrun_server.add_run("down0001", 400, date(2026, 11, 22), players=player(ZETA))
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)

    assert saved.ephemeral
    assert saved.content.startswith("speedrun.com announcements of Dead Cells are on.\nChannel: <#")
    assert "Posts: every verified run" in saved.content
    slow, fast, down = posts(discord_server)
    assert all(p.layout and p.ping == f"<@&{role}>" for p in (slow, fast, down))
    assert all(p.data["mention_roles"] == [role] and not p.data["mentions"] for p in (slow, fast, down))
    assert slow.title == "Verified run: Dead Cells — Any%"
    assert slow.subtitle == "[**5:00**](https://www.twitch.tv/videos/297962611) by Zeta"
    assert slow.links()["Watch"] == "https://www.twitch.tv/videos/297962611"
    assert "Previous record" not in slow.blocks
    assert fast.title == "New world record: Dead Cells — Any%"
    assert fast.links()["Run"] == "https://www.speedrun.com/deadcells/run/fast0001"
    assert (
        fast.blocks["Previous record"]
        == "2:56.990 by user-zxz5690x, played <t:1644494400:D>\nbeaten by **0:06.990**"
    ), "the record it beat is the runner's own, which today's board no longer shows"
    assert down.subtitle.startswith("[**6:40**]("), "verified while the bot was down"


async def test_only_world_records_in_records_mode(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Config
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server) as bot:
        saved = await configure(discord_server, {"channel": channel, "game": DEAD_CELLS, "mode": "wr"})
        await poll(bot, JOB)
        speedrun_server.add_run("slow0001", 300, date(2026, 11, 20), players=player(ZETA))
        speedrun_server.add_run("tied0001", 176.99, date(2026, 11, 21), players=player(ZETA))
        no_time = speedrun_server.add_run("notime01", 0, date(2026, 11, 21), players=player(ZETA))
        no_time["times"] = {"primary": None, "primary_t": 0}
        await poll(bot, JOB)
        speedrun_server.add_run("nodate01", 170, date(2026, 11, 22), players=player(ZETA), date=None)
        await poll(bot, JOB)

    assert "Posts: new world records only" in saved.content
    tie, undated = posts(discord_server)
    assert tie.title == "World record tied: Dead Cells — Any%"
    assert tie.blocks["Ties the record of"].startswith("2:56.990 by user-zxz5690x")
    assert undated.title == "New world record: Dead Cells — Any%"
    assert undated.blocks["Previous record"].endswith("beaten by **0:06.990**"), (
        "without a date, the record beaten is read from today's board"
    )
    guild = discord_server.guilds[0]["id"]
    assert undated.blocks["Previous post"] == (
        f"[previous record](https://discord.com/channels/{guild}/{channel}/{tie.id})"
    )
    assert (tie.edits, undated.edits) == (1, 0)
    assert tie.blocks["No longer the record"] == (
        f"Beaten by Zeta by 0:06.990: [new record](https://discord.com/channels/{guild}/{channel}/{undated.id})"
    )


async def test_unstable_ordering_posts_no_old_run_and_no_run_twice(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Config
) -> None:
    speedrun_server.unstable = True
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": channel, "game": DEAD_CELLS})
        await poll(bot, JOB, 2)
        speedrun_server.add_run("new00001", 300, date(2026, 11, 20), players=player(ZETA))
        await poll(bot, JOB, 2)

    [post] = posts(discord_server)
    assert post.links()["Run"] == "https://www.speedrun.com/deadcells/run/new00001"


async def test_disable_of_a_game_looked_up_on_a_slow_speedrun_com_is_acknowledged_in_time(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Config
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server):
        await configure(discord_server, {"channel": channel, "game": "deadcells"})
        speedrun_server.delay = 1.2  # the lookup takes three requests: longer than Discord waits
        disabling = await discord_server.invoke(
            "config disable", {"feature": "src", "game": "not followed"}, permissions=MANAGE_GUILD
        )
        answer = await disabling.reply()

    assert disabling.acknowledged_at is not None
    assert disabling.acknowledged_at - disabling.sent_at < 3
    assert disabling.callbacks[0]["type"] == 5, "thinking… first"
    assert answer.ephemeral
    assert answer.content == "This server does not follow “not followed” on speedrun.com."


async def test_show_lists_followed_games_and_disable_turns_one_off(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Config
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server):
        await configure(discord_server, {"channel": channel, "game": "deadcells", "mode": "wr"})
        unknown = await configure(discord_server, {"channel": channel, "game": "no such game"})
        shown = await (await discord_server.invoke("config show", permissions=MANAGE_GUILD)).reply()
        choices = await (
            await discord_server.invoke(
                "config disable", {"feature": "src", "game": "dead"}, permissions=MANAGE_GUILD, focused="game"
            )
        ).autocomplete_choices()
        off = await (
            await discord_server.invoke(
                "config disable", {"feature": "src", "game": DEAD_CELLS}, permissions=MANAGE_GUILD
            )
        ).reply()
        again = await (
            await discord_server.invoke("config disable", {"feature": "src"}, permissions=MANAGE_GUILD)
        ).reply()

    assert unknown.ephemeral
    assert unknown.content == "speedrun.com has no game “no such game”: try its name, abbreviation or id."
    listed = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert listed["speedrun.com: Dead Cells"].startswith(f"Channel: <#{channel}>")
    assert "Posts: new world records only" in listed["speedrun.com: Dead Cells"]
    assert choices == [{"name": "Dead Cells", "value": DEAD_CELLS}]
    assert off.content == "speedrun.com announcements of Dead Cells are off."
    assert again.content == "speedrun.com announcements were not on."


async def test_runs_without_video_links_are_announced_and_ranked(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Config
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": channel, "game": DEAD_CELLS, "mode": "wr"})
        await poll(bot, JOB)
        speedrun_server.add_run(
            "nolinks1",
            170,
            date(2026, 11, 21),
            players=player(RECORD_HOLDER),
            videos={"text": None, "links": None},
        )
        await poll(bot, JOB)
        speedrun_server.add_run("novideo1", 165, date(2026, 11, 22), players=player(ZETA), videos=None)
        await poll(bot, JOB)

    first, second = posts(discord_server)
    assert first.title == "New world record: Dead Cells — Any%"
    assert first.subtitle == "**2:50** by user-zxz5690x"
    assert second.subtitle == "**2:45** by Zeta"
    assert second.blocks["Previous record"].startswith("2:50 by user-zxz5690x"), (
        "the record it beat is the run without video links"
    )
