"""The ledger of the announcement feeds: every run a feed has seen, and per server whether it was
posted.

A run is marked posted for a server only after Discord accepted the message, so a crash or a
failure between the two posts it again later (the post's nonce keeps a quick retry from doubling).
Several processes may share the database: the one delivering claims the deliveries it is making
(``claim``), and a claim left by a process that died runs out after its seconds, well within the
minutes Discord matches a nonce, so that the next poller finishes that post once.
Each feed (HaloRuns records, speedrun.com verified runs) keeps its own runs under its name; keys
are unique across feeds (a feed's own keys carry a prefix of their own, such as ``src/``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.tables import feed_deliveries, feed_runs

PENDING, POSTED, DROPPED = "pending", "posted", "dropped"


def this_process() -> str:
    """The name claims give this process: its host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Entry(Protocol):
    """What a feed keeps: a key of its own, and a fingerprint that also finds it under another key."""

    @property
    def key(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...


E = TypeVar("E", bound=Entry)


@dataclass(frozen=True, slots=True)
class Delivery(Generic[E]):
    record_id: int
    guild_id: int
    run: E
    attempts: int


class RunLedger(Generic[E]):
    def __init__(self, engine: AsyncEngine, feed: str, shape: TypeAdapter[E]) -> None:
        self._engine = engine
        self._feed = feed
        self._shape = shape

    async def unseen(self, runs: Iterable[E]) -> list[E]:
        """The runs this feed has not seen before (by key or by fingerprint), in the given order."""
        runs = list({run.key: run for run in runs}.values())
        async with self._engine.connect() as connection:
            known = await self._known(connection, runs)
        return [run for run in runs if run.key not in known and run.fingerprint not in known]

    async def add(self, runs: Iterable[E], recipients: Callable[[E], Iterable[int]]) -> list[E]:
        """Records the runs not seen before, in the given order (oldest first), each pending for the
        servers ``recipients`` names; returns the new ones."""
        runs = list({run.key: run for run in runs}.values())
        now = datetime.now(UTC)
        async with self._engine.begin() as connection:
            known = await self._known(connection, runs)
            new = [run for run in runs if run.key not in known and run.fingerprint not in known]
            for run in new:
                record_id = await connection.scalar(
                    feed_runs.insert()
                    .values(
                        feed=self._feed,
                        key=run.key,
                        fingerprint=run.fingerprint,
                        run=self._shape.dump_json(run, by_alias=True).decode(),
                        seen_at=now,
                    )
                    .returning(feed_runs.c.id)
                )
                rows = [
                    {
                        "record_id": record_id,
                        "guild_id": guild_id,
                        "status": PENDING,
                        "attempts": 0,
                        "updated_at": now,
                    }
                    for guild_id in recipients(run)
                ]
                if rows:
                    await connection.execute(feed_deliveries.insert(), rows)
        return new

    async def pending(self, claimant: str | None = None) -> list[Delivery[E]]:
        """Every delivery of this feed still to make (those ``claimant`` claimed, if named), oldest
        run first."""
        query = (
            select(
                feed_deliveries.c.record_id,
                feed_deliveries.c.guild_id,
                feed_deliveries.c.attempts,
                feed_runs.c.run,
            )
            .join(feed_runs, feed_runs.c.id == feed_deliveries.c.record_id)
            .where((feed_deliveries.c.status == PENDING) & (feed_runs.c.feed == self._feed))
            .order_by(feed_deliveries.c.record_id, feed_deliveries.c.guild_id)
        )
        if claimant is not None:
            query = query.where(feed_deliveries.c.claimed_by == claimant)
        async with self._engine.connect() as connection:
            rows = await connection.execute(query)
            return [
                Delivery(row.record_id, row.guild_id, self._shape.validate_json(row.run), row.attempts)
                for row in rows
            ]

    async def claim(self, claimant: str, *, seconds: float) -> list[Delivery[E]]:
        """The deliveries still to make that no other process is making, each claimed for
        ``claimant`` for ``seconds`` (until ``release``), oldest run first."""
        now = datetime.now(UTC)
        free = (
            feed_deliveries.c.claimed_until.is_(None)
            | (feed_deliveries.c.claimed_until < now)
            | (feed_deliveries.c.claimed_by == claimant)
        )
        async with self._engine.begin() as connection:
            await connection.execute(
                feed_deliveries.update()
                .where((feed_deliveries.c.status == PENDING) & self._of_this_feed() & free)
                .values(claimed_by=claimant, claimed_until=now + timedelta(seconds=seconds))
            )
        return await self.pending(claimant)

    async def release(self, claimant: str) -> None:
        """Gives up ``claimant``'s claims on the deliveries still to make (it made what it could)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                feed_deliveries.update()
                .where(
                    (feed_deliveries.c.status == PENDING)
                    & (feed_deliveries.c.claimed_by == claimant)
                    & self._of_this_feed()
                )
                .values(claimed_by=None, claimed_until=None)
            )

    def _of_this_feed(self) -> ColumnElement[bool]:
        return feed_deliveries.c.record_id.in_(select(feed_runs.c.id).where(feed_runs.c.feed == self._feed))

    async def owed(self) -> int:
        """How many deliveries of this feed are still to make."""
        query = (
            select(func.count())
            .select_from(feed_deliveries.join(feed_runs, feed_runs.c.id == feed_deliveries.c.record_id))
            .where((feed_deliveries.c.status == PENDING) & (feed_runs.c.feed == self._feed))
        )
        async with self._engine.connect() as connection:
            return int(await connection.scalar(query) or 0)

    async def posted(self, delivery: Delivery[E], message_id: int) -> None:
        await self._update([delivery], status=POSTED, message_id=message_id)

    async def failed(self, delivery: Delivery[E], error: str) -> None:
        await self._update([delivery], attempts=delivery.attempts + 1, last_error=error[:1000])

    async def drop(self, deliveries: Sequence[Delivery[E]], reason: str) -> None:
        """Gives up posts that cannot be made (or are not wanted any more); posted ones stay posted."""
        await self._update(deliveries, status=DROPPED, last_error=reason[:1000])

    async def prune(self, before: datetime) -> int:
        """Forgets this feed's posted and dropped deliveries last touched before ``before`` (runs
        stay, so that one still in the feed is never taken for new)."""
        async with self._engine.begin() as connection:
            deleted = await connection.execute(
                feed_deliveries.delete().where(
                    (feed_deliveries.c.status != PENDING)
                    & (feed_deliveries.c.updated_at < before)
                    & self._of_this_feed()
                )
            )
        return int(deleted.rowcount)

    async def _known(self, connection: AsyncConnection, runs: list[E]) -> set[str]:
        seen = await connection.execute(
            select(feed_runs.c.key, feed_runs.c.fingerprint).where(
                feed_runs.c.key.in_([r.key for r in runs])
                | (
                    (feed_runs.c.feed == self._feed)
                    & feed_runs.c.fingerprint.in_([r.fingerprint for r in runs])
                )
            )
        )
        return {value for row in seen for value in row}

    async def _update(self, deliveries: Sequence[Delivery[E]], **values: object) -> None:
        """Updates the deliveries still pending."""
        async with self._engine.begin() as connection:
            for delivery in deliveries:
                key = (
                    (feed_deliveries.c.record_id == delivery.record_id)
                    & (feed_deliveries.c.guild_id == delivery.guild_id)
                    & (feed_deliveries.c.status == PENDING)
                )
                await connection.execute(
                    feed_deliveries.update().where(key).values(**values, updated_at=datetime.now(UTC))
                )
