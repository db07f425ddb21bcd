"""The posts of the speedrun.com queue that are kept up to date: which message in which server shows
which submission, and what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter

from bot.models.src_queue import QueuedRun
from bot.storage.database import Database, upsert, utc

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
    def __init__(self, database: Database) -> None:
        self._database = database

    async def of_game(self, game_id: str) -> list[QueuePost]:
        """The game's posts still followed, oldest first."""
        rows = await self._database.fetch(
            "SELECT guild_id, channel_id, message_id, shown, posted_at, edited_at FROM src_queue_posts "
            "WHERE game_id = ? ORDER BY posted_at, guild_id",
            game_id,
        )
        return [
            QueuePost(
                row.guild_id,
                row.channel_id,
                row.message_id,
                _SHOWN.validate_json(row.shown),
                utc(row.posted_at),
                utc(row.edited_at),
            )
            for row in rows
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
        await upsert(self._database, "src_queue_posts", row, ["run_id", "guild_id"])

    async def close(self, post: QueuePost) -> None:
        """Stops following the post (it shows the run's end, or it is gone)."""
        await self._database.execute(
            "DELETE FROM src_queue_posts WHERE run_id = ? AND guild_id = ?", post.run_id, post.guild_id
        )
