"""Lookups anywhere: what is synced for each command, and the answers of a member's own install in a
server without the bot, in a DM and in a group DM; server settings only where the bot is."""

from __future__ import annotations

import pytest

from bot.app import HaloBot
from bot.ui.reach import NOT_IN_THIS_SERVER
from tests.fakes.discord import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    USE_EXTERNAL_APPS,
    FakeDiscord,
    NotOffered,
    Place,
    make_guild,
)

LOOKUPS = {"wr", "vod", "recent", "runner", "holders", "streams", "points", "src", "csr", "servicerecord"}
LOOKUPS |= {"link", "unlink"}
SERVER_ONLY = {"config", "Halo CSR"}


async def test_lookups_answer_anywhere_and_settings_stay_in_servers_with_the_bot(
    bot: HaloBot, discord_server: FakeDiscord
) -> None:
    synced = {c["name"]: c for c in discord_server.commands[None]}
    assert set(synced) >= LOOKUPS | SERVER_ONLY
    for name in LOOKUPS:
        assert (synced[name]["integration_types"], synced[name]["contexts"]) == ([0, 1], [0, 1, 2]), name
    for name in SERVER_ONLY:
        assert (synced[name]["integration_types"], synced[name]["contexts"]) == ([0], [0]), name

    elsewhere = make_guild("Another server", channels=("chat",))
    answers = {
        place: await (
            await discord_server.invoke("wr", {"level": "0504"}, guild=elsewhere, channel="chat", place=place)
        ).reply()
        for place in ("user", "dm", "group_dm")
    }
    for place, reply in answers.items():
        assert "Tip of the Spear" in str(reply.data), place
        assert not reply.ephemeral, place
    assert not [r for r in discord_server.requests if r.path.startswith("/channels/")], (
        "answers go through the interaction only"
    )

    # Where the server does not let the member use external apps, answers are the member's alone.
    locked = MEMBER_PERMISSIONS & ~USE_EXTERNAL_APPS
    private = await (
        await discord_server.invoke(
            "points",
            {"wr": "10:00", "pb": "10:00"},
            guild=elsewhere,
            channel="chat",
            place="user",
            permissions=locked,
        )
    ).reply()
    assert private.ephemeral
    assert "100" in str(private.data)

    places: tuple[Place, ...] = ("dm", "group_dm", "user")
    for place in places:
        with pytest.raises(NotOffered):
            await discord_server.invoke("config show", guild=elsewhere, channel="chat", place=place)

    # A server that added the app's commands but not the bot is told to invite it.
    no_bot = await (
        await discord_server.invoke("config show", guild=elsewhere, channel="chat", permissions=MANAGE_GUILD)
    ).reply()
    assert (no_bot.content, no_bot.ephemeral) == (NOT_IN_THIS_SERVER, True)
