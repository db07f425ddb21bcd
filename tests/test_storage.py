"""Storage against SQLite and against a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.storage.database import open_database
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
            "wr_records",
            "wr_deliveries",
            "stream_alerts",
            "alembic_version",
        } <= set(tables)
        assert revision == "0003"


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
