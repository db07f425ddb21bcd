"""Memory, start-up and /status of the bot side by side with a bare discord.py bot, and the fan-out.

Run from the repository root: ``.venv/bin/python -m bench.startup`` (``--no-fan-out`` skips the
world-record fan-out of ``bench.announcements``, which takes some 20 s). It prints figures; it checks
nothing. The ratio B/A is the figure: absolute times vary from run to run on a shared machine.

Both bots run in their own process against ``tests.fakes.discord.FakeDiscord`` (and, for the bot,
``FakeHaloRuns``), which run in this process on 127.0.0.1: the bot (B) the way it is deployed,
``python -m bot run`` configured by ``HALOBOT_*`` variables, with SQLite in a temporary directory;
the bare bot (A) is ``bench.bare_bot``. For each:

- spawn → gateway opened: from starting the process until the local Discord accepts its gateway
  websocket; median of restarts (the bot's database already migrated and the modules of both
  compiled, as on a redeploy). The first start, on an empty database and with nothing compiled
  yet, is shown apart: for the bot it includes every migration;
- CPU used by ready: user + system CPU seconds of the process when it says it is ready (discord.py's
  ``on_ready``, ``guild_ready_timeout`` = 2 s after the last server);
- resident memory, settled: the process's RSS ``SETTLE`` seconds after ready, with 1 server (median
  of the restarts) and with 10,000 servers in ``MANY_SHARDS`` shards (both bots sharded alike);
- spawn → ready, with 10,000 servers in ``MANY_SHARDS`` shards: until the process says it is ready;
- /status p50 / p99: ``STATUS_CALLS`` sequential /status to each bot (each sent once the last was
  answered), from INTERACTION_CREATE sent until the local Discord has the whole interaction
  callback (before it checks and keeps it: a card takes it longer than the bare bot's "ok"). Both
  bots run at once, restarted and settled, each against its own local Discord, and are asked in
  turns of ``STATUS_ROUND`` calls (A B B A …): a spell of a busy machine then slows both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.announcements import fan_out
from bench.figures import print_figures
from tests.fakes.discord import (
    FakeDiscord,
    discord_spec,
    make_guild,
    snowflake_on_shard,
)
from tests.fakes.haloruns_server import FakeHaloRuns

RESTARTS = 3
STATUS_CALLS = 500
STATUS_ROUND = 25  # calls to one bot before the other's turn
STATUS_WARMUP = 10
MANY_GUILDS = 10_000
MANY_SHARDS = 4  # 2,500 servers a shard: the most Discord lets one session hold
SETTLE = 1.5  # seconds after ready before the memory is read
READY_TIMEOUT = 120.0  # seconds; 10,000 GUILD_CREATEs included
STOP_TIMEOUT = 10.0
FAN_OUT_SERVERS = 1000
MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]
READY_LINE = "Ready as"  # what both bots print once discord.py is ready


@dataclass
class Start:
    gateway: float  # seconds from spawn to the gateway websocket accepted
    ready: float  # seconds from spawn to ready
    cpu: float  # CPU seconds the process used by ready
    rss: float  # MiB, settled after ready


# A bot under measure: how to spawn it (argv, environment) against a local Discord and a data dir,
# with that many shards (0: as many as Discord recommends).
Command = Callable[[FakeDiscord, FakeHaloRuns, Path, int], tuple[list[str], dict[str, str]]]


def compiled(env: dict[str, str], data: Path) -> dict[str, str]:
    """``env`` with Python's bytecode kept (outside the repository): as installed, each restart
    reads compiled modules, the first start compiles them."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(data / "pycache")}


def bare_bot(
    server: FakeDiscord, haloruns: FakeHaloRuns, data: Path, shards: int
) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "BARE_API_BASE": server.api_base,
        "BARE_GATEWAY_URL": server.gateway_url,
        "BARE_TOKEN": server.token,
        "BARE_SHARD_COUNT": str(shards),
        "PYTHONPATH": str(REPO),
    }
    return [sys.executable, "-m", "bench.bare_bot"], compiled(env, data)


def this_bot(
    server: FakeDiscord, haloruns: FakeHaloRuns, data: Path, shards: int
) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOBOT_") and k != "DISCORD_TOKEN"}
    env |= {
        "HALOBOT_DISCORD__TOKEN": server.token,
        "HALOBOT_DISCORD__API_BASE": server.api_base,
        "HALOBOT_DISCORD__GATEWAY_URL": server.gateway_url,
        "HALOBOT_DISCORD__SHARD_COUNT": str(shards),
        "HALOBOT_DATABASE__URL": f"sqlite+aiosqlite:///{data / 'halobot.db'}",
        "HALOBOT_HALORUNS__BASE_URL": haloruns.base_url,
        # No local speedrun.com: an address nothing listens on, so a call fails at once.
        "HALOBOT_SPEEDRUN__BASE_URL": "http://127.0.0.1:9/api/v1",
        "HALOBOT_SPEEDRUN__KEY_SECRET_FILE": str(data / "secret.key"),
        "HALOBOT_HEALTH__PORT": "0",
        "HALOBOT_LOGGING__LEVEL": "INFO",  # for the "Ready as" line
    }
    return [sys.executable, "-m", "bot", "run"], compiled(env, data)


@contextlib.asynccontextmanager
async def spawned(
    command: Command, server: FakeDiscord, haloruns: FakeHaloRuns, data: Path, shards: int = 0
) -> AsyncIterator[Start]:
    """The bot's process, ready and settled; terminated when the block ends."""
    argv, env = command(server, haloruns, data, shards)
    connections = len(server.gateway_opened)
    spawn = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=data, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output: list[str] = []
    ready = asyncio.Event()

    async def read() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            output.append(line.decode(errors="replace").rstrip())
            if READY_LINE in output[-1]:
                ready.set()

    reader = asyncio.create_task(read())
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await asyncio.wait(
                {asyncio.create_task(ready.wait()), reader}, return_when=asyncio.FIRST_COMPLETED
            )
        if not ready.is_set():
            raise RuntimeError(f"{argv} stopped before it was ready:\n" + "\n".join(output[-20:]))
        ready_at = time.perf_counter() - spawn
        figures = psutil.Process(process.pid)
        cpu = figures.cpu_times()
        await asyncio.sleep(SETTLE)
        rss = figures.memory_info().rss / MIB
        yield Start(server.gateway_opened[connections] - spawn, ready_at, cpu.user + cpu.system, rss)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        await reader


@contextlib.asynccontextmanager
async def local_servers(guilds: int, shards: int = 1) -> AsyncIterator[tuple[FakeDiscord, FakeHaloRuns]]:
    """The local Discord with ``guilds`` servers, spread evenly over ``shards``, and HaloRuns."""
    server = FakeDiscord(
        guilds=[
            make_guild(f"Guild {i}", guild_id=snowflake_on_shard(i % shards, shards)) for i in range(guilds)
        ]
    )
    haloruns = FakeHaloRuns()
    await server.start()
    await haloruns.start()
    try:
        yield server, haloruns
    finally:
        await haloruns.stop()
        await server.stop()
        if server.violations:
            print(
                f"warning: the local server saw {len(server.violations)} invalid request(s):", file=sys.stderr
            )
            for violation in server.violations[:5]:
                print(f"  {violation}", file=sys.stderr)


async def status_latency(server: FakeDiscord, calls: int) -> list[float]:
    """Milliseconds from INTERACTION_CREATE sent to the whole interaction callback received, for
    ``calls`` sequential /status: the bot's answer time, without what the local Discord (in this
    process) does with the answer afterwards (checking it against Discord's OpenAPI description and
    keeping it take a card longer than the bare bot's "ok")."""
    samples: list[float] = []
    for _ in range(calls):
        interaction = await server.invoke("status")
        await interaction.reply()
        callback = next(
            r for r in reversed(server.requests) if r.path.startswith(f"/interactions/{interaction.id}/")
        )
        samples.append((callback.received_at - interaction.sent_at) * 1000)
    server.requests.clear()
    return samples


async def status_side_by_side(commands: list[Command], data: Path) -> list[list[float]]:
    """/status latencies of each bot of ``commands``, all running at once, asked in turns."""
    samples: list[list[float]] = [[] for _ in commands]
    async with contextlib.AsyncExitStack() as running:
        servers = []
        for n, command in enumerate(commands):
            server, haloruns = await running.enter_async_context(local_servers(1))
            async with spawned(command, server, haloruns, data / str(n)):
                pass  # the first start (migrations, compiling): what is measured is a restart
            await running.enter_async_context(spawned(command, server, haloruns, data / str(n)))
            await status_latency(server, STATUS_WARMUP)
            servers.append(server)
        for turn in range(STATUS_CALLS // STATUS_ROUND):
            order = list(enumerate(servers))
            for n, server in order if turn % 2 == 0 else reversed(order):
                samples[n] += await status_latency(server, STATUS_ROUND)
    return samples


@dataclass
class Figures:
    first: Start  # on an empty data directory
    restarts: list[Start]
    many: Start  # MANY_GUILDS servers
    status: list[float]  # milliseconds, from status_side_by_side

    def restart(self, figure: Callable[[Start], float]) -> float:
        return statistics.median(figure(s) for s in self.restarts)

    def status_percentile(self, p: int) -> float:
        return statistics.quantiles(self.status, n=100, method="inclusive")[p - 1]


async def measure(name: str, command: Command, data: Path, status: list[float]) -> Figures:
    """The figures of one bot; ``data`` is its working directory (the bot keeps its database there)."""
    async with local_servers(1) as (server, haloruns):
        async with spawned(command, server, haloruns, data) as first:
            pass
        restarts = []
        for _ in range(RESTARTS):
            async with spawned(command, server, haloruns, data) as start:
                restarts.append(start)
    async with (
        local_servers(MANY_GUILDS, MANY_SHARDS) as (server, haloruns),
        spawned(command, server, haloruns, data, MANY_SHARDS) as many,
    ):
        pass
    figures = Figures(first, restarts, many, status)
    print(
        f"{name}: gateway {figures.restart(lambda s: s.gateway):.2f} s, CPU"
        f" {figures.restart(lambda s: s.cpu):.2f} s, {figures.restart(lambda s: s.rss):.1f} MiB,"
        f" {many.rss:.1f} MiB and ready in {many.ready:.2f} s with {MANY_GUILDS:,} servers in"
        f" {MANY_SHARDS} shards",
        flush=True,
    )
    return figures


def table(a: Figures, b: Figures) -> list[tuple[str, str]]:
    def row(name: str, first: float, second: float, unit: str, digits: int = 2) -> tuple[str, str]:
        return name, f"{first:.{digits}f} / {second:.{digits}f} {unit}  x{second / first:.2f}"

    return [
        row(
            "resident memory, settled, 1 server",
            a.restart(lambda s: s.rss),
            b.restart(lambda s: s.rss),
            "MiB",
            1,
        ),
        row(
            f"resident memory, settled, {MANY_GUILDS:,} servers in {MANY_SHARDS} shards",
            a.many.rss,
            b.many.rss,
            "MiB",
            1,
        ),
        row(
            f"spawn → ready, {MANY_GUILDS:,} servers in {MANY_SHARDS} shards", a.many.ready, b.many.ready, "s"
        ),
        row("spawn → gateway opened", a.restart(lambda s: s.gateway), b.restart(lambda s: s.gateway), "s"),
        row("CPU used by ready", a.restart(lambda s: s.cpu), b.restart(lambda s: s.cpu), "s"),
        row(f"/status p50 (n={STATUS_CALLS})", a.status_percentile(50), b.status_percentile(50), "ms"),
        row(f"/status p99 (n={STATUS_CALLS})", a.status_percentile(99), b.status_percentile(99), "ms"),
        row("first start: spawn → gateway opened", a.first.gateway, b.first.gateway, "s"),
        row("first start: CPU used by ready", a.first.cpu, b.first.cpu, "s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--no-fan-out", action="store_true", help="skip the world-record fan-out")
    args = parser.parse_args()
    # The local server checks every REST body against Discord's OpenAPI description: load it once.
    discord_spec()
    with tempfile.TemporaryDirectory(prefix="halobot-bench-") as tmp:
        for name in ("bare", "bot", "status/0", "status/1"):
            (Path(tmp) / name).mkdir(parents=True)
        status = asyncio.run(status_side_by_side([bare_bot, this_bot], Path(tmp) / "status"))
        bare = asyncio.run(measure("bare bot (A)", bare_bot, Path(tmp) / "bare", status[0]))
        bot = asyncio.run(measure("this bot (B)", this_bot, Path(tmp) / "bot", status[1]))
        rows = [("figure: A / B  xB/A", ""), *table(bare, bot)]
        if not args.no_fan_out:
            rows += asyncio.run(fan_out(FAN_OUT_SERVERS, Path(tmp) / "fan-out"))
    print_figures(rows)


if __name__ == "__main__":
    main()
