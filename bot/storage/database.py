"""Opening the database: SQLite by default, PostgreSQL for larger deployments; migrated at start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


async def open_database(url: str) -> AsyncEngine:
    """An engine for ``url`` with every migration applied. A relative SQLite path resolves against
    the working directory, and its missing parent folders are created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
    except BaseException:
        await engine.dispose()
        raise
    log.info("Database ready (%s)", parsed.render_as_string(hide_password=True))
    return engine


def _upgrade(connection: Connection) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
