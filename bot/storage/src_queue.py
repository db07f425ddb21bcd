"""The posts of the speedrun.com queue that are kept up to date: which message in which server shows
which submission, and what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.src_queue import QueuedRun
from bot.storage.database import upsert, utc
from bot.storage.tables import src_queue_posts

_SHOWN: TypeAdapter[QueuedRun] = TypeAdapter(QueuedRun)


@dataclass(frozen=True, slots=True)
class QueuePost:
    guild_id: int
    channel_id: int
    message_id: int
    shown: QueuedRun
    posted_at: datetime
    edited_at: datetime

    @property
    def run_id(self) -> str:
        return self.shown.run.id


class SrcQueuePosts:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def of_game(self, game_id: str) -> list[QueuePost]:
        """The game's posts still followed, oldest first."""
        query = (
            select(src_queue_posts)
            .where(src_queue_posts.c.game_id == game_id)
            .order_by(src_queue_posts.c.posted_at, src_queue_posts.c.guild_id)
        )
        async with self._engine.connect() as connection:
            return [
                QueuePost(
                    row.guild_id,
                    row.channel_id,
                    row.message_id,
                    _SHOWN.validate_json(row.shown),
                    utc(row.posted_at),
                    utc(row.edited_at),
                )
                for row in await connection.execute(query)
            ]

    async def save(self, post: QueuePost) -> None:
        """Records the post (a new one, or what an edit made it show)."""
        row = {
            "run_id": post.run_id,
            "guild_id": post.guild_id,
            "game_id": post.shown.run.game_id,
            "channel_id": post.channel_id,
            "message_id": post.message_id,
            "shown": _SHOWN.dump_json(post.shown, by_alias=True).decode(),
            "posted_at": post.posted_at,
            "edited_at": post.edited_at,
        }
        async with self._engine.begin() as connection:
            await upsert(connection, src_queue_posts, row, ["run_id", "guild_id"])

    async def close(self, post: QueuePost) -> None:
        """Stops following the post (it shows the run's end, or it is gone)."""
        key = (src_queue_posts.c.run_id == post.run_id) & (src_queue_posts.c.guild_id == post.guild_id)
        async with self._engine.begin() as connection:
            await connection.execute(src_queue_posts.delete().where(key))
