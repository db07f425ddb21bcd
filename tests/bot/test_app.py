"""The connection to the gateway: health, resumes, and Discord's REST failures."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

import aiohttp
import pytest

from bot.__main__ import open_bot, serve_until
from bot.app import HaloBot
from bot.config import Config
from bot.errors import StartupError
from bot.models.settings import AnnouncementFilters
from bot.runtime.health import health_server
from bot.storage.database import open_database
from bot.storage.settings import FeatureSetting, GuildSettings
from cogs.announcements import JOB as ANNOUNCEMENTS
from tests.cogs.test_announcements import new_record, publish
from tests.conftest import free_port, poll, running, until
from tests.fakes.discord import FakeDiscord, make_guild, snowflake_on_shard
from tests.fakes.haloruns_server import FakeHaloRuns


async def healthz(http: aiohttp.ClientSession, port: int) -> int:
    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
        return response.status


async def test_healthz_follows_the_gateway_connection(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    port = free_port()
    config = make_config(health={"port": port})
    async with (
        aiohttp.ClientSession() as http,
        running(config, discord_server) as bot,
        health_server(config.health, bot.is_healthy, bot.telemetry),
    ):
        await bot.wait_until_ready()
        assert await healthz(http, port) == 200
        # The shard's resume fails during the outage and it identifies again: the local Discord
        # lets it at once, not five seconds after its first identify.
        bot.identify_pace.seconds = 0

        discord_server.gateway_down = True
        await discord_server.drop_connections()
        await until(lambda: not bot.is_healthy())
        assert await healthz(http, port) == 503

        discord_server.gateway_down = False
        await until(bot.is_healthy, timeout=20)
        assert await healthz(http, port) == 200


async def test_resumes_go_to_the_configured_gateway(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    discord_server.resume_gateway_url = "ws://127.0.0.1:9/elsewhere"  # nothing listens there

    async with running(make_config(), discord_server) as bot:
        await bot.wait_until_ready()
        await discord_server.send_reconnect()
        await until(lambda: discord_server.resumes == 1)

        reply = await (await discord_server.invoke("status")).reply()

    assert discord_server.identifies == 1
    assert reply.embeds[0]["title"] == "Halo Speedrun Bot status"


@pytest.mark.parametrize("status", [429, 500])
async def test_a_failed_callback_is_retried_and_answered_once(
    bot: HaloBot, discord_server: FakeDiscord, status: int
) -> None:
    discord_server.fail("POST", r"^/interactions/\d+/[^/]+/callback$", status)
    completed = asyncio.ensure_future(bot.wait_for("app_command_completion"))

    interaction = await discord_server.invoke("status")
    reply = await interaction.reply()
    await asyncio.wait_for(completed, 10)  # the command is over: nothing more can be sent for it

    assert reply.embeds[0]["title"] == "Halo Speedrun Bot status"
    assert len(interaction.messages) == 1
    assert len([r for r in discord_server.requests if r.path.endswith("/callback")]) == 2


BOUND = 1.0  # seconds the first connection may take


async def test_stop_during_a_gateway_outage_ends_within_five_seconds(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    stop = asyncio.Event()
    # Only the first connection is bounded: this outage outlasts the bound, and the bot waits on.
    async with open_bot(make_config(discord={"connect_timeout_seconds": BOUND})) as bot:
        task = asyncio.create_task(serve_until(bot, stop))
        await bot.wait_until_ready()
        discord_server.gateway_down = True
        await discord_server.drop_connections()
        down_at = time.perf_counter()
        # Refused twice, and for longer than the bound: discord.py is backing off, the bot waits on.
        await until(
            lambda: discord_server.gateway_refused >= 2 and time.perf_counter() - down_at > BOUND, timeout=20
        )
        assert not task.done()

        stopped_at = time.perf_counter()
        stop.set()
        await asyncio.wait_for(task, 60)

    assert time.perf_counter() - stopped_at < 5


async def test_one_process_runs_every_shard_and_answers_in_servers_of_each(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    discord_server.guilds = [make_guild(f"Server {s}", guild_id=snowflake_on_shard(s, 2)) for s in (0, 1)]
    discord_server.guilds.append(make_guild("Server 1b", guild_id=snowflake_on_shard(1, 2)))

    async with running(make_config(discord={"shard_count": 2}), discord_server) as bot:
        replies = [
            await (await discord_server.invoke("status", guild=g)).reply() for g in discord_server.guilds
        ]
        healthy = bot.is_healthy()
        metrics = bot.telemetry.metrics_text().decode()

    assert [(shard, count) for shard, count, _ in discord_server.identified] == [(0, 2), (1, 2)]
    assert healthy
    fields = [{f["name"]: f["value"] for f in reply.embeds[0]["fields"]} for reply in replies]
    assert all(re.fullmatch(r"this process, since <t:\d+:f>", f["Poller"]) for f in fields)
    shards = fields[0]["Shards (2 of 2)"].split("\n")
    # Each heartbeat was acknowledged before READY: a latency is measured.
    assert [re.sub(r"\d+ ms", "N ms", line) for line in shards] == [
        "shard 0: N ms · 1 server",
        "shard 1: N ms · 2 servers",
    ]
    assert 'halobot_commands_total{command="status",shard="1"} 2.0' in metrics
    assert 'halobot_shard_servers{shard="1"} 2.0' in metrics
    assert 'halobot_shard_connected{shard="0"} 1.0' in metrics
    assert "halobot_poller 1.0" in metrics


async def test_a_bot_in_2600_servers_connects_the_shards_discord_recommends(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    discord_server.guilds += [make_guild(f"Server {i}", channels=(), roles=()) for i in range(2599)]

    async with running(make_config(), discord_server) as bot:
        guilds = len(bot.guilds)

    assert [(shard, count) for shard, count, _ in discord_server.identified] == [(0, 3), (1, 3), (2, 3)]
    assert guilds == 2600


async def test_too_many_servers_for_the_shards_configured_ends_the_start_with_one_line(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    discord_server.guilds += [{"id": str(snowflake_on_shard(0, 1))} for _ in range(2500)]

    async with open_bot(make_config(discord={"shard_count": 1})) as bot:
        with pytest.raises(StartupError) as refused:
            await asyncio.wait_for(serve_until(bot, asyncio.Event()), 10)

    assert str(refused.value) == (
        "Discord closed shard 0: the bot is in too many servers for that many shards (Sharding "
        "required); set discord.shard_count to 0 (Discord's recommendation) or higher"
    )


async def test_the_poller_of_several_processes_posts_in_its_peers_servers_reading_their_channels_ahead(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    ours, peers = (make_guild(f"Server {s}", guild_id=snowflake_on_shard(s, 2)) for s in (0, 1))
    discord_server.guilds = [ours, peers]
    channels = [next(c for c in g["channels"] if c["name"] == "world-records") for g in (ours, peers)]
    config = make_config(
        discord={"shard_count": 2, "shard_ids": [0]}, haloruns={"records_poll_seconds": 3600}
    )
    database = await open_database(config.database.url)
    for guild, channel in zip((ours, peers), channels, strict=True):
        await GuildSettings(database).save(
            FeatureSetting(int(guild["id"]), "announcements", int(channel["id"]), None, AnnouncementFilters())
        )
    await database.close()

    async with running(config, discord_server) as bot:  # its first runs of the jobs are over
        read_ahead = [r.path for r in discord_server.requests if r.method == "GET" and "/channels/" in r.path]
        publish(haloruns_server, new_record(1))
        await poll(bot, ANNOUNCEMENTS)

    assert bot.get_guild(int(peers["id"])) is None, "the peer's server is not on this process's shard"
    assert read_ahead == [f"/channels/{channels[1]['id']}"]
    assert [
        r.path for r in discord_server.requests if r.method == "GET" and "/channels/" in r.path
    ] == read_ahead
    assert [len(discord_server.channel_messages(c["id"])) for c in channels] == [1, 1]
