from __future__ import annotations

from bot.app import HaloBot
from tests.fakes.discord_server import FakeDiscord


async def test_status_answers_within_three_seconds(bot: HaloBot, discord_server: FakeDiscord) -> None:
    interaction = await discord_server.invoke("status")
    reply = await interaction.reply()

    assert interaction.acknowledged_at is not None
    assert interaction.acknowledged_at - interaction.sent_at < 3
    embed = reply.embeds[0]
    assert embed["title"] == "Halo Speedrun Bot status"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert {"Version", "Uptime", "Gateway latency", "HaloRuns", "speedrun.com"} <= fields.keys()
    assert fields["HaloRuns"] == "not called yet"
    assert not reply.ephemeral
