"""Stream alerts: the polling job, and the alert messages in each server that asked for them."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.stream_alerts import stream_card
from bot.models.haloruns import Stream
from bot.models.settings import StreamAlertFilters
from bot.services.stream_alerts import StreamAlerts
from bot.storage.settings import FeatureSetting
from bot.storage.stream_alerts import Alert, StreamAlertStore
from bot.ui.posting import configured_channel, edit_post, on_message, post, role_ping

JOB = "stream-alerts"


class StreamAlertsCog(commands.Cog, name="StreamAlerts"):
    """Alerts when runners go live on HaloRuns, kept up to date until the stream ends."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        config = bot.config.haloruns
        self.watcher = StreamAlerts(
            bot.haloruns,
            StreamAlertStore(bot.database),
            bot.settings,
            bot.state,
            self,
            rejoin=timedelta(minutes=config.stream_rejoin_minutes),
            edit_every=timedelta(minutes=config.stream_edit_minutes),
            stopping=lambda: bot.jobs.halted,
        )

    async def cog_load(self) -> None:
        self.bot.jobs.every(self.bot.config.haloruns.streams_poll_seconds, self.watcher.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)

    async def post(
        self, setting: FeatureSetting[StreamAlertFilters], stream: Stream, live_since: datetime, nonce: str
    ) -> int:
        channel = await configured_channel(self.bot, setting.guild_id, setting.channel_id)
        message = await post(
            channel, stream_card(stream, live_since), role_ids=[setting.role_id], nonce=nonce
        )
        return message.id

    async def show(self, alert: Alert) -> None:
        """Edits the alert, keeping the configured role above the card (an edit pings no one)."""
        channel = await configured_channel(self.bot, alert.guild_id, alert.channel_id)
        setting = (await self.bot.settings.of_guild(alert.guild_id)).get("streams")
        ping, mentions = role_ping(channel, [setting.role_id] if setting else [])
        card = stream_card(alert.stream, alert.live_since, alert.ended_at)
        await edit_post(channel, alert.message_id, card, ping=ping, mentions=mentions)

    async def delete(self, alert: Alert) -> None:
        channel = await configured_channel(self.bot, alert.guild_id, alert.channel_id)
        await on_message(channel, alert.message_id, discord.PartialMessage.delete)


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(StreamAlertsCog(bot))
