"""The ledger of the announcement feeds: every run a feed has seen, and per channel of a server
whether it was posted.

A run is marked posted for a server only after Discord accepted the message, so a crash or a
failure between the two posts it again later (the post's nonce keeps a quick retry from doubling).
Several processes may share the database: the one delivering claims the deliveries it is making
(``claim``), and a claim left by a process that died runs out after its seconds, well within the
minutes Discord matches a nonce, so that the next poller finishes that post once.
Each feed (HaloRuns records, speedrun.com verified runs) keeps its own runs under its name; keys
are unique across feeds (a feed's own keys carry a prefix of their own, such as ``src/``).

A run that is a world record keeps its board (``board_of``); a posted record stands in its server
until a later record on its board claims it (``posted(..., supersedes=)``, which also keeps the
post the new one links back to), and its follow-up (the edit of its post) is owed until
``followed``. Posts of records still standing are never pruned.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.database import utc
from bot.storage.tables import feed_deliveries, feed_runs

log = logging.getLogger(__name__)

PENDING, POSTED, DROPPED = "pending", "posted", "dropped"
FOLLOW_OWED, EDITED, GONE = "pending", "edited", "gone"  # a superseded post's follow-up
NOT_A_RECORD = ""  # the board of a run that is no world record
CHUNK = 500  # rows named in one statement


def this_process() -> str:
    """The name claims give this process: its host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Entry(Protocol):
    """What a feed keeps: a key of its own, and a fingerprint that also finds it under another key."""

    @property
    def key(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...


E = TypeVar("E", bound=Entry)


@dataclass(frozen=True, slots=True)
class Delivery(Generic[E]):
    record_id: int
    guild_id: int
    channel_id: int  # 0: made before deliveries were per channel, its setting gone since
    run: E
    attempts: int


@dataclass(frozen=True, slots=True)
class Posted(Generic[E]):
    """A run's post in a channel of a server."""

    record_id: int
    guild_id: int
    channel_id: int
    message_id: int
    run: E
    previous: tuple[int, int] | None = None  # (channel, message) of the post it links back to


class RunLedger(Generic[E]):
    def __init__(
        self,
        engine: AsyncEngine,
        feed: str,
        shape: TypeAdapter[E],
        board_of: Callable[[E], str] = lambda run: NOT_A_RECORD,
    ) -> None:
        """``board_of(run)`` names the board ``run`` is the world record of (``NOT_A_RECORD`` if
        none): the posts a later record on that board supersedes."""
        self._engine = engine
        self._feed = feed
        self._shape = shape
        self._board_of = board_of
        self._boards_known = False

    async def unseen(self, runs: Iterable[E]) -> list[E]:
        """The runs this feed has not seen before (by key or by fingerprint), in the given order."""
        runs = list({run.key: run for run in runs}.values())
        async with self._engine.connect() as connection:
            known = await self._known(connection, runs)
        return [run for run in runs if run.key not in known and run.fingerprint not in known]

    async def add(self, runs: Iterable[E], recipients: Callable[[E], Iterable[tuple[int, int]]]) -> list[E]:
        """Records the runs not seen before, in the given order (oldest first), each pending for the
        (server, channel) pairs ``recipients`` names; returns the new ones."""
        runs = list({run.key: run for run in runs}.values())
        now = datetime.now(UTC)
        async with self._engine.begin() as connection:
            known = await self._known(connection, runs)
            new = [run for run in runs if run.key not in known and run.fingerprint not in known]
            for run in new:
                record_id = await connection.scalar(
                    feed_runs.insert()
                    .values(
                        feed=self._feed,
                        key=run.key,
                        fingerprint=run.fingerprint,
                        run=self._shape.dump_json(run, by_alias=True).decode(),
                        seen_at=now,
                        board=self._board_of(run),
                    )
                    .returning(feed_runs.c.id)
                )
                rows = [
                    {
                        "record_id": record_id,
                        "guild_id": guild_id,
                        "channel_id": channel_id,
                        "status": PENDING,
                        "attempts": 0,
                        "updated_at": now,
                    }
                    for guild_id, channel_id in dict.fromkeys(recipients(run))
                ]
                if rows:
                    await connection.execute(feed_deliveries.insert(), rows)
        return new

    async def seen(self, since: datetime | None = None) -> list[tuple[datetime, E]]:
        """Every run this feed has seen (since ``since``), in the order it saw them, with when; a
        row that no longer reads as a run is left out (logged)."""
        query = select(feed_runs.c.id, feed_runs.c.run, feed_runs.c.seen_at).where(
            feed_runs.c.feed == self._feed
        )
        if since is not None:
            query = query.where(feed_runs.c.seen_at >= since)
        async with self._engine.connect() as connection:
            rows = list(await connection.execute(query.order_by(feed_runs.c.id)))
        return [(utc(row.seen_at), run) for row in rows if (run := self._run(row.id, row.run)) is not None]

    def _run(self, record_id: int, stored: str) -> E | None:
        """The run stored in row ``record_id``; ``None`` (logged) if it no longer reads as one (the
        model changed since, say): the row is left out, it never stops the feed."""
        try:
            return self._shape.validate_json(stored)
        except ValidationError as error:
            log.warning("Run %s of the %s feed left out: %s", record_id, self._feed, error)
            return None

    async def pending(self, claimant: str | None = None) -> list[Delivery[E]]:
        """Every delivery of this feed still to make (those ``claimant`` claimed, if named), oldest
        run first."""
        query = (
            select(
                feed_deliveries.c.record_id,
                feed_deliveries.c.guild_id,
                feed_deliveries.c.channel_id,
                feed_deliveries.c.attempts,
                feed_runs.c.run,
            )
            .join(feed_runs, feed_runs.c.id == feed_deliveries.c.record_id)
            .where((feed_deliveries.c.status == PENDING) & (feed_runs.c.feed == self._feed))
            .order_by(feed_deliveries.c.record_id, feed_deliveries.c.guild_id, feed_deliveries.c.channel_id)
        )
        if claimant is not None:
            query = query.where(feed_deliveries.c.claimed_by == claimant)
        async with self._engine.connect() as connection:
            rows = await connection.execute(query)
            return [
                Delivery(row.record_id, row.guild_id, row.channel_id, run, row.attempts)
                for row in rows
                if (run := self._run(row.record_id, row.run)) is not None
            ]

    async def claim(self, claimant: str, *, seconds: float) -> list[Delivery[E]]:
        """The deliveries still to make that no other process is making, each claimed for
        ``claimant`` for ``seconds`` (until ``release``), oldest run first."""
        now = datetime.now(UTC)
        free = (
            feed_deliveries.c.claimed_until.is_(None)
            | (feed_deliveries.c.claimed_until < now)
            | (feed_deliveries.c.claimed_by == claimant)
        )
        async with self._engine.begin() as connection:
            await connection.execute(
                feed_deliveries.update()
                .where((feed_deliveries.c.status == PENDING) & self._of_this_feed() & free)
                .values(claimed_by=claimant, claimed_until=now + timedelta(seconds=seconds))
            )
        return await self.pending(claimant)

    async def release(self, claimant: str) -> None:
        """Gives up ``claimant``'s claims on the deliveries still to make (it made what it could)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                feed_deliveries.update()
                .where(
                    (feed_deliveries.c.status == PENDING)
                    & (feed_deliveries.c.claimed_by == claimant)
                    & self._of_this_feed()
                )
                .values(claimed_by=None, claimed_until=None)
            )

    def _of_this_feed(self) -> ColumnElement[bool]:
        return feed_deliveries.c.record_id.in_(select(feed_runs.c.id).where(feed_runs.c.feed == self._feed))

    async def owed(self) -> int:
        """How many deliveries of this feed are still to make."""
        query = (
            select(func.count())
            .select_from(feed_deliveries.join(feed_runs, feed_runs.c.id == feed_deliveries.c.record_id))
            .where((feed_deliveries.c.status == PENDING) & (feed_runs.c.feed == self._feed))
        )
        async with self._engine.connect() as connection:
            return int(await connection.scalar(query) or 0)

    async def posted(
        self, delivery: Delivery[E], message_id: int, *, supersedes: Posted[E] | None = None
    ) -> None:
        """Marks the delivery posted; and ``supersedes``, the post of the record it replaces, as
        followed by it (its follow-up owed), unless another post claimed it first (a post of the
        same record in the superseded post's own channel takes the claim over)."""
        async with self._engine.begin() as connection:
            await self._set(
                connection,
                delivery,
                status=POSTED,
                message_id=message_id,
                previous_channel=supersedes.channel_id if supersedes else None,
                previous_message=supersedes.message_id if supersedes else None,
            )
            if supersedes is not None:
                # Unclaimed; or claimed by this record's post in another channel, edit still owed,
                # where this post is in the superseded post's own channel.
                moved_here = (
                    (feed_deliveries.c.followed_by == delivery.record_id)
                    & (feed_deliveries.c.follow == FOLLOW_OWED)
                    & (feed_deliveries.c.followed_in != supersedes.channel_id)
                    if delivery.channel_id == supersedes.channel_id
                    else false()
                )
                await connection.execute(
                    feed_deliveries.update()
                    .where(_key(supersedes) & (feed_deliveries.c.followed_by.is_(None) | moved_here))
                    .values(
                        followed_by=delivery.record_id,
                        followed_in=delivery.channel_id,
                        follow=FOLLOW_OWED,
                        updated_at=datetime.now(UTC),
                    )
                )

    def board(self, run: E) -> str:
        """The board ``run`` is the world record of (``NOT_A_RECORD`` if none)."""
        return self._board_of(run)

    async def standing(self, runs: Iterable[E]) -> list[Posted[E]]:
        """The posts of records on the boards ``runs`` are the records of that no later record
        superseded yet, in every server; the latest first."""
        boards = {self._board_of(run) for run in runs} - {NOT_A_RECORD}
        if not boards:
            return []
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                self._posts()
                .where(
                    feed_runs.c.board.in_(boards)
                    & (feed_deliveries.c.status == POSTED)
                    & feed_deliveries.c.followed_by.is_(None)
                )
                .order_by(feed_deliveries.c.record_id.desc(), feed_deliveries.c.channel_id)
            )
            return [post for row in rows if (post := self._posted(row)) is not None]

    async def follow_ups(self) -> list[tuple[Posted[E], Posted[E]]]:
        """The posts whose follow-up is owed, oldest first, each with the post that superseded it."""
        later = feed_deliveries.alias("later")
        query = (
            self._posts()
            .add_columns(later.c.message_id.label("later_message"))
            .join(
                later,
                (later.c.record_id == feed_deliveries.c.followed_by)
                & (later.c.guild_id == feed_deliveries.c.guild_id)
                & (later.c.channel_id == feed_deliveries.c.followed_in),
            )
            .where((feed_deliveries.c.follow == FOLLOW_OWED) & (later.c.status == POSTED))
            .order_by(feed_deliveries.c.record_id, feed_deliveries.c.guild_id, feed_deliveries.c.channel_id)
        )
        async with self._engine.connect() as connection:
            rows = list(await connection.execute(query))
            if not rows:
                return []
            successors = await connection.execute(
                select(feed_runs.c.id, feed_runs.c.run).where(
                    feed_runs.c.id.in_({row.followed_by for row in rows})
                )
            )
            runs = {row.id: run for row in successors if (run := self._run(row.id, row.run)) is not None}
        return [
            (earlier, Posted(row.followed_by, row.guild_id, row.followed_in, row.later_message, successor))
            for row in rows
            if (earlier := self._posted(row)) is not None
            and (successor := runs.get(row.followed_by)) is not None
        ]

    async def followed(self, post: Posted[E], outcome: str) -> None:
        """The post's follow-up is done: ``EDITED``, or given up (``GONE``)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                feed_deliveries.update()
                .where(_key(post))
                .values(follow=outcome, updated_at=datetime.now(UTC))
            )

    async def failed(self, delivery: Delivery[E], error: str) -> None:
        await self._update([delivery], attempts=delivery.attempts + 1, last_error=error[:1000])

    async def drop(self, deliveries: Sequence[Delivery[E]], reason: str) -> None:
        """Gives up posts that cannot be made (or are not wanted any more); posted ones stay posted."""
        await self._update(deliveries, status=DROPPED, last_error=reason[:1000])

    async def prune(self, before: datetime) -> int:
        """Forgets this feed's posted and dropped deliveries last touched before ``before``, but
        the posts of records still standing and those whose follow-up is owed (runs stay, so that
        one still in the feed is never taken for new)."""
        async with self._engine.begin() as connection:
            records = select(feed_runs.c.id).where(
                (feed_runs.c.feed == self._feed)
                & or_(feed_runs.c.board.is_(None), feed_runs.c.board != NOT_A_RECORD)
            )
            standing = and_(
                feed_deliveries.c.status == POSTED,
                feed_deliveries.c.followed_by.is_(None),
                feed_deliveries.c.record_id.in_(records),
            )
            deleted = await connection.execute(
                feed_deliveries.delete().where(
                    (feed_deliveries.c.status != PENDING)
                    & (feed_deliveries.c.updated_at < before)
                    & self._of_this_feed()
                    & ~standing
                    & or_(feed_deliveries.c.follow.is_(None), feed_deliveries.c.follow != FOLLOW_OWED)
                )
            )
        return int(deleted.rowcount)

    def _posts(self) -> Select[Any]:
        return (
            select(
                feed_deliveries.c.record_id,
                feed_deliveries.c.guild_id,
                feed_deliveries.c.channel_id,
                feed_deliveries.c.message_id,
                feed_deliveries.c.followed_by,
                feed_deliveries.c.followed_in,
                feed_deliveries.c.previous_channel,
                feed_deliveries.c.previous_message,
                feed_runs.c.run,
            )
            .join(feed_runs, feed_runs.c.id == feed_deliveries.c.record_id)
            .where((feed_runs.c.feed == self._feed) & feed_deliveries.c.message_id.is_not(None))
        )

    def _posted(self, row: Any) -> Posted[E] | None:
        run = self._run(row.record_id, row.run)
        if run is None:
            return None
        previous = (row.previous_channel, row.previous_message) if row.previous_message else None
        return Posted(row.record_id, row.guild_id, row.channel_id, row.message_id, run, previous)

    async def work_out_boards(self) -> None:
        """Works out the boards of the runs recorded before runs kept them (once, at the first call)."""
        if self._boards_known:
            return
        async with self._engine.begin() as connection:
            rows = await connection.execute(
                select(feed_runs.c.id, feed_runs.c.run).where(
                    (feed_runs.c.feed == self._feed) & feed_runs.c.board.is_(None)
                )
            )
            boards: dict[str, list[int]] = {}
            for row in list(rows):
                run = self._run(row.id, row.run)
                boards.setdefault(NOT_A_RECORD if run is None else self._board_of(run), []).append(row.id)
            for board, ids in boards.items():
                for start in range(0, len(ids), CHUNK):
                    await connection.execute(
                        feed_runs.update()
                        .where(feed_runs.c.id.in_(ids[start : start + CHUNK]))
                        .values(board=board)
                    )
        self._boards_known = True

    async def _known(self, connection: AsyncConnection, runs: list[E]) -> set[str]:
        seen = await connection.execute(
            select(feed_runs.c.key, feed_runs.c.fingerprint).where(
                feed_runs.c.key.in_([r.key for r in runs])
                | (
                    (feed_runs.c.feed == self._feed)
                    & feed_runs.c.fingerprint.in_([r.fingerprint for r in runs])
                )
            )
        )
        return {value for row in seen for value in row}

    async def _update(self, deliveries: Sequence[Delivery[E]], **values: object) -> None:
        async with self._engine.begin() as connection:
            for delivery in deliveries:
                await self._set(connection, delivery, **values)

    @staticmethod
    async def _set(connection: AsyncConnection, delivery: Delivery[E], **values: object) -> None:
        """Updates the delivery, if it is still pending."""
        key = _key(delivery) & (feed_deliveries.c.status == PENDING)
        await connection.execute(
            feed_deliveries.update().where(key).values(**values, updated_at=datetime.now(UTC))
        )


def _key(delivery: Delivery[Any] | Posted[Any]) -> ColumnElement[bool]:
    return (
        (feed_deliveries.c.record_id == delivery.record_id)
        & (feed_deliveries.c.guild_id == delivery.guild_id)
        & (feed_deliveries.c.channel_id == delivery.channel_id)
    )
