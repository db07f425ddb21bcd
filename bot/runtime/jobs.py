"""The bot's background jobs (the pollers and the Halo Waypoint sign-in renewal), run by the one
process that is the poller (bot/runtime/leader.py).

Each job runs every N seconds once started, never two runs of one job at a time, a failure logged
and the job kept. Each job's health is kept for /status: when it last ran well (a poller's run
that could not read its upstream, or failed, does not count) and how many posts it still owes,
where it says. ``run_now`` runs a job at once and returns once that run is over, so whoever
needs a fresh poll (a service test, an operator) does not wait for the interval. ``stop`` lets a
run in hand finish within a grace period, then ends the rest quietly.

Each job's schedule is a ``discord.ext.tasks`` loop (discord.py's own, already loaded): every N
seconds from the start, the next tick after a run that took longer comes at once (never two
runs of one job at a time). While paused the ticks run nothing, and the jobs that missed one run
once when resumed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, runtime_checkable

from discord.ext import tasks

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


@runtime_checkable
class Report(Protocol):
    """What a poller's run may tell of itself (a run that returns nothing else ran well)."""

    @property
    def good(self) -> bool:
        """Whether it read its upstream."""

    @property
    def owed(self) -> int | None:
        """Posts still to make after it (``None``: it does not say)."""


@dataclass(frozen=True, slots=True)
class Polled:
    """A ``Report`` for a poller that has nothing else to return."""

    good: bool = True
    owed: int | None = None


@dataclass(frozen=True, slots=True)
class JobHealth:
    """How one job is doing, for /status."""

    name: str
    runs: int  # runs over, failed ones included
    last_good: datetime | None
    last_bad: datetime | None  # a run that failed, or could not read its upstream
    owed: int | None


@dataclass
class _Entry:
    name: str
    seconds: int
    job: Job
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    runs: int = 0  # runs over, failed ones included
    last_good: datetime | None = None
    last_bad: datetime | None = None
    owed: int | None = None
    missed: bool = False  # a tick came while paused
    schedule: tasks.Loop[Any] | None = None

    def ran(self, result: object) -> None:
        good = result.good if isinstance(result, Report) else True
        if good:
            self.last_good = datetime.now(UTC)
        else:
            self.last_bad = datetime.now(UTC)
        if isinstance(result, Report) and result.owed is not None:
            self.owed = result.owed


class Jobs:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # the runs under way
        self._started = False
        self.stopping = False
        self.paused = False  # another process is the poller now

    def every(self, seconds: int, job: Job, *, name: str) -> None:
        """Runs ``job`` every ``seconds``, the first time as soon as the jobs are started (a job of
        that name is replaced)."""
        self.remove(name)
        entry = _Entry(name, seconds, job)
        entry.schedule = tasks.loop(seconds=seconds, reconnect=False, name=f"job {name}")(
            partial(self._tick, entry)
        )
        self._entries[name] = entry
        if self._started:
            entry.schedule.start()

    def remove(self, name: str) -> None:
        """No more runs of the job ``name`` (a run under way goes on)."""
        entry = self._entries.pop(name, None)
        if entry is not None and entry.schedule is not None:
            entry.schedule.cancel()

    def start(self) -> None:
        """Starts the jobs, or resumes them after ``pause``."""
        self.paused = False
        if self.stopping:
            return
        for entry in self._entries.values():
            if not self._started and entry.schedule is not None:
                entry.schedule.start()
            elif entry.missed:  # the run it missed while paused
                entry.missed = False
                self._tasks.add(asyncio.create_task(self._run(entry), name=f"job {entry.name}"))
        self._started = True

    def pause(self) -> None:
        """No new runs until ``start``; a run under way stops at its next item (``halted``): another
        process polls now, and takes over what this one had claimed."""
        self.paused = True

    async def _tick(self, entry: _Entry) -> None:
        if self.paused:
            entry.missed = True
            log.debug("Background job %s waits for this process to be the poller again", entry.name)
            return
        # Its own task: stopping the schedule does not cut a run off (``stop`` gives it its grace).
        await asyncio.shield(asyncio.create_task(self._run(entry), name=f"job {entry.name}"))

    @property
    def halted(self) -> bool:
        """Whether a run under way should stop at its next item: shutting down, or paused."""
        return self.stopping or self.paused

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def runs(self, name: str) -> int:
        """How many runs of the job ``name`` are over (0 until its first run ends)."""
        return self._entries[name].runs

    def health(self) -> list[JobHealth]:
        """Each job's health, in the order the jobs were added."""
        return [JobHealth(e.name, e.runs, e.last_good, e.last_bad, e.owed) for e in self._entries.values()]

    async def run_now(self, name: str) -> None:
        """Runs the job ``name`` now (after a run already under way) and returns once it is over."""
        await asyncio.create_task(self._run(self._entries[name]))

    async def _run(self, entry: _Entry) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # a strong reference, and what ``stop`` waits for
        try:
            async with entry.lock:
                if not self.stopping:
                    try:
                        result = await entry.job()
                    except Exception:
                        entry.last_bad = datetime.now(UTC)
                        raise
                    finally:
                        entry.runs += 1
                    entry.ran(result)
        except asyncio.CancelledError:
            if not self.stopping:
                raise
            # Cut off after the grace: said in one line.
            log.warning("Background job %s was stopped by the shutdown", entry.name)
        except Exception:
            log.exception("Background job %s failed; it runs again in %d s", entry.name, entry.seconds)
        finally:
            self._tasks.discard(task)

    async def stop(self, grace_seconds: float) -> None:
        """No new runs; a run under way is finished (and recorded) rather than cut off, if it can be
        within ``grace_seconds``."""
        self.stopping = True
        schedules = [entry.schedule for entry in self._entries.values() if entry.schedule is not None]
        for schedule in schedules:
            schedule.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
