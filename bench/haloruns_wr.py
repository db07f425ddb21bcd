"""/wr end to end: latency from INTERACTION_CREATE to the visible reply, and upstream requests.

Run from the repository root: ``.venv/bin/python -m bench.haloruns_wr``. It prints figures; it
checks nothing. The real bot runs against the local Discord server and the local HaloRuns
(``tests/fakes/``), all in this process on 127.0.0.1, so the latencies are the bot's own work plus
loopback HTTP: a real HaloRuns adds its network time to every cold figure.

- cold: ``haloruns.cache_seconds = 0``, every command asks HaloRuns;
- warm: the default cache, after one command has filled it;
- requests per 1,000 commands: 1,000 ``/wr`` over every level of the catalog in random order, with
  and without the cache, and 1,000 identical commands arriving 50 at a time (shared requests).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bench.figures import print_figures
from bot.config import Config
from bot.runtime.logging_setup import setup_logging
from tests.conftest import running
from tests.fakes.discord import FakeDiscord, discord_spec
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings

SAMPLES = 300
WARMUP = 10
MIX_COMMANDS = 1000
BURST = 50
ONE_BOARD = {"level": "0504", "difficulty": "legendary", "category": "solo"}
WHOLE_LEVEL = {"level": "0504"}


@asynccontextmanager
async def local_bot(
    api: str, cache_seconds: int, data_dir: Path
) -> AsyncIterator[tuple[FakeDiscord, FakeHaloRuns]]:
    discord, haloruns = FakeDiscord(), FakeHaloRuns()
    await discord.start()
    await haloruns.start()
    settings = local_settings(discord, data_dir, haloruns)
    settings["haloruns"] |= {"api": api, "cache_seconds": cache_seconds}
    try:
        async with running(Config(**settings, logging={"level": "WARNING"}), discord) as bot:
            await bot.wait_until_ready()  # a bot closed before its on_ready trips over discord.py
            await wr(discord, {"level": "0504", "difficulty": "easy"})  # the catalog is loaded
            yield discord, haloruns
    finally:
        await haloruns.stop()
        await discord.stop()


async def wr(discord: FakeDiscord, options: dict[str, Any]) -> float:
    """Milliseconds from INTERACTION_CREATE to the reply the user sees."""
    interaction = await discord.invoke("wr", options)
    reply = await interaction.reply()
    if not reply.layout:
        raise RuntimeError(f"/wr answered {reply.content!r}")
    return (time.perf_counter() - interaction.sent_at) * 1000


async def latencies(api: str, cache_seconds: int, options: dict[str, Any], data_dir: Path) -> list[float]:
    async with local_bot(api, cache_seconds, data_dir) as (discord, _):
        for _ in range(WARMUP):
            await wr(discord, options)
        return [await wr(discord, options) for _ in range(SAMPLES)]


async def requests_per_thousand(api: str, cache_seconds: int, data_dir: Path, *, burst: bool) -> int:
    async with local_bot(api, cache_seconds, data_dir) as (discord, haloruns):
        catalog = await discord_levels(discord)
        before = len(haloruns.requests)
        if burst:
            for _ in range(MIX_COMMANDS // BURST):
                await asyncio.gather(*(wr(discord, ONE_BOARD) for _ in range(BURST)))
        else:
            rng = random.Random(343)
            for _ in range(MIX_COMMANDS):
                await wr(discord, {"level": rng.choice(catalog)})
        return len(haloruns.requests) - before


async def discord_levels(discord: FakeDiscord) -> list[str]:
    """Every level the bot offers, read the way a user sees them: through autocomplete."""
    values: set[str] = set()
    for prefix in ("01", "02", "03", "04", "05", "06", "07", "08", "infinite"):
        choices = await (
            await discord.invoke("wr", {"level": prefix}, focused="level")
        ).autocomplete_choices()
        values |= {choice["value"] for choice in choices}
    return sorted(values)


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


async def measure(api: str, data_dir: Path) -> list[tuple[str, str]]:
    rows = []
    for label, options in (("one board", ONE_BOARD), ("whole level", WHOLE_LEVEL)):
        for state, cache in (("cold", 0), ("warm", 60)):
            samples = await latencies(api, cache, options, data_dir / f"{api}-{label}-{state}")
            rows.append((f"{api}: /wr {label}, {state}, p50", f"{percentile(samples, 50):.2f} ms"))
            rows.append((f"{api}: /wr {label}, {state}, p99", f"{percentile(samples, 99):.2f} ms"))
    for label, cache, burst in (
        ("random levels, cache off", 0, False),
        ("random levels, cache on", 60, False),
        (f"identical, {BURST} at a time, cache off", 0, True),
    ):
        count = await requests_per_thousand(api, cache, data_dir / f"{api}-{label}", burst=burst)
        rows.append((f"{api}: upstream requests per 1,000 /wr, {label}", f"{count:,}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.haloruns_wr", description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=["content", "legacy"], action="append", help="default: both")
    args = parser.parse_args()
    setup_logging("WARNING", [])
    discord_spec()  # loaded once, before anything is timed
    rows = []
    with tempfile.TemporaryDirectory(prefix="halobot-bench-") as tmp:
        for api in args.api or ["content", "legacy"]:
            rows += asyncio.run(measure(api, Path(tmp)))
            print(f"{api}: done", flush=True)
    print_figures(rows)


if __name__ == "__main__":
    main()
