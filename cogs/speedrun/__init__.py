"""/src: speedrun.com games and runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds import speedrun as embeds
from bot.embeds.cards import card_view
from bot.embeds.history import history_chart, history_pages
from bot.embeds.run_submission import preview_card
from bot.errors import ServiceError, UserFacingError
from bot.models import speedrun as api
from bot.models.speedrun import Timing
from bot.services import speedrun
from bot.services.history import SrcHistory
from bot.services.run_submission import RunRequest, RunSubmissions
from bot.storage.speedrun_keys import SpeedrunKeys
from bot.storage.submission_forms import SubmissionForms
from bot.ui.autocomplete import in_time, speedrun_games
from bot.ui.pagination import send_pages
from bot.ui.replies import send_ephemeral, send_reply, thinking_if_slow
from cogs.speedrun.key_form import KeyForm
from cogs.speedrun.submission_view import (
    COG,
    TOKEN_LIFETIME,
    FormButton,
    FormClosing,
    Submissions,
    TypedVariable,
    VariablePick,
    form_view,
)

RUNS_SHOWN = 50
# GET /runs orderings, as the seed lists them.
OrderBy = Literal[
    "game",
    "category",
    "level",
    "platform",
    "region",
    "emulated",
    "date",
    "submitted",
    "status",
    "verify-date",
]


class SpeedrunCog(commands.Cog, name=COG):
    """speedrun.com: games, categories, levels and runs."""

    src = app_commands.Group(name="src", description="speedrun.com games and runs.")

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        config = bot.config.speedrun
        self.keys = SpeedrunKeys(bot.database, config)
        self.history_of = SrcHistory(bot.speedrun)
        forms = SubmissionForms(bot.database)
        lifetime = timedelta(minutes=config.submit_form_minutes)
        self.submissions = Submissions(
            RunSubmissions(bot.speedrun, self.keys, forms, lifetime), forms, FormClosing(forms)
        )

    async def cog_unload(self) -> None:
        self.submissions.closing.stop()

    async def _game_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The configured games first, then speedrun.com's search by name."""
        return await speedrun_games(self.bot, current)

    async def _category_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The chosen game's categories (level categories when a level is chosen)."""
        kind = "per-level" if getattr(interaction.namespace, "level", None) else "per-game"

        async def categories(game: api.Game) -> list[tuple[str, str]]:
            return [(c.name, c.name) for c in await self.bot.speedrun.categories(game.id) if c.type == kind]

        return await self._of_game(interaction, current, categories)

    async def _level_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The chosen game's levels by name, sent as their ids (which every command reads)."""

        async def levels(game: api.Game) -> list[tuple[str, str]]:
            return [(level.id, level.name) for level in await self.bot.speedrun.levels(game.id)]

        return await self._of_game(interaction, current, levels)

    async def _of_game(
        self,
        interaction: discord.Interaction,
        current: str,
        options: Callable[[api.Game], Awaitable[list[tuple[str, str]]]],
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete from the chosen game's ``options`` (value, name), by name."""

        async def of_the_game() -> list[tuple[str, str]]:
            return await options(await self.bot.speedrun.game(str(interaction.namespace.game or "")))

        found = await in_time(of_the_game(), UserFacingError, ServiceError)
        matching = [(value, name) for value, name in found if current.casefold() in name.casefold()]
        return [app_commands.Choice(name=name[:100], value=value[:100]) for value, name in matching[:25]]

    async def _submit_category_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Every category of the chosen game by name, sent as its id."""

        async def categories(game: api.Game) -> list[tuple[str, str]]:
            return [
                (c.id, f"{c.name} (levels)" if c.type == "per-level" else c.name)
                for c in await self.bot.speedrun.categories(game.id)
            ]

        return await self._of_game(interaction, current, categories)

    async def _platform_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._of_game(interaction, current, lambda game: self._systems(game, "platforms"))

    async def _region_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._of_game(interaction, current, lambda game: self._systems(game, "regions"))

    async def _systems(self, game: api.Game, kind: Literal["platforms", "regions"]) -> list[tuple[str, str]]:
        """The game's platforms or regions (id, name)."""
        details = await self.bot.speedrun.game_details(game.id)
        return [(s.id, s.name) for s in getattr(details, kind) if isinstance(s, api.System)]

    async def _subcategory_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        namespace = interaction.namespace

        async def of_the_board() -> list[api.Variable]:
            game = await self.bot.speedrun.game(str(namespace.game or ""))
            category, _ = await speedrun.board(self.bot.speedrun, game, namespace.category, namespace.level)
            return await self.bot.speedrun.variables(category.id) if category else []

        variables = await in_time(of_the_board(), UserFacingError, ServiceError)
        choices = [
            app_commands.Choice(name=f"{v.name}: {value.label}"[:100], value=f"{v.id}={value_id}")
            for v in variables
            if v.is_subcategory
            for value_id, value in v.values.values.items()
            if current.casefold() in f"{v.name} {value.label}".casefold()
        ]
        return choices[:25]

    key = app_commands.Group(
        name="key", description="Your speedrun.com API key, for /src submit.", parent=src
    )

    @key.command(name="set")
    async def key_set(self, interaction: discord.Interaction) -> None:
        """Link your speedrun.com API key, asked for in a private form."""
        await interaction.response.send_modal(KeyForm(self.keys))

    @key.command(name="remove")
    async def key_remove(self, interaction: discord.Interaction) -> None:
        """Forget your speedrun.com API key."""
        forgotten = await self.keys.forget(interaction.user.id)
        message = (
            "Your speedrun.com API key is forgotten."
            if forgotten
            else "You had no speedrun.com API key linked."
        )
        await send_ephemeral(interaction, message)

    @src.command(name="submit")
    @app_commands.describe(
        game="The speedrun.com game: its name, abbreviation or id",
        category="The category (a level category needs the level too)",
        time="Your time: 1:23:45.678, 23:45, 23:45.5, 1h 23m 45s or 5025.678",
        video="A link to the run's video (http or https)",
        level="The level, for a level category",
        platform="The platform you played on",
        region="The game's region you played",
        date="The day you played, YYYY-MM-DD (today, UTC, unless given)",
        emulated="Played on an emulator",
        timing="Which timing your time is (the game's main timing unless given)",
        comment="A comment shown with the run",
        verified="Verify the run at once (only for the game's moderators)",
        splits="A splits.io id or link",
    )
    @app_commands.autocomplete(
        game=_game_choices,
        category=_submit_category_choices,
        level=_level_choices,
        platform=_platform_choices,
        region=_region_choices,
    )
    async def submit(
        self,
        interaction: discord.Interaction[HaloBot],
        game: str,
        category: str,
        time: str,
        video: app_commands.Range[str, 1, 255] | None = None,
        level: str | None = None,
        platform: str | None = None,
        region: str | None = None,
        date: app_commands.Range[str, 1, 10] | None = None,
        emulated: bool = False,
        timing: Timing | None = None,
        comment: app_commands.Range[str, 1, 2000] | None = None,
        verified: bool = False,
        splits: app_commands.Range[str, 1, 50] | None = None,
    ) -> None:
        """Submit a run to speedrun.com in your name: check the preview, then press Submit."""
        request = RunRequest(
            game,
            category,
            time,
            video,
            level,
            platform,
            region,
            date,
            emulated,
            timing,
            comment,
            verified,
            splits,
        )
        async with thinking_if_slow(interaction, ephemeral=True):
            closes_by = interaction.created_at + TOKEN_LIFETIME  # while the preview can still be edited
            form = await self.submissions.service.prepare(interaction.user.id, request, closes_by=closes_by)
        await send_reply(interaction, view=form_view(form, preview_card(form)), ephemeral=True)
        self.submissions.closing.watch(form, interaction)

    @src.command(name="runs")
    @app_commands.describe(
        game="A speedrun.com game: its name, abbreviation or id",
        category="Only this category",
        level="Only this level",
        user="Only runs of this speedrun.com user",
        status="Only runs with this status",
        orderby="Order by (speedrun.com's default: the game)",
        direction="Ascending or descending",
    )
    @app_commands.autocomplete(game=_game_choices, category=_category_choices, level=_level_choices)
    async def runs(
        self,
        interaction: discord.Interaction,
        game: str,
        category: str | None = None,
        level: str | None = None,
        user: str | None = None,
        status: Literal["new", "verified", "rejected"] | None = None,
        orderby: OrderBy | None = None,
        direction: Literal["asc", "desc"] | None = None,
    ) -> None:
        """speedrun.com runs of a game, filtered and ordered as you ask."""
        async with thinking_if_slow(interaction):
            found = await self.bot.speedrun.game(game)
            chosen_category, chosen_level = await speedrun.board(self.bot.speedrun, found, category, level)
            filters = {"game": found.id}
            if chosen_category:
                filters["category"] = chosen_category.id
            if chosen_level:
                filters["level"] = chosen_level.id
            if user:
                filters["user"] = (await self.bot.speedrun.user(user)).id or ""
            filters |= {
                key: value
                for key, value in (("status", status), ("orderby", orderby), ("direction", direction))
                if value
            }
            runs, more = await self.bot.speedrun.runs(filters, count=RUNS_SHOWN)
        await send_pages(interaction, embeds.run_pages(f"{found.name}: runs", runs, more))

    @src.command(name="leaderboard")
    @app_commands.describe(
        game="A speedrun.com game: its name, abbreviation or id",
        category="The category",
        level="A level (for a level category)",
        top="How many places (1 to 100, 10 unless given)",
        subcategory="A subcategory, where the category has them",
    )
    @app_commands.autocomplete(
        game=_game_choices, category=_category_choices, level=_level_choices, subcategory=_subcategory_choices
    )
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        game: str,
        category: str,
        level: str | None = None,
        top: app_commands.Range[int, 1, 100] = 10,
        subcategory: str | None = None,
    ) -> None:
        """A speedrun.com leaderboard: places, times and players; ties share a place."""
        async with thinking_if_slow(interaction):
            found = await self.bot.speedrun.game(game)
            chosen_category, chosen_level = await speedrun.board(self.bot.speedrun, found, category, level)
            if chosen_category is None:  # a category was given: board() always picks one
                raise UserFacingError("Pick a category.")
            variables = speedrun.subcategory(
                await self.bot.speedrun.variables(chosen_category.id), subcategory
            )
            board = await self.bot.speedrun.leaderboard(
                found.id,
                chosen_category.id,
                chosen_level.id if chosen_level else None,
                top=top,
                variables=variables,
            )
        title = " — ".join(
            n for n in (found.name, chosen_category.name, chosen_level.name if chosen_level else None) if n
        )
        await send_pages(interaction, embeds.leaderboard_pages(title, board))

    @src.command(name="history")
    @app_commands.describe(
        game="A speedrun.com game: its name, abbreviation or id",
        category="The category",
        level="A level (for a level category)",
        subcategory="A subcategory, where the category has them",
    )
    @app_commands.autocomplete(
        game=_game_choices, category=_category_choices, level=_level_choices, subcategory=_subcategory_choices
    )
    async def history(
        self,
        interaction: discord.Interaction,
        game: str,
        category: str,
        level: str | None = None,
        subcategory: str | None = None,
    ) -> None:
        """A speedrun.com board's world-record history from its verified runs, with a chart."""
        async with thinking_if_slow(interaction):
            progression = await self.history_of.progression(game, category, level, subcategory)
            chart = await history_chart(progression)
        await send_pages(interaction, history_pages(progression), file=chart)

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
        await send_reply(interaction, view=card_view(embeds.run_card(run)))


async def setup(bot: HaloBot) -> None:
    bot.add_dynamic_items(FormButton, VariablePick, TypedVariable)
    await bot.add_cog(SpeedrunCog(bot))
