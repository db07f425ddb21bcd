"""Autocomplete shared by several cogs."""

from __future__ import annotations

import asyncio

from discord import app_commands

from bot.app import HaloBot
from bot.errors import ServiceError

AUTOCOMPLETE_SECONDS = 2.0  # Discord waits 3 s for the choices


async def speedrun_games(bot: HaloBot, current: str) -> list[app_commands.Choice[str]]:
    """speedrun.com's games by name (the Halo series while nothing is typed), the games in
    ``speedrun.games`` first; each choice's value is the game's id."""
    try:
        async with asyncio.timeout(AUTOCOMPLETE_SECONDS):
            found = await bot.speedrun.search_games({"name": current.strip() or "Halo"})
    except (TimeoutError, ServiceError):  # speedrun.com failing, or refusing the text
        return []
    followed = {ref.casefold() for ref in bot.config.speedrun.games}
    found.sort(key=lambda g: not ({g.id.casefold(), (g.abbreviation or "").casefold()} & followed))
    return [app_commands.Choice(name=g.name[:100], value=g.id) for g in found[:25]]
