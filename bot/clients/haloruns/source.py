"""What the bot asks of HaloRuns, whichever API generation answers."""

from __future__ import annotations

from typing import Protocol

from bot.models.haloruns import (
    BoardRecord,
    Catalog,
    Holders,
    Level,
    Option,
    Run,
    RunFeed,
    RunnerProfile,
    StreamList,
)


class HaloRunsSource(Protocol):
    async def catalog(self) -> Catalog:
        """Every game and level, full-game boards included."""

    async def records(
        self, level: Level, category: Option | None, difficulty: Option | None
    ) -> list[BoardRecord]:
        """The world records of ``level``: of one board, or of all its main boards when not given."""

    async def vod(self, level: Level, category: Option, difficulty: Option) -> str | None:
        """The link to the world record's video: ``""`` if it has none, ``None`` if there is no record."""

    async def recent_records(self, limit: int, *, fresh: bool = False) -> list[Run]:
        """The most recent world records, newest first; ``fresh`` asks HaloRuns, not the cache."""

    async def recent_runs(self, limit: int, country: str | None) -> RunFeed:
        """The most recent verified runs, newest first; ``country`` is a lower-case ISO 3166 code."""

    async def runner(self, name: str, catalog: Catalog) -> RunnerProfile | None:
        """A runner's profile, or ``None`` when HaloRuns knows no one of that name."""

    async def holders(self) -> Holders:
        """Everyone who has held a world record."""

    async def stream_list(self, *, fresh: bool = False) -> StreamList:
        """Who is live now, and when the list was made; ``fresh`` asks HaloRuns, not the cache."""
