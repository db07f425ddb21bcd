"""/src: speedrun.com games and runs."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds import speedrun as embeds
from bot.errors import UpstreamError
from bot.interaction_replies import send_reply, thinking_if_slow

AUTOCOMPLETE_SECONDS = 2.0


class Speedrun(commands.Cog):
    """speedrun.com: games, categories, levels and runs."""

    src = app_commands.Group(name="src", description="speedrun.com games and runs.")

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot

    async def _game_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The configured games first, then speedrun.com's search by name."""
        try:
            async with asyncio.timeout(AUTOCOMPLETE_SECONDS):
                found = await self.bot.speedrun.search_games({"name": current.strip() or "Halo"})
        except (TimeoutError, UpstreamError):
            return []
        followed = {ref.casefold() for ref in self.bot.config.speedrun.games}
        found.sort(key=lambda g: not ({g.id.casefold(), (g.abbreviation or "").casefold()} & followed))
        return [app_commands.Choice(name=g.name[:100], value=g.id) for g in found[:25]]

    @src.command(name="game")
    @app_commands.describe(name="A speedrun.com game: its name, abbreviation or id")
    @app_commands.autocomplete(name=_game_choices)
    async def game(self, interaction: discord.Interaction, name: str) -> None:
        """A speedrun.com game with its categories and levels."""
        async with thinking_if_slow(interaction):
            game = await self.bot.speedrun.game(name)
            categories, levels = await asyncio.gather(
                self.bot.speedrun.categories(game.id), self.bot.speedrun.levels(game.id)
            )
        await send_reply(interaction, embed=embeds.game_embed(game, categories, levels))

    @src.command(name="run")
    @app_commands.describe(id="The run's id, as in speedrun.com/run/<id>")
    async def run(self, interaction: discord.Interaction, id: str) -> None:
        """One speedrun.com run in full."""
        async with thinking_if_slow(interaction):
            run = await self.bot.speedrun.run(id)
        await send_reply(interaction, embed=embeds.run_embed(run))


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(Speedrun(bot))
