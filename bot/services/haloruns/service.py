"""The HaloRuns service the cogs use: input resolution, the catalog, time limits; no Discord."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Self

import aiohttp

from bot.clients.haloruns import SERVICE, HaloRunsClient
from bot.config import HaloRunsConfig
from bot.errors import UpstreamError, UserFacingError
from bot.models.haloruns import (
    SOLO,
    BoardRecord,
    Catalog,
    Holders,
    Level,
    Option,
    Run,
    RunnerProfile,
    Stream,
)
from bot.services.haloruns.catalog import closest, find_levels, normalize, rank_levels, similar_levels
from bot.services.haloruns.content import ContentSource
from bot.services.haloruns.legacy import LegacySource
from bot.services.haloruns.source import HaloRunsSource
from bot.services.telemetry import Telemetry

log = logging.getLogger(__name__)

CATALOG_MAX_AGE = 24 * 3600.0
# The longest a command waits for HaloRuns in all, whatever number of requests it needs.
DEADLINE_SECONDS = 9.0
_COUNTRY = re.compile(r"[A-Za-z]{2}")


def _key(name: str) -> str:
    return normalize(name).replace(" ", "")


def _pick(options: Sequence[Option], text: str, what: str, level: Level) -> Option:
    found = next((option for option in options if _key(option.name) == _key(text)), None)
    if found:
        return found
    names = [option.name for option in options]
    guesses = closest(names, text)
    hint = f" Did you mean {' or '.join(f'**{g}**' for g in guesses)}?" if guesses else ""
    raise UserFacingError(
        f"{level.game.name} has no {what} “{text}” on HaloRuns.{hint} It has: {', '.join(names) or 'none'}."
    )


class HaloRuns:
    def __init__(self, source: HaloRunsSource, *, deadline_seconds: float = DEADLINE_SECONDS) -> None:
        self._source = source
        self._deadline_seconds = deadline_seconds
        self._catalog: Catalog | None = None
        self._catalog_fetched = 0.0
        self._catalog_lock = asyncio.Lock()

    @classmethod
    def from_config(
        cls, session: aiohttp.ClientSession, config: HaloRunsConfig, telemetry: Telemetry
    ) -> Self:
        client = HaloRunsClient(session, config, telemetry)
        source: HaloRunsSource = (
            ContentSource(client, config.base_url) if config.api == "content" else LegacySource(client)
        )
        return cls(source)

    @asynccontextmanager
    async def _deadline(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._deadline_seconds):
                yield
        except TimeoutError:
            raise UpstreamError(
                SERVICE, f"it did not answer within {self._deadline_seconds:g} seconds"
            ) from None

    async def catalog(self) -> Catalog:
        """The level catalog, fetched once and refreshed daily; a failed refresh keeps the old one."""
        async with self._catalog_lock:
            if self._catalog is None or time.monotonic() - self._catalog_fetched > CATALOG_MAX_AGE:
                try:
                    async with self._deadline():
                        self._catalog = await self._source.catalog()
                    self._catalog_fetched = time.monotonic()
                    log.info("HaloRuns catalog: %d levels", len(self._catalog.levels))
                except UpstreamError:
                    if self._catalog is None:
                        raise
                    log.warning(
                        "Could not refresh the HaloRuns catalog; keeping the one from before", exc_info=True
                    )
            return self._catalog

    # -- input -------------------------------------------------------------------------------------

    async def level(self, text: str) -> Level:
        """The level ``text`` names (ID, name, name with game, or autocomplete value)."""
        catalog = await self.catalog()
        found = find_levels(catalog, text)
        if len(found) == 1:
            return found[0]
        if found:
            labels = ", ".join(f"**{level.label}**" for level in found)
            raise UserFacingError(
                f"“{text}” is a level of more than one game: {labels}. Pick one from the list."
            )
        guesses = similar_levels(catalog, text)
        hint = f" Did you mean {' or '.join(f'**{level.label}**' for level in guesses)}?" if guesses else ""
        raise UserFacingError(f"HaloRuns has no level “{text}”.{hint}")

    def board(
        self, level: Level, category: str | None, difficulty: str | None
    ) -> tuple[Option | None, Option | None]:
        """The category and difficulty options of ``level`` that the user's words name."""
        return (
            _pick(level.game.categories, category, "category", level) if category else None,
            _pick(level.game.difficulties, difficulty, "difficulty", level) if difficulty else None,
        )

    async def level_choices(self, text: str) -> list[Level]:
        return rank_levels(await self.catalog(), text)

    async def category_choices(self, level_text: str, text: str) -> list[str]:
        catalog = await self.catalog()
        levels = find_levels(catalog, level_text) if level_text else []
        games = [levels[0].game] if levels else catalog.games
        names = list(dict.fromkeys(c.name for game in games for c in game.categories))
        return [name for name in names if _key(text) in _key(name)] if text else names

    # -- lookups -----------------------------------------------------------------------------------

    async def records(self, level: Level, category: str | None, difficulty: str | None) -> list[BoardRecord]:
        chosen_category, chosen_difficulty = self.board(level, category, difficulty)
        async with self._deadline():
            return await self._source.records(level, chosen_category, chosen_difficulty)

    async def vod(
        self, level: Level, category: str | None, difficulty: str | None
    ) -> tuple[Option, Option, str | None]:
        """The board (Solo and Easy unless told otherwise, as on HaloRuns) and its record's vod link."""
        chosen_category = _pick(level.game.categories, category or SOLO, "category", level)
        chosen_difficulty = _pick(level.game.difficulties, difficulty or "Easy", "difficulty", level)
        async with self._deadline():
            return (
                chosen_category,
                chosen_difficulty,
                await self._source.vod(level, chosen_category, chosen_difficulty),
            )

    async def recent_records(self, limit: int) -> list[Run]:
        async with self._deadline():
            return await self._source.recent_records(limit)

    async def recent_runs(self, limit: int, country: str | None) -> list[Run]:
        if country is not None and not _COUNTRY.fullmatch(country):
            raise UserFacingError(
                f"“{country}” is not a country code: use two letters, like `us`, `gb` or `mx`."
            )
        async with self._deadline():
            return await self._source.recent_runs(limit, country)

    async def runner(self, name: str) -> RunnerProfile:
        catalog = await self.catalog()
        async with self._deadline():
            profile = await self._source.runner(name.strip(), catalog)
        if profile is None:
            raise UserFacingError(
                f"HaloRuns has no runner called “{name}”. Check the spelling on haloruns.com."
            )
        return profile

    async def holders(self) -> Holders:
        async with self._deadline():
            return await self._source.holders()

    async def streams(self) -> list[Stream]:
        async with self._deadline():
            return await self._source.streams()
