"""World-record announcements: the polling job, and posting a record the way a server asked."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.announcements import record_embed
from bot.models.haloruns import Run
from bot.services.record_feed import DeliveryRefused, PostRejected, RecordFeed, SlowDown
from bot.storage.ledger import RecordLedger
from bot.storage.settings import FeatureSetting

log = logging.getLogger(__name__)

JOB = "world-record-announcements"
PUBLISH_SECONDS = 5.0


class ServerUnavailable(Exception):
    """The server is out of reach for now (an outage, a reconnect): the post waits for a later poll."""


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
        self.feed = RecordFeed(
            bot.haloruns,
            RecordLedger(bot.engine),
            bot.settings,
            bot.state,
            api=bot.config.haloruns.api,
            post=self.post,
            stopping=lambda: bot.stopping,
        )

    async def cog_load(self) -> None:
        self.bot.every(self.bot.config.haloruns.records_poll_seconds, self.feed.poll, name=JOB)

    async def cog_unload(self) -> None:
        with contextlib.suppress(LookupError):
            self.bot.scheduler.remove_job(JOB)

    async def _channel(self, setting: FeatureSetting) -> discord.TextChannel:
        """The announcement channel; only a channel Discord says is gone counts as a refusal."""
        guild = self.bot.get_guild(setting.guild_id)
        if guild is None or guild.unavailable:
            raise ServerUnavailable(f"server {setting.guild_id} is not available right now")
        channel: object = guild.get_channel(setting.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(setting.channel_id)
            except (discord.NotFound, discord.Forbidden):
                raise DeliveryRefused("the announcement channel no longer exists") from None
        if not isinstance(channel, discord.TextChannel):
            raise DeliveryRefused("the announcement channel is no longer a text channel")
        return channel

    async def post(self, setting: FeatureSetting, run: Run, nonce: str) -> int:
        channel = await self._channel(setting)
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
            if error.status == 429:
                raise SlowDown(float(error.response.headers.get("Retry-After", 1))) from None
            if 400 <= error.status < 500:
                raise PostRejected(f"HTTP {error.status}: {error.text}") from None
            raise
        if channel.is_news():
            # Discord allows about 10 publications a channel an hour: never wait long for one.
            try:
                async with asyncio.timeout(PUBLISH_SECONDS):
                    await message.publish()
            except (discord.HTTPException, TimeoutError) as error:
                log.warning("Could not publish the announcement in #%s: %r", channel.name, error)
        return message.id


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(Announcements(bot))
