from __future__ import annotations

import re

import pytest

from bot.app import HaloBot
from tests.fakes.discord import FakeDiscord


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
