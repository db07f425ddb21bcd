"""The Discord side of posting to a server's configured channel, with failures made typed.

A refusal only the server's admins can fix becomes ``DeliveryRefused``; a rate limit beyond
discord.py's own retries ``SlowDown``; another 4xx ``PostRejected``; a server out of reach
``ServerUnavailable``. Anything else (5xx, network) is left as it is, to be retried.

With several processes, the poller posts in servers of the others' shards too: those are not in
its cache, so their channels are read over REST and kept (``RemoteChannels``, which the bot holds
and reads ahead of the posts), and a role is pinged by its id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import discord

from bot.embeds.announcements import with_previous, with_succession
from bot.embeds.cards import Card, card_view
from bot.services.delivery import (
    DeliveryRefused,
    MessageGone,
    PostRejected,
    ServerUnavailable,
    SlowDown,
    Succession,
    Target,
    jump_url,
    message_url,
)
from bot.storage.ledger import Posted

log = logging.getLogger(__name__)

PUBLISH_SECONDS = 5.0  # Discord allows about 10 publications a channel an hour: never wait long


class RemoteChannels:
    """The channels of servers on other processes' shards, as read over REST: by the first post
    in one, or ahead of the posts by ``read`` (the poller's job, bot/app.py)."""

    def __init__(self) -> None:
        self._channels: dict[int, discord.TextChannel] = {}

    async def get(self, client: discord.Client, channel_id: int) -> discord.TextChannel:
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = self._channels[channel_id] = await _fetch_text_channel(client, channel_id)
        return channel

    async def read(self, client: discord.Client, configured: Iterable[tuple[int, int]]) -> int:
        """Reads again the channels of the ``(server, channel)`` pairs on other processes' shards,
        and forgets the rest; a channel refused is left to its next post. Returns how many it keeps."""
        channels: dict[int, discord.TextChannel] = {}
        for guild_id, channel_id in configured:
            if on_another_process(client, guild_id) and channel_id not in channels:
                try:
                    channels[channel_id] = await _fetch_text_channel(client, channel_id)
                except (DeliveryRefused, discord.HTTPException) as error:
                    log.info("Channel %s of server %s not read ahead: %s", channel_id, guild_id, error)
        self._channels = channels
        return len(channels)


@runtime_checkable
class KeepsRemoteChannels(Protocol):
    """A client that keeps the channels of other processes' servers (the bot does)."""

    @property
    def remote_channels(self) -> RemoteChannels: ...


def on_another_process(client: discord.Client, guild_id: int) -> bool:
    """Whether the server belongs to a shard this process does not run."""
    if not isinstance(client, discord.AutoShardedClient) or not client.shard_count:
        return False
    own = client.shard_ids or range(client.shard_count)
    return (guild_id >> 22) % client.shard_count not in own


async def configured_channel(client: discord.Client, guild_id: int, channel_id: int) -> discord.TextChannel:
    """The channel; only one Discord says is gone (or not a text channel) counts as a refusal."""
    guild = client.get_guild(guild_id)
    if guild is None and on_another_process(client, guild_id):
        if isinstance(client, KeepsRemoteChannels):
            return await client.remote_channels.get(client, channel_id)
        return await _fetch_text_channel(client, channel_id)
    if guild is None or guild.unavailable:
        raise ServerUnavailable(f"server {guild_id} is not available right now")
    channel = guild.get_channel(channel_id)
    if channel is None:
        return await _fetch_text_channel(client, channel_id)
    if not isinstance(channel, discord.TextChannel):
        raise DeliveryRefused("the channel is no longer a text channel")
    return channel


async def _fetch_text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel:
    try:
        channel = await client.fetch_channel(channel_id)
    except (discord.NotFound, discord.Forbidden):
        raise DeliveryRefused("the channel no longer exists") from None
    if not isinstance(channel, discord.TextChannel):
        raise DeliveryRefused("the channel is no longer a text channel")
    return channel


def role_ping(
    channel: discord.abc.GuildChannel, role_ids: Iterable[int | None]
) -> tuple[str | None, discord.AllowedMentions]:
    """The configured roles' mentions, and the only mentions the message allows (none without a
    role). In a server of another process's shards (not in this one's cache) a role is taken by its id."""
    roles: list[discord.Role | discord.Object] = []
    for role_id in dict.fromkeys(role_ids):
        role: discord.Role | discord.Object | None = channel.guild.get_role(role_id) if role_id else None
        if role is None and role_id and channel.guild.unavailable:
            role = discord.Object(role_id, type=discord.Role)
        if role is not None:
            roles.append(role)
    if not roles:
        return None, discord.AllowedMentions.none()
    return " ".join(f"<@&{role.id}>" for role in roles), discord.AllowedMentions(
        everyone=False, users=False, roles=roles, replied_user=False
    )


@contextmanager
def typed_failures(channel: discord.TextChannel) -> Iterator[None]:
    try:
        yield
    except discord.Forbidden as error:
        raise DeliveryRefused(f"the bot may not post in #{channel.name} ({error.text})") from None
    except discord.NotFound:
        raise DeliveryRefused("the channel no longer exists") from None
    except discord.HTTPException as error:
        if error.status == 429:
            raise SlowDown(float(error.response.headers.get("Retry-After", 1))) from None
        if 400 <= error.status < 500:
            raise PostRejected(f"HTTP {error.status}: {error.text}") from None
        raise


async def post(
    channel: discord.TextChannel, card: Card, *, role_ids: Iterable[int | None], nonce: str
) -> discord.Message:
    """Posts ``card`` (pinging the roles above it, if any), and publishes it in an announcement
    channel."""
    ping, mentions = role_ping(channel, role_ids)
    with typed_failures(channel):
        view = card_view(card, ping=ping)
        message = await channel.send(view=view, nonce=nonce, allowed_mentions=mentions)
    if channel.is_news():
        try:
            async with asyncio.timeout(PUBLISH_SECONDS):
                await message.publish()
        except (discord.HTTPException, TimeoutError) as error:
            log.warning("Could not publish the post in #%s: %r", channel.name, error)
    return message


async def on_message(
    channel: discord.TextChannel,
    message_id: int,
    change: Callable[[discord.PartialMessage], Awaitable[object]],
) -> None:
    """Edits or deletes a message the bot posted; ``MessageGone`` if it is not there any more."""
    with typed_failures(channel):
        try:
            await change(channel.get_partial_message(message_id))
        except discord.NotFound:
            raise MessageGone(f"message {message_id} is not in #{channel.name} any more") from None


async def post_record(
    client: discord.Client, target: Target, card: Card, previous: Posted[Any] | None, nonce: str
) -> int:
    """Posts an announcement to its target, linking back to the post of the record it supersedes."""
    channel = await configured_channel(client, target.guild_id, target.channel_id)
    if previous is not None:
        card = with_previous(card, jump_url(previous))
    return (await post(channel, card, role_ids=target.role_ids, nonce=nonce)).id


async def follow_record(
    client: discord.Client, target: Target, earlier: Posted[Any], card: Card, succession: Succession
) -> None:
    """Edits the earlier post (``card`` as it was posted) to tell how its record was followed; the
    target's roles are still named above it (the edit pings no one)."""
    channel = await configured_channel(client, earlier.guild_id, earlier.channel_id)
    if earlier.previous is not None:
        card = with_previous(card, message_url(earlier.guild_id, *earlier.previous))
    ping, _ = role_ping(channel, target.role_ids)
    card = with_succession(card, succession)
    await edit_post(channel, earlier.message_id, card, ping=ping, mentions=discord.AllowedMentions.none())


async def edit_post(
    channel: discord.TextChannel,
    message_id: int,
    card: Card,
    *,
    ping: str | None,
    mentions: discord.AllowedMentions,
) -> None:
    """Shows ``card`` (``ping`` above it) in place of what the post showed: a post from before
    cards loses its content and embed too, or Discord would refuse the layout beside them.
    ``MessageGone`` if the post is not there any more."""
    view = card_view(card, ping=ping)
    await on_message(
        channel,
        message_id,
        lambda message: message.edit(content=None, embed=None, view=view, allowed_mentions=mentions),
    )
