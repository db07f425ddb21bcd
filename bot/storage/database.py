"""The database: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) for larger deployments;
migrated at start.

The bot's statements are plain SQL with ``?`` placeholders, the same text on both databases (both
speak ``ON CONFLICT``, ``RETURNING`` and ``substr``); PostgreSQL's driver gets them numbered
(``$1``). Each database's driver is loaded only when a URL names it (``bot.storage.sqlite``,
``bot.storage.postgres``). A row reads by column name (``row.guild_id``) or position.
Every failure of the database or of reaching it is a ``DatabaseError``.

The schema is made by the Alembic migrations (``bot.storage.migrations``, over SQLAlchemy): both
are loaded only when the database is behind (``bot.storage.migrate``), some 25 MiB and 0.5 s that
an up-to-date bot never pays. Whether a migration is pending is read from Alembic's own table,
``alembic_version``, and the migration files.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from typing import Any, overload
from urllib.parse import urlsplit, urlunsplit

from bot.config import DatabaseBackend, database_backend
from bot.storage.migrations import head_revision

log = logging.getLogger(__name__)

__all__ = [
    "Connection",
    "Database",
    "DatabaseError",
    "DatabaseUrl",
    "Row",
    "Session",
    "assignments",
    "connect",
    "marks",
    "open_database",
    "rows",
    "upsert",
    "utc",
]


class DatabaseError(Exception):
    """The database failed, or could not be reached; the driver's error is the cause."""


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """``database.url``, as SQLAlchemy spells URLs: ``sqlite+aiosqlite:///data/halobot.db`` (a
    relative path: against the working directory; four slashes: absolute) or
    ``postgresql+asyncpg://user:password@host:5432/name``."""

    text: str
    backend: DatabaseBackend

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        return cls(url, database_backend(url))

    @property
    def path(self) -> str:
        """SQLite's file ("" or ``:memory:`` for a database in memory)."""
        return self.text.partition("://")[2].removeprefix("/").partition("?")[0]

    @property
    def in_memory(self) -> bool:
        return self.path in ("", ":memory:")

    @property
    def dsn(self) -> str:
        """PostgreSQL's address as asyncpg takes it."""
        return "postgresql://" + self.text.partition("://")[2]

    @property
    def shown(self) -> str:
        """The URL with its password hidden: what logs and messages may say."""
        parts = urlsplit(self.text)
        if parts.password is None:
            return self.text
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class Row:
    """A row of a result: ``row.name``, ``row["name"]`` or ``row[0]``; iterates over its values."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: Mapping[str, int], values: Any) -> None:  # indexed from 0, as a tuple
        self._names = names
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[self._names[name]]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._names[key] if isinstance(key, str) else key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({', '.join(f'{name}={self._values[i]!r}' for name, i in self._names.items())})"


def rows(names: Iterable[str], values: Iterable[Any]) -> list[Row]:
    """The rows of a result with these columns."""
    index = {name: position for position, name in enumerate(names)}
    return [Row(index, row) for row in values]


class Session(ABC):
    """Where statements run: the database (each statement on its own) or one transaction."""

    @abstractmethod
    async def _run(self, sql: str, args: Sequence[Any], *, want_rows: bool) -> list[Row] | int:
        """Runs one statement: its rows, or (``want_rows`` false) how many rows it changed."""

    @abstractmethod
    async def _run_many(self, sql: str, args: list[Sequence[Any]]) -> None:
        """Runs one statement once per tuple of arguments."""

    async def execute(self, sql: str, *args: Any) -> int:
        """Runs the statement; how many rows it changed."""
        result = await self._timed(sql, args, want_rows=False)
        assert isinstance(result, int)
        return result

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        result = await self._timed(sql, args, want_rows=True)
        assert isinstance(result, list)
        return result

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        found = await self.fetch(sql, *args)
        return found[0] if found else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """The first column of the first row (``None`` if there is none)."""
        row = await self.fetchrow(sql, *args)
        return row[0] if row is not None else None

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        """Runs the statement once per tuple of arguments (one statement, as the log counts it)."""
        await self._timed(sql, list(args), many=True)

    async def _timed(
        self, sql: str, args: Sequence[Any], *, want_rows: bool = False, many: bool = False
    ) -> list[Row] | int | None:
        """Runs the statement; at DEBUG, logs it with its time (waiting for the connection included)."""
        start = time.perf_counter() if log.isEnabledFor(logging.DEBUG) else None
        try:
            if many:
                await self._run_many(sql, list(args))
                return None
            return await self._run(sql, args, want_rows=want_rows)
        finally:
            if start is not None:
                log.debug("SQL %.2f ms: %s", (time.perf_counter() - start) * 1000, sql)


class Connection(Session):
    """A connection of its own, outside the database's pool, until ``close``."""

    @abstractmethod
    async def close(self) -> None: ...


class Database(Session):
    """The bot's database: statements on their own (each its own transaction), or ``transaction()``."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Session]:
        """A transaction: committed when the block ends, rolled back when it raises."""

    @abstractmethod
    async def has_table(self, name: str) -> bool: ...

    @abstractmethod
    async def close(self) -> None: ...


async def connect(url: str) -> Database:
    """The database at ``url``, as it is (not migrated): its driver is loaded here, on first use."""
    parsed = DatabaseUrl.parse(url)
    driver = import_module(f"bot.storage.{'sqlite' if parsed.backend == 'sqlite' else 'postgres'}")
    database: Database = await driver.connect(parsed)
    return database


async def open_database(url: str) -> Database:
    """The database at ``url`` with every migration applied. A relative SQLite path resolves against
    the working directory, and its missing parent folders are created."""
    database = await connect(url)
    try:
        before = await revision(database)
        after = before
        if before != head_revision():
            from bot.storage import migrate  # the one place Alembic is loaded: a migration is pending

            before, after = await migrate.upgrade(url)
    except BaseException:
        await database.close()
        raise
    if before == after:
        log.info("Database at revision %s (%s)", after, database.url.shown)
    else:
        log.info("Database upgraded from %s to %s (%s)", before or "empty", after, database.url.shown)
    return database


async def revision(database: Database) -> str | None:
    """The migration the database is at (``None``: none, an empty database)."""
    if not await database.has_table("alembic_version"):
        return None
    value = await database.fetchval("SELECT version_num FROM alembic_version")
    return str(value) if value is not None else None


async def upsert(session: Session, table: str, row: Mapping[str, Any], key: Sequence[str]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, on SQLite and PostgreSQL: two writers at once
    cannot clash."""
    columns = ", ".join(row)
    changes = ", ".join(f"{column} = excluded.{column}" for column in row if column not in key)
    await session.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks(len(row))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changes}",
        *row.values(),
    )


def assignments(values: Mapping[str, Any]) -> str:
    """``column = ?, …`` for the columns ``values`` names (the bot's own names, never a user's)."""
    return ", ".join(f"{column} = ?" for column in values)


def marks(count: int) -> str:
    """``count`` placeholders: ``?, ?, ?``."""
    return ", ".join("?" * count)


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
def utc(moment: datetime | None) -> datetime | None:
    """A time as stored, in UTC (every time stored is UTC; one without its zone is read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
