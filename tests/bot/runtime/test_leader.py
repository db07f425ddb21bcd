"""Exactly one poller: the PostgreSQL advisory lock passes to another process when its holder
goes, and a second process on one SQLite file refuses to start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.errors import StartupError
from bot.runtime.leader import POLLER_LOCK, Poller, single_process
from tests.conftest import fresh_postgres


def poller(url: str, events: list[str], name: str) -> Poller:
    return Poller(
        url,
        retry_seconds=0.05,
        on_gain=lambda: events.append(f"{name} polls"),
        on_loss=lambda: events.append(f"{name} stops"),
    )


async def until(predicate: Callable[[], bool], timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.mark.postgres
async def test_one_process_holds_the_poller_lock_and_another_takes_it_over() -> None:
    url = await fresh_postgres()
    events: list[str] = []
    first, second = poller(url, events, "first"), poller(url, events, "second")
    first.start()
    await until(lambda: first.is_poller)
    second.start()
    other = create_async_engine(url)
    try:
        async with other.connect() as connection:  # what PostgreSQL says: the lock is taken
            taken = not await connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": POLLER_LOCK})
        held_alone = not second.is_poller
        await first.stop()  # its session ends: PostgreSQL frees the lock
        await until(lambda: second.is_poller)
    finally:
        await other.dispose()
        await first.stop()
        await second.stop()

    assert taken
    assert held_alone
    assert events == ["first polls", "second polls"]
    assert second.since is not None


def test_a_second_process_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'halobot.db'}"
    with single_process(url), pytest.raises(StartupError) as refused, single_process(url):
        pass

    assert "is in use by another process of the bot" in str(refused.value)
    with single_process(url):  # free again once the first is gone
        pass
