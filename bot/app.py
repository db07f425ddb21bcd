"""The Bot subclass: wiring of the resources main() opened, the cogs, and the command sync."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clients.speedrun import SpeedrunClient
from bot.config import DISCORD_GATEWAY, Config
from bot.runtime.command_sync import sync_commands
from bot.runtime.discord_limit import GlobalLimit
from bot.runtime.jobs import Jobs
from bot.runtime.telemetry import Telemetry
from bot.services.haloruns.service import HaloRuns
from bot.storage.settings import GuildSettings
from bot.storage.state import BotState
from bot.ui.pagination import PageTurn
from bot.ui.tree import HaloTree

log = logging.getLogger(__name__)

# Loaded in this order by setup_hook; a feature is added to the bot by adding its cog here.
COGS: Sequence[str] = (
    "cogs.status",
    "cogs.haloruns",
    "cogs.config",
    "cogs.announcements",
    "cogs.stream_alerts",
    "cogs.speedrun",
    "cogs.src_announcements",
    "cogs.src_queue",
    "cogs.recap",
    "cogs.halo_infinite",
)

UPSTREAM_SERVICES = ("HaloRuns", "speedrun.com")
JOB_GRACE_SECONDS = 5.0


class HaloBot(commands.Bot):
    def __init__(
        self,
        *,
        config: Config,
        session: aiohttp.ClientSession,
        engine: AsyncEngine,
        sync_on_start: bool = True,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channels and roles, for configuration; nothing privileged
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            tree_cls=HaloTree,
            # Every command can be added to a member's own account and used anywhere, unless it
            # narrows this (server settings are for servers that installed the bot).
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
            allowed_mentions=discord.AllowedMentions.none(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            owner_ids=set(config.discord.owner_ids) or None,
            guild_ready_timeout=config.discord.guild_ready_seconds,
            # Every REST call waits for its turn under Discord's global limit.
            http_trace=GlobalLimit(config.discord.api_base).trace_config(),
        )
        self.config = config
        self.session = session
        self.engine = engine
        self.state = BotState(engine)
        services = [*UPSTREAM_SERVICES, *(["Halo Waypoint"] if config.infinite.enabled else [])]
        self.telemetry = Telemetry(services)
        self.haloruns = HaloRuns.from_config(session, config.haloruns, self.telemetry)
        self.speedrun = SpeedrunClient(session, config.speedrun, self.telemetry)
        self.settings = GuildSettings(engine)
        self.gateway_connected = False
        self._sync_on_start = sync_on_start
        # Background jobs start once the bot is first ready (never during a bare `sync`).
        self.jobs = Jobs()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PageTurn)  # the page buttons of every answer, also after a restart
        for extension in COGS:
            await self.load_extension(extension)
        if self._sync_on_start:
            await self.sync_commands(force=False)

    async def sync_commands(self, *, force: bool) -> list[str]:
        return await sync_commands(self.tree, self.state, self.config.discord.command_guild_ids, force=force)

    def is_healthy(self) -> bool:
        return self.gateway_connected and self.is_ready() and not self.is_closed()

    async def on_connect(self) -> None:
        self.gateway_connected = True
        gateway = self.config.discord.gateway_url
        if gateway != DISCORD_GATEWAY and self.ws is not None:
            # Resume through the configured gateway (a local server or a proxy) as well, not
            # through the resume_gateway_url that READY named.
            self.ws.gateway = yarl.URL(gateway)

    async def on_resumed(self) -> None:
        self.gateway_connected = True

    async def on_disconnect(self) -> None:
        self.gateway_connected = False

    async def on_ready(self) -> None:
        log.info("Ready as %s in %d servers", self.user, len(self.guilds))
        self.jobs.start()

    async def close(self) -> None:
        await self.jobs.stop(JOB_GRACE_SECONDS)
        await super().close()
