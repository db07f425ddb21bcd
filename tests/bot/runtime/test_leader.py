"""Exactly one poller: the PostgreSQL advisory lock passes to another process when its holder
goes, and a second process on one SQLite file refuses to start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.errors import StartupError
from bot.runtime.leader import POLLER_LOCK, Poller, single_process
from bot.storage.database import connect
from tests.bot.test_main import clean_env, wait_for_health
from tests.cogs.test_announcements import new_record, publish
from tests.conftest import free_port, fresh_postgres, until
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message, make_guild, snowflake_on_shard
from tests.fakes.haloruns_server import FakeHaloRuns


def poller(url: str, events: list[str], name: str) -> Poller:
    return Poller(
        url,
        retry_seconds=0.05,
        on_gain=lambda: events.append(f"{name} polls"),
        on_loss=lambda: events.append(f"{name} stops"),
    )


@pytest.mark.postgres
async def test_one_process_holds_the_poller_lock_and_another_takes_it_over() -> None:
    url = await fresh_postgres()
    events: list[str] = []
    first, second = poller(url, events, "first"), poller(url, events, "second")
    first.start()
    await until(lambda: first.is_poller)
    second.start()
    other = await connect(url)
    try:  # what PostgreSQL says: the lock is taken
        taken = not await other.fetchval("SELECT pg_try_advisory_lock(?)", POLLER_LOCK)
        held_alone = not second.is_poller
        await first.stop()  # its session ends: PostgreSQL frees the lock
        await until(lambda: second.is_poller)
    finally:
        await other.close()
        await first.stop()
        await second.stop()

    assert taken
    assert held_alone
    assert events == ["first polls", "second polls"]
    assert second.since is not None


@pytest.mark.postgres
async def test_a_poller_that_loses_its_connection_stops_polling_until_it_holds_the_lock_again() -> None:
    url = await fresh_postgres()
    events: list[str] = []
    first = poller(url, events, "first")
    first.start()
    await until(lambda: first.is_poller)
    other = await connect(url)
    try:  # the server ends the poller's session
        await other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'halobot poller' AND datname = current_database()"
        )
        await until(lambda: len(events) == 3)
    finally:
        await other.close()
        await first.stop()

    assert events == ["first polls", "first stops", "first polls"]


def test_a_second_process_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'halobot.db'}"
    with single_process(url), pytest.raises(StartupError) as refused, single_process(url):
        pass

    assert "is in use by another process of the bot" in str(refused.value)
    with single_process(url):  # free again once the first is gone
        pass


def posts(server: FakeDiscord, channel: dict[str, Any]) -> list[Message]:
    """The bot's own posts in ``channel`` (not its answers to commands)."""
    return [m for m in server.channel_messages(channel["id"]) if m.data["type"] == 0]


def jobs_of(status: Message) -> dict[str, str]:
    """What a /status reply says of each background job, by its name."""
    [field] = [f for f in status.embeds[0]["fields"] if f["name"] == "Pollers"]
    lines = (line.removeprefix("**").split("**: ", 1) for line in field["value"].splitlines())
    return {name: state for name, state in lines}


def start_bot(tmp_path: Path, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``python -m bot`` as one process of several, its log in ``tmp_path / name``."""
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=clean_env(**env), stdout=log, stderr=log
    )


@pytest.mark.postgres
async def test_two_processes_share_the_shards_and_post_each_record_once_even_when_one_is_killed(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    url = await fresh_postgres()
    discord_server.guilds = [make_guild(f"Server {s}", guild_id=snowflake_on_shard(s, 2)) for s in (0, 1)]
    channels = [next(c for c in g["channels"] if c["name"] == "world-records") for g in discord_server.guilds]
    common = {
        "DISCORD_TOKEN": discord_server.token,
        "HALOBOT_DISCORD__API_BASE": discord_server.api_base,
        "HALOBOT_DISCORD__GATEWAY_URL": discord_server.gateway_url,
        "HALOBOT_DISCORD__GUILD_READY_SECONDS": "0.05",
        "HALOBOT_DISCORD__SHARD_COUNT": "2",
        "HALOBOT_DATABASE__URL": url,
        "HALOBOT_DATABASE__POLLER_RETRY_SECONDS": "0.2",
        "HALOBOT_HALORUNS__BASE_URL": haloruns_server.base_url,
        "HALOBOT_HALORUNS__RECORDS_POLL_SECONDS": "1",
        "HALOBOT_SPEEDRUN__BASE_URL": "http://127.0.0.1:9/api/v1",
    }
    ports = [free_port(), free_port()]
    processes = [
        start_bot(
            tmp_path,
            f"shard{s}",
            {**common, "HALOBOT_DISCORD__SHARD_IDS": f"[{s}]", "HALOBOT_HEALTH__PORT": str(ports[s])},
        )
        for s in (0, 1)
    ]
    try:
        async with aiohttp.ClientSession() as http:
            for port in ports:
                await wait_for_health(http, port, 200)
        # Each process answers in its own server; a setting made through either applies everywhere.
        for guild, channel in zip(discord_server.guilds, channels, strict=True):
            configured = await (
                await discord_server.invoke(
                    "config announcements",
                    {"channel": channel["id"], "role": guild["roles"][1]["id"]},
                    permissions=MANAGE_GUILD,
                    guild=guild,
                )
            ).reply()
            assert "<#" in configured.content
        statuses = [
            await (await discord_server.invoke("status", guild=g)).reply() for g in discord_server.guilds
        ]
        pollers = [{f["name"]: f["value"] for f in s.embeds[0]["fields"]}["Poller"] for s in statuses]
        [poller] = [s for s, line in enumerate(pollers) if line.startswith("this process")]

        publish(haloruns_server, new_record(1))
        await until(lambda: all(len(posts(discord_server, c)) == 1 for c in channels), timeout=15)
        polls = haloruns_server.count("latestRecords")
        await until(lambda: haloruns_server.count("latestRecords") > polls, timeout=15)  # one poll more
        once = [len(posts(discord_server, c)) for c in channels]
        jobs = [
            jobs_of(await (await discord_server.invoke("status", guild=g)).reply())
            for g in discord_server.guilds
        ]

        processes[poller].kill()  # SIGKILL: no goodbye, its lock goes with its session
        processes[poller].wait()
        publish(haloruns_server, new_record(1), new_record(2))
        await until(lambda: all(len(posts(discord_server, c)) == 2 for c in channels), timeout=20)
        survivor = await (
            await discord_server.invoke("status", guild=discord_server.guilds[1 - poller])
        ).reply()
    finally:
        for process in processes:
            process.kill()
            process.wait()

    assert once == [1, 1]
    assert all(line.startswith("another process") for s, line in enumerate(pollers) if s != poller)
    for guild, channel in zip(discord_server.guilds, channels, strict=True):
        made = posts(discord_server, channel)
        assert [m.subtitle.split(" by ")[1] for m in made] == [
            "Fast Runner 1",
            "Fast Runner 2",
        ]
        # The role pinged in the peer's servers too, where the poller knows it only by its id.
        role = guild["roles"][1]["id"]
        assert [(m.ping, (m.allowed_mentions or {}).get("roles")) for m in made] == [
            (f"<@&{role}>", [int(role)])
        ] * 2
    # The background jobs, the queue and the recap among them, run in the poller alone.
    assert {"speedrun-queue", "weekly-recap"} <= jobs[1 - poller].keys()
    assert set(jobs[1 - poller].values()) == {"not run yet"}
    assert jobs[poller]["weekly-recap"] != "not run yet"
    survivor_poller = {f["name"]: f["value"] for f in survivor.embeds[0]["fields"]}["Poller"]
    assert survivor_poller.startswith("this process, since")
