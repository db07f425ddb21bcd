"""World-record announcements: from a new record in the feed to the last post, and database cost.

Run from the repository root: ``.venv/bin/python -m bench.announcements``. It prints figures; it
checks nothing. The real bot runs against the local Discord server (which enforces Discord's
global limit of 50 requests a second, answering 429 beyond it) and the local HaloRuns, all in this
process on 127.0.0.1, with SQLite in a temporary directory.

For 1 and 1,000 servers with announcements on: the bot starts and takes its first look at the
feed; a new record is put in the feed; one poll is run and timed until Discord holds the last
post. In production a record also waits up to ``haloruns.records_poll_seconds`` for that poll.
The database statements of that poll and of an idle poll (nothing new) are counted and timed;
every world-records channel is checked for exactly one post, and a /status every half second
meanwhile shows whether commands are still answered within Discord's 3 s. The floor is the
global limit's: 1,000 posts take at least 20 s.

``--processes 2`` measures the fan-out from the poller of two processes: the servers are spread over
2 shards, the bot runs shard 0 (the other process's shard 1 is left unconnected: it would post
nothing), keeps the poller's share of the global limit, and reaches the servers of shard 1 over
REST. Their settings were made long before a record, in practice: the bot has read their channels
ahead (its peer-channels job, run once the settings are made, before the record); a second record
is timed too, until its posts and the edits of the posts it beat ("Beaten by …") are made: twice
the requests, so twice the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.figures import print_figures
from bot.app import PEER_CHANNELS, HaloBot
from bot.config import Config
from bot.models.settings import AnnouncementFilters
from bot.runtime.logging_setup import setup_logging
from bot.services.announcements import FEED_STATE, Announcements
from bot.storage.settings import FeatureSetting, GuildSettings
from tests.cogs.test_announcements import new_record, publish
from tests.conftest import running
from tests.fakes.discord import FakeDiscord, discord_spec, make_guild, snowflake_on_shard
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings

DISCORD_GLOBAL_LIMIT = 50.0  # requests a second
COMMAND_EVERY = 0.5  # seconds between two /status while the record goes out
INTERACTION_SECONDS = 3.0  # Discord drops an interaction not acknowledged by then


class Statements(logging.Handler):
    """Counts and times the SQL statements the bot runs, from what ``bot.storage.database`` logs of
    each at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.seconds = 0.0
        database_log = logging.getLogger("bot.storage.database")
        database_log.setLevel(logging.DEBUG)
        database_log.addHandler(self)
        database_log.propagate = False  # the statements are counted, not printed

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "SQL %.2f ms: %s" and isinstance(record.args, tuple):
            milliseconds = record.args[0]
            assert isinstance(milliseconds, float)
            self.count += 1
            self.seconds += milliseconds / 1000

    @contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        figures: dict[str, float] = {}
        count, seconds = self.count, self.seconds
        yield figures
        figures["statements"] = self.count - count
        figures["ms"] = (self.seconds - seconds) * 1000


async def fan_out(servers: int, data_dir: Path, processes: int = 1) -> list[tuple[str, str]]:
    """The figures of one new record announced in ``servers`` servers, by the poller of
    ``processes`` (each of one shard)."""
    guilds = [
        make_guild(f"Guild {i}", guild_id=snowflake_on_shard(i % processes, processes))
        for i in range(servers)
    ]
    discord = FakeDiscord(guilds=guilds)
    haloruns = FakeHaloRuns()
    await discord.start()
    await haloruns.start()
    settings = local_settings(discord, data_dir, haloruns)
    sharded = {"shard_count": processes, "shard_ids": [0]} if processes > 1 else {}
    config = Config(
        **settings
        | {
            "haloruns": settings["haloruns"] | {"records_poll_seconds": 3600},
            "discord": settings["discord"] | sharded,
        }
    )
    try:
        async with running(config, discord) as bot:
            await bot.wait_until_ready()
            rows = await measure(bot, discord, haloruns, servers)
            if processes > 1:
                rows += await next_record(bot, discord, haloruns, servers)
            of = f" from 1 of {processes} processes" if processes > 1 else ""
            return [(name.replace(":", f"{of}:", 1), value) for name, value in rows]
    finally:
        await haloruns.stop()
        await discord.stop()


async def announcements_everywhere(discord: FakeDiscord, settings: GuildSettings) -> set[str]:
    """Turns announcements on in every server's world-records channel; their ids."""
    channels = set()
    for guild in discord.guilds:
        channel = next(c for c in guild["channels"] if c["name"] == "world-records")
        channels.add(channel["id"])
        await settings.save(
            FeatureSetting(int(guild["id"]), "announcements", int(channel["id"]), None, AnnouncementFilters())
        )
    return channels


async def commands_meanwhile(discord: FakeDiscord, answered: list[float]) -> None:
    """/status every ``COMMAND_EVERY`` seconds: milliseconds from sent to acknowledged, or inf."""
    while True:
        interaction = await discord.invoke("status")
        with contextlib.suppress(TimeoutError):
            await interaction.reply(timeout=INTERACTION_SECONDS + 1)
        acknowledged = interaction.acknowledged_at
        answered.append(math.inf if acknowledged is None else (acknowledged - interaction.sent_at) * 1000)
        await asyncio.sleep(COMMAND_EVERY)


async def measure(
    bot: HaloBot, discord: FakeDiscord, haloruns: FakeHaloRuns, servers: int
) -> list[tuple[str, str]]:
    async with asyncio.timeout(30):
        while await bot.state.get(FEED_STATE) is None:  # noqa: ASYNC110 - the job's first look, in the database
            await asyncio.sleep(0.05)
    channels = await announcements_everywhere(discord, bot.settings)
    if PEER_CHANNELS in bot.jobs.names:  # the poller of several processes
        await bot.jobs.run_now(PEER_CHANNELS)
    # The cog's module is loaded by discord.py as its own copy: reach its feed by attribute.
    feed = getattr(bot.get_cog("Announcements"), "feed", None)
    if not isinstance(feed, Announcements):
        raise RuntimeError(f"the announcements cog is not loaded: {bot.cogs}")
    statements = Statements()
    discord.global_rate_limit = DISCORD_GLOBAL_LIMIT

    with statements.measure() as idle:
        await feed.poll()
    publish(haloruns, new_record(1))
    before = set(discord.messages)
    answered: list[float] = []
    meanwhile = asyncio.create_task(commands_meanwhile(discord, answered))
    started = time.perf_counter()
    with statements.measure() as busy:
        result = await feed.poll()
    elapsed = time.perf_counter() - started
    meanwhile.cancel()
    posts = Counter(
        m.data["channel_id"]
        for i, m in discord.messages.items()
        if i not in before and m.data["channel_id"] in channels
    )
    if result.posted != servers:
        raise RuntimeError(f"{result.posted} posted by the bot, {servers} expected")
    label = f"{servers:,} server{'s' if servers > 1 else ''}"
    floor = servers / DISCORD_GLOBAL_LIMIT
    rate = (
        [
            (f"{label}: posts a second", f"{servers / elapsed:.1f}"),
            (
                f"{label}: x the floor ({floor:g} s at {DISCORD_GLOBAL_LIMIT:g} a second)",
                f"{elapsed / floor:.3f}",
            ),
        ]
        if servers > 1
        else []
    )
    slowest = max(answered, default=math.nan)
    return [
        (f"{label}: new record in the feed → last post (one poll)", f"{elapsed:.2f} s"),
        *rate,
        (f"{label}: channels posted twice or more", f"{sum(1 for n in posts.values() if n > 1):,}"),
        (f"{label}: channels not posted", f"{len(channels - posts.keys()):,}"),
        (f"{label}: 429s from Discord's global limit", f"{discord.rate_limited:,}"),
        (f"{label}: /status meanwhile, slowest acknowledged (n={len(answered)})", f"{slowest:.0f} ms"),
        (f"{label}: database statements, poll with the new record", f"{busy['statements']:,.0f}"),
        (f"{label}: database time, poll with the new record", f"{busy['ms']:.1f} ms"),
        (f"{label}: database statements, idle poll", f"{idle['statements']:,.0f}"),
        (f"{label}: database time, idle poll", f"{idle['ms']:.1f} ms"),
    ]


async def next_record(
    bot: HaloBot, discord: FakeDiscord, haloruns: FakeHaloRuns, servers: int
) -> list[tuple[str, str]]:
    """A second record, once the first was posted everywhere: the channels are known by then."""
    feed = getattr(bot.get_cog("Announcements"), "feed", None)
    assert isinstance(feed, Announcements)
    publish(haloruns, new_record(1), new_record(2))
    started = time.perf_counter()
    result = await feed.poll()
    elapsed = time.perf_counter() - started
    if result.posted != servers:
        raise RuntimeError(f"{result.posted} posted by the bot, {servers} expected")
    # Each new post, and the edit of the post it supersedes in that channel ("Beaten by …").
    floor = (result.posted + result.edited) / DISCORD_GLOBAL_LIMIT
    return [
        (
            f"{servers:,} servers: next record → last post and last edit of the post it beat",
            f"{elapsed:.2f} s",
        ),
        (f"{servers:,} servers: next record, posts + edits", f"{result.posted:,} + {result.edited:,}"),
        (f"{servers:,} servers: next record, x the floor ({floor:g} s)", f"{elapsed / floor:.3f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.announcements", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--servers", type=int, action="append", help="default: 1 and 1000")
    parser.add_argument("--processes", type=int, default=1, help="the poller of this many (default 1)")
    args = parser.parse_args()
    setup_logging("WARNING", [])
    discord_spec()
    rows = []
    with tempfile.TemporaryDirectory(prefix="halobot-bench-") as tmp:
        for servers in args.servers or [1, 1000]:
            rows += asyncio.run(fan_out(servers, Path(tmp) / str(servers), args.processes))
            print(f"{servers} servers: done", flush=True)
    print_figures(rows)


if __name__ == "__main__":
    main()
