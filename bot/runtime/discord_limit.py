"""Discord's global rate limit, kept for every REST call the bot makes.

Discord allows a bot 50 requests a second in all (interaction callbacks and followups, under
``/interactions/`` and ``/webhooks/``, excepted) and answers 429 beyond. discord.py keeps each
route's own limit from the ``X-RateLimit-*`` headers, but meets the global one only once refused
(then it holds every request of the process for the ``Retry-After`` Discord names). So every
request it sends waits here for its turn first, in the connector that gives it a connection
(``LimitedConnector``, discord.py's ``connector`` option): a token bucket refilled at the limit,
which lets a burst of a little less than one second's worth through, so that requests reaching
Discord slightly closer together than they left still fit. Interaction callbacks pass straight
through: an aiohttp trace hook would cost every request, callbacks included, some 20 µs.

Several processes of one bot (each running some of its shards) share the limit. Nearly all of a
bot's counted requests are posts, and only the poller posts (answers to commands are interaction
callbacks, not counted): each other process keeps ``IDLE_SHARE`` of the limit, and the poller the
rest (``share``).

Gateway sessions have a limit of their own: Discord lets shards identify in buckets
(``shard_id % max_concurrency``), one identify a bucket every five seconds. ``IdentifyPace`` keeps it
for the shards of this process.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp.connector import Connection
from aiohttp.tracing import Trace

GLOBAL_LIMIT = 50.0  # requests a second, Discord's default for a bot
BURST = 40  # requests let through at once: a fifth of a second short of the limit's second
EXEMPT = ("/interactions/", "/webhooks/")  # interaction callbacks and followups: not counted
IDENTIFY_SECONDS = 5.0  # one identify a bucket this often
IDLE_SHARE = 0.02  # of the limit, for each process that is not the poller (1 request a second)
SMALLEST_BURST = 5  # a start's few requests (login, commands, gateway) go at once, whatever the share


def share(processes: float, *, poller: bool) -> float:
    """The part of the global limit a process keeps, of ``processes`` sharing the bot."""
    if processes <= 1:
        return 1.0
    return max(IDLE_SHARE, 1 - (processes - 1) * IDLE_SHARE) if poller else IDLE_SHARE


class GlobalLimit:
    def __init__(
        self, api_base: str, *, rate: float = GLOBAL_LIMIT, burst: int = BURST, share: float = 1.0
    ) -> None:
        """``share``: the part of the limit this process keeps (``rate`` and ``burst`` are the whole)."""
        self._api_base = api_base.rstrip("/") + "/"
        self._whole = (rate, burst)
        self._rate = self._burst = self._tokens = 0.0
        self.keep_share(share)
        self._tokens = self._burst
        self._updated = time.monotonic()
        self._turn = asyncio.Lock()  # first come, first served

    def keep_share(self, share: float) -> None:
        """From now on, keep ``share`` of the limit."""
        rate, burst = self._whole
        self._rate = rate * share
        self._burst = float(max(SMALLEST_BURST, int(burst * share)))
        self._tokens = min(self._tokens, self._burst)

    def counts(self, url: str) -> bool:
        """Whether a request to ``url`` counts against the global limit."""
        return url.startswith(self._api_base) and not url[len(self._api_base) - 1 :].startswith(EXEMPT)

    async def wait_turn(self) -> None:
        async with self._turn:
            while (wait := self._take()) > 0:  # noqa: ASYNC110 - waiting for time, not for an event
                await asyncio.sleep(wait)

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def _take(self) -> float:
        """Takes a token, or says how long to wait for one."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class LimitedConnector(aiohttp.TCPConnector):
    """discord.py's own connector (no limit on connections), which gives a request that counts
    against the global limit its connection only once ``limit`` says it is its turn."""

    def __init__(self, limit: GlobalLimit) -> None:
        super().__init__(limit=0)
        self._global = limit

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's signature
    ) -> Connection:
        if self._global.counts(str(req.url)):
            await self._global.wait_turn()
        return await super().connect(req, traces, timeout)


class IdentifyPace:
    """Gateway identifies paced as ``session_start_limit.max_concurrency`` allows (``allow`` it first;
    until then, one at a time)."""

    def __init__(self) -> None:
        self.max_concurrency: int | None = None
        self.seconds = IDENTIFY_SECONDS  # between two identifies of one bucket
        self._last: dict[int, float] = {}  # by bucket: time.monotonic() of its last identify
        self._turns: dict[int, asyncio.Lock] = {}

    def allow(self, max_concurrency: int) -> None:
        self.max_concurrency = max(1, max_concurrency)

    async def wait(self, shard_id: int) -> None:
        """Returns when shard ``shard_id`` may identify."""
        bucket = shard_id % (self.max_concurrency or 1)
        async with self._turns.setdefault(bucket, asyncio.Lock()):
            last = self._last.get(bucket)
            if last is not None and (wait := last + self.seconds - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            self._last[bucket] = time.monotonic()
