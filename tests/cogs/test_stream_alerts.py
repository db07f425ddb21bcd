"""Stream alerts end to end: live, updated, ended, flapping, restarts, failed polls, refusals."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from cogs.stream_alerts import JOB
from tests.conftest import poll, running
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message, make_channel, make_guild
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings

STREAMS = "/content/feeds/streamList.json"
FAST = {"streams_poll_seconds": 3600, "stream_edit_minutes": 0}  # the tests run each poll


def stream(name: str = "Sleepless", **changes: Any) -> dict[str, Any]:
    entry = {
        "TwitchId": f"twitch-{name}",
        "TwitchUsername": name.lower(),
        "GameName": "Halo: Reach",
        "Title": "WR attempts on **Tip of the Spear** @everyone",
        "Viewers": 123,
        "StartedAt": "2024-05-20T10:00:00Z",
        "UserId": f"user-{name}",
        "Username": name,
        "StreamUrl": f"https://www.twitch.tv/{name.lower()}",
        "ProfileImageUrl": f"https://static-cdn.jtvnw.net/{name.lower()}.png",
    }
    return {**entry, **changes}


def live(
    haloruns: FakeHaloRuns, *streams: dict[str, Any], updated_at: str | None = "2024-05-20T12:00:00Z"
) -> None:
    listing: dict[str, Any] = {"Entries": list(streams)}
    if updated_at is not None:
        listing["UpdatedAt"] = updated_at
    haloruns.overrides[STREAMS] = listing


def alerts(server: FakeDiscord, guild: dict[str, Any] | None = None) -> list[Message]:
    guild = guild or server.guilds[0]
    channel = next(c for c in guild["channels"] if c["name"] == "live-now")
    return [m for m in server.channel_messages(channel["id"]) if m.data["type"] == 0]


def with_live_channel(guild: dict[str, Any]) -> dict[str, Any]:
    guild["channels"].append(make_channel(guild["id"], "live-now"))
    return guild


async def turn_on(server: FakeDiscord, guild: dict[str, Any] | None = None, **options: Any) -> Message:
    guild = guild or server.guilds[0]
    channel = next(c for c in guild["channels"] if c["name"] == "live-now")
    interaction = await server.invoke(
        "config streams", {"channel": channel["id"], **options}, permissions=MANAGE_GUILD, guild=guild
    )
    return await interaction.reply()


@pytest.fixture
def config(
    make_config: Callable[..., Config], discord_server: FakeDiscord, haloruns_server: FakeHaloRuns
) -> Config:
    with_live_channel(discord_server.guilds[0])
    live(haloruns_server)
    return make_config(haloruns=FAST)


async def test_a_stream_going_live_gets_one_alert_kept_up_to_date(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    role = discord_server.guilds[0]["roles"][1]
    async with running(config, discord_server) as bot:
        saved = await turn_on(discord_server, role=role["id"])
        await poll(bot, JOB)
        live(haloruns_server, stream())
        await poll(bot, JOB)
        [alert] = alerts(discord_server)
        first = Message(copy.deepcopy(alert.data))
        live(haloruns_server, stream(Title="Full game now", GameName="Halo CE"))
        await poll(bot, JOB)

    assert saved.content.startswith("Stream alerts are on.")
    assert first.layout
    assert first.title == "Sleepless is live"
    assert first.subtitle == "WR attempts on \\*\\*Tip of the Spear\\*\\* @\u200beveryone"
    assert first.links() == {"Watch": "https://www.twitch.tv/sleepless"}
    assert first.media() == ["https://static-cdn.jtvnw.net/sleepless.png"], "the runner's picture"
    assert "<t:1716199200:R>" in first.blocks["Live since"]
    assert (first.ping, first.data["mention_roles"], first.data["mention_everyone"]) == (
        f"<@&{role['id']}>",
        [role["id"]],
        False,
    ), "only the configured role is pinged, never the title's @everyone"
    assert alert.allowed_mentions == {"parse": [], "roles": [int(role["id"])]}
    assert alerts(discord_server) == [alert], "a title change edits the alert, it posts no new one"
    assert alert.subtitle == "Full game now"
    assert alert.blocks["Game"] == "Halo CE"
    assert alert.ping == f"<@&{role['id']}>", "the edit keeps the role above the card"


async def test_an_ended_stream_is_closed_and_one_back_soon_continues_its_alert(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    async with running(config, discord_server) as bot:
        await turn_on(discord_server)
        live(haloruns_server, stream(), stream("Mythic Vex"))
        await poll(bot, JOB)
        live(haloruns_server, stream("Mythic Vex"))
        await poll(bot, JOB)
        alert = next(a for a in alerts(discord_server) if "Sleepless" in a.title)
        ended = Message(copy.deepcopy(alert.data))
        live(haloruns_server, stream(), stream("Mythic Vex"))
        await poll(bot, JOB)

    assert ended.title == "Sleepless was live"
    assert set(ended.blocks) >= {"Streamed"}
    assert len(alerts(discord_server)) == 2, "back within the rejoin time: the same alert, live again"
    assert alert.title == "Sleepless is live"


async def test_an_ended_alert_is_deleted_when_the_server_asked_for_it(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    with_live_channel(discord_server.guilds[0])
    live(haloruns_server, stream(), stream("Mythic Vex"))
    async with running(make_config(haloruns=FAST | {"stream_rejoin_minutes": 0}), discord_server) as bot:
        reply = await turn_on(discord_server, on_end="delete")
        await poll(bot, JOB)
        live(haloruns_server, stream("Mythic Vex"))
        await poll(bot, JOB, 2)

    assert "When a stream ends: the alert is deleted" in reply.content
    assert [a.title for a in alerts(discord_server)] == ["Mythic Vex is live"]


async def test_a_restart_keeps_live_alerts_and_closes_streams_that_ended_meanwhile(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    async with running(config, discord_server) as bot:
        await turn_on(discord_server)
        live(haloruns_server, stream(), stream("Mythic Vex"))
        await poll(bot, JOB)
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)
    live(haloruns_server, stream("Mythic Vex"))
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)

    titles = sorted(a.title for a in alerts(discord_server))
    assert titles == ["Mythic Vex is live", "Sleepless was live"], "no second alert; the ended one closed"


async def test_a_failed_or_empty_poll_ends_no_stream(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    async with running(config, discord_server) as bot:
        await turn_on(discord_server)
        live(haloruns_server, stream())
        await poll(bot, JOB)
        haloruns_server.fail("streamList", "500", times=2)
        await poll(bot, JOB, 2)
        haloruns_server.fail("streamList", "wrong-shape", times=2)
        await poll(bot, JOB, 2)
        live(haloruns_server)
        await poll(bot, JOB, 2)

    [alert] = alerts(discord_server)
    assert alert.title == "Sleepless is live"
    assert alert.edits == 0


async def test_an_empty_list_made_after_the_last_stream_was_listed_ends_it_at_once(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    async with running(config, discord_server) as bot:
        await turn_on(discord_server)
        live(haloruns_server, stream(), updated_at="2024-05-20T12:00:00Z")
        await poll(bot, JOB)
        live(haloruns_server, updated_at="2024-05-20T12:05:00Z")
        await poll(bot, JOB)

    [alert] = alerts(discord_server)
    assert alert.title == "Sleepless was live", "ended within one poll"


@pytest.mark.parametrize(
    "updated_at", ["2024-05-20T12:00:00Z", "2024-05-20T11:55:00Z", None], ids=["same", "older", "absent"]
)
async def test_an_empty_list_that_is_not_newer_holds_the_alerts(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config, updated_at: str | None
) -> None:
    async with running(config, discord_server) as bot:
        await turn_on(discord_server)
        live(haloruns_server, stream(), updated_at="2024-05-20T12:00:00Z")
        await poll(bot, JOB)
        live(haloruns_server, updated_at=updated_at)
        await poll(bot, JOB, 2)

    [alert] = alerts(discord_server)
    assert alert.title == "Sleepless is live", "possibly an outage: held"
    assert alert.edits == 0


async def test_one_servers_refusal_does_not_stop_the_others(
    haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    server = FakeDiscord(
        guilds=[with_live_channel(make_guild("First")), with_live_channel(make_guild("Second"))]
    )
    await server.start()
    first, second = server.guilds
    refusing = next(c for c in second["channels"] if c["name"] == "live-now")["id"]
    live(haloruns_server)
    try:
        settings = local_settings(server, tmp_path, haloruns_server)
        async with running(Config(**settings | {"haloruns": settings["haloruns"] | FAST}), server) as bot:
            await turn_on(server, first)
            await turn_on(server, second)
            server.fail("POST", f"/channels/{refusing}/messages", 403, times=100)
            live(haloruns_server, stream())
            await poll(bot, JOB, 2)
    finally:
        await server.stop()

    assert len(alerts(server, first)) == 1
    assert alerts(server, second) == []
