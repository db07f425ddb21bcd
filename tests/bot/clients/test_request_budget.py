"""The request budget on its own: its limit over time, commands before the background, and waiters
that give up. Small buckets draining fast, so that each test takes a fraction of a second."""

from __future__ import annotations

import asyncio

import pytest

from bot.clients.request_budget import RequestBudget

BURST = 4
PER_SECOND = 40.0


async def taken(budget: RequestBudget, name: str, order: list[str], *, background: bool = False) -> None:
    await budget.take(background=background)
    order.append(name)


async def test_no_span_holds_more_than_the_burst_and_what_drained() -> None:
    budget = RequestBudget(BURST, PER_SECOND)
    loop = asyncio.get_running_loop()
    started = loop.time()
    times: list[float] = []

    async def one() -> None:
        await budget.take()
        times.append(loop.time() - started)

    await asyncio.gather(*(one() for _ in range(12)))

    assert times[:BURST] == pytest.approx([0.0] * BURST, abs=0.01)
    for k, at in enumerate(times[BURST:], start=1):
        assert at >= k / PER_SECOND - 1e-3, f"request {BURST + k} came {at:.3f} s in"
    assert times[-1] < 1.0, "each request comes when its place is free (8 / 40 s), not much later"


async def test_the_background_waits_for_commands_and_leaves_them_part_of_the_burst() -> None:
    budget = RequestBudget(BURST, PER_SECOND, kept=2)
    order: list[str] = []
    background = [asyncio.create_task(taken(budget, f"poll {i}", order, background=True)) for i in range(4)]
    await asyncio.sleep(0)
    assert order == ["poll 0", "poll 1"], "the background stops short of the places kept for commands"
    commands = [asyncio.create_task(taken(budget, f"command {i}", order)) for i in range(4)]
    await asyncio.gather(*commands, *background)

    assert order == ["poll 0", "poll 1", *(f"command {i}" for i in range(4)), "poll 2", "poll 3"]


async def test_a_command_that_gives_up_leaves_its_turn_to_the_next_in_line() -> None:
    budget = RequestBudget(1, 2.0)  # one place, free again after half a second
    await budget.take()
    command = asyncio.create_task(budget.take())
    poll = asyncio.create_task(budget.take(background=True))
    await asyncio.sleep(0)  # both are waiting in line
    command.cancel()
    async with asyncio.timeout(1):
        await poll
    assert command.cancelled()


def test_a_budget_keeps_less_than_its_burst() -> None:
    with pytest.raises(ValueError, match="kept < burst"):
        RequestBudget(2, 1.0, kept=2)
