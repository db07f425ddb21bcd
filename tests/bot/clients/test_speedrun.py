"""The speedrun.com client's request budget and its handling of 420, against the local server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp

from bot.clients.speedrun import SpeedrunClient
from bot.config import SpeedrunConfig
from bot.runtime.telemetry import Telemetry
from tests.conftest import until
from tests.fakes.speedrun_server import FakeSpeedrun

MINUTE = 2.0  # both sides count a shortened minute, so that a whole window is seen quickly


@contextlib.asynccontextmanager
async def client_of(
    server: FakeSpeedrun, requests_per_minute: int, minute: float = 60.0
) -> AsyncIterator[SpeedrunClient]:
    """A client of ``server``, running, that keeps ``requests_per_minute`` in a ``minute`` of seconds."""
    async with server, aiohttp.ClientSession() as session:
        config = SpeedrunConfig(base_url=server.base_url, requests_per_minute=requests_per_minute)
        yield SpeedrunClient(session, config, Telemetry(["speedrun.com"]), minute=minute)


async def test_a_burst_of_lookups_never_trips_the_limit_and_all_are_answered_slower() -> None:
    server = FakeSpeedrun(limit_per_minute=15, minute=MINUTE)
    # One request below the server's limit: the time between a request leaving the bot and
    # reaching the server, a few ms, weighs 30 times more in a 2 s minute, more so under load.
    async with client_of(server, 14, MINUTE) as client:
        started = time.perf_counter()
        runs = await asyncio.gather(*(client.run(run_id) for run_id in list(server.runs)[:30]))
        elapsed = time.perf_counter() - started

    assert len({run.id for run in runs}) == 30
    assert server.rate_limited == 0
    assert elapsed > MINUTE, "30 lookups at 14 a minute take more than one minute"


async def test_a_420_is_waited_out_and_the_request_tried_again() -> None:
    server = FakeSpeedrun(limit_per_minute=1, minute=0.5)
    async with client_of(server, 100) as client:
        first, second = list(server.runs)[:2]
        await client.run(first)
        run = await client.run(second)  # answered 420 first: the fake allows one request each 0.5 s

    assert run.id == second
    assert server.rate_limited >= 1


async def test_commands_go_before_the_poller_in_the_budget() -> None:
    server = FakeSpeedrun(limit_per_minute=15, minute=MINUTE)
    async with client_of(server, 15, MINUTE) as client:
        background = [
            asyncio.create_task(
                client.leaderboard("nd2ee5ed", "7kjp314k", None, top=top, variables={}, background=True)
            )
            for top in range(1, 7)
        ]
        # A burst of 3 with one place kept for commands: 2 poller requests go out, 4 wait in the
        # budget; once the server has the 2, the commands come while the 4 wait.
        await until(lambda: len(server.requests) >= 2)
        commands = await asyncio.gather(*(client.run(run_id) for run_id in list(server.runs)[:6]))
        await asyncio.gather(*background)

    order = ["command" if "/runs/" in path else "poller" for path in server.requests]
    assert len(commands) == 6
    assert order.index("poller", order.index("command")) > max(
        i for i, kind in enumerate(order) if kind == "command"
    ), f"no poller request while commands wait: {order}"
    assert server.rate_limited == 0
