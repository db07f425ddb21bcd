"""The world-record ledger: every record seen, and per server whether it was posted.

A record is marked posted for a server only after Discord accepted the message, so a crash or a
failure between the two posts it again later (the post's nonce keeps a quick retry from doubling).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.haloruns import Run
from bot.storage.tables import wr_deliveries, wr_records

PENDING, POSTED, DROPPED = "pending", "posted", "dropped"
_RUN: TypeAdapter[Run] = TypeAdapter(Run)


@dataclass(frozen=True, slots=True)
class Delivery:
    record_id: int
    guild_id: int
    run: Run
    attempts: int


class RecordLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, runs: Iterable[Run], recipients: Callable[[Run], Iterable[int]]) -> list[Run]:
        """Records the runs not seen before (by key or by fingerprint), in the given order (oldest
        first), each pending for the servers ``recipients`` names; returns the new ones."""
        runs = list({run.key: run for run in runs}.values())
        now = datetime.now(UTC)
        async with self._engine.begin() as connection:
            seen = await connection.execute(
                select(wr_records.c.key, wr_records.c.fingerprint).where(
                    wr_records.c.key.in_([r.key for r in runs])
                    | wr_records.c.fingerprint.in_([r.fingerprint for r in runs])
                )
            )
            known = {value for row in seen for value in row}
            new = [run for run in runs if run.key not in known and run.fingerprint not in known]
            for run in new:
                record_id = await connection.scalar(
                    wr_records.insert()
                    .values(
                        key=run.key,
                        fingerprint=run.fingerprint,
                        run=_RUN.dump_json(run).decode(),
                        seen_at=now,
                    )
                    .returning(wr_records.c.id)
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
                    await connection.execute(wr_deliveries.insert(), rows)
        return new

    async def pending(self) -> list[Delivery]:
        """Every delivery still to make, oldest record first."""
        query = (
            select(
                wr_deliveries.c.record_id,
                wr_deliveries.c.guild_id,
                wr_deliveries.c.attempts,
                wr_records.c.run,
            )
            .join(wr_records, wr_records.c.id == wr_deliveries.c.record_id)
            .where(wr_deliveries.c.status == PENDING)
            .order_by(wr_deliveries.c.record_id, wr_deliveries.c.guild_id)
        )
        async with self._engine.connect() as connection:
            rows = await connection.execute(query)
            return [
                Delivery(row.record_id, row.guild_id, _RUN.validate_json(row.run), row.attempts)
                for row in rows
            ]

    async def posted(self, delivery: Delivery, message_id: int) -> None:
        await self._update(delivery.record_id, delivery.guild_id, status=POSTED, message_id=message_id)

    async def failed(self, delivery: Delivery, error: str) -> None:
        await self._update(
            delivery.record_id, delivery.guild_id, attempts=delivery.attempts + 1, last_error=error[:1000]
        )

    async def drop(self, delivery: Delivery, reason: str) -> None:
        """Gives up one post that cannot be made."""
        await self._update(delivery.record_id, delivery.guild_id, status=DROPPED, last_error=reason[:1000])

    async def prune(self, before: datetime) -> int:
        """Forgets posted and dropped deliveries last touched before ``before`` (records stay, so
        that one still in the feed is never taken for new)."""
        async with self._engine.begin() as connection:
            deleted = await connection.execute(
                wr_deliveries.delete().where(
                    (wr_deliveries.c.status != PENDING) & (wr_deliveries.c.updated_at < before)
                )
            )
        return int(deleted.rowcount)

    async def drop_pending(self, guild_id: int, reason: str) -> None:
        """Gives up the server's pending posts (its announcements were turned off)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                wr_deliveries.update()
                .where((wr_deliveries.c.guild_id == guild_id) & (wr_deliveries.c.status == PENDING))
                .values(status=DROPPED, last_error=reason[:1000], updated_at=datetime.now(UTC))
            )

    async def _update(self, record_id: int, guild_id: int, **values: object) -> None:
        key = (wr_deliveries.c.record_id == record_id) & (wr_deliveries.c.guild_id == guild_id)
        async with self._engine.begin() as connection:
            await connection.execute(
                wr_deliveries.update().where(key).values(**values, updated_at=datetime.now(UTC))
            )
