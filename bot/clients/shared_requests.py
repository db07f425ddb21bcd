"""Answers kept for a while, and one request shared by identical callers: for every API client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache

T = TypeVar("T")
CACHE_ENTRIES = 2048
_MISSING = object()


class SharedRequests:
    """Keeps answers for ``seconds`` (0: not at all) and runs one fetch per key at a time.

    A fetch is shielded: a caller that gives up (a timeout, say) does not cancel it for the others
    waiting on it. Failures are never kept: the next caller asks again.
    """

    def __init__(self, seconds: float, entries: int = CACHE_ENTRIES) -> None:
        self._cache: TTLCache[Hashable, Any] | None = TTLCache(entries, seconds) if seconds else None
        self._in_flight: dict[Hashable, asyncio.Task[Any]] = {}

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[T]], *, fresh: bool = False) -> T:
        """The kept answer for ``key``, else the one ``fetch()`` gives; ``fresh`` skips the kept one."""
        if self._cache is not None and not fresh:
            kept = self._cache.get(key, _MISSING)  # one lookup: an entry may expire between two
            if kept is not _MISSING:
                hit: T = kept
                return hit
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        result: T = await asyncio.shield(task)
        return result

    def _settle(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        self._in_flight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        if self._cache is not None:
            self._cache[key] = task.result()
