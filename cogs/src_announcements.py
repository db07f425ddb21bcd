"""speedrun.com announcements: the polling job, and posting a verified run the way a server asked."""

from __future__ import annotations

from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.speedrun import verified_run_card
from bot.models.settings import SrcAnnouncementFilters
from bot.models.speedrun import VerifiedRun
from bot.services.src_announcements import SrcAnnouncements
from bot.storage.settings import FeatureSetting
from bot.ui.posting import configured_channel, post

JOB = "speedrun-announcements"


class SrcAnnouncementsCog(commands.Cog, name="SrcAnnouncements"):
    """Newly verified speedrun.com runs of the games servers follow, posted once in each."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.feed = SrcAnnouncements(
            bot.speedrun,
            bot.engine,
            bot.settings,
            bot.state,
            post=self.post,
            stopping=lambda: bot.jobs.stopping,
        )

    async def cog_load(self) -> None:
        self.bot.jobs.every(self.bot.config.speedrun.poll_seconds, self.feed.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)

    async def post(
        self, setting: FeatureSetting[SrcAnnouncementFilters], entry: VerifiedRun, nonce: str
    ) -> int:
        channel = await configured_channel(self.bot, setting.guild_id, setting.channel_id)
        message = await post(channel, verified_run_card(entry), role_id=setting.role_id, nonce=nonce)
        return message.id


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(SrcAnnouncementsCog(bot))
