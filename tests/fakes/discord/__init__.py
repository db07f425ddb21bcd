"""A local Discord-compatible server (``FakeDiscord``), with the builders and records tests use.

One module a concern: ``payloads`` builds Discord's JSON objects, ``records`` holds what the server
keeps, ``state`` what its parts share, ``gateway`` the websocket (sharded as Discord shards it),
``rest`` the HTTP API, ``limits`` rate limits and injected failures, ``components`` what Discord
checks in a message's components (Components V2 layouts) and who a message pings,
``interactions`` what a test sends and the bot answers (in a server with the bot, or from a
member's own install in a server without it, a DM or a group DM), ``spec`` the checks against
Discord's OpenAPI description, and ``server`` puts them together.
"""

from tests.fakes.discord.interactions import NotOffered, Place
from tests.fakes.discord.limits import EMBED_TOTAL_LIMIT, embed_limit_problems
from tests.fakes.discord.payloads import (
    ADMINISTRATOR,
    EPHEMERAL,
    LOADING,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    NEWS_CHANNEL,
    SEND_MESSAGES,
    TEXT_CHANNEL,
    USE_EXTERNAL_APPS,
    iso_now,
    make_channel,
    make_guild,
    snowflake,
    snowflake_on_shard,
    user_payload,
)
from tests.fakes.discord.records import Interaction, Message, Request, component
from tests.fakes.discord.server import FakeDiscord
from tests.fakes.discord.spec import DiscordSpec, discord_spec

__all__ = [
    "ADMINISTRATOR",
    "EMBED_TOTAL_LIMIT",
    "EPHEMERAL",
    "LOADING",
    "MANAGE_GUILD",
    "MEMBER_PERMISSIONS",
    "NEWS_CHANNEL",
    "SEND_MESSAGES",
    "TEXT_CHANNEL",
    "USE_EXTERNAL_APPS",
    "DiscordSpec",
    "FakeDiscord",
    "Interaction",
    "Message",
    "NotOffered",
    "Place",
    "Request",
    "component",
    "discord_spec",
    "embed_limit_problems",
    "iso_now",
    "make_channel",
    "make_guild",
    "snowflake",
    "snowflake_on_shard",
    "user_payload",
]
