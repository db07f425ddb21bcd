"""World-record announcements: poll the record feed, keep the ledger, post each new record once.

The feed is read every ``haloruns.records_poll_seconds``. Records never seen before are stored with
one pending delivery per server whose announcements are on (and whose filters they pass). The
first poll (and the first after ``haloruns.api`` changed) only remembers the feed. Deliveries are
made oldest first within each server, servers side by side, paced below Discord's global limit,
and each is marked posted only once Discord accepted it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiolimiter import AsyncLimiter

from bot.errors import UpstreamError
from bot.models.haloruns import Run
from bot.services.delivery import FAILURE_LIMIT, DeliveryRefused, PostRejected, paced
from bot.services.haloruns.catalog import normalize
from bot.services.haloruns.service import HaloRuns
from bot.storage.ledger import Delivery, RecordLedger
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.state import BotState

log = logging.getLogger(__name__)

FEED_SIZE = 50
FEED_STATE = "records.feed.api"  # which API generation the ledger's records came from
ATTEMPTS_LIMIT = 10  # polls a post is retried after other failures before it is given up
SERVERS_AT_ONCE = 50
KEEP_DELIVERIES = timedelta(days=30)
PRUNE_EVERY = 24 * 3600.0


# Posts ``run`` as the server's settings say, with ``nonce``; returns the message id.
Poster = Callable[[FeatureSetting, Run, str], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class PollResult:
    new: int
    posted: int
    failed: int


def wanted(setting: FeatureSetting, run: Run) -> bool:
    """Whether the run passes the server's filters (games, difficulties, extension categories)."""
    games = {normalize(game) for game in setting.filters.get("games", [])}
    difficulties = {normalize(d) for d in setting.filters.get("difficulties", [])}
    if games and normalize(run.game) not in games:
        return False
    if difficulties and normalize(run.difficulty) not in difficulties:
        return False
    return bool(setting.filters.get("extensions", True)) or not run.extension


def nonce(run: Run, guild_id: int) -> str:
    """The same for every attempt to post one record in one server (Discord keeps at most 25 chars)."""
    return hashlib.sha1(f"{run.key}/{guild_id}".encode(), usedforsecurity=False).hexdigest()[:25]


def oldest_first(runs: list[Run]) -> list[Run]:
    """The feed lists the newest first; records without a date keep their place in it."""
    undated = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(enumerate(runs), key=lambda item: (item[1].date or undated, -item[0]))
    return [run for _, run in ordered]


class RecordFeed:
    def __init__(
        self,
        haloruns: HaloRuns,
        ledger: RecordLedger,
        settings: GuildSettings,
        state: BotState,
        *,
        api: str,
        post: Poster,
        pace: AsyncLimiter,
        stopping: Callable[[], bool],
    ) -> None:
        self._haloruns = haloruns
        self._ledger = ledger
        self._settings = settings
        self._state = state
        self._api = api
        self._post = post
        self._stopping = stopping
        self._servers = asyncio.Semaphore(SERVERS_AT_ONCE)
        self._pace = pace
        self._pruned = 0.0

    async def poll(self) -> PollResult:
        """One round: read the feed, record what is new, deliver everything pending."""
        try:
            async with self._haloruns.deadline():
                runs = oldest_first(await self._haloruns.recent_records(FEED_SIZE, fresh=True))
        except UpstreamError as error:
            log.warning("World-record feed skipped this poll: %s", error)
            return PollResult(0, *await self.deliver())  # posts still owed need no feed
        if await self._state.get(FEED_STATE) != self._api:
            await self._ledger.add(runs, lambda run: [])
            await self._state.set(FEED_STATE, self._api)
            log.info(
                "First look at the %s record feed: %d records remembered, none posted", self._api, len(runs)
            )
            return PollResult(0, 0, 0)
        targets = await self._settings.enabled("announcements")
        new = await self._ledger.add(runs, lambda run: [t.guild_id for t in targets if wanted(t, run)])
        if new:
            log.info("%d new world record(s)", len(new))
        posted, failed = await self.deliver()
        if time.monotonic() - self._pruned > PRUNE_EVERY:
            self._pruned = time.monotonic()
            await self._ledger.prune(datetime.now(UTC) - KEEP_DELIVERIES)
        return PollResult(len(new), posted, failed)

    async def deliver(self) -> tuple[int, int]:
        """Every pending post, oldest first in each server; returns (posted, failed)."""
        by_guild: dict[int, list[Delivery]] = {}
        for delivery in await self._ledger.pending():
            by_guild.setdefault(delivery.guild_id, []).append(delivery)
        settings = {s.guild_id: s for s in await self._settings.enabled("announcements")}
        for guild_id in by_guild.keys() - settings.keys():
            await self._ledger.drop_pending(guild_id, "announcements are off in this server")
        results = await asyncio.gather(
            *(self._deliver_to(settings[g], queue) for g, queue in by_guild.items() if g in settings)
        )
        return sum(r[0] for r in results), sum(r[1] for r in results)

    async def _deliver_to(self, setting: FeatureSetting, queue: list[Delivery]) -> tuple[int, int]:
        posted = failed = 0
        async with self._servers:
            for delivery in queue:
                if self._stopping():
                    break  # the bot is shutting down: the rest stays pending
                try:
                    message_id = await self._post_paced(setting, delivery.run)
                except DeliveryRefused as refusal:
                    await self._refused(setting, delivery, str(refusal))
                    return posted, failed + 1
                except PostRejected as rejection:
                    log.warning(
                        "Discord rejected a record post in server %s: %s", setting.guild_id, rejection
                    )
                    await self._ledger.drop(delivery, str(rejection))
                    failed += 1
                    continue
                except Exception as error:  # one server's trouble never stops the others
                    log.warning("Posting a record in server %s failed", setting.guild_id, exc_info=True)
                    reason = f"{type(error).__name__}: {error}"
                    if delivery.attempts + 1 < ATTEMPTS_LIMIT:
                        await self._ledger.failed(delivery, reason)
                        return posted, failed + 1  # keep the order: the rest waits for the next poll
                    await self._ledger.drop(delivery, f"given up after {ATTEMPTS_LIMIT} attempts: {reason}")
                    failed += 1
                    continue
                await self._ledger.posted(delivery, message_id)
                if setting.failures:
                    await self._settings.delivered(setting.guild_id, "announcements")
                posted += 1
        return posted, failed

    async def _post_paced(self, setting: FeatureSetting, run: Run) -> int:
        return await paced(self._pace, lambda: self._post(setting, run, nonce(run, setting.guild_id)))

    async def _refused(self, setting: FeatureSetting, delivery: Delivery, reason: str) -> None:
        log.warning("Server %s refused a world-record post: %s", setting.guild_id, reason)
        await self._ledger.failed(delivery, reason)
        if await self._settings.delivery_failed(
            setting.guild_id, "announcements", reason, limit=FAILURE_LIMIT
        ):
            log.warning("Announcements turned off in server %s: %s", setting.guild_id, reason)
            await self._ledger.drop_pending(setting.guild_id, reason)
