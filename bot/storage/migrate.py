"""Applying the pending migrations with Alembic.

Alembic (some 11 MiB and 0.1 s to import) is needed only when the database is behind: this module
is imported by ``bot.storage.database`` only then.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from bot.storage.migrations import MIGRATIONS


def upgrade(connection: Connection) -> str | None:
    """Applies the migrations not applied yet; the revision after."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return MigrationContext.configure(connection).get_current_revision()
