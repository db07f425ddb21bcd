"""Key-value state of the bot itself (not of any server), kept across restarts."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.database import Database, upsert


class BotState:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def get(self, key: str) -> str | None:
        value = await self._database.fetchval("SELECT value FROM bot_state WHERE key = ?", key)
        return str(value) if value is not None else None

    async def set(self, key: str, value: str) -> None:
        row = {"key": key, "value": value, "updated_at": datetime.now(UTC)}
        await upsert(self._database, "bot_state", row, ["key"])  # processes setting it at once cannot clash

    async def forget_before(self, prefix: str, moment: datetime) -> None:
        """Forgets the keys starting with ``prefix`` last set before ``moment``."""
        await self._database.execute(
            "DELETE FROM bot_state WHERE substr(key, 1, ?) = ? AND updated_at < ?",
            len(prefix),
            prefix,
            moment,
        )
