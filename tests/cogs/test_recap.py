"""The weekly recap end to end: /config recap, the job, the post, restarts and downtime."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.models.settings import RecapFilters, SrcAnnouncementFilters
from bot.models.speedrun import PreviousRecord, RecordStanding, VerifiedRun
from bot.services.src_announcements import ENTRY
from bot.storage.ledger import RunLedger
from bot.storage.settings import FeatureSetting
from cogs.config import WEEKDAYS
from cogs.recap import JOB
from tests.conftest import poll, running
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message, make_guild
from tests.fakes.haloruns_server import DATA, FakeHaloRuns
from tests.fakes.speedrun_server import FakeSpeedrun

FEED = "/content/feeds/latestRecords.json"
STREAMS = "/content/feeds/streamList.json"
QUIET = {
    "haloruns": {"records_poll_seconds": 3600, "streams_poll_seconds": 3600},
    "speedrun": {"poll_seconds": 3600},
}


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def publish_record(haloruns: FakeHaloRuns, at: datetime) -> None:
    """A Nightfall record set ``at``, which beat one that stood two years, atop the recorded feed."""
    feed = json.loads((DATA / FEED.lstrip("/")).read_text(encoding="utf-8"))
    entry = {
        **feed["Entries"][0],
        "RunId": "recap-record-1",
        "LevelName": "Nightfall",
        "Duration": 480,
        "OccuredAt": _moment(at),
        "Participants": [{"Username": "Fast Runner", "EvidenceLink": "https://youtu.be/fast"}],
        "PreviousRecordDuration": 500,
        "PreviousRecordParticipants": [{"Username": "Old Guard"}],
        "PreviousRecordOccuredAt": _moment(at - timedelta(days=730)),
    }
    haloruns.overrides[FEED] = {**feed, "Entries": [entry, *feed["Entries"]]}


def posts(server: FakeDiscord, guild: dict[str, Any], channel: str = "world-records") -> list[Message]:
    channel_id = next(c for c in guild["channels"] if c["name"] == channel)["id"]
    return [m for m in server.channel_messages(channel_id) if m.data["type"] == 0]


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_the_recap_is_posted_once_at_its_hour_with_the_weeks_records_runners_and_streams(
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    speedrun_server: FakeSpeedrun,
    make_config: Callable[..., Config],
) -> None:
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    now = datetime.now(UTC)
    guild = discord_server.guilds[0]
    role = guild["roles"][1]
    publish_record(haloruns_server, now - timedelta(days=1))
    streams = json.loads((DATA / STREAMS.lstrip("/")).read_text(encoding="utf-8"))
    streams["Entries"][0]["StartedAt"] = _moment(now - timedelta(hours=1))
    haloruns_server.overrides[STREAMS] = streams
    async with running(make_config(**QUIET), discord_server) as bot:
        general = next(c for c in guild["channels"] if c["name"] == "general")["id"]
        follow = SrcAnnouncementFilters(game="Dead Cells")
        await bot.settings.save(FeatureSetting(int(guild["id"]), "src:nd2ee5ed", int(general), None, follow))
        # What the speedrun.com poller recorded: a world record of Dead Cells, verified this week.
        verified = {"status": "verified", "verify-date": _moment(now - timedelta(days=2))}
        speedrun_server.add_run("recapwr1", 150, now.date(), status=verified)
        run = await bot.speedrun.run("recapwr1")  # as the poller reads it: players, category, level
        standing = RecordStanding(previous=PreviousRecord(seconds=176.99, players=("zxz5690x",)))
        entry = VerifiedRun(run=run, game="Dead Cells", record=standing)
        await RunLedger(bot.database, "src", ENTRY).add([entry], lambda entry: [])
        options = {
            "channel": next(c for c in guild["channels"] if c["name"] == "world-records")["id"],
            "role": role["id"],
            "day": now.weekday(),
            "hour": now.hour,
        }
        saved = await (await discord_server.invoke("config recap", options, permissions=MANAGE_GUILD)).reply()
        await poll(bot, JOB, times=2)
        shown = await (await discord_server.invoke("config show", permissions=MANAGE_GUILD)).reply()
        disabled = await (
            await discord_server.invoke("config disable", {"feature": "recap"}, permissions=MANAGE_GUILD)
        ).reply()

    assert saved.ephemeral
    assert saved.content.startswith("The weekly recap is on.")
    assert f"Posted: every {WEEKDAYS[now.weekday()]} at {now.hour:02}:00 UTC" in saved.content
    assert f"Posted: every {WEEKDAYS[now.weekday()]}" in fields(shown.embeds[0])["Weekly recap"]
    assert disabled.content == "Weekly recaps are off."
    [recap] = posts(discord_server, guild)
    assert recap.ping == f"<@&{role['id']}>"
    assert recap.allowed_mentions == {"parse": [], "roles": [int(role["id"])]}
    assert recap.title == "Weekly recap"
    assert recap.subtitle.endswith(": 2 new world records; 1 verified run of Dead Cells on speedrun.com.")
    shown_fields = recap.blocks
    assert shown_fields["Halo: Reach (1)"].startswith(
        "Nightfall — Solo Easy: [**8:00**](https://youtu.be/fast) by Fast Runner · <t:"
    )
    assert shown_fields["Dead Cells (1)"].startswith(
        "Any%: [**2:30**](https://www.speedrun.com/deadcells/run/recapwr1) by user-0jm7knj1 · <t:"
    )
    assert shown_fields["Longest-standing record that fell"] == (
        "Halo: Reach Nightfall — Solo Easy: **8:20** by Old Guard stood 2y 0d, until Fast Runner ran"
        " [**8:00**](https://youtu.be/fast)"
    )
    assert shown_fields["Most active runners"] == "Fast Runner (1), user-0jm7knj1 (1)"
    assert shown_fields["Streams that went live"] == "1"


async def test_an_empty_week_posts_nothing_and_a_missed_recap_is_posted_once_after_downtime(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    discord_server.nonce_seconds = 0
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    discord_server.guilds.append(make_guild("Quiet week"))
    missed, quiet = discord_server.guilds
    publish_record(haloruns_server, now - timedelta(days=3))
    config = make_config(**QUIET)
    async with running(config, discord_server) as bot:
        # Both set nine days ago; one was due two days ago (its week holds the record), one four
        # days ago (its week holds nothing): the bot was down at both hours.
        for guild, days in ((missed, 2), (quiet, 4)):
            due = hour - timedelta(days=days)
            channel = next(c for c in guild["channels"] if c["name"] == "world-records")["id"]
            filters = RecapFilters(day=due.weekday(), hour=due.hour, since=hour - timedelta(days=9))
            await bot.settings.save(FeatureSetting(int(guild["id"]), "recap", int(channel), None, filters))
        await poll(bot, JOB)
    async with running(config, discord_server) as bot:  # a restart: the job runs again at once
        await poll(bot, JOB)

    [recap] = posts(discord_server, missed)
    assert recap.blocks["Halo: Reach (1)"].startswith("Nightfall — Solo Easy: [**8:00**]")
    assert f"<t:{int((hour - timedelta(days=2)).timestamp())}:D>" in recap.subtitle
    assert posts(discord_server, quiet) == []
