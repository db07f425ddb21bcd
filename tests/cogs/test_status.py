from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from bot.app import HaloBot
from bot.config import Config
from cogs.announcements import JOB as ANNOUNCEMENTS
from tests.conftest import poll, running
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord
from tests.fakes.haloruns_server import DATA, FakeHaloRuns

FEED = "/content/feeds/latestRecords.json"


async def test_status_answers_within_three_seconds(bot: HaloBot, discord_server: FakeDiscord) -> None:
    interaction = await discord_server.invoke("status")
    reply = await interaction.reply()

    assert interaction.acknowledged_at is not None
    assert interaction.acknowledged_at - interaction.sent_at < 3
    embed = reply.embeds[0]
    assert embed["title"] == "Halo Speedrun Bot status"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert {"Version", "Uptime", "Gateway latency", "HaloRuns", "speedrun.com"} <= fields.keys()
    assert fields["speedrun.com"] == "not called yet"
    assert not reply.ephemeral
    assert reply.allowed_mentions == {"parse": []}, "the bot allows no mentions unless a feature opts in"


async def test_status_reports_each_services_last_success_and_error(
    bot: HaloBot, discord_server: FakeDiscord
) -> None:
    async with bot.telemetry.upstream_call("speedrun.com"):
        pass
    with pytest.raises(TimeoutError):
        async with bot.telemetry.upstream_call("Halo Waypoint"):
            raise TimeoutError("no answer in 10 s from **speedrun.com**")

    reply = await (await discord_server.invoke("status")).reply()

    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert re.fullmatch(r"last success <t:\d+:R>", fields["speedrun.com"])
    assert re.fullmatch(
        r"no success yet\nlast error <t:\d+:R>: no answer in 10 s from \\\*\\\*speedrun\.com\\\*\\\*",
        fields["Halo Waypoint"],
    )
    metrics = bot.telemetry.metrics_text().decode()
    assert 'halobot_upstream_requests_total{outcome="ok",service="speedrun.com"} 1.0' in metrics
    assert 'halobot_upstream_request_seconds_count{service="Halo Waypoint"} 1.0' in metrics


async def test_status_shows_each_pollers_last_good_poll_and_the_posts_it_still_owes(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(make_config(haloruns={"records_poll_seconds": 3600}), discord_server) as bot:
        await (
            await discord_server.invoke(
                "config announcements", {"channel": channel}, permissions=MANAGE_GUILD
            )
        ).reply()
        entries = json.loads((DATA / FEED.lstrip("/")).read_text())["Entries"]
        haloruns_server.overrides[FEED] = {
            "Entries": [{**entries[0], "RunId": "owed-1", "Duration": 700}, *entries]
        }
        discord_server.fail("POST", f"/channels/{channel}/messages", 403, times=2)
        await poll(bot, ANNOUNCEMENTS)  # the channel refuses the new record: it is owed
        haloruns_server.fail("latestRecords", "500")
        await poll(bot, ANNOUNCEMENTS)  # the feed is not read (and the post refused again)
        reply = await (await discord_server.invoke("status")).reply()

    pollers = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}["Pollers"].split("\n")
    announcements = next(line for line in pollers if line.startswith("**world-record-announcements**"))
    assert re.fullmatch(
        r"\*\*world-record-announcements\*\*: last good poll <t:\d+:R> · last failed <t:\d+:R> · "
        r"1 post still owed",
        announcements,
    )
    streams = next(line for line in pollers if line.startswith("**stream-alerts**"))
    assert re.fullmatch(r"\*\*stream-alerts\*\*: last good poll <t:\d+:R>", streams)
