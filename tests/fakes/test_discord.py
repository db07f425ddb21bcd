"""The local Discord server carries what later features need: resolved options, autocomplete,
channel messages with nonces, and a refusal of bodies Discord would reject."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.app import HaloBot
from tests.fakes.discord import FakeDiscord, snowflake_on_shard

AUTH = {"Authorization": "Bot test-bot-token"}
LEVELS = ["Tip of the Spear", "The Pillar of Autumn", "Tsavo Highway", "Truth and Reconciliation"]


class Probe(app_commands.Group):
    """Commands that echo what discord.py parsed."""

    @app_commands.command()
    async def target(
        self, interaction: discord.Interaction, channel: discord.TextChannel, role: discord.Role | None = None
    ) -> None:
        """Echoes a channel and a role."""
        await interaction.response.send_message(f"{channel.name} / {role.name if role else '-'}")

    @app_commands.command()
    async def level(self, interaction: discord.Interaction, name: str) -> None:
        """Echoes a level."""
        await interaction.response.send_message(name)

    @level.autocomplete("name")
    async def level_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in LEVELS if n.lower().startswith(current.lower())]

    @app_commands.command()
    async def post(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Posts into a channel twice with the same nonce."""
        for _ in range(2):
            await channel.send(
                "@everyone new record", nonce="record-42", allowed_mentions=discord.AllowedMentions.none()
            )
        await interaction.response.send_message("posted", ephemeral=True)


@pytest.fixture
async def probe_bot(bot: HaloBot, discord_server: FakeDiscord) -> HaloBot:
    bot.tree.add_command(Probe(name="probe"))
    await bot.sync_commands(force=True)
    return bot


async def test_channel_and_role_options_are_resolved(probe_bot: HaloBot, discord_server: FakeDiscord) -> None:
    guild = discord_server.guilds[0]
    channel, role = guild["channels"][1], guild["roles"][1]

    reply = await (
        await discord_server.invoke("probe target", {"channel": channel["id"], "role": role["id"]})
    ).reply()

    assert reply.content == f"{channel['name']} / {role['name']}"


async def test_autocomplete_answers_with_choices(probe_bot: HaloBot, discord_server: FakeDiscord) -> None:
    interaction = await discord_server.invoke("probe level", {"name": "ts"}, focused="name")

    choices = await interaction.autocomplete_choices()

    assert choices == [{"name": "Tsavo Highway", "value": "Tsavo Highway"}]


async def test_a_repeated_nonce_creates_one_message(probe_bot: HaloBot, discord_server: FakeDiscord) -> None:
    channel = discord_server.channels["world-records"]

    await (await discord_server.invoke("probe post", {"channel": channel["id"]})).reply()

    [message] = discord_server.channel_messages(channel["id"])
    assert message.content == "@everyone new record"
    assert message.allowed_mentions == {"parse": []}


async def test_bodies_discord_would_reject_are_refused_and_reported(
    bot: HaloBot, discord_server: FakeDiscord
) -> None:
    channel_id = int(discord_server.channels["general"]["id"])

    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.send_message(
            channel_id, params=discord.http.MultipartParameters({"tts": "yes"}, None, None)
        )

    assert refused.value.status == 400
    assert any("tts" in v for v in discord_server.violations)
    discord_server.violations.clear()


async def identify(server: FakeDiscord, shard: list[int]) -> tuple[aiohttp.WSMessage, list[dict[str, Any]]]:
    """Identifies a raw session as ``shard``; the close frame (or READY) and the events that came."""
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(server.gateway_url) as ws:
        await ws.receive_json()  # hello
        await ws.send_json({"op": 2, "d": {"token": server.token, "intents": 1, "shard": shard}})
        while (frame := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            events.append(json.loads(frame.data))
            if events[-1]["t"] == "GUILD_CREATE" or not server.guilds_of(*shard):
                break
        return frame, events


async def test_sessions_are_sharded_as_discord_shards_them(discord_server: FakeDiscord) -> None:
    discord_server.guilds = [{"id": str(snowflake_on_shard(shard, 3))} for shard in (0, 1, 1, 2)]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{discord_server.api_base}/gateway/bot", headers=AUTH) as answer:
            gateway = await answer.json()
        discord_server.guilds *= 700  # 2,800 in all, 1,400 on shard 1
        async with http.get(f"{discord_server.api_base}/gateway/bot", headers=AUTH) as answer:
            recommended = (await answer.json())["shards"]

    _, [ready, *_] = await identify(discord_server, [1, 3])
    invalid, _ = await identify(discord_server, [3, 3])
    too_big, _ = await identify(discord_server, [0, 1])

    assert gateway["shards"] == 1
    assert gateway["session_start_limit"]["max_concurrency"] == 16
    assert recommended == 3
    assert ready["t"] == "READY"
    assert ready["d"]["shard"] == [1, 3]
    assert len(ready["d"]["guilds"]) == 1400
    assert (invalid.type, invalid.data) == (aiohttp.WSMsgType.CLOSE, 4010)
    assert (too_big.type, too_big.data) == (aiohttp.WSMsgType.CLOSE, 4011)
