"""The local Discord server carries what later features need: resolved options, autocomplete,
channel messages with nonces, and a refusal of bodies Discord would reject."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.app import HaloBot
from tests.fakes.discord import FakeDiscord

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
