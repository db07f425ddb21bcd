"""Start-up time, resident memory and /status latency of the bot, against the local Discord server.

Run from the repository root: ``.venv/bin/python -m bench.startup``. It prints figures; it checks
nothing. The bot is started the way ``python -m bot`` starts it (``open_bot`` + ``serve_until``,
health endpoint off), with SQLite in a temporary directory, and connects to
``tests.fakes.discord.FakeDiscord`` on 127.0.0.1, which runs in the same process.

Each memory figure is taken in a fresh interpreter (this module, re-run with ``--memory-child N``):
the resident size of a process rarely shrinks after memory is freed, so a scenario measured after
others would show a smaller growth and a larger total than it has on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from bot.__main__ import open_bot, serve_until
from bot.app import HaloBot
from bot.config import Config
from bot.runtime.logging_setup import setup_logging
from tests.fakes.discord import FakeDiscord, discord_spec, make_guild
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings

STARTUP_RUNS = 3
STATUS_CALLS = 500
STATUS_WARMUP = 10
MANY_GUILDS = 10_000
READY_TIMEOUT = 90.0  # seconds; 10,000 GUILD_CREATEs included
IDLE_SETTLE = 0.5  # seconds left to the bot after ready before its memory is read
CHILD_TIMEOUT = 120.0
SPEC_CHECK_REPEATS = 200
MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Startup:
    """Seconds from calling ``open_bot`` until each step."""

    opened: float  # open_bot's block entered: database opened and migrated
    server_ready: float  # the local server has sent READY and every GUILD_CREATE
    bot_ready: float  # bot.wait_until_ready() returned (guild_ready_timeout after the last guild)


@dataclass
class Memory:
    guilds: int
    rss_before: float  # MiB: modules imported, local server started with its guilds, bot not started
    rss_after: float  # MiB: bot ready and idle
    startup: Startup

    @property
    def delta(self) -> float:
        return self.rss_after - self.rss_before


@dataclass
class Latency:
    samples: list[float]  # milliseconds
    spec_check: float  # milliseconds the local server spends checking one callback body

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.samples, n=100, method="inclusive")[p - 1]


def bot_config(server: FakeDiscord, data_dir: Path, haloruns: FakeHaloRuns) -> Config:
    """The bot's configuration pointing at the local servers, keeping its database in ``data_dir``."""
    settings = local_settings(server, data_dir, haloruns)
    settings["discord"]["guild_ready_seconds"] = 2.0  # discord.py's default, as against real Discord
    return Config(**settings, logging={"level": "WARNING"})


def rss_mib() -> float:
    gc.collect()
    rss: int = psutil.Process().memory_info().rss
    return rss / MIB


async def _stamp(awaitable: Awaitable[Any]) -> float:
    await awaitable
    return time.perf_counter()


async def _wait_ready(
    bot: HaloBot, server: FakeDiscord, serving: asyncio.Task[None], start: float, opened: float
) -> Startup:
    server_ready = asyncio.create_task(_stamp(server.ready.wait()))
    bot_ready = asyncio.create_task(_stamp(bot.wait_until_ready()))
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await asyncio.wait({bot_ready, serving}, return_when=asyncio.FIRST_COMPLETED)
            if not bot_ready.done():
                serving.result()  # raises the bot's error, if it had one
                raise RuntimeError("the bot stopped before it was ready")
            await server_ready
    finally:
        server_ready.cancel()
        bot_ready.cancel()
    return Startup(opened - start, server_ready.result() - start, bot_ready.result() - start)


@contextlib.asynccontextmanager
async def running(server: FakeDiscord, data_dir: Path) -> AsyncIterator[tuple[HaloBot, Startup]]:
    """The bot, started the way ``python -m bot`` starts it, ready and connected to ``server``."""
    haloruns = FakeHaloRuns()
    await haloruns.start()
    config = bot_config(server, data_dir, haloruns)
    stop = asyncio.Event()
    start = time.perf_counter()
    async with contextlib.AsyncExitStack() as cleanup, open_bot(config) as bot:
        cleanup.push_async_callback(haloruns.stop)
        opened = time.perf_counter()
        serving = asyncio.create_task(serve_until(bot, stop), name="serve")
        try:
            yield bot, await _wait_ready(bot, server, serving, start, opened)
        finally:
            stop.set()
            await serving


@contextlib.asynccontextmanager
async def local_discord(guilds: list[dict[str, Any]] | None = None) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(guilds=guilds)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        if server.violations:
            print(
                f"warning: the local server saw {len(server.violations)} invalid request(s):", file=sys.stderr
            )
            for violation in server.violations[:5]:
                print(f"  {violation}", file=sys.stderr)


# -- the scenarios -------------------------------------------------------------------------------------


async def measure_startup(data_dir: Path) -> Startup:
    async with local_discord() as server, running(server, data_dir) as (_, startup):
        return startup


async def measure_status(data_dir: Path) -> Latency:
    async with local_discord() as server, running(server, data_dir):
        samples: list[float] = []
        for i in range(STATUS_WARMUP + STATUS_CALLS):
            interaction = await server.invoke("status")
            await interaction.reply()
            if interaction.acknowledged_at is None:  # cannot happen once reply() has returned
                raise RuntimeError("/status was answered without an interaction callback")
            if i >= STATUS_WARMUP:
                samples.append((interaction.acknowledged_at - interaction.sent_at) * 1000)
        callback = next(r for r in reversed(server.requests) if r.path.endswith("/callback"))
    spec = discord_spec()
    checks = []
    for _ in range(SPEC_CHECK_REPEATS):
        begin = time.perf_counter()
        spec.violations(callback.method, callback.path, callback.body)
        checks.append((time.perf_counter() - begin) * 1000)
    return Latency(samples, statistics.median(checks))


async def measure_memory(guild_count: int, data_dir: Path) -> Memory:
    guilds = [make_guild(f"Guild {i}") for i in range(guild_count)]
    async with local_discord(guilds) as server:
        before = rss_mib()
        async with running(server, data_dir) as (bot, startup):
            # Each GUILD_CREATE adds its guild before discord.py's guild_ready_timeout starts again.
            if len(bot.guilds) != guild_count:
                raise RuntimeError(f"the bot is ready in {len(bot.guilds)} of {guild_count} guilds")
            await asyncio.sleep(IDLE_SETTLE)
            after = rss_mib()
            return Memory(len(bot.guilds), before, after, startup)


def memory_in_child(guild_count: int) -> Memory:
    """``measure_memory`` in a fresh interpreter; its figures come back as JSON on stdout."""
    command = [sys.executable, "-m", "bench.startup", "--memory-child", str(guild_count)]
    result = subprocess.run(
        command, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True, timeout=CHILD_TIMEOUT
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return Memory(**{**figures, "startup": Startup(**figures["startup"])})


# -- output --------------------------------------------------------------------------------------------


def report(startups: list[Startup], latency: Latency, one: Memory, many: Memory) -> None:
    opened = statistics.median(s.opened for s in startups)
    server_ready = statistics.median(s.server_ready for s in startups)
    bot_ready = statistics.median(s.bot_ready for s in startups)
    rows = [
        (f"Start-up, database opened (median of {len(startups)})", f"{opened:.3f} s"),
        ("Start-up, server sent READY + GUILD_CREATE", f"{server_ready:.3f} s"),
        ("Start-up to ready (incl. 2 s guild_ready_timeout)", f"{bot_ready:.3f} s"),
        (f"Start-up to ready, {many.guilds:,} guilds", f"{many.startup.bot_ready:.3f} s"),
        (f"  server sent READY + {many.guilds:,} GUILD_CREATE", f"{many.startup.server_ready:.3f} s"),
        ("RSS before the bot starts, 1 guild", f"{one.rss_before:.1f} MiB"),
        ("RSS idle, 1 guild", f"{one.rss_after:.1f} MiB"),
        ("  bot's share (delta), 1 guild", f"{one.delta:+.1f} MiB"),
        (f"RSS before the bot starts, {many.guilds:,} guilds", f"{many.rss_before:.1f} MiB"),
        (f"RSS ready, {many.guilds:,} guilds", f"{many.rss_after:.1f} MiB"),
        (f"  bot's share (delta), {many.guilds:,} guilds", f"{many.delta:+.1f} MiB"),
        (
            "  per guild (delta over 1-guild delta)",
            f"{(many.delta - one.delta) * 1024 / many.guilds:.2f} KiB",
        ),
        (f"/status ack latency p50 (n={len(latency.samples)})", f"{latency.percentile(50):.2f} ms"),
        (f"/status ack latency p99 (n={len(latency.samples)})", f"{latency.percentile(99):.2f} ms"),
        ("  max", f"{max(latency.samples):.2f} ms"),
        ("  of which server's OpenAPI check of the body", f"{latency.spec_check:.2f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 12}")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--memory-child", type=int, metavar="GUILDS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_logging("WARNING", [])
    # The local server checks every REST body against Discord's OpenAPI description (~12 MiB once
    # loaded): load it now, so that neither the first start-up nor the bot's memory includes it.
    discord_spec()

    with tempfile.TemporaryDirectory(prefix="halobot-bench-") as tmp:
        data = Path(tmp)
        if args.memory_child is not None:
            memory = asyncio.run(measure_memory(args.memory_child, data))
            print(json.dumps(asdict(memory)))
            return

        startups = []
        for run in range(1, STARTUP_RUNS + 1):
            startup = asyncio.run(measure_startup(data / f"startup-{run}"))
            startups.append(startup)
            print(
                f"start-up run {run}: database {startup.opened:.3f} s, server sent guilds"
                f" {startup.server_ready:.3f} s, ready {startup.bot_ready:.3f} s",
                flush=True,
            )
        latency = asyncio.run(measure_status(data / "status"))
        print(
            f"/status x{len(latency.samples)}: p50 {latency.percentile(50):.2f} ms,"
            f" p99 {latency.percentile(99):.2f} ms",
            flush=True,
        )
        memories: dict[int, Memory] = {}
        for guild_count in (1, MANY_GUILDS):
            memories[guild_count] = found = memory_in_child(guild_count)
            print(
                f"memory, {found.guilds:,} guild(s): {found.rss_before:.1f} MiB before the bot,"
                f" {found.rss_after:.1f} MiB ready ({found.delta:+.1f} MiB);"
                f" ready after {found.startup.bot_ready:.3f} s",
                flush=True,
            )
    report(startups, latency, memories[1], memories[MANY_GUILDS])


if __name__ == "__main__":
    main()
