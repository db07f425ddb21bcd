"""Which week's recap each server had: a week with a row (posted; empty, when there was nothing
to post; dropped, when Discord rejected the post) is never recapped again, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import utc
from bot.storage.tables import weekly_recaps

Outcome = Literal["posted", "empty", "dropped"]


class RecapStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def had_since(self, moment: datetime) -> set[tuple[int, datetime]]:
        """(server, due moment) of every recap due since ``moment`` that was posted (or found
        empty, or dropped) already: one read for all the servers of a poll."""
        query = select(weekly_recaps.c.guild_id, weekly_recaps.c.due_at).where(
            weekly_recaps.c.due_at >= moment
        )
        async with self._engine.connect() as connection:
            return {(row.guild_id, utc(row.due_at)) for row in await connection.execute(query)}

    async def done(
        self, guild_id: int, due_at: datetime, outcome: Outcome, message_id: int | None = None
    ) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                weekly_recaps.insert().values(
                    guild_id=guild_id,
                    due_at=due_at,
                    status=outcome,
                    message_id=message_id,
                    updated_at=datetime.now(UTC),
                )
            )
