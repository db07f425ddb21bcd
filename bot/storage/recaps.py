"""Which week's recap each server had: a week with a row (posted; empty, when there was nothing
to post; dropped, when Discord rejected the post) is never recapped again, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from bot.storage.database import Database, utc

Outcome = Literal["posted", "empty", "dropped"]


class RecapStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def had_since(self, moment: datetime) -> set[tuple[int, datetime]]:
        """(server, due moment) of every recap due since ``moment`` that was posted (or found
        empty, or dropped) already: one read for all the servers of a poll."""
        rows = await self._database.fetch(
            "SELECT guild_id, due_at FROM weekly_recaps WHERE due_at >= ?", moment
        )
        return {(row.guild_id, utc(row.due_at)) for row in rows}

    async def done(
        self, guild_id: int, due_at: datetime, outcome: Outcome, message_id: int | None = None
    ) -> None:
        await self._database.execute(
            "INSERT INTO weekly_recaps (guild_id, due_at, status, message_id, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            guild_id,
            due_at,
            outcome,
            message_id,
            datetime.now(UTC),
        )
