"""The open stream alerts: which message in which server shows which stream, live or just ended;
and every stream start the bot saw, which the weekly recap counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.haloruns import Stream
from bot.storage.database import utc
from bot.storage.tables import stream_alerts, stream_starts

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
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open(self) -> list[Alert]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(select(stream_alerts).order_by(stream_alerts.c.live_since))
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
        key = (stream_alerts.c.stream_key == alert.stream_key) & (stream_alerts.c.guild_id == alert.guild_id)
        async with self._engine.begin() as connection:
            updated = await connection.execute(stream_alerts.update().where(key).values(**values))
            if updated.rowcount == 0:
                await connection.execute(
                    stream_alerts.insert().values(
                        stream_key=alert.stream_key, guild_id=alert.guild_id, **values
                    )
                )

    async def close(self, alert: Alert) -> None:
        key = (stream_alerts.c.stream_key == alert.stream_key) & (stream_alerts.c.guild_id == alert.guild_id)
        async with self._engine.begin() as connection:
            await connection.execute(stream_alerts.delete().where(key))

    async def went_live(self, stream_key: str, live_since: datetime) -> None:
        """Remembers that the stream went live then (once, however often it is told)."""
        key = (stream_starts.c.stream_key == stream_key) & (stream_starts.c.live_since == live_since)
        async with self._engine.begin() as connection:
            if await connection.scalar(select(func.count()).select_from(stream_starts).where(key)) == 0:
                await connection.execute(
                    stream_starts.insert().values(stream_key=stream_key, live_since=live_since)
                )

    async def starts(self, start: datetime, end: datetime) -> int:
        """How many streams went live from ``start`` until before ``end``."""
        between = (stream_starts.c.live_since >= start) & (stream_starts.c.live_since < end)
        async with self._engine.connect() as connection:
            return int(
                await connection.scalar(select(func.count()).select_from(stream_starts).where(between)) or 0
            )
