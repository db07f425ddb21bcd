"""Slash commands are pushed at start only when their definitions changed."""

from __future__ import annotations

from collections.abc import Callable

import discord

from bot.config import Config
from tests.conftest import running
from tests.fakes.discord import FakeDiscord


def command_pushes(server: FakeDiscord) -> list[str]:
    return [r.path for r in server.requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_commands_are_pushed_once_and_not_again_after_a_restart(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    config = make_config()
    async with running(config, discord_server):
        pass
    async with running(config, discord_server):
        pass

    assert command_pushes(discord_server) == [f"/applications/{discord_server.application_id}/commands"]
    assert {"status", "wr"} <= {c["name"] for c in discord_server.commands[None]}


async def test_changed_definitions_are_pushed_again(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(), discord_server) as bot:

        @bot.tree.command()
        async def ping(interaction: discord.Interaction) -> None:
            """Answers pong."""

        assert await bot.sync_commands(force=False) == ["global"]
        assert await bot.sync_commands(force=False) == []

    assert {"ping", "status"} <= {c["name"] for c in discord_server.commands[None]}


async def test_commands_go_to_the_configured_guilds_instead_of_globally(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    guild_id = int(discord_server.guilds[0]["id"])

    async with running(make_config(discord={"command_guild_ids": [guild_id]}), discord_server):
        reply = await (await discord_server.invoke("status")).reply()

    assert command_pushes(discord_server) == [
        f"/applications/{discord_server.application_id}/guilds/{guild_id}/commands"
    ]
    assert reply.embeds[0]["title"] == "Halo Speedrun Bot status"
