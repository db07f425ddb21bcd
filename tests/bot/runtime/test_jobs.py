"""The background jobs' switches: what a run under way is told when this process stops polling."""

from __future__ import annotations

from bot.runtime.jobs import Jobs


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
