"""Applying the pending migrations with Alembic, over SQLAlchemy.

Alembic and SQLAlchemy (some 25 MiB and 0.5 s to import) are needed only when the database is
behind: this module is imported by ``bot.storage.database`` only then, and the bot's own
statements never go through them.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.database import DatabaseError
from bot.storage.migrations import MIGRATIONS

MIGRATION_LOCK = 0x68616C6F6D6967  # "halomig": the advisory lock migrations are made under


async def upgrade(url: str) -> tuple[str | None, str | None]:
    """Applies the migrations not applied yet; the revisions before and after."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_upgrade)
    except SQLAlchemyError as error:
        raise DatabaseError(f"migrating the database failed: {error}") from error
    finally:
        await engine.dispose()


def _upgrade(connection: Connection) -> tuple[str | None, str | None]:
    """On PostgreSQL, processes starting at once migrate one after the other (a lock until the
    transaction ends); the later ones find nothing left to do."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    before = MigrationContext.configure(connection).get_current_revision()
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return before, MigrationContext.configure(connection).get_current_revision()
