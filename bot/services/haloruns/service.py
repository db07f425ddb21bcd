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

from bot.clients.haloruns.content import ContentSource
from bot.clients.haloruns.legacy import LegacySource
from bot.clients.haloruns.source import HaloRunsSource
from bot.clients.haloruns.transport import SERVICE, HaloRunsClient
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
    RunFeed,
    RunnerProfile,
    Stream,
    StreamList,
)
from bot.runtime.telemetry import Telemetry
from bot.services.haloruns.catalog import find_levels, rank_levels, similar_levels
from bot.utils.matching import did_you_mean, normalize, suggest
from bot.utils.rendering import plain, quoted

log = logging.getLogger(__name__)

CATALOG_MAX_AGE = 24 * 3600.0
CATALOG_RETRY = 300.0  # after a failed refresh, the old catalog serves this long before the next try
# The longest a command waits for HaloRuns in all, whatever number of requests it needs.
DEADLINE_SECONDS = 9.0
_COUNTRY = re.compile(r"[A-Za-z]{2}")
LONGEST_NAME = 100  # longer than any HaloRuns username: such text is not asked for


def _key(name: str) -> str:
    return normalize(name).replace(" ", "")


def _pick(options: Sequence[Option], text: str, what: str, level: Level) -> Option:
    found = next((option for option in options if _key(option.name) == _key(text)), None)
    if found:
        return found
    names = [option.name for option in options]
    known = ", ".join(plain(name, 100) for name in names) or "none"
    raise UserFacingError(
        f"{plain(level.game.name, 100)} has no {what} {quoted(text)} on HaloRuns."
        + did_you_mean(names, text)
        + f" It has: {known}."
    )


class HaloRuns:
    def __init__(self, source: HaloRunsSource, *, deadline_seconds: float = DEADLINE_SECONDS) -> None:
        self._source = source
        self._deadline_seconds = deadline_seconds
        self._catalog: Catalog | None = None
        self._catalog_due = 0.0  # monotonic time of the next refresh
        self._catalog_lock = asyncio.Lock()

    @classmethod
    def from_config(
        cls, session: aiohttp.ClientSession, config: HaloRunsConfig, telemetry: Telemetry
    ) -> Self:
        client = HaloRunsClient(session, config, telemetry)
        source: HaloRunsSource = (
            ContentSource(client, config.site_url) if config.api == "content" else LegacySource(client)
        )
        return cls(source)

    @asynccontextmanager
    async def deadline(self) -> AsyncIterator[None]:
        """Bounds the whole wait of a command for HaloRuns, however many requests it makes."""
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
            if self._catalog is None or time.monotonic() > self._catalog_due:
                try:
                    async with self.deadline():
                        self._catalog = await self._source.catalog()
                    self._catalog_due = time.monotonic() + CATALOG_MAX_AGE
                    log.info("HaloRuns catalog: %d levels", len(self._catalog.levels))
                except UpstreamError:
                    if self._catalog is None:
                        raise
                    self._catalog_due = time.monotonic() + CATALOG_RETRY
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
            labels = ", ".join(f"**{plain(level.label, 150)}**" for level in found[:5])
            raise UserFacingError(
                f"{quoted(text)} is a level of more than one game: {labels}. Pick one from the list."
            )
        guesses = [level.label for level in similar_levels(catalog, text)]
        raise UserFacingError(f"HaloRuns has no level {quoted(text)}.{suggest(guesses, 150)}")

    def board(
        self, level: Level, category: str | None, difficulty: str | None
    ) -> tuple[Option | None, Option | None]:
        """The category and difficulty options of ``level`` that the user's words name."""
        return (
            _pick(level.game.categories, category, "category", level) if category else None,
            _pick(level.game.difficulties, difficulty, "difficulty", level) if difficulty else None,
        )

    def one_board(self, level: Level, category: str | None, difficulty: str | None) -> tuple[Option, Option]:
        """The category and difficulty of one board of ``level``: Solo and Easy unless told
        otherwise, as on HaloRuns."""
        return (
            _pick(level.game.categories, category or SOLO, "category", level),
            _pick(level.game.difficulties, difficulty or "Easy", "difficulty", level),
        )

    async def level_choices(self, text: str) -> list[Level]:
        return rank_levels(await self.catalog(), text)

    async def category_choices(self, level_text: str, text: str) -> list[str]:
        catalog = await self.catalog()
        levels = find_levels(catalog, level_text) if level_text else []
        games = [levels[0].game] if levels else catalog.games
        names = list(dict.fromkeys(c.name for game in games for c in game.categories))
        return [name for name in names if _key(text) in _key(name)] if text else names

    # -- lookups (a command runs them inside ``deadline()``) -------------------------------------------

    async def records(self, level: Level, category: str | None, difficulty: str | None) -> list[BoardRecord]:
        chosen_category, chosen_difficulty = self.board(level, category, difficulty)
        return await self._source.records(level, chosen_category, chosen_difficulty)

    async def vod(
        self, level: Level, category: str | None, difficulty: str | None
    ) -> tuple[Option, Option, str | None]:
        """The board (Solo and Easy unless told otherwise, as on HaloRuns) and its record's vod link:
        ``None`` when the board has no record, ``""`` when the record has no video."""
        chosen_category, chosen_difficulty = self.one_board(level, category, difficulty)
        return (
            chosen_category,
            chosen_difficulty,
            await self._source.vod(level, chosen_category, chosen_difficulty),
        )

    async def recent_records(self, limit: int, *, fresh: bool = False) -> list[Run]:
        return await self._source.recent_records(limit, fresh=fresh)

    async def recent_runs(self, limit: int, country: str | None) -> RunFeed:
        if country is not None and not _COUNTRY.fullmatch(country):
            raise UserFacingError(
                f"{quoted(country, 20)} is not a country code: use two letters, like `us`, `gb` or `mx`."
            )
        return await self._source.recent_runs(limit, country.lower() if country else None)

    async def runner(self, name: str) -> RunnerProfile:
        wanted = name.strip()
        askable = 0 < len(wanted) <= LONGEST_NAME
        profile = await self._source.runner(wanted, await self.catalog()) if askable else None
        if profile is None:
            raise UserFacingError(
                f"HaloRuns has no runner called {quoted(name)}. Check the spelling on haloruns.com."
            )
        return profile

    async def holders(self) -> Holders:
        return await self._source.holders()

    async def streams(self, *, fresh: bool = False) -> list[Stream]:
        return (await self._source.stream_list(fresh=fresh)).streams

    async def stream_list(self, *, fresh: bool = False) -> StreamList:
        return await self._source.stream_list(fresh=fresh)
