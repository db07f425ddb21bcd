"""speedrun.com announcements: the newly verified runs of the games servers follow, each posted once.

Every ``speedrun.poll_seconds``, each followed game's newest verified runs are read
(``status=verified&orderby=verify-date&direction=desc``, in the background of the shared budget).
speedrun.com's ordering is unstable, so runs are told apart by id in the ledger, never by position,
and a run verified before the bot started following its game (give or take ``LATE_SHOWING``) is
never news: the first look at a game remembers what is there, and the time of that look is kept
(``FOLLOWED_STATE``), so that a restart posts the runs verified meanwhile, once. A new run is
checked against its board's record before it is stored, so that servers that want only world
records get those, with the margin. A world record's post links back to the post of the board's
record it supersedes, which is edited to say so (bot/services/delivery.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from pydantic import TypeAdapter

from bot.clients.speedrun import SpeedrunClient
from bot.errors import ServiceError, UpstreamError, UserFacingError
from bot.models import speedrun as api
from bot.models.settings import SrcAnnouncementFilters
from bot.models.speedrun import SAME_TIME, PreviousRecord, RecordStanding, VerifiedRun
from bot.services.delivery import FeedDelivery, Follower, PollResult, Poster, Succession, jump_url, succession
from bot.services.src_games import FollowedGames
from bot.storage.database import Database
from bot.storage.ledger import NOT_A_RECORD, Posted, RunLedger
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.state import BotState

log = logging.getLogger(__name__)

FEED = "src"  # keys of its runs start with it too (VerifiedRun.key)
FEATURE: Final = "src"
PAGE = 100  # runs read per request, the most recently verified first
PAGES = 5  # pages read in one poll of a game at most (after an outage)
CHECK_TRIES = 3  # polls a run waits for its record check before it is posted without one
FOLLOWED_STATE = "src.feed.followed"  # {game id: when the bot first looked at its runs}
# A run verified this long before the first look may still be news: speedrun.com's cache can
# show a run some minutes late.
LATE_SHOWING = timedelta(hours=1)


ENTRY: TypeAdapter[VerifiedRun] = TypeAdapter(VerifiedRun)


def wanted(setting: FeatureSetting[SrcAnnouncementFilters], entry: VerifiedRun) -> bool:
    return setting.scope == entry.run.game_id and (setting.filters.mode != "wr" or entry.record is not None)


def board_of(entry: VerifiedRun) -> str:
    """The category (or level) of the game the run is the world record of; its subcategory is told
    apart by ``followed``."""
    run = entry.run
    if entry.record is None:
        return NOT_A_RECORD
    return f"src:{run.game_id}/{run.category_id or ''}/{run.level_id or ''}"


def followed(earlier: Posted[VerifiedRun], later: Posted[VerifiedRun]) -> Succession | None:
    """How the later record followed the earlier one; ``None`` if it is of another subcategory
    (an earlier run keeps every variable value, and perhaps not which are subcategories)."""
    old, new = earlier.run, later.run
    boards = [e.record.board for e in (old, new) if e.record is not None]
    if any(
        old.run.values.get(k) != v or new.run.values.get(k) != v for board in boards for k, v in board.items()
    ):
        return None
    played = new.run.played
    return succession(
        old.run.times.primary_t,
        new.run.times.primary_t,
        by=" & ".join(player.display_name for player in new.run.players),
        on=datetime.combine(played, time(12), UTC) if played else None,
        link=jump_url(later),
    )


def _verified(run: api.Run) -> datetime:
    return run.status.verify_date or datetime.min.replace(tzinfo=UTC)


class SrcAnnouncements:
    def __init__(
        self,
        client: SpeedrunClient,
        database: Database,
        settings: GuildSettings,
        state: BotState,
        *,
        post: Poster[VerifiedRun],
        follow: Follower[VerifiedRun],
        stopping: Callable[[], bool],
    ) -> None:
        self._client = client
        self._check_failures: dict[str, int] = {}
        self._ledger = RunLedger(database, FEED, ENTRY, board_of)
        self._games = FollowedGames(
            lambda: settings.enabled(FEATURE), state, state_key=FOLLOWED_STATE, stopping=stopping
        )
        self._delivery = FeedDelivery(
            self._ledger,
            settings,
            feature=FEATURE,
            wanted=wanted,
            post=post,
            follow=follow,
            succession=followed,
            stopping=stopping,
        )

    async def poll(self) -> PollResult:
        """One round: every followed game's newly verified runs, then every pending post."""
        new, read_all = await self._games.poll(self._first_look, self._poll_game)
        posted, failed, edited = await self._delivery.deliver()
        return PollResult(new, posted, failed, owed=await self._delivery.owed(), good=read_all, edited=edited)

    async def _page(self, game: api.Game, page: int) -> tuple[list[VerifiedRun], bool]:
        """One page of the game's runs, the most recently verified first; and whether more follow."""
        filters = {"game": game.id, "status": "verified", "orderby": "verify-date", "direction": "desc"}
        runs, more = await self._client.runs(
            {**filters, "offset": str(page * PAGE)}, count=PAGE, background=True
        )
        return [VerifiedRun(run=run, game=game.name) for run in runs], more

    async def _unseen(self, game: api.Game, since: datetime) -> list[VerifiedRun]:
        """The game's verified runs the ledger has not seen, oldest first: from the first page, and
        from the next ones (up to ``PAGES``) while every run on a page is new and verified since
        ``since``, so that a long outage loses nothing."""
        unseen: list[VerifiedRun] = []
        for page in range(PAGES):
            batch, more = await self._page(game, page)
            new = await self._ledger.unseen(batch)
            unseen += new
            if not more or len(new) < len(batch) or any(_verified(e.run) < since for e in batch):
                break
        return sorted(unseen, key=lambda entry: _verified(entry.run))

    async def _first_look(self, game_id: str) -> None:
        game = await self._client.game(game_id)
        entries, _ = await self._page(game, 0)
        await self._ledger.add(entries, lambda entry: [])
        log.info(
            "First look at %s on speedrun.com: %d verified runs remembered, none posted",
            game.name,
            len(entries),
        )

    async def _poll_game(
        self, game_id: str, followed: datetime, targets: list[FeatureSetting[SrcAnnouncementFilters]]
    ) -> int:
        game = await self._client.game(game_id)
        since = followed - LATE_SHOWING
        unseen = await self._unseen(game, since)
        old = [e for e in unseen if _verified(e.run) < since]
        if old:  # the unstable ordering brought up runs verified before the bot followed the game
            await self._ledger.add(old, lambda entry: [])
        checked = []
        for entry in (e for e in unseen if _verified(e.run) >= since):
            try:
                standing = await self._standing(entry.run)
            except UpstreamError as error:
                failures = self._check_failures[entry.run.id] = self._check_failures.get(entry.run.id, 0) + 1
                log.warning(
                    "speedrun.com record check of run %s failed (%d): %s", entry.run.id, failures, error
                )
                if failures < CHECK_TRIES:
                    break  # keep the order: this run and newer ones wait for the next poll
                standing = None  # posted without the record check rather than held up for ever
            except (
                ServiceError,
                UserFacingError,
            ) as error:  # a board speedrun.com will not show: not a record
                log.warning("speedrun.com board of run %s cannot be read: %s", entry.run.id, error)
                standing = None
            self._check_failures.pop(entry.run.id, None)
            checked.append(entry.model_copy(update={"record": standing}))
        added = await self._ledger.add(checked, self._delivery.recipients(targets))
        if added:
            log.info("%d newly verified run(s) of %s", len(added), game.name)
        return len(added)

    async def _standing(self, run: api.Run) -> RecordStanding | None:
        """How the run stands against its board's record; ``None`` if it is not (or no longer) the
        world record, or has no time.

        Today's board (perhaps not showing the run yet: speedrun.com caches) must have no faster
        run. The record it beat is the fastest other run, not faster than it, on today's board or
        on the board as it stood the day before the run was played: that one still shows a
        runner's own earlier record, which today's board has replaced with the new run.
        """
        seconds = run.times.primary_t
        if run.category_id is None or seconds <= 0:
            return None
        variables = await self._client.variables(run.category_id)
        subcategory = {v.id for v in variables if v.is_subcategory}
        values = {k: v for k, v in run.values.items() if k in subcategory}
        today = await self._board(run, run.category_id, values, None)
        rival = _fastest_other(today, run)
        if rival is not None and rival.times.primary_t < seconds - SAME_TIME:
            return None  # someone is faster today
        candidates = [(today, rival)] if rival else []
        if run.played:
            before = await self._board(run, run.category_id, values, run.played - timedelta(days=1))
            if (earlier := _fastest_other(before, run)) is not None:
                candidates.append((before, earlier))
        if not candidates:
            return RecordStanding(board=values)
        board, record = min(candidates, key=lambda candidate: candidate[1].times.primary_t)
        if record.times.primary_t < seconds - SAME_TIME:
            return None  # it was faster before, and is gone now: this run is not the record either
        return RecordStanding(
            tie=abs(record.times.primary_t - seconds) < SAME_TIME,
            previous=PreviousRecord(
                seconds=record.times.primary_t, players=tuple(board.players_of(record)), played=record.played
            ),
            board=values,
        )

    async def _board(
        self, run: api.Run, category_id: str, values: dict[str, str], on: date | None
    ) -> api.Leaderboard:
        """The run's board with its two best places: the run itself may hold the first."""
        return await self._client.leaderboard(
            run.game_id, category_id, run.level_id, top=2, variables=values, on=on, background=True
        )


def _fastest_other(board: api.Leaderboard, run: api.Run) -> api.Run | None:
    return next((place.run for place in board.runs if place.run.id != run.id), None)
