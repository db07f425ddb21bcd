"""HaloRuns through the current site's static ``/content/`` JSON feeds (``haloruns.api = "content"``).

What the feeds do not give is derived, and the derivations are said where they are shown: the
vod of a board is its first entry's evidence link, and the record holders are those named in the
latest-records feed. Board links point at the website (``haloruns.site_url``), not the API host,
and are assumed to follow the feeds' own ``LeaderboardUrl`` style:
``/leaderboards/{game}/{category}/{level}/{difficulty}``, names spelled as the site spells them and
spaces removed (as the official bot does with ``LeaderboardUrl``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import quote, urljoin

from bot.clients.haloruns.catalog import content_catalog
from bot.clients.haloruns.transport import HaloRunsClient
from bot.models import haloruns_content as feeds
from bot.models.haloruns import (
    COOP,
    SOLO,
    BoardRecord,
    Catalog,
    Holders,
    Level,
    Option,
    Run,
    RunFeed,
    Runner,
    RunnerProfile,
    Stream,
    StreamList,
)

EXTENSION_COOP = "Co-op"  # HaloRuns' label of an extension category run in co-op
PROFILE_REQUESTS = 8  # profiles fetched at once when filtering by country
COUNTRY_HOW = "Countries from each runner's HaloRuns profile (the recent-runs feed has none)."
HOLDERS_HOW = (
    "Taken from the world records in HaloRuns' latest-records feed (the current site has no list of"
    " all holders), so holders of older records are missing."
)


def site_link(site: str, path: str) -> str:
    """The website's page at ``path`` (relative, or a whole address), spaces removed."""
    return urljoin(site + "/", path.replace(" ", ""))


def _category(entry: feeds.FeedRun) -> str:
    category = entry.category_name or {True: COOP, False: SOLO, None: ""}[entry.is_coop]
    if entry.is_extension and entry.is_coop and category:
        return f"{category} {EXTENSION_COOP}"
    return category


def _runners(participants: Iterable[feeds.Participant]) -> tuple[Runner, ...]:
    return tuple(Runner(p.username, p.evidence_link) for p in participants)


# The board a run is on: game, level, category and difficulty, by name.
Board = tuple[str, str, str, str]


def _entry_run(
    board: Board,
    entry: feeds.BoardEntry | feeds.FeedRun,
    *,
    board_url: str | None,
    tie: bool,
    previous: Run | None = None,
    run_id: str | None = None,
) -> Run:
    """A board's or a feed's entry as a run on ``board``."""
    return Run(
        *board,
        entry.duration,
        _runners(entry.participants),
        date=entry.occurred_at,
        points=entry.points,
        board_url=board_url,
        tie=tie,
        previous=previous,
        id=run_id,
    )


class ContentSource:
    def __init__(self, client: HaloRunsClient, site_url: str) -> None:
        self._client = client
        self._site = site_url
        self._profiles = asyncio.Semaphore(PROFILE_REQUESTS)

    async def catalog(self) -> Catalog:
        return content_catalog(await self._client.get("/content/metadata/global.json", feeds.GLOBAL_METADATA))

    def _board_url(self, level: Level, category: Option, difficulty: Option) -> str:
        parts = (level.game.name, category.name, level.name, difficulty.name)
        return site_link(self._site, "/leaderboards/" + "/".join(quote(part, safe=": ") for part in parts))

    async def _board(self, level: Level, category: Option, difficulty: Option) -> BoardRecord | None:
        path = f"/content/boards/{level.game.id}/{category.id}/leaderboard/{level.id}/{difficulty.id}.json"
        board = await self._client.get_optional(path, feeds.LEADERBOARD)
        if board is None or not board.entries:
            return None
        best = board.entries[0]
        tied = [
            entry
            for entry in board.entries
            if entry.points == best.points and entry.duration == best.duration
        ]
        url = self._board_url(level, category, difficulty)
        board_name = (level.game.name, level.name, category.name, difficulty.name)
        runs = tuple(_entry_run(board_name, entry, board_url=url, tie=len(tied) > 1) for entry in tied)
        return BoardRecord(category.name, difficulty.name, runs, url)

    async def records(
        self, level: Level, category: Option | None, difficulty: Option | None
    ) -> list[BoardRecord]:
        """Every board of the level that has a record, extension categories and "Any Difficulty" included."""
        categories = [category] if category else level.game.categories
        difficulties = [difficulty] if difficulty else level.game.difficulties
        boards = await asyncio.gather(*(self._board(level, c, d) for c in categories for d in difficulties))
        return [board for board in boards if board is not None]

    async def vod(self, level: Level, category: Option, difficulty: Option) -> str | None:
        board = await self._board(level, category, difficulty)
        return (board.runs[0].vod or "") if board else None

    def _feed_run(self, entry: feeds.FeedRun) -> Run:
        category = _category(entry)
        url = site_link(self._site, entry.leaderboard_url) if entry.leaderboard_url else None
        board = (entry.game_name, entry.level_name, category, entry.difficulty)
        previous = None
        if (
            isinstance(entry, feeds.LatestRecord)
            and entry.has_previous
            and entry.previous_duration is not None
        ):
            previous = Run(
                *board,
                entry.previous_duration,
                _runners(entry.previous_participants),
                date=entry.previous_occurred_at,
            )
        tie = isinstance(entry, feeds.LatestRecord) and entry.tie
        return _entry_run(board, entry, board_url=url, tie=tie, previous=previous, run_id=entry.run_id)

    async def recent_records(self, limit: int, *, fresh: bool = False) -> list[Run]:
        feed = await self._client.get("/content/feeds/latestRecords.json", feeds.LATEST_RECORDS, fresh=fresh)
        return [self._feed_run(entry) for entry in feed.entries[:limit]]

    async def recent_runs(self, limit: int, country: str | None) -> RunFeed:
        feed = await self._client.get("/content/boards/recent.json", feeds.RECENT_RUNS)
        runs = [self._feed_run(entry) for entry in feed.entries]
        if country is None:
            return RunFeed(tuple(runs[:limit]))
        names = {runner.name for run in runs for runner in run.runners}
        countries = dict(zip(names, await asyncio.gather(*map(self._country, names)), strict=True))
        chosen = [run for run in runs if any(countries[runner.name] == country for runner in run.runners)]
        return RunFeed(tuple(chosen[:limit]), COUNTRY_HOW)

    async def _country(self, name: str) -> str | None:
        async with self._profiles:
            profile = await self._client.get_optional(self._profile_path(name), feeds.PROFILE)
        return profile.country.lower() if profile and profile.country else None

    @staticmethod
    def _profile_path(name: str) -> str:
        return f"/content/users/{quote(name, safe='')}/profile.json"

    async def runner(self, name: str, catalog: Catalog) -> RunnerProfile | None:
        profile = await self._client.get_optional(self._profile_path(name), feeds.PROFILE)
        if profile is None:
            return None
        career = await self._client.get(
            f"/content/users/{quote(profile.user_id, safe='')}/career.json", feeds.CAREER
        )
        runs = [(category, run) for category, runs in career.runs_by_category.items() for run in runs]
        points = [run.points for _, run in runs if run.points is not None]
        dated = [(run.occurred_at, category, run) for category, run in runs if run.occurred_at]
        latest = max(dated, key=lambda item: item[0]) if dated else None
        return RunnerProfile(
            profile.username or name,
            points=sum(points) if points else None,
            world_records=sum(1 for _, run in runs if run.rank_info.rank == 1),
            latest_run=self._career_run(latest[1], latest[2], catalog) if latest else None,
        )

    @staticmethod
    def _career_run(category: str, run: feeds.CareerRun, catalog: Catalog) -> Run:
        level = catalog.by_key.get(run.segment_id)
        difficulty = (
            next((d.name for d in level.game.difficulties if d.id == run.difficulty_id), "") if level else ""
        )
        return Run(
            level.game.name if level else "",
            level.name if level else "an unknown level",
            category,
            difficulty,
            run.duration,
            _runners(run.participants),
            date=run.occurred_at,
            points=run.points,
        )

    async def holders(self) -> Holders:
        feed = await self._client.get("/content/feeds/latestRecords.json", feeds.LATEST_RECORDS)
        names = [
            p.username for entry in feed.entries for p in (*entry.participants, *entry.previous_participants)
        ]
        return Holders.of(names, HOLDERS_HOW)

    async def stream_list(self, *, fresh: bool = False) -> StreamList:
        feed = await self._client.get("/content/feeds/streamList.json", feeds.STREAM_LIST, fresh=fresh)
        streams = [
            Stream(
                entry.username or entry.twitch_username or "someone",
                entry.title,
                entry.viewers,
                entry.started_at,
                entry.stream_url
                or (f"https://www.twitch.tv/{entry.twitch_username}" if entry.twitch_username else None),
                entry.game_name,
                entry.profile_image_url,
            )
            for entry in feed.entries
        ]
        return StreamList(streams, feed.updated_at)
