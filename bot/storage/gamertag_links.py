"""Members' linked Xbox accounts (/link, /unlink): one per Discord user, in every server."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.waypoint import Player
from bot.storage.database import upsert
from bot.storage.tables import gamertag_links


class GamertagLinks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def link(self, user_id: int, player: Player) -> None:
        row = {
            "user_id": user_id,
            "xuid": player.xuid,
            "gamertag": player.gamertag,
            "updated_at": datetime.now(UTC),
        }
        async with self._engine.begin() as connection:
            await upsert(connection, gamertag_links, row, ["user_id"])

    async def of(self, user_id: int) -> Player | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(select(gamertag_links).where(gamertag_links.c.user_id == user_id))
            ).first()
        return Player(xuid=row.xuid, gamertag=row.gamertag) if row is not None else None

    async def unlink(self, user_id: int) -> Player | None:
        """Forgets the member's account; the one that was linked, if any."""
        async with self._engine.begin() as connection:
            row = (
                await connection.execute(
                    gamertag_links.delete()
                    .where(gamertag_links.c.user_id == user_id)
                    .returning(gamertag_links)
                )
            ).first()
        return Player(xuid=row.xuid, gamertag=row.gamertag) if row is not None else None
