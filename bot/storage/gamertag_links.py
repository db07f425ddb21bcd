"""Members' linked Xbox accounts (/link, /unlink): one per Discord user, in every server."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models.waypoint import Player
from bot.storage.database import Database, upsert


class GamertagLinks:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def link(self, user_id: int, player: Player) -> None:
        row = {
            "user_id": user_id,
            "xuid": player.xuid,
            "gamertag": player.gamertag,
            "updated_at": datetime.now(UTC),
        }
        await upsert(self._database, "gamertag_links", row, ["user_id"])

    async def of(self, user_id: int) -> Player | None:
        row = await self._database.fetchrow(
            "SELECT xuid, gamertag FROM gamertag_links WHERE user_id = ?", user_id
        )
        return Player(xuid=row.xuid, gamertag=row.gamertag) if row is not None else None

    async def unlink(self, user_id: int) -> Player | None:
        """Forgets the member's account; the one that was linked, if any."""
        row = await self._database.fetchrow(
            "DELETE FROM gamertag_links WHERE user_id = ? RETURNING xuid, gamertag", user_id
        )
        return Player(xuid=row.xuid, gamertag=row.gamertag) if row is not None else None
