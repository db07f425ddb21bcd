"""HaloRuns lookups: world records and their history, vods, recent runs and records, runners,
holders, streams, points."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds import haloruns as embeds
from bot.embeds.cards import card_view
from bot.embeds.history import history_chart, history_pages
from bot.errors import UpstreamError, UserFacingError
from bot.services.haloruns.points import points
from bot.services.history import HaloRunsHistory
from bot.ui.autocomplete import in_time
from bot.ui.pagination import send_pages
from bot.ui.replies import send_reply, thinking_if_slow
from bot.utils.run_times import parse_run_time

log = logging.getLogger(__name__)

Difficulty = Literal["easy", "normal", "heroic", "legendary"]
Limit = app_commands.Range[int, 1, 50]

LEVEL = "Level ID (0504), level name or pick from the list; full-game boards are levels too"
# The options of a command about one board: Solo and Easy unless given.
ONE_BOARD = {
    "level": LEVEL,
    "difficulty": "Difficulty (Easy unless given)",
    "category": "Solo (unless given), Coop or an extension category",
}


class HaloRunsCog(commands.Cog, name="HaloRuns"):
    """Records, runs and runners from HaloRuns.com."""

    recent = app_commands.Group(
        name="recent", description="The most recent world records or runs on HaloRuns."
    )

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.haloruns = bot.haloruns
        self.history_of = HaloRunsHistory(bot.haloruns, bot.database)
        self._warm_up: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._warm_up = asyncio.create_task(self._load_catalog())

    async def cog_unload(self) -> None:
        if self._warm_up:
            self._warm_up.cancel()

    async def _load_catalog(self) -> None:
        try:
            await self.haloruns.catalog()
        except UpstreamError as error:
            log.warning("HaloRuns level catalog not loaded at start (will retry on use): %s", error)

    # -- autocomplete ------------------------------------------------------------------------------

    async def _level_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        levels = await in_time(self.haloruns.level_choices(current), UpstreamError)
        return [app_commands.Choice(name=level.label[:100], value=level.key) for level in levels]

    async def _category_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        level = str(getattr(interaction.namespace, "level", "") or "")
        names = await in_time(self.haloruns.category_choices(level, current), UpstreamError)
        return [app_commands.Choice(name=name[:100], value=name[:100]) for name in names[:25]]

    # -- commands ----------------------------------------------------------------------------------

    @app_commands.command()
    @app_commands.describe(
        level=LEVEL,
        difficulty="Only this difficulty",
        category="Solo, Coop or an extension category",
    )
    @app_commands.autocomplete(level=_level_choices, category=_category_choices)
    async def wr(
        self,
        interaction: discord.Interaction,
        level: str,
        difficulty: Difficulty | None = None,
        category: str | None = None,
    ) -> None:
        """The current world record(s) of a level on HaloRuns."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            found = await self.haloruns.level(level)
            records = await self.haloruns.records(found, category, difficulty)
        await send_reply(interaction, view=card_view(embeds.records_card(found, records)))

    @app_commands.command()
    @app_commands.describe(**ONE_BOARD)
    @app_commands.autocomplete(level=_level_choices, category=_category_choices)
    async def vod(
        self,
        interaction: discord.Interaction,
        level: str,
        difficulty: Difficulty | None = None,
        category: str | None = None,
    ) -> None:
        """The video of a level's world record."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            found = await self.haloruns.level(level)
            board_category, board_difficulty, link = await self.haloruns.vod(found, category, difficulty)
        await send_reply(interaction, embeds.vod_message(found, board_category, board_difficulty, link))

    @app_commands.command()
    @app_commands.describe(**ONE_BOARD)
    @app_commands.autocomplete(level=_level_choices, category=_category_choices)
    async def history(
        self,
        interaction: discord.Interaction,
        level: str,
        difficulty: Difficulty | None = None,
        category: str | None = None,
    ) -> None:
        """The world-record history of a HaloRuns board, with a chart."""
        async with thinking_if_slow(interaction):
            async with self.haloruns.deadline():
                found = await self.haloruns.level(level)
                progression = await self.history_of.progression(found, category, difficulty)
            chart = await history_chart(progression)
        await send_pages(interaction, history_pages(progression), file=chart)

    @recent.command(name="records")
    @app_commands.describe(limit="How many (1 to 50, 10 unless given)")
    async def recent_records(self, interaction: discord.Interaction, limit: Limit = 10) -> None:
        """The most recent world records on HaloRuns."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            runs = await self.haloruns.recent_records(limit)
        await send_pages(interaction, embeds.run_pages("Recent world records", runs, "No world records yet."))

    @recent.command(name="runs")
    @app_commands.describe(
        limit="How many (1 to 50, 10 unless given)", country="Only runners from this country (us, gb, …)"
    )
    async def recent_runs(
        self, interaction: discord.Interaction, limit: Limit = 10, country: str | None = None
    ) -> None:
        """The most recent verified runs on HaloRuns."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            feed = await self.haloruns.recent_runs(limit, country)
        title = f"Recent runs ({country.upper()})" if country else "Recent runs"
        await send_pages(interaction, embeds.run_pages(title, feed.runs, "No runs to show.", feed.how))

    @app_commands.command()
    @app_commands.describe(name="The runner's HaloRuns username")
    async def runner(self, interaction: discord.Interaction, name: str) -> None:
        """A runner's HaloRuns profile: points, world records and most recent run."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            profile = await self.haloruns.runner(name)
        await send_reply(interaction, embed=embeds.runner_embed(profile))

    @app_commands.command()
    async def holders(self, interaction: discord.Interaction) -> None:
        """Everyone who has held a world record on HaloRuns."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            holders = await self.haloruns.holders()
        await send_pages(interaction, embeds.holder_pages(holders))

    @app_commands.command()
    async def streams(self, interaction: discord.Interaction) -> None:
        """Who is streaming Halo speedruns on HaloRuns right now."""
        async with thinking_if_slow(interaction), self.haloruns.deadline():
            streams = await self.haloruns.streams()
        await send_pages(interaction, embeds.stream_pages(streams))

    @app_commands.command(name="points")
    @app_commands.describe(
        wr="The world record: h:mm:ss, m:ss, m:ss.ms or seconds",
        pb="Your time, written the same ways",
        full_game="A full-game board (worth 10 times a level's points)",
    )
    async def points_command(
        self, interaction: discord.Interaction, wr: str, pb: str, full_game: bool = False
    ) -> None:
        """The HaloRuns points a time would earn against the world record."""
        try:
            world_record, time = parse_run_time(wr), parse_run_time(pb)
            earned = points(world_record, time, full_game=full_game)
        except ValueError as error:
            raise UserFacingError(f"{error}.") from None
        await send_reply(
            interaction, embed=embeds.points_embed(world_record, time, earned, full_game=full_game)
        )


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(HaloRunsCog(bot))
