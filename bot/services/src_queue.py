"""The speedrun.com verification queue: each game's new submissions posted once for its moderators,
and each post kept up to date until the run is verified, rejected or withdrawn.

Every ``speedrun.poll_seconds``, each game some server's queue follows is read whole
(``status=new&orderby=submitted&direction=asc``, paged, in the background of the shared budget).
The first look at a game remembers its queue and posts nothing (bot/services/src_games.py); a
submission the ledger has not seen is then posted in each server that follows the game, once
(bot/services/delivery.py), with its flags: the problems a moderator should see at once, found
without judging the run. A posted run that has left the queue is looked up: verified, rejected, or,
when speedrun.com has it no more, withdrawn; its post is edited once to say so and then left. A run
waiting for more than ``LONG_WAIT`` is flagged in its post. Edits wait out Discord's slow-downs and
are recorded once Discord accepted them; a post someone deleted is left alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol
from urllib.parse import urlsplit

from pydantic import TypeAdapter

from bot.clients.speedrun import SpeedrunClient
from bot.errors import NotFound, ServiceError, UserFacingError
from bot.models import speedrun as api
from bot.models.settings import SrcQueueFilters
from bot.models.speedrun import SAME_TIME
from bot.models.src_queue import Flag, QueuedRun, State
from bot.services.delivery import (
    DeliveryRefused,
    FeedDelivery,
    MessageGone,
    PollResult,
    PostRejected,
    ServerUnavailable,
    Target,
    paced,
)
from bot.services.src_games import FollowedGames
from bot.storage.database import Database
from bot.storage.ledger import Posted, RunLedger
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.src_queue import QueuePost, SrcQueuePosts
from bot.storage.state import BotState

log = logging.getLogger(__name__)

FEED = "src-queue"  # keys of its runs start with it too (QueuedRun.key)
FEATURE: Final = "queue"
FOLLOWED_STATE = "src.queue.followed"  # {game id: when the bot first looked at its queue}
PAGE = 200  # runs read per request (speedrun.com's most)
PAGES = 25  # pages of one game's queue read at most
LONG_WAIT = timedelta(days=7)
EDITS_AT_ONCE = 50

ENTRY: TypeAdapter[QueuedRun] = TypeAdapter(QueuedRun)
# A board: category, level, and the values of the category's subcategory variables.
Board = tuple[str | None, str | None, tuple[tuple[str, str], ...]]
ENDS: dict[str, State] = {"verified": "verified", "rejected": "rejected"}


class QueueDesk(Protocol):
    """What the queue asks of Discord."""

    async def post(self, target: Target, entry: QueuedRun, nonce: str) -> int:
        """Posts a queued run where ``target`` says; returns the message id."""

    async def show(self, post: QueuePost) -> None:
        """Edits the post's message to show ``post.shown``."""


@dataclass(frozen=True, slots=True)
class Queue:
    """A game's queue as /src queue shows it: oldest first, and whether it was read to its end."""

    game: api.Game
    runs: list[QueuedRun]
    complete: bool


def _web(uri: str) -> bool:
    parts = urlsplit(uri.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _players(run: api.Run) -> set[str]:
    return {p.id or f"guest:{(p.name or '').casefold()}" for p in run.players}


def _oldest_first(runs: Sequence[api.Run]) -> list[api.Run]:
    """The runs once each, oldest submission first (speedrun.com's ordering is unstable)."""
    unique = {run.id: run for run in runs}.values()
    return sorted(unique, key=lambda run: (run.submitted or datetime.max.replace(tzinfo=UTC), run.id))


def second_submissions(boards: Sequence[tuple[Board, api.Run]]) -> list[bool]:
    """For each run of a queue (oldest first, with its board), whether one of its players has an
    earlier submission waiting on the same board."""
    seen: dict[Board, set[str]] = {}
    found = []
    for board, run in boards:
        players = _players(run)
        earlier = seen.setdefault(board, set())
        found.append(bool(players & earlier))
        earlier |= players
    return found


def flags_of(run: api.Run, *, second: bool, record: float | None, now: datetime) -> tuple[Flag, ...]:
    """What a moderator should see at once about ``run``: ``second`` when a player of it has an
    earlier submission waiting on the same board, ``record`` the board's record time, if known."""
    flags: list[Flag] = []
    links = run.videos.links if run.videos else []
    if not links:
        flags.append("no video")
    elif not all(_web(link.uri) for link in links):
        flags.append("not a web video")
    seconds = run.times.primary_t
    if record is not None and 0 < seconds < record - SAME_TIME:
        flags.append("faster than the record")
    if second:
        flags.append("second submission")
    if run.submitted is not None and now - run.submitted > LONG_WAIT:
        flags.append("waiting long")
    return tuple(flags)


def _waited_long(entry: QueuedRun, now: datetime) -> bool:
    """Whether the run has just been waiting for longer than ``LONG_WAIT`` (not flagged so yet)."""
    submitted = entry.run.submitted
    waiting = entry.state == "waiting" and "waiting long" not in entry.flags
    return waiting and submitted is not None and now - submitted > LONG_WAIT


class SrcQueue:
    def __init__(
        self,
        client: SpeedrunClient,
        database: Database,
        settings: GuildSettings,
        state: BotState,
        desk: QueueDesk,
        *,
        stopping: Callable[[], bool],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._desk = desk
        self._clock = clock
        self._posts = SrcQueuePosts(database)
        self._games = FollowedGames(
            lambda: settings.enabled(FEATURE), state, state_key=FOLLOWED_STATE, stopping=stopping
        )
        self._ledger = RunLedger(database, FEED, ENTRY)
        self._delivery = FeedDelivery(
            self._ledger,
            settings,
            feature=FEATURE,
            wanted=lambda setting, entry: setting.scope == entry.run.game_id,
            post=self._post,
            stopping=stopping,  # a queued run is no record: no post supersedes another, none is followed
        )
        self._records: dict[Board, float | None] = {}  # this poll's board records
        self._at_once = asyncio.Semaphore(EDITS_AT_ONCE)

    async def poll(self) -> PollResult:
        """One round: every followed game's queue (new runs stored, posts brought up to date), then
        every pending post."""
        self._records = {}
        new, read_all = await self._games.poll(self._first_look, self._poll_game)
        posted, failed, _ = await self._delivery.deliver()
        return PollResult(new, posted, failed, owed=await self._delivery.owed(), good=read_all)

    async def queue(self, game_ref: str) -> Queue:
        """The queue of the game ``game_ref`` names, read now (as a command), with the flags that
        need no leaderboard."""
        game = await self._client.game(game_ref)
        runs, complete = await self._listing(game.id, background=False)
        seconds = second_submissions([(await self._board(run), run) for run in runs])
        now = self._clock()
        entries = [
            QueuedRun(run=run, game=game.name, flags=flags_of(run, second=second, record=None, now=now))
            for run, second in zip(runs, seconds, strict=True)
        ]
        return Queue(game, entries, complete)

    async def _listing(self, game_id: str, *, background: bool) -> tuple[list[api.Run], bool]:
        """The game's queue, oldest first; and whether it was read to its end (``PAGES`` at most)."""
        filters = {"game": game_id, "status": "new", "orderby": "submitted", "direction": "asc"}
        runs: list[api.Run] = []
        for page in range(PAGES):
            batch, more = await self._client.runs(
                {**filters, "offset": str(page * PAGE)}, count=PAGE, background=background
            )
            runs += batch
            if not more:
                return _oldest_first(runs), True
        log.warning("The speedrun.com queue of %s is longer than %d runs: read in part", game_id, len(runs))
        return _oldest_first(runs), False

    async def _first_look(self, game_id: str) -> None:
        game = await self._client.game(game_id)
        runs, _ = await self._listing(game.id, background=True)
        await self._ledger.add([QueuedRun(run=run, game=game.name) for run in runs], lambda entry: [])
        for post in await self._posts.of_game(game.id):  # of a queue that was ended: left as it is
            await self._posts.close(post)
        log.info("First look at the speedrun.com queue of %s: %d runs remembered", game.name, len(runs))

    async def _poll_game(
        self, game_id: str, followed: datetime, targets: list[FeatureSetting[SrcQueueFilters]]
    ) -> int:
        game = await self._client.game(game_id)
        runs, complete = await self._listing(game.id, background=True)
        unseen = {
            e.run.id for e in await self._ledger.unseen([QueuedRun(run=r, game=game.name) for r in runs])
        }
        boards = [(await self._board(run), run) for run in runs]
        described = [
            await self._described(game, run, board, second)
            for (board, run), second in zip(boards, second_submissions(boards), strict=True)
            if run.id in unseen
        ]
        added = await self._ledger.add(described, self._delivery.recipients(targets))
        if added:
            log.info("%d new submission(s) in the speedrun.com queue of %s", len(added), game.name)
        await self._follow(game.id, runs, complete, {t.guild_id for t in targets})
        return len(added)

    async def _described(self, game: api.Game, run: api.Run, board: Board, second: bool) -> QueuedRun:
        """The run with what its post shows besides: names of its platform and variables, flags."""
        details = await self._client.game_details(game.id)
        platforms = {s.id: s.name for s in details.platforms if isinstance(s, api.System)}
        variables = await self._client.variables(run.category_id) if run.category_id else []
        named = []
        for variable in variables:
            value = variable.values.values.get(run.values.get(variable.id, ""))
            if value is not None:
                named.append(f"{variable.name}: {value.label}")
        record = await self._record(run, board)
        return QueuedRun(
            run=run,
            game=game.name,
            platform=platforms.get(run.system.platform or ""),
            variables=tuple(named),
            flags=flags_of(run, second=second, record=record, now=self._clock()),
            record=record,
        )

    async def _board(self, run: api.Run) -> Board:
        variables = await self._client.variables(run.category_id) if run.category_id else []
        subcategory = {v.id for v in variables if v.is_subcategory}
        values = tuple(sorted((k, v) for k, v in run.values.items() if k in subcategory))
        return run.category_id, run.level_id, values

    async def _record(self, run: api.Run, board: Board) -> float | None:
        """The board's record time, read once a poll; ``None`` when there is none or it cannot be read."""
        category_id, level_id, values = board
        if category_id is None:
            return None
        if board not in self._records:
            try:
                leaders = await self._client.leaderboard(
                    run.game_id, category_id, level_id, top=1, variables=dict(values), background=True
                )
                times = [p.run.times.primary_t for p in leaders.runs if p.run.times.primary_t > 0]
                self._records[board] = min(times, default=None)
            except (ServiceError, UserFacingError) as error:
                log.warning("speedrun.com board of run %s cannot be read: %s", run.id, error)
                self._records[board] = None
        return self._records[board]

    async def _follow(self, game_id: str, runs: list[api.Run], complete: bool, guilds: set[int]) -> None:
        """Brings the game's posts up to date with its queue."""
        posts = await self._posts.of_game(game_id)
        for post in (p for p in posts if p.guild_id not in guilds):  # the server ended its queue
            await self._posts.close(post)
        posts = [p for p in posts if p.guild_id in guilds]
        listed = {run.id for run in runs}
        gone = {p.run_id: p.shown for p in posts if p.run_id not in listed} if complete else {}
        outcomes = {run_id: await self._outcome(shown) for run_id, shown in sorted(gone.items())}
        now = self._clock()
        changes: list[tuple[QueuePost, QueuedRun]] = []
        for post in posts:
            shown = post.shown
            changed = outcomes.get(post.run_id) or shown
            if _waited_long(changed, now):
                changed = changed.model_copy(update={"flags": (*changed.flags, "waiting long")})
            if changed != shown:
                changes.append((post, changed))
        await asyncio.gather(*(self._edit(post, changed, now) for post, changed in changes))

    async def _outcome(self, shown: QueuedRun) -> QueuedRun | None:
        """What became of a posted run that left the queue (``None``: unknown for now, or still
        waiting), looked up once for all of its posts."""
        run_id = shown.run.id
        try:
            found = await self._client.run(run_id, background=True)
        except NotFound:
            return shown.model_copy(update={"state": "withdrawn"})
        except (ServiceError, UserFacingError) as error:
            log.warning("speedrun.com run %s cannot be looked up: %s", run_id, error)
            return None
        state = ENDS.get(found.status.status)
        if state is None:
            return None  # still waiting: the queue's unstable ordering left it out
        return shown.model_copy(
            update={
                "run": shown.run.model_copy(update={"status": found.status}),
                "state": state,
                "examiner": await self._examiner(found.status.examiner),
            }
        )

    async def _examiner(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        try:
            return (await self._client.user_by_id(user_id, background=True)).display_name
        except (ServiceError, UserFacingError) as error:
            log.warning("speedrun.com user %s cannot be looked up: %s", user_id, error)
            return user_id

    async def _edit(self, post: QueuePost, shown: QueuedRun, now: datetime) -> None:
        """Shows ``shown`` in the post, recorded once Discord accepted it; a post that shows the
        run's end, or that is gone, is followed no more."""
        edited = replace(post, shown=shown, edited_at=now)
        async with self._at_once:
            try:
                await paced(lambda: self._desk.show(edited))
            except (MessageGone, DeliveryRefused, PostRejected) as error:
                log.info(
                    "Queue post of run %s in server %s left alone: %s", post.run_id, post.guild_id, error
                )
                await self._posts.close(post)
                return
            except ServerUnavailable:
                return  # the next poll tries again
            except Exception:
                log.warning(
                    "Queue post of run %s in server %s not edited; next poll tries again",
                    post.run_id,
                    post.guild_id,
                    exc_info=True,
                )
                return
        if shown.state == "waiting":
            await self._posts.save(edited)
        else:
            await self._posts.close(edited)

    async def _post(
        self, target: Target, entry: QueuedRun, previous: Posted[QueuedRun] | None, nonce: str
    ) -> int:
        """Posts a new queued run and starts following its post."""
        message_id = await self._desk.post(target, entry, nonce)
        now = self._clock()
        await self._posts.save(QueuePost(target.guild_id, target.channel_id, message_id, entry, now, now))
        return message_id
