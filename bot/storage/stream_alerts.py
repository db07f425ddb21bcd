"""The open stream alerts: which message in which server shows which stream, live or just ended;
and every stream start the bot saw, which the weekly recap counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import TypeAdapter

from bot.models.haloruns import Stream
from bot.storage.database import Database, assignments, utc

_STREAM: TypeAdapter[Stream] = TypeAdapter(Stream)


@dataclass(frozen=True, slots=True)
class Alert:
    stream_key: str
    guild_id: int
    channel_id: int
    message_id: int
    stream: Stream
    live_since: datetime
    ended_at: datetime | None
    edited_at: datetime


class StreamAlertStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def open(self) -> list[Alert]:
        rows = await self._database.fetch(
            "SELECT stream_key, guild_id, channel_id, message_id, stream, live_since, ended_at, edited_at "
            "FROM stream_alerts ORDER BY live_since"
        )
        return [
            Alert(
                row.stream_key,
                row.guild_id,
                row.channel_id,
                row.message_id,
                _STREAM.validate_json(row.stream),
                utc(row.live_since) or datetime.now(UTC),
                utc(row.ended_at),
                utc(row.edited_at) or datetime.now(UTC),
            )
            for row in rows
        ]

    async def save(self, alert: Alert) -> None:
        values = {
            "channel_id": alert.channel_id,
            "message_id": alert.message_id,
            "stream": _STREAM.dump_json(alert.stream).decode(),
            "live_since": alert.live_since,
            "ended_at": alert.ended_at,
            "edited_at": alert.edited_at,
        }
        async with self._database.transaction() as session:
            updated = await session.execute(
                f"UPDATE stream_alerts SET {assignments(values)} WHERE stream_key = ? AND guild_id = ?",
                *values.values(),
                alert.stream_key,
                alert.guild_id,
            )
            if updated == 0:
                await session.execute(
                    "INSERT INTO stream_alerts (stream_key, guild_id, channel_id, message_id, stream, "
                    "live_since, ended_at, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    alert.stream_key,
                    alert.guild_id,
                    *values.values(),
                )

    async def close(self, alert: Alert) -> None:
        await self._database.execute(
            "DELETE FROM stream_alerts WHERE stream_key = ? AND guild_id = ?",
            alert.stream_key,
            alert.guild_id,
        )

    async def went_live(self, stream_key: str, live_since: datetime) -> None:
        """Remembers that the stream went live then (once, however often it is told)."""
        await self._database.execute(
            "INSERT INTO stream_starts (stream_key, live_since) VALUES (?, ?) ON CONFLICT DO NOTHING",
            stream_key,
            live_since,
        )

    async def starts(self, start: datetime, end: datetime) -> int:
        """How many streams went live from ``start`` until before ``end``."""
        count = await self._database.fetchval(
            "SELECT count(*) FROM stream_starts WHERE live_since >= ? AND live_since < ?", start, end
        )
        return int(count or 0)
