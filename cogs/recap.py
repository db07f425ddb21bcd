"""The weekly recap: the job that posts each server's recap at its weekday and hour."""

from __future__ import annotations

from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.recap import recap_card
from bot.models.settings import RecapFilters
from bot.services.recap import WeeklyRecaps, WeekRecap
from bot.storage.settings import FeatureSetting
from bot.ui.posting import configured_channel, post

JOB = "weekly-recap"
EVERY_SECONDS = 60  # a recap comes within a minute of its hour


class RecapCog(commands.Cog, name="Recap"):
    """Once a week, the week's world records, runners and streams, in every server that asked."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.recaps = WeeklyRecaps(
            bot.database, bot.settings, post=self.post, stopping=lambda: bot.jobs.halted
        )

    async def cog_load(self) -> None:
        self.bot.jobs.every(EVERY_SECONDS, self.recaps.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)

    async def post(self, setting: FeatureSetting[RecapFilters], recap: WeekRecap, nonce: str) -> int:
        channel = await configured_channel(self.bot, setting.guild_id, setting.channel_id)
        message = await post(channel, recap_card(recap), role_ids=[setting.role_id], nonce=nonce)
        return message.id


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(RecapCog(bot))
