"""speedrun.com within its limit: a burst of lookups through Discord, and what a poll costs.

Run from the repository root: ``.venv/bin/python -m bench.speedrun_budget``. It prints figures; it
checks nothing. The real bot runs against the local Discord server and the local speedrun.com
(``tests/fakes/``), which answers HTTP 420 past 100 requests in any minute, as the real one does.

- burst: 150 ``/src run`` of different runs sent at once, with the real budget (100 a minute):
  when the first, the median and the last user saw their answer, and how many 420s the bot got;
- poll: speedrun.com requests per poll of one followed game, with no new run and with one.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.figures import print_figures
from bot.config import Config
from bot.models.settings import SrcAnnouncementFilters
from bot.runtime.logging_setup import setup_logging
from bot.services.src_announcements import FOLLOWED_STATE
from bot.storage.settings import FeatureSetting
from tests.conftest import running
from tests.fakes.discord import FakeDiscord, discord_spec
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings
from tests.fakes.speedrun_server import FakeSpeedrun

BURST = 150
DEAD_CELLS = "nd2ee5ed"


async def servers() -> tuple[FakeDiscord, FakeHaloRuns, FakeSpeedrun]:
    discord, haloruns, speedrun = FakeDiscord(), FakeHaloRuns(), FakeSpeedrun()
    for server in (discord, haloruns, speedrun):
        await server.start()
    return discord, haloruns, speedrun


async def burst(data_dir: Path) -> list[tuple[str, str]]:
    discord, haloruns, speedrun = await servers()
    settings = local_settings(discord, data_dir, haloruns, speedrun)
    try:
        async with running(Config(**settings, logging={"level": "WARNING"}), discord) as bot:
            await bot.wait_until_ready()
            sent = [await discord.invoke("src run", {"id": run_id}) for run_id in list(speedrun.runs)[:BURST]]
            started = min(interaction.sent_at for interaction in sent)
            answered = []
            for reply in asyncio.as_completed([interaction.reply(timeout=180) for interaction in sent]):
                if not (await reply).layout:
                    raise RuntimeError("a lookup was not answered with its run")
                answered.append(time.perf_counter() - started)
    finally:
        for server in (speedrun, haloruns, discord):
            await server.stop()
    return [
        (f"{BURST} lookups at once: first answer", f"{answered[0]:.2f} s"),
        (f"{BURST} lookups at once: median answer", f"{statistics.median(answered):.2f} s"),
        (f"{BURST} lookups at once: last answer", f"{answered[-1]:.2f} s"),
        (f"{BURST} lookups at once: HTTP 420 from speedrun.com", f"{speedrun.rate_limited}"),
    ]


async def poll_cost(data_dir: Path) -> list[tuple[str, str]]:
    discord, haloruns, speedrun = await servers()
    settings = local_settings(discord, data_dir, haloruns, speedrun)
    settings["speedrun"] |= {"poll_seconds": 3600}
    try:
        async with running(Config(**settings, logging={"level": "WARNING"}), discord) as bot:
            await bot.wait_until_ready()
            async with asyncio.timeout(30):
                while await bot.state.get(FOLLOWED_STATE) is None:  # noqa: ASYNC110 - the job's first run
                    await asyncio.sleep(0.05)
            bot.jobs.remove("speedrun-announcements")  # the polls below are the only ones
            guild = discord.guilds[0]
            channel = next(c for c in guild["channels"] if c["name"] == "world-records")
            await bot.settings.save(
                FeatureSetting(
                    int(guild["id"]), f"src:{DEAD_CELLS}", int(channel["id"]), None, SrcAnnouncementFilters()
                )
            )
            feed = getattr(bot.get_cog("SrcAnnouncements"), "feed", None)
            if feed is None:
                raise RuntimeError(f"the speedrun.com announcements cog is not loaded: {bot.cogs}")
            await feed.poll()  # the first look
            await feed.poll()  # the caches of games and variables are warm
            before = len(speedrun.requests)
            await feed.poll()
            quiet = len(speedrun.requests) - before
            speedrun.add_run("bench001", 170, date.today(), players=[{"rel": "user", "id": "48g10dr8"}])
            before = len(speedrun.requests)
            result = await feed.poll()
            busy = len(speedrun.requests) - before
            if result.new != 1:
                raise RuntimeError(f"{result.new} new runs seen, 1 expected")
    finally:
        for server in (speedrun, haloruns, discord):
            await server.stop()
    return [
        ("requests per poll of one followed game, no new run", f"{quiet}"),
        ("requests per poll of one followed game, one new run", f"{busy}"),
    ]


async def main() -> None:
    setup_logging("WARNING", [])
    discord_spec()  # loaded once, outside the timings
    with tempfile.TemporaryDirectory() as data_dir:
        rows = await poll_cost(Path(data_dir) / "poll")
        rows += await burst(Path(data_dir) / "burst")
    print_figures(rows)


if __name__ == "__main__":
    asyncio.run(main())
