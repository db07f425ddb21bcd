"""Discord's limits as several processes share them: each keeps its share of the global limit, and
shards identify as ``max_concurrency`` allows."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.runtime.discord_limit import GLOBAL_LIMIT, GlobalLimit, IdentifyPace, share

TURNS = 25


async def seconds_for_turns(limit: GlobalLimit) -> float:
    started = time.monotonic()
    for _ in range(TURNS):
        await limit.wait_turn()
    return time.monotonic() - started


def test_the_poller_keeps_nearly_all_the_global_limit_and_the_other_processes_a_little() -> None:
    assert share(1, poller=True) == 1.0
    assert share(2, poller=True) == pytest.approx(0.98)
    assert share(2, poller=False) == pytest.approx(0.02)
    assert share(4, poller=True) + 3 * share(4, poller=False) == pytest.approx(1.0)


async def test_a_process_keeps_its_share_of_the_global_limit() -> None:
    whole = await seconds_for_turns(GlobalLimit("http://discord.test/api/v10"))
    half = await seconds_for_turns(GlobalLimit("http://discord.test/api/v10", share=0.5))

    assert whole < 0.1, "25 requests fit in the whole limit's burst"
    # Half the burst (20) at once, the other 5 at half the rate.
    assert half >= (TURNS - 20) / (GLOBAL_LIMIT / 2) - 0.01


async def test_shards_identify_as_many_at_once_as_max_concurrency_allows() -> None:
    pace = IdentifyPace()
    pace.allow(2)

    async with asyncio.timeout(1):
        await pace.wait(0)
        await pace.wait(1)  # another bucket: at once
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await pace.wait(2)  # shard 0's bucket: five seconds after it
