"""World-record announcements: the polling job, and posting a record the way a server asked."""

from __future__ import annotations

from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.announcements import record_card
from bot.models.haloruns import Run
from bot.models.settings import AnnouncementFilters
from bot.services.announcements import Announcements
from bot.storage.settings import FeatureSetting
from bot.ui.posting import configured_channel, post

JOB = "world-record-announcements"


class AnnouncementsCog(commands.Cog, name="Announcements"):
    """New HaloRuns world records, posted once in every server that asked for them."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.feed = Announcements(
            bot.haloruns,
            bot.engine,
            bot.settings,
            bot.state,
            api=bot.config.haloruns.api,
            post=self.post,
            stopping=lambda: bot.jobs.stopping,
        )

    async def cog_load(self) -> None:
        self.bot.jobs.every(self.bot.config.haloruns.records_poll_seconds, self.feed.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)

    async def post(self, setting: FeatureSetting[AnnouncementFilters], run: Run, nonce: str) -> int:
        channel = await configured_channel(self.bot, setting.guild_id, setting.channel_id)
        message = await post(channel, record_card(run), role_id=setting.role_id, nonce=nonce)
        return message.id


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(AnnouncementsCog(bot))
