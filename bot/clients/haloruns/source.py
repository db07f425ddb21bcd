"""What the bot asks of HaloRuns, whichever API generation answers."""

from __future__ import annotations

from typing import Protocol

from bot.models import haloruns as model


class HaloRunsSource(Protocol):
    async def catalog(self) -> model.Catalog:
        """Every game and level, full-game boards included."""

    async def records(
        self, level: model.Level, category: model.Option | None, difficulty: model.Option | None
    ) -> list[model.BoardRecord]:
        """The world records of ``level``: of one board, or of all its main boards when not given."""

    async def vod(self, level: model.Level, category: model.Option, difficulty: model.Option) -> str | None:
        """The link to the world record's video: ``""`` if it has none, ``None`` if there is no record."""

    async def recent_records(self, limit: int, *, fresh: bool = False) -> list[model.Run]:
        """The most recent world records, newest first; ``fresh`` asks HaloRuns, not the cache."""

    async def recent_runs(self, limit: int, country: str | None) -> model.RunFeed:
        """The most recent verified runs, newest first; ``country`` is a lower-case ISO 3166 code."""

    async def runner(self, name: str, catalog: model.Catalog) -> model.RunnerProfile | None:
        """A runner's profile, or ``None`` when HaloRuns knows no one of that name."""

    async def holders(self) -> model.Holders:
        """Everyone who has held a world record."""

    async def streams(self, *, fresh: bool = False) -> list[model.Stream]:
        """Who is live now; ``fresh`` asks HaloRuns, not the cache."""
