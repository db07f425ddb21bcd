"""World-record announcements: the polling job, and posting a record the way a server asked."""

from __future__ import annotations

from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.announcements import record_card
from bot.models.haloruns import Run
from bot.services.announcements import Announcements
from bot.services.delivery import Succession, Target
from bot.storage.ledger import Posted
from bot.ui.posting import follow_record, post_record

JOB = "world-record-announcements"


class AnnouncementsCog(commands.Cog, name="Announcements"):
    """New HaloRuns world records, posted once in every server that asked for them."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.feed = Announcements(
            bot.haloruns,
            bot.database,
            bot.settings,
            bot.state,
            api=bot.config.haloruns.api,
            post=self.post,
            follow=self.follow,
            stopping=lambda: bot.jobs.halted,
        )

    async def cog_load(self) -> None:
        self.bot.jobs.every(self.bot.config.haloruns.records_poll_seconds, self.feed.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)

    async def post(self, target: Target, run: Run, previous: Posted[Run] | None, nonce: str) -> int:
        return await post_record(self.bot, target, record_card(run), previous, nonce)

    async def follow(self, target: Target, earlier: Posted[Run], succession: Succession) -> None:
        await follow_record(self.bot, target, earlier, record_card(earlier.run), succession)


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(AnnouncementsCog(bot))
