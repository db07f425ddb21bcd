"""The background jobs: their schedule, and what a run under way is told when this process stops
polling."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from bot.runtime.jobs import Jobs
from tests.conftest import until


async def test_a_run_under_way_halts_when_the_process_loses_the_poller_or_stops() -> None:
    jobs = Jobs()

    async def job() -> None:
        """Nothing: only the switches are looked at."""

    jobs.every(3600, job, name="job")
    jobs.start()
    running = jobs.halted
    jobs.pause()  # another process took the poller lock
    paused = jobs.halted
    jobs.start()  # this one has it again
    resumed = jobs.halted
    await jobs.stop(1)

    assert (running, paused, resumed, jobs.halted) == (False, True, False, True)


async def test_a_job_runs_at_start_then_every_interval_and_never_twice_at_once() -> None:
    jobs = Jobs()
    loop = asyncio.get_running_loop()
    started: list[float] = []
    running = 0
    most = 0
    third = asyncio.Event()

    async def slow() -> None:  # a run that outlasts its interval
        nonlocal running, most
        started.append(loop.time())
        running += 1
        most = max(most, running)
        await asyncio.sleep(1.2)  # the job's own work, which takes this long
        running -= 1
        if len(started) == 3:
            third.set()

    jobs.every(1, slow, name="slow")
    await asyncio.sleep(0)
    before_start = len(started)
    jobs.start()
    async with asyncio.timeout(10):
        await third.wait()
    await jobs.stop(1)

    assert before_start == 0
    assert most == 1, "never two runs of one job at a time"
    assert all(later - earlier >= 1.19 for earlier, later in itertools.pairwise(started))
    assert jobs.runs("slow") == 3


async def test_a_paused_job_runs_nothing_and_makes_up_what_it_missed_when_resumed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = Jobs()
    ran = asyncio.Event()
    caplog.set_level(logging.DEBUG, logger="bot.runtime.jobs")

    def waiting() -> bool:
        return any("waits for this process" in record.getMessage() for record in caplog.records)

    async def job() -> None:
        ran.set()

    jobs.every(1, job, name="job")
    jobs.pause()  # another process is the poller from the start
    jobs.start()  # and then this one is
    async with asyncio.timeout(5):
        await ran.wait()
    first = jobs.runs("job")
    jobs.pause()
    ran.clear()
    missed = asyncio.create_task(ran.wait())
    await until(waiting)  # the tick that came while paused
    while_paused = jobs.runs("job")
    jobs.start()
    async with asyncio.timeout(5):
        await missed
    await jobs.stop(1)

    assert (first, while_paused) == (1, 1)
    assert jobs.runs("job") >= 2
