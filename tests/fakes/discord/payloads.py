"""Builders of the JSON objects Discord sends (snowflakes, users, channels, guilds) and its flags."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
USE_EXTERNAL_APPS = 1 << 50
# View channel, send messages, embed links, read history, use application commands, use external apps.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31) | USE_EXTERNAL_APPS
# What an app has where only members installed it (no bot there): embed links, attach files,
# mention everyone, use external emojis.
USER_INSTALL_PERMISSIONS = (1 << 14) | (1 << 15) | (1 << 17) | (1 << 18)

_ids = itertools.count(1)


def snowflake() -> int:
    return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_ids) & 0x3FFFFF)


def snowflake_on_shard(shard_id: int, shard_count: int) -> int:
    """A fresh snowflake that, as a guild id, belongs to shard ``shard_id`` of ``shard_count``."""
    flake = snowflake()
    ms = (flake >> 22) // shard_count * shard_count + shard_id
    return (ms << 22) | (flake & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


TEXT_CHANNEL, NEWS_CHANNEL, DM_CHANNEL, GROUP_DM_CHANNEL = 0, 5, 1, 3
SEND_MESSAGES = 1 << 11


def make_channel(
    guild_id: int | str, name: str, *, kind: int = TEXT_CHANNEL, position: int = 0, deny_everyone: int = 0
) -> dict[str, Any]:
    """A guild text (or news) channel; ``deny_everyone`` takes permissions from @everyone there."""
    overwrites = (
        [{"id": str(guild_id), "type": 0, "allow": "0", "deny": str(deny_everyone)}] if deny_everyone else []
    )
    return {
        "id": str(snowflake()),
        "type": kind,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": overwrites,
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
    }


def make_guild(
    name: str = "Halo Speedrunning",
    *,
    channels: tuple[str, ...] = ("general", "world-records"),
    roles: tuple[str, ...] = ("Runners",),
    guild_id: int | None = None,
) -> dict[str, Any]:
    """A GUILD_CREATE payload with text channels and roles (the @everyone role included)."""
    gid = guild_id or snowflake()
    everyone = {"id": str(gid), "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS), "position": 0}
    role_list = [everyone] + [
        {"id": str(snowflake()), "name": role, "permissions": "0", "position": i + 1}
        for i, role in enumerate(roles)
    ]
    for role in role_list:
        role.update(
            color=0, hoist=False, managed=False, mentionable=False, flags=0, icon=None, unicode_emoji=None
        )
    return {
        "id": str(gid),
        "name": name,
        "icon": None,
        "owner_id": str(snowflake()),
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "features": [],
        "roles": role_list,
        "emojis": [],
        "stickers": [],
        "channels": [make_channel(gid, channel, position=i) for i, channel in enumerate(channels)],
        "threads": [],
        "members": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "joined_at": iso_now(),
    }


def dm_channel(user: dict[str, Any], bot: dict[str, Any] | None) -> dict[str, Any]:
    """The DM between ``user`` and the bot, or (without ``bot``) a group DM of ``user`` and a friend."""
    if bot is not None:
        return {"id": str(snowflake()), "type": DM_CHANNEL, "recipients": [user], "last_message_id": None}
    friend = user_payload(snowflake(), "friend")
    return {
        "id": str(snowflake()),
        "type": GROUP_DM_CHANNEL,
        "recipients": [user, friend],
        "owner_id": user["id"],
        "name": None,
        "icon": None,
        "last_message_id": None,
    }
