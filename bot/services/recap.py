"""The weekly recap: once a week, at each server's chosen weekday and hour (UTC), one post of the
week's new world records by game (HaloRuns, and the speedrun.com games the server follows), the
longest-standing record that fell, the most active runners and how many streams went live.

Everything comes from what the bot recorded: the announcement feeds' ledger (every HaloRuns record
and every verified run of a followed game the bot saw, with what it replaced) and the stream
starts. The week recapped is the seven days before the moment the recap is due. The job runs every
minute; the recap due is the latest chosen weekday and hour that has come, not before the start
of the hour the recap was set in, so a recap set for this very hour comes within a minute. A
week's recap is posted (or found empty, and nothing posted) once and kept so in the database:
restarts never post it again, and one missed while the bot was down is posted when it is back,
as long as the next one is not due yet.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import TypeAdapter

from bot.models.haloruns import Run
from bot.models.settings import RecapFilters
from bot.models.speedrun import SAME_TIME, VerifiedRun
from bot.runtime.jobs import Polled
from bot.services import announcements, src_announcements
from bot.services.delivery import FAILURE_LIMIT, DeliveryRefused, PostRejected, paced
from bot.services.delivery import nonce as post_nonce
from bot.services.settings import followed_name
from bot.storage.database import Database
from bot.storage.ledger import RunLedger
from bot.storage.recaps import RecapStore
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.stream_alerts import StreamAlertStore

log = logging.getLogger(__name__)

FEATURE: Final = "recap"
WEEK = timedelta(days=7)
RUNNERS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class RecapRecord:
    """A world record of the week (or a tie of one)."""

    game: str
    board: str  # level and category, without the game
    seconds: float
    holders: tuple[str, ...]
    date: datetime
    tie: bool = False
    link: str | None = None
    # What it replaced: time, holders, and how long that stood (when known).
    previous_seconds: float | None = None
    previous_holders: tuple[str, ...] = ()
    previous_stood: timedelta | None = None


@dataclass(frozen=True, slots=True)
class WeekRecap:
    start: datetime
    end: datetime
    records: dict[str, list[RecapRecord]]  # by game, each in date order
    longest_fallen: RecapRecord | None  # the record that beat the longest-standing one
    runners: list[tuple[str, int]]  # the most active, with their records and runs of the week
    streams: int
    runs: int = 0  # verified runs of the followed games
    games: list[str] = field(default_factory=list)  # the followed speedrun.com games

    @property
    def empty(self) -> bool:
        return not (self.records or self.runs or self.streams)


Poster = Callable[[FeatureSetting[RecapFilters], WeekRecap, str], Awaitable[int]]


def due_at(filters: RecapFilters, now: datetime) -> datetime | None:
    """The moment of the server's latest recap that has come (``None`` before the first)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    due = (hour - timedelta(days=(now.weekday() - filters.day) % 7)).replace(hour=filters.hour)
    if due > now:
        due -= WEEK
    return due if filters.since is None or due >= filters.since else None


def nonce(guild_id: int, due: datetime) -> str:
    """The same for every attempt to post one week's recap in one server."""
    return post_nonce(f"recap/{due.isoformat()}", guild_id)


def _halo_record(run: Run) -> RecapRecord | None:
    if run.date is None:
        return None
    previous = run.previous
    stood = run.date - previous.date if previous and previous.date and previous.date < run.date else None
    tie = run.tie or (previous is not None and abs(previous.seconds - run.seconds) < SAME_TIME)
    return RecapRecord(
        run.game,
        f"{run.level} — {' '.join(filter(None, [run.category, run.difficulty]))}",
        run.seconds,
        tuple(runner.name for runner in run.runners),
        run.date,
        tie,
        run.vod,
        previous.seconds if previous else None,
        tuple(runner.name for runner in previous.runners) if previous else (),
        stood,
    )


def _src_record(entry: VerifiedRun, when: datetime) -> RecapRecord | None:
    record = entry.record
    if record is None:
        return None
    run = entry.run
    previous = record.previous
    stood = run.played - previous.played if previous and previous.played and run.played else None
    return RecapRecord(
        entry.game,
        run.board_name or "a board",
        run.times.primary_t,
        tuple(player.display_name for player in run.players),
        when,
        record.tie,
        run.weblink,
        previous.seconds if previous else None,
        previous.players if previous else (),
        stood if stood and stood > timedelta(0) else None,
    )


class WeeklyRecaps:
    def __init__(
        self,
        database: Database,
        settings: GuildSettings,
        *,
        post: Poster,
        stopping: Callable[[], bool],
    ) -> None:
        self._settings = settings
        self._recaps = RecapStore(database)
        self._streams = StreamAlertStore(database)
        self._haloruns = RunLedger(database, announcements.FEED, TypeAdapter(Run))
        self._src = RunLedger(database, src_announcements.FEED, src_announcements.ENTRY)
        self._post = post
        self._stopping = stopping

    async def poll(self, now: datetime | None = None) -> Polled:
        """Posts every recap due and not had yet."""
        now = now or datetime.now(UTC)
        had = await self._recaps.had_since(now - WEEK - timedelta(hours=1))
        due_now = [
            (setting, due)
            for setting in await self._settings.enabled(FEATURE)
            if (due := due_at(setting.filters, now)) is not None and (setting.guild_id, due) not in had
        ]
        if not due_now:
            return Polled()
        followed_by: dict[int, dict[str, str]] = {}
        for src in await self._settings.enabled("src"):
            followed_by.setdefault(src.guild_id, {})[src.scope] = followed_name(src)
        weeks: dict[datetime, Recorded] = {}  # servers due at the same hour share one read of it
        for setting, due in due_now:
            if self._stopping():
                break
            if due not in weeks:
                weeks[due] = await self._recorded(due - WEEK, due)
            recap = week(due - WEEK, due, followed_by.get(setting.guild_id, {}), weeks[due])
            if recap.empty:
                log.info(
                    "Nothing happened in the week before %s: no recap in server %s", due, setting.guild_id
                )
                await self._recaps.done(setting.guild_id, due, "empty")
                continue
            await self._deliver(setting, due, recap)
        return Polled()

    async def _deliver(self, setting: FeatureSetting[RecapFilters], due: datetime, recap: WeekRecap) -> None:
        try:
            message_id = await paced(lambda: self._post(setting, recap, nonce(setting.guild_id, due)))
        except DeliveryRefused as refusal:
            log.warning("Server %s refused its weekly recap: %s", setting.guild_id, refusal)
            if await self._settings.delivery_failed(
                setting.guild_id, FEATURE, str(refusal), limit=FAILURE_LIMIT
            ):
                log.warning("Weekly recaps turned off in server %s: %s", setting.guild_id, refusal)
            return
        except PostRejected as rejection:
            log.warning("Weekly recap of server %s rejected, given up: %s", setting.guild_id, rejection)
            await self._recaps.done(setting.guild_id, due, "dropped")
            return
        except Exception:
            log.warning(
                "Weekly recap of server %s not posted; next run tries again", setting.guild_id, exc_info=True
            )
            return
        await self._recaps.done(setting.guild_id, due, "posted", message_id)
        if setting.failures:
            await self._settings.delivered(setting.guild_id, FEATURE)

    async def _recorded(self, start: datetime, end: datetime) -> Recorded:
        """What the feeds saw since ``start`` (both see a run after it was set, or verified: that
        holds the week), and how many streams went live from ``start`` until before ``end``."""
        return Recorded(
            await self._haloruns.seen(since=start),
            await self._src.seen(since=start),
            await self._streams.starts(start, end),
        )


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the bot recorded of one week, for every server whose recap it is."""

    haloruns: list[tuple[datetime, Run]]
    src: list[tuple[datetime, VerifiedRun]]
    streams: int


def week(start: datetime, end: datetime, followed: dict[str, str], recorded: Recorded) -> WeekRecap:
    """The recap of the week from ``start`` until before ``end``: HaloRuns' records, and the
    verified runs and records of the ``followed`` speedrun.com games ({id: name})."""

    def within(moment: datetime) -> bool:
        return start <= moment < end

    halo = [
        record
        for _, run in recorded.haloruns
        if (record := _halo_record(run)) is not None and within(record.date)
    ]
    runs: list[tuple[datetime, VerifiedRun]] = []
    for seen_at, entry in recorded.src:
        verified = entry.run.status.verify_date or seen_at
        if entry.run.game_id in followed and within(verified):
            runs.append((verified, entry))
    src = [record for when, entry in runs if (record := _src_record(entry, when)) is not None]
    records = sorted([*halo, *src], key=lambda record: record.date)
    by_game: dict[str, list[RecapRecord]] = {}
    for record in records:
        by_game.setdefault(record.game, []).append(record)
    fallen = [r for r in records if r.previous_stood is not None and not r.tie]
    return WeekRecap(
        start,
        end,
        by_game,
        max(fallen, key=lambda r: r.previous_stood or timedelta(0), default=None),
        _most_active(
            [
                *(r.holders for r in halo),
                *(tuple(p.display_name for p in e.run.players) for _, e in runs),
            ]
        ),
        recorded.streams,
        len(runs),
        sorted(followed.values(), key=str.casefold),
    )


def _most_active(holders: Iterable[tuple[str, ...]]) -> list[tuple[str, int]]:
    """The runners named most often (in HaloRuns' records and the followed games' verified runs),
    with how often."""
    counts: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for names in holders:
        for name in set(names):
            counts[name.casefold()] += 1
            spelled.setdefault(name.casefold(), name)
    return [(spelled[key], count) for key, count in counts.most_common(RUNNERS_SHOWN)]
