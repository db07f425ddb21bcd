"""A request budget shared by commands and background work, in which commands go first."""

from __future__ import annotations

import asyncio
from collections import deque


class RequestBudget:
    """A leaky bucket: at most ``burst`` requests at once, draining at ``per_second``, so that no
    span of ``t`` seconds holds more than ``burst + t * per_second`` requests.

    Commands take a place in the order they come. A background request waits while any command
    waits, and until ``kept`` places are still free after its own, which are left to commands.
    Nothing polls: each waiter is woken when it is its turn, by a timer set for the moment the
    bucket will have drained enough for the first in line.
    """

    def __init__(self, burst: int, per_second: float, *, kept: int = 0) -> None:
        if not 0 <= kept < burst or per_second <= 0:
            raise ValueError("a budget needs 0 <= kept < burst and a positive rate")
        self._burst = burst
        self._per_second = per_second
        self._kept = kept
        self._level = 0.0  # places taken, less what has drained by ``_checked``
        self._checked = 0.0
        self._commands: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, *, background: bool = False) -> None:
        """One request's place, once it is this request's turn."""
        turn = asyncio.get_running_loop().create_future()
        (self._background if background else self._commands).append(turn)
        self._serve()
        try:
            await turn
        finally:
            if turn.cancelled():
                self._serve()  # the one who gave up may have held the others back

    def _serve(self) -> None:
        """Gives places to the waiters whose turn it is; sets the timer for the next one."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._level = max(0.0, self._level - (now - self._checked) * self._per_second)
        self._checked = now
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for waiting, kept in ((self._commands, 0), (self._background, self._kept)):
            while waiting:
                if waiting[0].done():  # cancelled while waiting
                    waiting.popleft()
                    continue
                short = self._level + 1 + kept - self._burst
                if short > 0:
                    self._timer = loop.call_at(now + short / self._per_second, self._serve)
                    return  # the first in line waits, and while a command waits, the background does
                waiting.popleft().set_result(None)
                self._level += 1
