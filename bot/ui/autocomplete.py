"""Autocomplete shared by several cogs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from discord import app_commands

from bot.app import HaloBot
from bot.errors import ServiceError

AUTOCOMPLETE_SECONDS = 2.0  # Discord waits 3 s for the choices

T = TypeVar("T")


async def in_time(lookup: Awaitable[list[T]], *failures: type[Exception]) -> list[T]:
    """What ``lookup`` finds in the time Discord waits for the choices: nothing when it takes
    longer or fails with one of ``failures`` (a service failing, or refusing what was typed)."""
    caught: tuple[type[Exception], ...] = (TimeoutError, *failures)
    try:
        async with asyncio.timeout(AUTOCOMPLETE_SECONDS):
            return await lookup
    except caught:
        return []


async def speedrun_games(bot: HaloBot, current: str) -> list[app_commands.Choice[str]]:
    """speedrun.com's games by name (the Halo series while nothing is typed), the games in
    ``speedrun.games`` first; each choice's value is the game's id."""
    found = await in_time(bot.speedrun.search_games({"name": current.strip() or "Halo"}), ServiceError)
    followed = {ref.casefold() for ref in bot.config.speedrun.games}
    found.sort(key=lambda g: not ({g.id.casefold(), (g.abbreviation or "").casefold()} & followed))
    return [app_commands.Choice(name=g.name[:100], value=g.id) for g in found[:25]]
