"""Key-value state of the bot itself (not of any server), kept across restarts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import upsert
from bot.storage.tables import bot_state


class BotState:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, key: str) -> str | None:
        async with self._engine.connect() as connection:
            value = await connection.scalar(select(bot_state.c.value).where(bot_state.c.key == key))
        return value

    async def set(self, key: str, value: str) -> None:
        row = {"key": key, "value": value, "updated_at": datetime.now(UTC)}
        async with self._engine.begin() as connection:  # processes setting it at once cannot clash
            await upsert(connection, bot_state, row, ["key"])

    async def forget_before(self, prefix: str, moment: datetime) -> None:
        """Forgets the keys starting with ``prefix`` last set before ``moment``."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(bot_state).where(bot_state.c.key.startswith(prefix), bot_state.c.updated_at < moment)
            )
