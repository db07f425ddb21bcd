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

from bot.storage.database import Database, Row, Session, assignments, marks, utc

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
        database: Database,
        feed: str,
        shape: TypeAdapter[E],
        board_of: Callable[[E], str] = lambda run: NOT_A_RECORD,
    ) -> None:
        """``board_of(run)`` names the board ``run`` is the world record of (``NOT_A_RECORD`` if
        none): the posts a later record on that board supersedes."""
        self._database = database
        self._feed = feed
        self._shape = shape
        self._board_of = board_of
        self._boards_known = False

    async def unseen(self, runs: Iterable[E]) -> list[E]:
        """The runs this feed has not seen before (by key or by fingerprint), in the given order."""
        runs = list({run.key: run for run in runs}.values())
        known = await self._known(self._database, runs)
        return [run for run in runs if run.key not in known and run.fingerprint not in known]

    async def add(self, runs: Iterable[E], recipients: Callable[[E], Iterable[tuple[int, int]]]) -> list[E]:
        """Records the runs not seen before, in the given order (oldest first), each pending for the
        (server, channel) pairs ``recipients`` names; returns the new ones."""
        runs = list({run.key: run for run in runs}.values())
        now = datetime.now(UTC)
        async with self._database.transaction() as session:
            known = await self._known(session, runs)
            new = [run for run in runs if run.key not in known and run.fingerprint not in known]
            for run in new:
                record_id = await session.fetchval(
                    "INSERT INTO feed_runs (feed, key, fingerprint, run, seen_at, board) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    self._feed,
                    run.key,
                    run.fingerprint,
                    self._shape.dump_json(run, by_alias=True).decode(),
                    now,
                    self._board_of(run),
                )
                deliveries = [
                    (record_id, guild_id, channel_id, PENDING, now)
                    for guild_id, channel_id in dict.fromkeys(recipients(run))
                ]
                if deliveries:
                    await session.executemany(
                        "INSERT INTO feed_deliveries (record_id, guild_id, channel_id, status, attempts, "
                        "updated_at) VALUES (?, ?, ?, ?, 0, ?)",
                        deliveries,
                    )
        return new

    async def seen(self, since: datetime | None = None) -> list[tuple[datetime, E]]:
        """Every run this feed has seen (since ``since``), in the order it saw them, with when; a
        row that no longer reads as a run is left out (logged)."""
        if since is None:
            rows = await self._database.fetch(
                "SELECT id, run, seen_at FROM feed_runs WHERE feed = ? ORDER BY id", self._feed
            )
        else:
            rows = await self._database.fetch(
                "SELECT id, run, seen_at FROM feed_runs WHERE feed = ? AND seen_at >= ? ORDER BY id",
                self._feed,
                since,
            )
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
        claimed, args = ("AND d.claimed_by = ?", (claimant,)) if claimant is not None else ("", ())
        rows = await self._database.fetch(
            "SELECT d.record_id, d.guild_id, d.channel_id, d.attempts, r.run "
            "FROM feed_deliveries d JOIN feed_runs r ON r.id = d.record_id "
            f"WHERE d.status = ? AND r.feed = ? {claimed} "
            "ORDER BY d.record_id, d.guild_id, d.channel_id",
            PENDING,
            self._feed,
            *args,
        )
        return [
            Delivery(row.record_id, row.guild_id, row.channel_id, run, row.attempts)
            for row in rows
            if (run := self._run(row.record_id, row.run)) is not None
        ]

    async def claim(self, claimant: str, *, seconds: float) -> list[Delivery[E]]:
        """The deliveries still to make that no other process is making, each claimed for
        ``claimant`` for ``seconds`` (until ``release``), oldest run first."""
        now = datetime.now(UTC)
        await self._database.execute(
            f"UPDATE feed_deliveries SET claimed_by = ?, claimed_until = ? WHERE status = ? AND {OF_FEED} "
            "AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)",
            claimant,
            now + timedelta(seconds=seconds),
            PENDING,
            self._feed,
            now,
            claimant,
        )
        return await self.pending(claimant)

    async def release(self, claimant: str) -> None:
        """Gives up ``claimant``'s claims on the deliveries still to make (it made what it could)."""
        await self._database.execute(
            "UPDATE feed_deliveries SET claimed_by = NULL, claimed_until = NULL "
            f"WHERE status = ? AND claimed_by = ? AND {OF_FEED}",
            PENDING,
            claimant,
            self._feed,
        )

    async def owed(self) -> int:
        """How many deliveries of this feed are still to make."""
        count = await self._database.fetchval(
            "SELECT count(*) FROM feed_deliveries d JOIN feed_runs r ON r.id = d.record_id "
            "WHERE d.status = ? AND r.feed = ?",
            PENDING,
            self._feed,
        )
        return int(count or 0)

    async def posted(
        self, delivery: Delivery[E], message_id: int, *, supersedes: Posted[E] | None = None
    ) -> None:
        """Marks the delivery posted; and ``supersedes``, the post of the record it replaces, as
        followed by it (its follow-up owed), unless another post claimed it first (a post of the
        same record in the superseded post's own channel takes the claim over)."""
        async with self._database.transaction() as session:
            await self._set(
                session,
                delivery,
                status=POSTED,
                message_id=message_id,
                previous_channel=supersedes.channel_id if supersedes else None,
                previous_message=supersedes.message_id if supersedes else None,
            )
            if supersedes is None:
                return
            # Unclaimed; or claimed by this record's post in another channel, edit still owed,
            # where this post is in the superseded post's own channel.
            moved_here = (
                " OR (followed_by = ? AND follow = ? AND followed_in != ?)"
                if delivery.channel_id == supersedes.channel_id
                else ""
            )
            moved_args = (delivery.record_id, FOLLOW_OWED, supersedes.channel_id) if moved_here else ()
            await session.execute(
                "UPDATE feed_deliveries SET followed_by = ?, followed_in = ?, follow = ?, updated_at = ? "
                f"WHERE {KEY} AND (followed_by IS NULL{moved_here})",
                delivery.record_id,
                delivery.channel_id,
                FOLLOW_OWED,
                datetime.now(UTC),
                *_key(supersedes),
                *moved_args,
            )

    def board(self, run: E) -> str:
        """The board ``run`` is the world record of (``NOT_A_RECORD`` if none)."""
        return self._board_of(run)

    async def standing(self, runs: Iterable[E]) -> list[Posted[E]]:
        """The posts of records on the boards ``runs`` are the records of that no later record
        superseded yet, in every server; the latest first."""
        boards = sorted({self._board_of(run) for run in runs} - {NOT_A_RECORD})
        if not boards:
            return []
        rows = await self._database.fetch(
            f"{_posts()} AND r.board IN ({marks(len(boards))}) AND d.status = ? AND d.followed_by IS NULL "
            "ORDER BY d.record_id DESC, d.channel_id",
            self._feed,
            *boards,
            POSTED,
        )
        return [post for row in rows if (post := self._posted(row)) is not None]

    async def follow_ups(self) -> list[tuple[Posted[E], Posted[E]]]:
        """The posts whose follow-up is owed, oldest first, each with the post that superseded it."""
        rows = await self._database.fetch(
            _posts(
                ", later.message_id AS later_message",
                " JOIN feed_deliveries later ON later.record_id = d.followed_by "
                "AND later.guild_id = d.guild_id AND later.channel_id = d.followed_in",
            )
            + " AND d.follow = ? AND later.status = ? ORDER BY d.record_id, d.guild_id, d.channel_id",
            self._feed,
            FOLLOW_OWED,
            POSTED,
        )
        if not rows:
            return []
        later = sorted({row.followed_by for row in rows})
        successors = await self._database.fetch(
            f"SELECT id, run FROM feed_runs WHERE id IN ({marks(len(later))})", *later
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
        await self._database.execute(
            f"UPDATE feed_deliveries SET follow = ?, updated_at = ? WHERE {KEY}",
            outcome,
            datetime.now(UTC),
            *_key(post),
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
        return await self._database.execute(
            f"DELETE FROM feed_deliveries WHERE status != ? AND updated_at < ? AND {OF_FEED} "
            "AND NOT (status = ? AND followed_by IS NULL AND record_id IN "
            "(SELECT id FROM feed_runs WHERE feed = ? AND (board IS NULL OR board != ?))) "
            "AND (follow IS NULL OR follow != ?)",
            PENDING,
            before,
            self._feed,
            POSTED,
            self._feed,
            NOT_A_RECORD,
            FOLLOW_OWED,
        )

    def _posted(self, row: Row) -> Posted[E] | None:
        run = self._run(row.record_id, row.run)
        if run is None:
            return None
        previous = (row.previous_channel, row.previous_message) if row.previous_message else None
        return Posted(row.record_id, row.guild_id, row.channel_id, row.message_id, run, previous)

    async def work_out_boards(self) -> None:
        """Works out the boards of the runs recorded before runs kept them (once, at the first call)."""
        if self._boards_known:
            return
        async with self._database.transaction() as session:
            rows = await session.fetch(
                "SELECT id, run FROM feed_runs WHERE feed = ? AND board IS NULL", self._feed
            )
            boards: dict[str, list[int]] = {}
            for row in rows:
                run = self._run(row.id, row.run)
                boards.setdefault(NOT_A_RECORD if run is None else self._board_of(run), []).append(row.id)
            for board, ids in boards.items():
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start : start + CHUNK]
                    await session.execute(
                        f"UPDATE feed_runs SET board = ? WHERE id IN ({marks(len(chunk))})", board, *chunk
                    )
        self._boards_known = True

    async def _known(self, session: Session, runs: list[E]) -> set[str]:
        if not runs:
            return set()
        seen = await session.fetch(
            f"SELECT key, fingerprint FROM feed_runs WHERE key IN ({marks(len(runs))}) "
            f"OR (feed = ? AND fingerprint IN ({marks(len(runs))}))",
            *(run.key for run in runs),
            self._feed,
            *(run.fingerprint for run in runs),
        )
        return {value for row in seen for value in row}

    async def _update(self, deliveries: Sequence[Delivery[E]], **values: object) -> None:
        async with self._database.transaction() as session:
            for delivery in deliveries:
                await self._set(session, delivery, **values)

    @staticmethod
    async def _set(session: Session, delivery: Delivery[E], **values: object) -> None:
        """Updates the delivery, if it is still pending."""
        values["updated_at"] = datetime.now(UTC)
        await session.execute(
            f"UPDATE feed_deliveries SET {assignments(values)} WHERE {KEY} AND status = ?",
            *values.values(),
            *_key(delivery),
            PENDING,
        )


# A delivery of this feed (argument: the feed).
OF_FEED = "record_id IN (SELECT id FROM feed_runs WHERE feed = ?)"
# One delivery (arguments: _key()).
KEY = "record_id = ? AND guild_id = ? AND channel_id = ?"


def _posts(columns: str = "", join: str = "") -> str:
    """This feed's posts (argument: the feed), as ``_posted`` reads them, with more ``columns`` and a
    ``join``; more conditions may follow."""
    return (
        "SELECT d.record_id, d.guild_id, d.channel_id, d.message_id, d.followed_by, d.followed_in, "
        f"d.previous_channel, d.previous_message, r.run{columns} "
        f"FROM feed_deliveries d JOIN feed_runs r ON r.id = d.record_id{join} "
        "WHERE r.feed = ? AND d.message_id IS NOT NULL"
    )


def _key(delivery: Delivery[Any] | Posted[Any]) -> tuple[int, int, int]:
    return delivery.record_id, delivery.guild_id, delivery.channel_id
