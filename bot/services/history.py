"""World-record histories: the progression of one HaloRuns board, from HaloRuns' feeds and what
the bot recorded, and of one speedrun.com board, from its verified runs.

HaloRuns has no history of a board: its latest-records feed names, for each recent record, the
one it replaced, and the bot's ledger keeps every record the feed showed since the bot started
(bot/services/announcements.py). The board's current record comes from the board itself. The
progression is put together from those three, each record once; the answer says how far back it
reaches.

speedrun.com's progression is computed from the board's verified runs in date order, read 200 at
a time (as a command: within the shared budget, before the poller). The API lists no run past
the 10,000th: a larger board is read from its newest runs back, starting from the record that
stood before the oldest of them (the board as it was the day before), and the answer says so.
Progressions are kept for ``CACHE_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from pydantic import TypeAdapter

from bot.clients.shared_requests import SharedRequests
from bot.clients.speedrun import SpeedrunClient
from bot.errors import UserFacingError
from bot.models import speedrun as api
from bot.models.haloruns import Level, Run
from bot.models.history import Progression, Record
from bot.models.speedrun import SAME_TIME
from bot.services import speedrun
from bot.services.announcements import FEED, FEED_SIZE
from bot.services.haloruns.service import HaloRuns
from bot.storage.database import Database
from bot.storage.ledger import RunLedger
from bot.utils.matching import normalize
from bot.utils.rendering import timestamp

CACHE_SECONDS = 600
RUNS_PAGE = 200  # the most runs speedrun.com lists at once
OFFSET_LIMIT = 10_000  # speedrun.com refuses offset + max past this


def _record(run: Run) -> Record:
    return Record(run.seconds, tuple(runner.name for runner in run.runners), run.date, run.vod)


def _identity(record: Record) -> tuple[int, frozenset[str]]:
    return round(record.seconds * 1000), frozenset(name.casefold() for name in record.holders)


def progression_of(records: Iterable[Record]) -> tuple[Record, ...]:
    """Each record once (the fullest account of it kept), oldest first: a board's records only
    get faster, and ties of one time are in date order."""
    kept: dict[tuple[int, frozenset[str]], Record] = {}
    for record in records:
        known = kept.get(_identity(record))
        if known is None or (known.date is None and record.date) or (known.link is None and record.link):
            kept[_identity(record)] = Record(
                record.seconds,
                record.holders,
                record.date or (known.date if known else None),
                record.link or (known.link if known else None),
            )
    undated = datetime.max.replace(tzinfo=UTC)
    return tuple(sorted(kept.values(), key=lambda r: (-round(r.seconds * 1000), r.date or undated)))


class HaloRunsHistory:
    def __init__(self, haloruns: HaloRuns, database: Database) -> None:
        self._haloruns = haloruns
        self._ledger = RunLedger(database, FEED, TypeAdapter(Run))

    async def progression(self, level: Level, category: str | None, difficulty: str | None) -> Progression:
        """The progression of one board of ``level`` (Solo and Easy unless told otherwise); run
        within ``HaloRuns.deadline()``."""
        chosen_category, chosen_difficulty = self._haloruns.one_board(level, category, difficulty)
        board = (level.game.name, level.name, chosen_category.name, chosen_difficulty.name)
        wanted = tuple(map(normalize, board))

        def on_board(run: Run) -> bool:
            return (
                normalize(run.game),
                normalize(run.level),
                normalize(run.category),
                normalize(run.difficulty),
            ) == wanted

        current = await self._haloruns.records(level, chosen_category.name, chosen_difficulty.name)
        feed = await self._haloruns.recent_records(FEED_SIZE)
        recorded = await self._ledger.seen()
        runs = [run for run in [*feed, *(run for _, run in recorded)] if on_board(run)]
        records = progression_of(
            [
                *(_record(run.previous) for run in runs if run.previous),
                *map(_record, runs),
                *(_record(run) for found in current for run in found.runs),
            ]
        )
        firsts = {_identity(_record(run)) for run in runs if run.previous is None and not run.tie}
        complete = bool(records) and _identity(records[0]) in firsts
        since = recorded[0][0] if recorded else None
        return Progression(
            f"{level.game.name} {level.name} — {chosen_category.name} {chosen_difficulty.name}",
            records,
            "Complete: from the board's first record on." if complete else _known(records, since),
            current[0].board_url if current else None,
            "HaloRuns",
            complete,
        )


def _known(records: Sequence[Record], since: datetime | None) -> str:
    if not records:
        return "HaloRuns has no record of this board, and the bot has recorded none."
    oldest = records[0].date
    back = f"Known back to {timestamp(oldest, 'D')}" if oldest else "Known back to the oldest record shown"
    recorded = (
        f"the bot has recorded the feed since {timestamp(since, 'D')}"
        if since
        else "the bot has recorded nothing from it yet"
    )
    return (
        f"{back}: HaloRuns' feeds name only the record each recent one replaced, and {recorded}. "
        "Older records are not known."
    )


def _played(run: api.Run) -> date:
    return run.played or date.min


class SrcHistory:
    def __init__(self, client: SpeedrunClient) -> None:
        self._client = client
        self._kept = SharedRequests(CACHE_SECONDS)

    async def progression(
        self, game: str, category: str, level: str | None, subcategory: str | None
    ) -> Progression:
        found = await self._client.game(game)
        chosen_category, chosen_level = await speedrun.board(self._client, found, category, level)
        if chosen_category is None:  # a category was given: board() always picks one
            raise UserFacingError("Pick a category.")
        known_variables = await self._client.variables(chosen_category.id)
        variables = speedrun.subcategory(known_variables, subcategory)
        level_id = chosen_level.id if chosen_level else None
        names = [found.name, chosen_level.name if chosen_level else None, chosen_category.name]
        labels = _labels(known_variables, variables)
        title = " ".join(filter(None, names)) + (f" ({', '.join(labels)})" if labels else "")
        key = (found.id, chosen_category.id, level_id, tuple(sorted(variables.items())))
        return await self._kept.get(
            key, lambda: self._compute(title, found.id, chosen_category.id, level_id, variables)
        )

    async def _compute(
        self, title: str, game_id: str, category_id: str, level_id: str | None, variables: dict[str, str]
    ) -> Progression:
        filters = {"game": game_id, "category": category_id, "status": "verified", "orderby": "date"}
        if level_id:
            filters["level"] = level_id
        runs: dict[str, api.Run] = {}  # by id: the API's ordering is unstable between pages
        more = True
        offset = 0
        while more and offset + RUNS_PAGE <= OFFSET_LIMIT:
            page, more = await self._client.runs(
                {**filters, "direction": "desc", "offset": str(offset)}, count=RUNS_PAGE
            )
            runs |= {run.id: run for run in page}
            offset += RUNS_PAGE
        on_board = sorted(
            (
                run
                for run in runs.values()
                if run.played
                and run.times.primary_t > 0
                and all(run.values.get(k) == v for k, v in variables.items())
            ),
            key=lambda run: (_played(run), run.submitted or datetime.min.replace(tzinfo=UTC)),
        )
        best: float | None = None
        records: list[Record] = []
        known = f"Complete: from all {len(on_board):,} verified runs of the board, in date order."
        if more and on_board:  # past the API's 10,000: start from the record that stood before
            oldest = _played(on_board[0])
            before = await self._client.leaderboard(
                game_id, category_id, level_id, top=1, variables=variables, on=oldest - timedelta(days=1)
            )
            if before.runs:
                first = before.runs[0].run
                best = first.times.primary_t
                records.append(_src_record(first, before.players_of(first)))
            known = (
                f"The board has more than {OFFSET_LIMIT:,} verified runs, the most speedrun.com's API"
                f" lists: shown from the record that stood on {timestamp(_moment(oldest), 'D')} on;"
                " older records are not known."
            )
        for run in on_board:
            seconds = run.times.primary_t
            if best is None or seconds <= best + SAME_TIME:
                records.append(_src_record(run, [p.display_name for p in run.players]))
                best = min(seconds, best if best is not None else seconds)
        return Progression(title, tuple(records), known, None, "speedrun.com", complete=not more)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def _src_record(run: api.Run, players: Sequence[str]) -> Record:
    return Record(
        run.times.primary_t, tuple(players), _moment(run.played) if run.played else None, run.weblink
    )


def _labels(variables: Sequence[api.Variable], chosen: dict[str, str]) -> list[str]:
    return [
        v.values.values[chosen[v.id]].label
        for v in variables
        if v.id in chosen and chosen[v.id] in v.values.values
    ]
