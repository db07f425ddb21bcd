"""Posting to many servers: what can go wrong with one post, how a slow-down is waited out, and the
delivery of what an announcement feed found, every pending post exactly once.

Discord allows a bot 50 requests a second in all, which ``bot.runtime.discord_limit`` keeps for
every request the bot makes (posts, publications, edits, lookups), paced from what Discord answers.

Deliveries are made oldest first within each server setting (one channel), settings side by side,
and each is marked posted only once Discord accepted it. A poll claims the deliveries it makes in
the database for ``CLAIM_SECONDS`` (and gives back the ones it did not make): should its process
die, the next poller makes them once that ran out, with the same nonce, so a post Discord already
accepted is matched to its message, not made twice. A refusal that only the server's admins
can fix (channel gone, permission removed) is counted, and at ``FAILURE_LIMIT`` in a row the
setting is turned off; other failures are retried at later polls, up to ``ATTEMPTS_LIMIT``. The
Discord side of one post is bot/ui/posting.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.storage.ledger import Delivery, E, RunLedger, this_process
from bot.storage.settings import Feature, FeatureSetting, GuildSettings

RATE_LIMITED_TRIES = 5
FAILURE_LIMIT = 3  # refusals in a row (channel gone, permission removed) before a server is turned off

log = logging.getLogger(__name__)

T = TypeVar("T")


class DeliveryRefused(Exception):
    """Discord refused the post for a reason only the server's admins can fix."""


class PostRejected(Exception):
    """Discord rejected this one post (a 4xx other than refusals and rate limits): it is given up."""


class SlowDown(Exception):
    """Discord is rate limiting the bot beyond what its HTTP client retries: wait ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:g} s")
        self.seconds = seconds


class MessageGone(Exception):
    """A message the bot keeps up to date is not there any more (deleted by a moderator, say)."""


class ServerUnavailable(Exception):
    """The server is out of reach for now (an outage, a reconnect): the post waits for a later poll."""


async def paced(attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``, again after a wait while Discord says to slow down (every request already
    waits its turn under the global limit: bot/runtime/discord_limit.py)."""
    for _ in range(RATE_LIMITED_TRIES - 1):
        try:
            return await attempt()
        except SlowDown as slow_down:
            await asyncio.sleep(slow_down.seconds)
    return await attempt()


ATTEMPTS_LIMIT = 10  # polls a post is retried after other failures before it is given up
SETTINGS_AT_ONCE = 50
KEEP_DELIVERIES = timedelta(days=30)
CLAIM_SECONDS = 60.0  # well within the minutes Discord matches a nonce
PRUNE_EVERY = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class PollResult:
    new: int
    posted: int
    failed: int
    owed: int | None = None  # posts still to make after this poll
    good: bool = True  # the upstream feed was read


def nonce(key: str, guild_id: int) -> str:
    """The same for every attempt to post one run in one server (Discord keeps at most 25 chars)."""
    return hashlib.sha1(f"{key}/{guild_id}".encode(), usedforsecurity=False).hexdigest()[:25]


class FeedDelivery(Generic[E]):
    """Delivers the pending posts of one feed, to the server settings of one feature."""

    def __init__(
        self,
        ledger: RunLedger[E],
        settings: GuildSettings,
        *,
        feature: Feature,
        setting_of: Callable[[E], str],
        post: Callable[[FeatureSetting[Any], E, str], Awaitable[int]],
        stopping: Callable[[], bool],
        claimant: str | None = None,
    ) -> None:
        """``setting_of(run)`` names the setting (``feature`` or ``feature:scope``) a run is posted
        by; ``post(setting, run, nonce)`` posts it and returns the message id; ``claimant`` names
        this process in the claims (by default its host and process id)."""
        self._ledger = ledger
        self._settings = settings
        self._feature = feature
        self._setting_of = setting_of
        self._post = post
        self._stopping = stopping
        self._claimant = claimant or this_process()
        self._at_once = asyncio.Semaphore(SETTINGS_AT_ONCE)
        self._pruned = 0.0

    async def owed(self) -> int:
        """Posts still to make (pending, retried at later polls)."""
        return await self._ledger.owed()

    async def deliver(self) -> tuple[int, int]:
        """Every pending post no other process is making; returns (posted, failed)."""
        try:
            results = await self._deliver_claimed()
        finally:
            await self._ledger.release(self._claimant)
        if time.monotonic() - self._pruned > PRUNE_EVERY:
            self._pruned = time.monotonic()
            await self._ledger.prune(datetime.now(UTC) - KEEP_DELIVERIES)
        return sum(r[0] for r in results), sum(r[1] for r in results)

    async def _deliver_claimed(self) -> list[tuple[int, int]]:
        queues: dict[tuple[int, str], list[Delivery[E]]] = {}
        for delivery in await self._ledger.claim(self._claimant, seconds=CLAIM_SECONDS):
            queues.setdefault((delivery.guild_id, self._setting_of(delivery.run)), []).append(delivery)
        settings = {(s.guild_id, s.feature): s for s in await self._settings.enabled(self._feature)}
        for off in queues.keys() - settings.keys():
            await self._ledger.drop(queues.pop(off), f"{off[1]} is off in this server")
        return await asyncio.gather(*(self._deliver_to(settings[k], q) for k, q in queues.items()))

    async def _deliver_to(self, setting: FeatureSetting[Any], queue: list[Delivery[E]]) -> tuple[int, int]:
        posted = failed = 0
        async with self._at_once:
            for delivery in queue:
                if self._stopping():
                    break  # the bot is shutting down: the rest stays pending
                try:
                    message_id = await self._post_paced(setting, delivery.run)
                except DeliveryRefused as refusal:
                    await self._refused(setting, delivery, queue, str(refusal))
                    return posted, failed + 1
                except PostRejected as rejection:
                    log.warning("Discord rejected a post in server %s: %s", setting.guild_id, rejection)
                    await self._ledger.drop([delivery], str(rejection))
                    failed += 1
                    continue
                except Exception as error:  # one server's trouble never stops the others
                    log.warning("Posting in server %s failed", setting.guild_id, exc_info=True)
                    reason = f"{type(error).__name__}: {error}"
                    if delivery.attempts + 1 < ATTEMPTS_LIMIT:
                        await self._ledger.failed(delivery, reason)
                        return posted, failed + 1  # keep the order: the rest waits for the next poll
                    await self._ledger.drop([delivery], f"given up after {ATTEMPTS_LIMIT} attempts: {reason}")
                    failed += 1
                    continue
                await self._ledger.posted(delivery, message_id)
                if setting.failures:
                    await self._settings.delivered(setting.guild_id, setting.feature)
                posted += 1
        return posted, failed

    async def _post_paced(self, setting: FeatureSetting[Any], run: E) -> int:
        return await paced(lambda: self._post(setting, run, nonce(run.key, setting.guild_id)))

    async def _refused(
        self, setting: FeatureSetting[Any], delivery: Delivery[E], queue: list[Delivery[E]], reason: str
    ) -> None:
        log.warning("Server %s refused a %s post: %s", setting.guild_id, setting.feature, reason)
        await self._ledger.failed(delivery, reason)
        if await self._settings.delivery_failed(
            setting.guild_id, setting.feature, reason, limit=FAILURE_LIMIT
        ):
            log.warning("%s turned off in server %s: %s", setting.feature, setting.guild_id, reason)
            await self._ledger.drop(queue, reason)
