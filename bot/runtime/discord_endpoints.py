"""Where discord.py sends its REST calls and opens its gateway: the configured URLs.

discord.py builds every REST URL (interaction callbacks and webhooks included) from
``discord.http.Route.BASE`` and opens the gateway at ``DiscordWebSocket.DEFAULT_GATEWAY``; both are
class attributes meant to be set, and this is the one place that sets them.
"""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

from bot.config import DiscordConfig


def use_discord_endpoints(config: DiscordConfig) -> None:
    discord.http.Route.BASE = config.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)
