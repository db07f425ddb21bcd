"""Storage against SQLite and against a real PostgreSQL server."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from pydantic import TypeAdapter
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models.haloruns import Run, Runner
from bot.services.announcements import board_of
from bot.storage.database import open_database
from bot.storage.ledger import Posted, RunLedger
from bot.storage.migrations import MIGRATIONS, head_revision
from bot.storage.state import BotState
from bot.storage.tables import metadata


async def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    for _ in range(2):  # a restart runs the migrations again
        database = await open_database(database_url)
        names = [*metadata.tables, "alembic_version"]  # the schema the migrations lead to
        missing = [name for name in names if not await database.has_table(name)]
        revision = await database.fetchval("SELECT version_num FROM alembic_version")
        await database.close()
        assert len(names) == 12
        assert missing == []
        assert revision == head_revision()


def _upgrade_to(revision: str, connection: Connection) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_each_start_logs_the_revision_once(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: _upgrade_to("0005", sync))
    await engine.dispose()

    with caplog.at_level(logging.INFO, logger="bot.storage.database"):
        for _ in range(2):
            await (await open_database(database_url)).close()

    assert [
        r.getMessage().partition(" (")[0] for r in caplog.records if r.name == "bot.storage.database"
    ] == [
        f"Database upgraded from 0005 to {head}",
        f"Database at revision {head}",
    ]


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    # The bot decides whether to load Alembic from it: a migration it missed would never run.
    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


async def test_records_seen_before_the_feeds_ledger_stay_seen_and_owed(database_url: str) -> None:
    engine = create_async_engine(database_url)
    run = Run("Halo 3", "Sierra 117", "Solo", "Legendary", 754, (Runner("Harc", None),), id="r1")
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: _upgrade_to("0003", sync))
        await connection.execute(
            text("INSERT INTO wr_records (key, fingerprint, run, seen_at) VALUES (:k, :f, :r, :t)"),
            {
                "k": run.key,
                "f": run.fingerprint,
                "r": TypeAdapter(Run).dump_json(run).decode(),
                "t": datetime.now(UTC),
            },
        )
        await connection.execute(
            text(
                "INSERT INTO wr_deliveries (record_id, guild_id, status, attempts, updated_at) "
                "VALUES (1, 7, 'pending', 0, :t)"
            ),
            {"t": datetime.now(UTC)},
        )
    await engine.dispose()

    database = await open_database(database_url)
    ledger = RunLedger(database, "haloruns", TypeAdapter(Run))
    assert await ledger.unseen([run]) == []
    assert [(d.guild_id, d.run) for d in await ledger.pending()] == [(7, run)]
    await database.close()


async def test_posts_made_before_records_were_followed_are_found_and_kept_as_standing(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url)
    posted = Run("Halo 3", "Sierra 117", "Solo", "Legendary", 754, (Runner("Harc", None),), id="r1")
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: _upgrade_to("0007", sync))
        now = datetime.now(UTC)
        await connection.execute(
            text(
                "INSERT INTO guild_settings (guild_id, feature, channel_id, filters, enabled, failures,"
                " updated_at) VALUES (7, 'announcements', 70, '{}', true, 0, :t)"
                ", (7, 'src:g1', 71, '{}', true, 0, :t)"
            ),
            {"t": now},
        )
        await connection.execute(
            text(
                "INSERT INTO feed_runs (feed, key, fingerprint, run, seen_at)"
                " VALUES ('haloruns', :k, :f, :r, :t)"
            ),
            {
                "k": posted.key,
                "f": posted.fingerprint,
                "r": TypeAdapter(Run).dump_json(posted).decode(),
                "t": now,
            },
        )
        await connection.execute(
            text(
                "INSERT INTO feed_runs (feed, key, fingerprint, run, seen_at)"
                " VALUES ('src', 'src/r', 'src/r', :r, :t)"
            ),
            {"r": '{"run": {"game": "g1"}}', "t": now},
        )
        await connection.execute(
            text(
                "INSERT INTO feed_deliveries (record_id, guild_id, status, message_id, attempts, updated_at)"
                " VALUES (1, 7, 'posted', 555, 0, :t), (2, 7, 'pending', NULL, 0, :t)"
            ),
            {"t": now - timedelta(days=400)},
        )
    await engine.dispose()

    database = await open_database(database_url)
    channels = await database.fetch("SELECT record_id, channel_id FROM feed_deliveries")
    assert sorted(tuple(row) for row in channels) == [(1, 70), (2, 71)], (
        "each delivery is to its setting's channel"
    )
    ledger = RunLedger(database, "haloruns", TypeAdapter(Run), board_of)
    beaten = replace(posted, seconds=750, id="r2")
    await ledger.add([beaten], lambda run: [(7, 70)])
    [new] = await ledger.pending()
    assert await ledger.prune(datetime.now(UTC)) == 0, "the post of a record still standing is kept"
    await ledger.work_out_boards()
    assert await ledger.standing([new.run]) == [Posted(1, 7, 70, 555, posted)]
    await database.close()


async def test_state_survives_a_restart(database_url: str) -> None:
    database = await open_database(database_url)
    state = BotState(database)
    assert await state.get("commands.hash.global") is None
    await state.set("commands.hash.global", "first")
    await state.set("commands.hash.global", "second")
    await database.close()

    database = await open_database(database_url)
    assert await BotState(database).get("commands.hash.global") == "second"
    await database.close()


async def test_relative_sqlite_path_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    database = await open_database("sqlite+aiosqlite:///data/nested/halobot.db")
    await database.close()

    assert (tmp_path / "data" / "nested" / "halobot.db").is_file()
