"""Which week's recap each server had: a week with a row (posted; empty, when there was nothing
to post; dropped, when Discord rejected the post) is never recapped again, across restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.tables import weekly_recaps

Outcome = Literal["posted", "empty", "dropped"]


class RecapStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def had(self, guild_id: int, due_at: datetime) -> bool:
        """Whether the server's recap due at ``due_at`` was posted (or found empty) already."""
        key = (weekly_recaps.c.guild_id == guild_id) & (weekly_recaps.c.due_at == due_at)
        async with self._engine.connect() as connection:
            return bool(await connection.scalar(select(func.count()).select_from(weekly_recaps).where(key)))

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
