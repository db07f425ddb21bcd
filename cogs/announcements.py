"""World-record announcements: the polling job, and posting a record the way a server asked."""

from __future__ import annotations

import contextlib
import logging

import discord
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.announcements import record_embed
from bot.models.haloruns import Run
from bot.services.record_feed import DeliveryRefused, RecordFeed, SlowDown
from bot.storage.ledger import RecordLedger
from bot.storage.settings import FeatureSetting

log = logging.getLogger(__name__)

JOB = "world-record-announcements"


def role_ping(
    channel: discord.abc.GuildChannel, role_id: int | None
) -> tuple[str | None, discord.AllowedMentions]:
    """The configured role's mention, and the only mention the message allows (none without a role)."""
    role = channel.guild.get_role(role_id) if role_id else None
    if role is None:
        return None, discord.AllowedMentions.none()
    return role.mention, discord.AllowedMentions(
        everyone=False, users=False, roles=[role], replied_user=False
    )


class Announcements(commands.Cog):
    """New HaloRuns world records, posted once in every server that asked for them."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.feed = RecordFeed(bot.haloruns, RecordLedger(bot.engine), bot.settings, self.post)

    async def cog_load(self) -> None:
        self.bot.every(self.bot.config.haloruns.records_poll_seconds, self.feed.poll, name=JOB)

    async def cog_unload(self) -> None:
        with contextlib.suppress(LookupError):
            self.bot.scheduler.remove_job(JOB)

    async def post(self, setting: FeatureSetting, run: Run, nonce: str) -> int:
        channel = self.bot.get_channel(setting.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise DeliveryRefused("the announcement channel no longer exists")
        content, mentions = role_ping(channel, setting.role_id)
        try:
            message = await channel.send(
                content, embed=record_embed(run), nonce=nonce, allowed_mentions=mentions
            )
        except discord.Forbidden as error:
            raise DeliveryRefused(f"the bot may not post in #{channel.name} ({error.text})") from None
        except discord.NotFound:
            raise DeliveryRefused("the announcement channel no longer exists") from None
        except discord.HTTPException as error:
            if error.status != 429:
                raise
            raise SlowDown(float(error.response.headers.get("Retry-After", 1))) from None
        if channel.is_news():
            try:
                await message.publish()
            except discord.HTTPException as error:
                log.warning("Could not publish the announcement in #%s: %s", channel.name, error)
        return message.id


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(Announcements(bot))
