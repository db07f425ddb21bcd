"""The Bot subclass: wiring of the resources main() opened, the cogs, and the command sync."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from typing import get_args

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.clients.speedrun import SpeedrunClient
from bot.config import DISCORD_GATEWAY, Config
from bot.runtime.command_sync import sync_commands
from bot.runtime.discord_limit import GlobalLimit, IdentifyPace, LimitedConnector, share
from bot.runtime.jobs import Jobs
from bot.runtime.leader import Poller
from bot.runtime.telemetry import ShardHealth, Telemetry
from bot.services.haloruns.service import HaloRuns
from bot.storage.database import Database
from bot.storage.settings import Feature, GuildSettings
from bot.storage.state import BotState
from bot.ui.pagination import PageTurn, forget_old_pages
from bot.ui.posting import RemoteChannels
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
OLD_PAGES = "old-pages"
OLD_PAGES_SECONDS = 24 * 3600
PEER_CHANNELS = "peer-channels"
PEER_CHANNELS_SECONDS = 3600  # a channel made an announcement channel since is published in from then


class HaloBot(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        config: Config,
        session: aiohttp.ClientSession,
        database: Database,
        sync_on_start: bool = True,
    ) -> None:
        # Every REST call waits for its turn under this process's share of Discord's global limit:
        # the poller's, once it is (bot/runtime/leader.py).
        self.limit = GlobalLimit(
            config.discord.api_base, share=share(config.discord.processes(), poller=False)
        )
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
            connector=LimitedConnector(self.limit),
            shard_count=config.discord.shard_count or None,  # None: as many as Discord recommends
            shard_ids=config.discord.shard_ids or None,  # type: ignore[arg-type]  # None (its default): every shard
        )
        self.config = config
        self.session = session
        self.database = database
        self.state = BotState(database)
        services = [*UPSTREAM_SERVICES, *(["Halo Waypoint"] if config.infinite.enabled else [])]
        self.telemetry = Telemetry(services)
        self.haloruns = HaloRuns.from_config(session, config.haloruns, self.telemetry)
        self.speedrun = SpeedrunClient(session, config.speedrun, self.telemetry)
        self.settings = GuildSettings(database)
        self.connected_shards: set[int] = set()
        self.remote_channels = RemoteChannels()  # of servers on other processes' shards, for the poller
        self.identify_pace = IdentifyPace()
        self._sync_on_start = sync_on_start
        # Background jobs start once the bot is first ready (never during a bare `sync`), in the
        # one process that is the poller.
        self.jobs = Jobs()
        self.poller = Poller(
            config.database.url,
            retry_seconds=config.database.poller_retry_seconds,
            on_gain=lambda: self._poll(poller=True),
            on_loss=lambda: self._poll(poller=False),
        )
        self.telemetry.watch(self.shard_health, lambda: self.poller.is_poller)
        if config.discord.shard_ids:  # other processes run the other shards: the poller posts there too
            self.jobs.every(PEER_CHANNELS_SECONDS, self.read_peer_channels, name=PEER_CHANNELS)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PageTurn)  # the page buttons of every answer, also after a restart
        self.jobs.every(OLD_PAGES_SECONDS, lambda: forget_old_pages(self.state), name=OLD_PAGES)
        for extension in COGS:
            await self.load_extension(extension)
        if self._sync_on_start:
            await self.sync_commands(force=False)

    async def sync_commands(self, *, force: bool) -> list[str]:
        return await sync_commands(self.tree, self.state, self.config.discord.command_guild_ids, force=force)

    async def read_peer_channels(self) -> None:
        """The channels configured in servers of other processes' shards, read ahead of the posts
        (a fan-out then makes one request a server, not two)."""
        configured = [s for feature in get_args(Feature) for s in await self.settings.enabled(feature)]
        kept = await self.remote_channels.read(self, [(s.guild_id, s.channel_id) for s in configured])
        log.info("Read %d channels of the other processes' servers", kept)

    def _poll(self, *, poller: bool) -> None:
        """This process becomes the poller (or stops being it): the jobs, and its share of the limit."""
        self.limit.keep_share(share(self.config.discord.processes(), poller=poller))
        if poller:
            self.jobs.start()
        else:
            self.jobs.pause()

    @property
    def own_shards(self) -> list[int]:
        """The shards this process runs (none before the shard count is known)."""
        return list(self.shard_ids or range(self.shard_count or 0))

    def shard_health(self) -> list[ShardHealth]:
        """Each shard of this process: latency, servers, connected."""
        servers = Counter(guild.shard_id for guild in self.guilds)
        latencies = dict(self.latencies)
        return [
            ShardHealth.of(
                shard,
                latencies.get(shard, math.inf),
                servers[shard],
                connected=shard in self.connected_shards,
            )
            for shard in self.own_shards
        ]

    def is_healthy(self) -> bool:
        """Every shard of this process is connected, and the bot is ready."""
        shards = self.own_shards
        connected = bool(shards) and self.connected_shards.issuperset(shards)
        return connected and self.is_ready() and not self.is_closed()

    async def launch_shards(self) -> None:
        """Asks Discord (``GET /gateway/bot``) how many shards it recommends, where the count is not
        configured, and how many may identify at once; the gateway stays the configured one."""
        recommended, _, limits = await self.http.get_bot_gateway()
        if self.shard_count is None:
            self.shard_count = recommended
        self.identify_pace.allow(limits["max_concurrency"])
        log.info("Running shards %s of %d", self.own_shards, self.shard_count)
        await super().launch_shards()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Shards identify at the pace Discord's ``session_start_limit.max_concurrency`` allows."""
        await self.identify_pace.wait(shard_id or 0)

    async def on_shard_connect(self, shard_id: int) -> None:
        self.connected_shards.add(shard_id)
        gateway = self.config.discord.gateway_url
        if gateway != DISCORD_GATEWAY:
            # Resume through the configured gateway (a local server or a proxy) as well, not
            # through the resume_gateway_url that READY named.
            self._get_websocket(shard_id=shard_id).gateway = yarl.URL(gateway)

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.connected_shards.add(shard_id)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.connected_shards.discard(shard_id)

    async def on_ready(self) -> None:
        log.info("Ready as %s in %d servers", self.user, len(self.guilds))
        self.poller.start()

    async def close(self) -> None:
        await self.jobs.stop(JOB_GRACE_SECONDS)
        await self.poller.stop()
        await super().close()
