"""What a user sees when a command fails, and that the bot keeps serving afterwards."""

from __future__ import annotations

import logging
import re

import discord
import pytest
from discord import app_commands

from bot.app import HaloBot
from bot.errors import UserFacingError
from tests.fakes.discord import FakeDiscord


class Broken(app_commands.Group):
    """Commands that fail on purpose."""

    @app_commands.command()
    async def crash(self, interaction: discord.Interaction) -> None:
        """Raises an unexpected error."""
        raise RuntimeError("database exploded: secret detail")

    @app_commands.command()
    async def refuse(self, interaction: discord.Interaction) -> None:
        """Raises an error meant for the user."""
        raise UserFacingError("No level called `Halo 9`.")

    @app_commands.command()
    async def slow(self, interaction: discord.Interaction) -> None:
        """Defers publicly, then fails."""
        await interaction.response.defer(thinking=True)
        raise UserFacingError("HaloRuns did not answer in time.")


@pytest.fixture
def broken_bot(bot: HaloBot) -> HaloBot:
    bot.tree.add_command(Broken(name="broken"))
    return bot


async def test_unexpected_error_gets_an_ephemeral_apology_with_an_error_id(
    broken_bot: HaloBot, discord_server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.ui.tree"):
        reply = await (await discord_server.invoke("broken crash")).reply()

    assert reply.ephemeral
    match = re.search(r"error `([0-9a-f]{8})`", reply.content)
    assert match, reply.content
    assert "secret detail" not in reply.content
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None
    assert "database exploded" in str(logged[0].exc_info[1])

    status = await (await discord_server.invoke("status")).reply()
    assert status.embeds[0]["title"] == "Halo Speedrun Bot status"


async def test_user_facing_error_is_shown_only_to_the_user(
    broken_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    reply = await (await discord_server.invoke("broken refuse")).reply()

    assert reply.ephemeral
    assert reply.content == "No level called `Halo 9`."


async def test_error_after_a_public_defer_stays_ephemeral(
    broken_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    interaction = await discord_server.invoke("broken slow")
    await interaction.wait_for(lambda i: any(m.ephemeral for m in i.messages))

    assert [(m.ephemeral, m.content) for m in interaction.messages] == [
        (True, "HaloRuns did not answer in time.")
    ]
    assert interaction.original is not None
    assert interaction.original.deleted


async def test_errors_are_counted_in_metrics(broken_bot: HaloBot, discord_server: FakeDiscord) -> None:
    await (await discord_server.invoke("broken crash")).reply()
    await (await discord_server.invoke("status")).reply()

    metrics = broken_bot.telemetry.metrics_text().decode()
    assert 'halobot_command_errors_total{command="broken crash",kind="internal",shard="0"} 1.0' in metrics
    assert 'halobot_commands_total{command="status",shard="0"} 1.0' in metrics
