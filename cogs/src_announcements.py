"""speedrun.com announcements: the polling job, and posting a verified run the way a server asked."""

from __future__ import annotations

from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.speedrun import verified_run_card
from bot.models.speedrun import VerifiedRun
from bot.services.delivery import Succession, Target
from bot.services.src_announcements import SrcAnnouncements
from bot.storage.ledger import Posted
from bot.ui.posting import follow_record, post_record

JOB = "speedrun-announcements"


class SrcAnnouncementsCog(commands.Cog, name="SrcAnnouncements"):
    """Newly verified speedrun.com runs of the games servers follow, posted once in each."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.feed = SrcAnnouncements(
            bot.speedrun,
            bot.database,
            bot.settings,
            bot.state,
            post=self.post,
            follow=self.follow,
            stopping=lambda: bot.jobs.halted,
        )

    async def cog_load(self) -> None:
        self.bot.jobs.every(self.bot.config.speedrun.poll_seconds, self.feed.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)

    async def post(
        self, target: Target, entry: VerifiedRun, previous: Posted[VerifiedRun] | None, nonce: str
    ) -> int:
        return await post_record(self.bot, target, verified_run_card(entry), previous, nonce)

    async def follow(self, target: Target, earlier: Posted[VerifiedRun], succession: Succession) -> None:
        await follow_record(self.bot, target, earlier, verified_run_card(earlier.run), succession)


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(SrcAnnouncementsCog(bot))
