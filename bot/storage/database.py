"""Opening the database: SQLite by default, PostgreSQL for larger deployments; migrated at start.

Whether a migration is pending is read from the ``alembic_version`` table and the migration files;
Alembic itself (``bot.storage.migrate``) is imported only when one is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage.migrations import MIGRATIONS, head_revision

log = logging.getLogger(__name__)

__all__ = ["MIGRATIONS", "open_database", "upsert", "utc"]

MIGRATION_LOCK = 0x68616C6F6D6967  # "halomig": the advisory lock migrations are made under

# Alembic's own table, as it keeps it: the revision the database is at.
_ALEMBIC_VERSION = Table("alembic_version", MetaData(), Column("version_num", String(32), primary_key=True))


async def open_database(url: str) -> AsyncEngine:
    """An engine for ``url`` with every migration applied. A relative SQLite path resolves against
    the working directory, and its missing parent folders are created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        # SQLite lets one writer in at a time: with a connection each, writers at once (a post
        # marked sent per server) wait in SQLite's busy loop. One connection queues them instead.
        engine = create_async_engine(parsed, pool_size=1, max_overflow=0)
    else:
        engine = create_async_engine(parsed, pool_pre_ping=True)
    try:
        async with engine.begin() as connection:
            before, after = await connection.run_sync(_upgrade)
    except BaseException:
        await engine.dispose()
        raise
    where = parsed.render_as_string(hide_password=True)
    if before == after:
        log.info("Database at revision %s (%s)", after, where)
    else:
        log.info("Database upgraded from %s to %s (%s)", before or "empty", after, where)
    return engine


def _upgrade(connection: Connection) -> tuple[str | None, str | None]:
    """Applies the migrations not applied yet; the revisions before and after. On PostgreSQL,
    processes starting at once migrate one after the other (a lock until the transaction ends)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    before = _current_revision(connection)
    if before == head_revision():
        return before, before
    from bot.storage import migrate  # the one place Alembic is loaded: a migration is pending

    return before, migrate.upgrade(connection)


def _current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(_ALEMBIC_VERSION.name):
        return None
    return connection.scalar(select(_ALEMBIC_VERSION.c.version_num))


async def upsert(connection: AsyncConnection, table: Table, row: dict[str, Any], key: list[str]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, on SQLite and PostgreSQL: two writers at once
    cannot clash."""
    # sqlalchemy.dialects.sqlite or .postgresql, which the engine has loaded already: a bot on
    # SQLite does not load PostgreSQL's (0.1 s).
    dialect = import_module(f"sqlalchemy.dialects.{connection.dialect.name}")
    values = {column: value for column, value in row.items() if column not in key}
    await connection.execute(
        dialect.insert(table).values(row).on_conflict_do_update(index_elements=key, set_=values)
    )


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
def utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back times without their zone; every time stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
