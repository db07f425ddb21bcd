"""SQLite through aiosqlite: one connection, which statements and transactions take in turn.

SQLite lets one writer in at a time: with a connection each, writers at once (a post marked sent
per server) would wait in SQLite's busy loop; one connection queues them instead.
Times are kept as the migrations' SQLAlchemy made them, text in UTC without its zone
(``2026-12-02 18:10:52.123456``, which sorts as the times do); a column declared ``DATETIME`` reads
back as an aware ``datetime``, and one declared ``BOOLEAN`` as a ``bool``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.database import Database, DatabaseError, DatabaseUrl, Row, Session, rows


def _stored(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="microseconds")


def _read_time(value: bytes) -> datetime:
    return datetime.fromisoformat(value.decode()).replace(tzinfo=UTC)


sqlite3.register_converter("DATETIME", _read_time)
sqlite3.register_converter("BOOLEAN", lambda value: value not in (b"0", b""))


def _arguments(args: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(_stored(arg) if isinstance(arg, datetime) else arg for arg in args)


class _Link(Session):
    """Statements on the connection, which the caller holds."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def _run(self, sql: str, args: Sequence[Any], *, want_rows: bool) -> list[Row] | int:
        try:
            async with self._connection.execute(sql, _arguments(args)) as cursor:
                if not want_rows:
                    return cursor.rowcount
                found = await cursor.fetchall()
                return rows((column[0] for column in cursor.description), found) if found else []
        except sqlite3.Error as error:
            raise DatabaseError(f"SQLite: {error}") from error

    async def _run_many(self, sql: str, args: list[Sequence[Any]]) -> None:
        try:
            await self._connection.executemany(sql, [_arguments(row) for row in args])
        except sqlite3.Error as error:
            raise DatabaseError(f"SQLite: {error}") from error


class SqliteDatabase(Database):
    def __init__(self, url: DatabaseUrl, connection: aiosqlite.Connection) -> None:
        super().__init__(url)
        self._link = _Link(connection)
        self._connection = connection
        self._turn = asyncio.Lock()

    async def _run(self, sql: str, args: Sequence[Any], *, want_rows: bool) -> list[Row] | int:
        async with self._turn:
            return await self._link._run(sql, args, want_rows=want_rows)

    async def _run_many(self, sql: str, args: list[Sequence[Any]]) -> None:
        async with self._turn:
            await self._link._run_many(sql, args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        async with self._turn:
            await self._link.execute("BEGIN")
            try:
                yield self._link
            except BaseException:
                await self._link.execute("ROLLBACK")
                raise
            await self._link.execute("COMMIT")

    async def has_table(self, name: str) -> bool:
        found = await self.fetchval(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name
        )
        return bool(found)

    async def close(self) -> None:
        await self._connection.close()


async def connect(url: DatabaseUrl) -> SqliteDatabase:
    """The database in ``url``'s file (made, with its missing folders, if there is none)."""
    if not url.in_memory:
        Path(url.path).parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = await aiosqlite.connect(
            url.path or ":memory:", isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES
        )
    except sqlite3.Error as error:
        raise DatabaseError(f"SQLite: cannot open {url.path}: {error}") from error
    return SqliteDatabase(url, connection)
