"""Storage against SQLite and against a real PostgreSQL server."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from pydantic import TypeAdapter
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models.haloruns import Run, Runner
from bot.storage.database import MIGRATIONS, open_database
from bot.storage.ledger import RunLedger
from bot.storage.migrations import head_revision
from bot.storage.state import BotState


async def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    for _ in range(2):  # a restart runs the migrations again
        engine = await open_database(database_url)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        await engine.dispose()
        assert {
            "bot_state",
            "guild_settings",
            "feed_runs",
            "feed_deliveries",
            "stream_alerts",
            "speedrun_keys",
            "submission_forms",
            "alembic_version",
        } <= set(tables)
        assert revision == "0008"


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
            await (await open_database(database_url)).dispose()

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

    engine = await open_database(database_url)
    ledger = RunLedger(engine, "haloruns", TypeAdapter(Run))
    assert await ledger.unseen([run]) == []
    assert [(d.guild_id, d.run) for d in await ledger.pending()] == [(7, run)]
    await engine.dispose()


async def test_state_survives_a_restart(database_url: str) -> None:
    engine = await open_database(database_url)
    state = BotState(engine)
    assert await state.get("commands.hash.global") is None
    await state.set("commands.hash.global", "first")
    await state.set("commands.hash.global", "second")
    await engine.dispose()

    engine = await open_database(database_url)
    assert await BotState(engine).get("commands.hash.global") == "second"
    await engine.dispose()


async def test_relative_sqlite_path_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    engine = await open_database("sqlite+aiosqlite:///data/nested/halobot.db")
    await engine.dispose()

    assert (tmp_path / "data" / "nested" / "halobot.db").is_file()
