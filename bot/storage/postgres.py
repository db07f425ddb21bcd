"""PostgreSQL through asyncpg: a pool of connections, shared by the bot's processes' statements.

Statements come with ``?`` placeholders and are handed on numbered (``$1``), as asyncpg wants them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.database import Connection, Database, DatabaseError, DatabaseUrl, Row, Session, rows

# What failing to reach the server or a statement failing raises.
ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
_MARK = re.compile(r"\?")


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """``?`` placeholders as ``$1``, ``$2``, …"""
    count = iter(range(1, 1 << 16))
    return _MARK.sub(lambda _: f"${next(count)}", sql)


async def _guarded(step: Awaitable[None]) -> None:
    try:
        await step
    except ERRORS as error:
        raise DatabaseError(f"PostgreSQL: {error}") from error


def _changed(status: str) -> int:
    """How many rows a statement changed, from its status (``UPDATE 3``)."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class Link(Session):
    """Statements on one connection."""

    def __init__(self, connection: asyncpg.Connection | PoolConnectionProxy) -> None:
        self.connection = connection

    async def _run(self, sql: str, args: Sequence[Any], *, want_rows: bool) -> list[Row] | int:
        try:
            if not want_rows:
                return _changed(await self.connection.execute(numbered(sql), *args))
            found = await self.connection.fetch(numbered(sql), *args)
        except ERRORS as error:
            raise DatabaseError(f"PostgreSQL: {error}") from error
        return rows(found[0].keys(), found) if found else []

    async def _run_many(self, sql: str, args: list[Sequence[Any]]) -> None:
        try:
            await self.connection.executemany(numbered(sql), args)
        except ERRORS as error:
            raise DatabaseError(f"PostgreSQL: {error}") from error


class PostgresDatabase(Database):
    def __init__(self, url: DatabaseUrl, pool: asyncpg.Pool) -> None:
        super().__init__(url)
        self._pool = pool

    async def _run(self, sql: str, args: Sequence[Any], *, want_rows: bool) -> list[Row] | int:
        async with self._connection() as link:
            return await link._run(sql, args, want_rows=want_rows)

    async def _run_many(self, sql: str, args: list[Sequence[Any]]) -> None:
        async with self._connection() as link:
            await link._run_many(sql, args)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Link]:
        try:
            connection = await self._pool.acquire()
        except ERRORS as error:
            raise DatabaseError(f"PostgreSQL: cannot reach {self.url.shown}: {error}") from error
        try:
            yield Link(connection)
        finally:
            with contextlib.suppress(*ERRORS):
                await self._pool.release(connection)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """Only the database's own failures become ``DatabaseError``: what the block raises goes on."""
        async with self._connection() as link:
            transaction = link.connection.transaction()
            await _guarded(transaction.start())
            try:
                yield link
            except BaseException:
                with contextlib.suppress(*ERRORS):
                    await transaction.rollback()
                raise
            await _guarded(transaction.commit())

    async def has_table(self, name: str) -> bool:
        return bool(await self.fetchval("SELECT to_regclass(?) IS NOT NULL", name))

    async def close(self) -> None:
        await self._pool.close()


async def connect(url: DatabaseUrl) -> PostgresDatabase:
    try:
        pool = await asyncpg.create_pool(url.dsn, min_size=1, max_size=10)
    except ERRORS as error:
        raise DatabaseError(f"PostgreSQL: cannot reach {url.shown}: {error}") from error
    return PostgresDatabase(url, pool)


class Lone(Link, Connection):
    async def close(self) -> None:
        await _guarded(self.connection.close())


async def alone(url: DatabaseUrl, settings: dict[str, str]) -> Lone:
    """A connection of its own, outside the pool (with these server settings): closing it ends its
    session."""
    try:
        return Lone(await asyncpg.connect(url.dsn, server_settings=settings))
    except ERRORS as error:
        raise DatabaseError(f"PostgreSQL: cannot reach {url.shown}: {error}") from error
