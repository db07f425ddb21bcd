"""Storage against SQLite and against a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import open_database
from bot.storage.state import BotState

POSTGRES_URL = os.environ.get(
    "HALOBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://halobot:halobot@127.0.0.1:5432/halobot_test"
)


async def fresh_postgres() -> str:
    """An emptied test database; skipped when no server is reachable, unless on CI or when a
    server was named explicitly."""
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    except (OSError, ConnectionError) as error:
        if os.environ.get("CI") or "HALOBOT_TEST_POSTGRES_URL" in os.environ:
            pytest.fail(f"the PostgreSQL server at {POSTGRES_URL} is required here: {error}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL} ({error}); .ci/postgres.sh starts one")
    finally:
        await engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'halobot.db'}"
    else:
        yield await fresh_postgres()


async def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    for _ in range(2):  # a restart runs the migrations again
        engine = await open_database(database_url)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        await engine.dispose()
        assert {"bot_state", "alembic_version"} <= set(tables)
        assert revision == "0001"


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
