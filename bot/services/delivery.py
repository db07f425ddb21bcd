"""Posting to many servers: what can go wrong with one post, how a slow-down is waited out, and the
delivery of what an announcement feed found, every pending post exactly once.

Discord allows a bot 50 requests a second in all, which ``bot.runtime.discord_limit`` keeps for
every request the bot makes (posts, publications, edits, lookups), paced from what Discord answers.

Deliveries are made oldest first within each channel of a server (one post per channel, for
every setting there that wants the run, pinging each of their roles), channels side by side, and
each is marked posted only once Discord accepted it. A poll claims the deliveries it makes in the
database for ``CLAIM_SECONDS`` (and gives back the ones it did not make): should its process die,
the next poller makes them once that ran out, with the same nonce, so a post Discord already
accepted is matched to its message, not made twice. A refusal that only the server's admins can
fix (channel gone, permission removed) is counted, and at ``FAILURE_LIMIT`` in a row the settings
on that channel are turned off; other failures are retried at later polls, up to
``ATTEMPTS_LIMIT``. The Discord side of one post is bot/ui/posting.py.

A world record's post links back to the post of the record it supersedes in that server (the
latest earlier one on its board, in the same channel if there is one there), which is then edited
once to say so: claimed in the same step as the new post is marked posted, so that across restarts
it is edited once, and never again by a later record. A post that is gone is left alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from bot.models.speedrun import SAME_TIME
from bot.storage.ledger import EDITED, GONE, NOT_A_RECORD, Delivery, E, Posted, RunLedger, this_process
from bot.storage.settings import Feature, FeatureSetting, GuildSettings

RATE_LIMITED_TRIES = 5
FAILURE_LIMIT = 3  # refusals in a row (channel gone, permission removed) before a server is turned off

log = logging.getLogger(__name__)

T = TypeVar("T")


class DeliveryRefused(Exception):
    """Discord refused the post for a reason only the server's admins can fix."""


class PostRejected(Exception):
    """Discord rejected this one post (a 4xx other than refusals and rate limits): it is given up."""


class SlowDown(Exception):
    """Discord is rate limiting the bot beyond what its HTTP client retries: wait ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:g} s")
        self.seconds = seconds


class MessageGone(Exception):
    """A message the bot keeps up to date is not there any more (deleted by a moderator, say)."""


class ServerUnavailable(Exception):
    """The server is out of reach for now (an outage, a reconnect): the post waits for a later poll."""


async def paced(attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``, again after a wait while Discord says to slow down (every request already
    waits its turn under the global limit: bot/runtime/discord_limit.py)."""
    for _ in range(RATE_LIMITED_TRIES - 1):
        try:
            return await attempt()
        except SlowDown as slow_down:
            await asyncio.sleep(slow_down.seconds)
    return await attempt()


ATTEMPTS_LIMIT = 10  # polls a post is retried after other failures before it is given up
SETTINGS_AT_ONCE = 50
KEEP_DELIVERIES = timedelta(days=30)
CLAIM_SECONDS = 60.0  # well within the minutes Discord matches a nonce
PRUNE_EVERY = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class PollResult:
    new: int
    posted: int
    failed: int
    owed: int | None = None  # posts still to make after this poll
    good: bool = True  # the upstream feed was read
    edited: int = 0  # earlier posts edited to say their record was superseded


@dataclass(frozen=True, slots=True)
class Target:
    """Where one post goes: a channel of a server, for each setting there that wants the run."""

    guild_id: int
    channel_id: int
    settings: tuple[FeatureSetting[Any], ...]

    @property
    def role_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(s.role_id for s in self.settings if s.role_id))


@dataclass(frozen=True, slots=True)
class Succession:
    """How a later record followed an earlier one on its board, as the earlier post tells it."""

    kind: Literal["tied", "beaten", "superseded"]
    by: str  # who holds the later record
    margin: float | None  # seconds faster, when beaten
    on: datetime | None
    link: str  # the later record's post


def jump_url(post: Posted[Any]) -> str:
    return message_url(post.guild_id, post.channel_id, post.message_id)


def message_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def succession(earlier: float, later: float, *, by: str, on: datetime | None, link: str) -> Succession:
    """The later record (``later`` seconds) against the earlier one (``earlier`` seconds)."""
    margin = earlier - later
    if abs(margin) < SAME_TIME:
        return Succession("tied", by, None, on, link)
    return Succession("beaten" if margin > 0 else "superseded", by, margin if margin > 0 else None, on, link)


def nonce(key: str, channel_id: int) -> str:
    """The same for every attempt to post one run in one channel (Discord keeps at most 25 chars)."""
    return hashlib.sha1(f"{key}/{channel_id}".encode(), usedforsecurity=False).hexdigest()[:25]


Poster = Callable[[Target, E, Posted[E] | None, str], Awaitable[int]]
# Edits the earlier post (as it was posted, with its own link back, naming the target's roles) to
# tell the succession.
Follower = Callable[[Target, Posted[E], Succession], Awaitable[None]]


class FeedDelivery(Generic[E]):
    """Delivers the pending posts of one feed, to the server settings of one feature."""

    def __init__(
        self,
        ledger: RunLedger[E],
        settings: GuildSettings,
        *,
        feature: Feature,
        wanted: Callable[[FeatureSetting[Any], E], bool],
        post: Poster[E],
        stopping: Callable[[], bool],
        follow: Follower[E] | None = None,
        succession: Callable[[Posted[E], Posted[E]], Succession | None] = lambda earlier, later: None,
        claimant: str | None = None,
    ) -> None:
        """``wanted(setting, run)``: whether the setting is for the run; ``post(target, run,
        previous, nonce)`` posts it (linking back to ``previous``) and returns the message id;
        ``succession(earlier, later)`` tells how the later post's record followed the earlier's
        (``None``: it is not the record of the same board after all; without ``succession``, no
        post supersedes another), and ``follow`` edits the earlier post to say so (``MessageGone`` if
        it is not there); ``claimant`` names this process
        in the claims (by default its host and process id)."""
        self._ledger = ledger
        self._settings = settings
        self._feature = feature
        self._wanted = wanted
        self._post = post
        self._follow = follow
        self._succession = succession
        self._stopping = stopping
        self._claimant = claimant or this_process()
        self._at_once = asyncio.Semaphore(SETTINGS_AT_ONCE)
        self._pruned = 0.0
        # The posts of records still standing, by server and board, in this delivery round.
        self._standing: dict[tuple[int, str], list[Posted[E]]] = {}

    def recipients(self, settings: list[FeatureSetting[Any]]) -> Callable[[E], list[tuple[int, int]]]:
        """For ``RunLedger.add``: the (server, channel) pairs of the settings that want a run."""
        return lambda run: [(s.guild_id, s.channel_id) for s in settings if self._wanted(s, run)]

    async def owed(self) -> int:
        """Posts still to make (pending, retried at later polls)."""
        return await self._ledger.owed()

    async def deliver(self) -> tuple[int, int, int]:
        """Every pending post no other process is making, then every follow-up owed; returns
        (posted, failed, edited)."""
        claimed = await self._ledger.claim(self._claimant, seconds=CLAIM_SECONDS)
        try:
            results = await self._deliver_claimed(claimed) if claimed else []
        finally:
            if claimed:
                await self._ledger.release(self._claimant)
        edited = await self._follow_up()
        if time.monotonic() - self._pruned > PRUNE_EVERY:
            self._pruned = time.monotonic()
            await self._ledger.prune(datetime.now(UTC) - KEEP_DELIVERIES)
        return sum(r[0] for r in results), sum(r[1] for r in results), edited

    async def _deliver_claimed(self, claimed: list[Delivery[E]]) -> list[tuple[int, int]]:
        queues: dict[tuple[int, int], list[Delivery[E]]] = {}
        for delivery in claimed:
            queues.setdefault((delivery.guild_id, delivery.channel_id), []).append(delivery)
        on = await self._channels()
        work = []
        kept: list[Delivery[E]] = []
        off: list[Delivery[E]] = []
        for (guild_id, channel_id), queue in queues.items():
            wanted = on.get((guild_id, channel_id), [])
            wanting: list[Delivery[E]] = []
            for delivery in queue:
                (wanting if any(self._wanted(s, delivery.run) for s in wanted) else off).append(delivery)
            if wanting:
                work.append(self._deliver_to(guild_id, channel_id, wanted, wanting))
                kept += wanting
        if off:
            await self._ledger.drop(off, f"{self._feature} is off in this channel")
        if kept:
            await self._ledger.work_out_boards()
            self._standing = {}
            for post in await self._ledger.standing(d.run for d in kept):
                self._standing.setdefault((post.guild_id, self._ledger.board(post.run)), []).append(post)
        return await asyncio.gather(*work)

    async def _deliver_to(
        self, guild_id: int, channel_id: int, settings: list[FeatureSetting[Any]], queue: list[Delivery[E]]
    ) -> tuple[int, int]:
        posted = failed = 0
        async with self._at_once:
            for delivery in queue:
                if self._stopping():
                    break  # the bot is shutting down: the rest stays pending
                target = Target(
                    guild_id, channel_id, tuple(s for s in settings if self._wanted(s, delivery.run))
                )
                previous = self._previous(delivery)
                try:
                    message_id = await self._post_paced(target, delivery.run, previous)
                except DeliveryRefused as refusal:
                    await self._refused(target, delivery, queue, str(refusal))
                    return posted, failed + 1
                except PostRejected as rejection:
                    log.warning("Discord rejected a post in server %s: %s", guild_id, rejection)
                    await self._ledger.drop([delivery], str(rejection))
                    failed += 1
                    continue
                except Exception as error:  # one server's trouble never stops the others
                    log.warning("Posting in server %s failed", guild_id, exc_info=True)
                    reason = f"{type(error).__name__}: {error}"
                    if delivery.attempts + 1 < ATTEMPTS_LIMIT:
                        await self._ledger.failed(delivery, reason)
                        return posted, failed + 1  # keep the order: the rest waits for the next poll
                    await self._ledger.drop([delivery], f"given up after {ATTEMPTS_LIMIT} attempts: {reason}")
                    failed += 1
                    continue
                await self._ledger.posted(delivery, message_id, supersedes=previous)
                self._stands(delivery, message_id, previous)
                for setting in target.settings:
                    if setting.failures:
                        await self._settings.delivered(setting.guild_id, setting.feature)
                posted += 1
        return posted, failed

    def _previous(self, delivery: Delivery[E]) -> Posted[E] | None:
        """The post in the server of the record the delivery's run supersedes, if any: in the same
        channel if there is one there."""
        later = Posted(delivery.record_id, delivery.guild_id, delivery.channel_id, 0, delivery.run)
        standing = [
            p
            for p in self._standing.get((delivery.guild_id, self._ledger.board(delivery.run)), [])
            if p.record_id < delivery.record_id and self._succession(p, later)
        ]
        return next((p for p in standing if p.channel_id == delivery.channel_id), None) or next(
            iter(standing), None
        )

    def _stands(self, delivery: Delivery[E], message_id: int, previous: Posted[E] | None) -> None:
        """The delivery's post now stands on its board in its server, in place of ``previous``."""
        board = self._ledger.board(delivery.run)
        if board == NOT_A_RECORD:
            return
        standing = self._standing.setdefault((delivery.guild_id, board), [])
        if previous in standing and previous.channel_id == delivery.channel_id:
            standing.remove(previous)  # from another channel, it still stands for a post there
        standing.insert(
            0, Posted(delivery.record_id, delivery.guild_id, delivery.channel_id, message_id, delivery.run)
        )

    async def _post_paced(self, target: Target, run: E, previous: Posted[E] | None) -> int:
        return await paced(lambda: self._post(target, run, previous, nonce(run.key, target.channel_id)))

    async def _follow_up(self) -> int:
        """Edits each superseded post to say so, once, side by side like posts; returns how many."""
        pairs = await self._ledger.follow_ups()
        if not pairs:
            return 0
        on = await self._channels()  # read again: the posts may have turned settings off
        return sum(await asyncio.gather(*(self._follow_one(earlier, later, on) for earlier, later in pairs)))

    async def _channels(self) -> dict[tuple[int, int], list[FeatureSetting[Any]]]:
        """The feature's settings that are on, by (server, channel)."""
        on: dict[tuple[int, int], list[FeatureSetting[Any]]] = {}
        for setting in await self._settings.enabled(self._feature):
            on.setdefault((setting.guild_id, setting.channel_id), []).append(setting)
        return on

    async def _follow_one(
        self, earlier: Posted[E], later: Posted[E], on: dict[tuple[int, int], list[FeatureSetting[Any]]]
    ) -> bool:
        """Edits the post (still naming the roles its channel's settings ping for its run); one that
        is gone is left alone (no error, no repost)."""
        told = self._succession(earlier, later)
        wanting = on.get((earlier.guild_id, earlier.channel_id), [])
        target = Target(
            earlier.guild_id, earlier.channel_id, tuple(s for s in wanting if self._wanted(s, earlier.run))
        )
        async with self._at_once:
            if self._stopping():
                return False  # the edit waits for the next start
            try:
                follow = self._follow
                if told is None or follow is None:
                    raise MessageGone("not the record of the same board")
                await paced(lambda: follow(target, earlier, told))
            except (MessageGone, DeliveryRefused, PostRejected) as gone:
                log.info("Post %s in server %s left as it is: %s", earlier.message_id, earlier.guild_id, gone)
                await self._ledger.followed(earlier, GONE)
                return False
            except Exception:  # tried again at the next poll
                log.warning(
                    "Editing post %s in server %s failed", earlier.message_id, earlier.guild_id, exc_info=True
                )
                return False
        await self._ledger.followed(earlier, EDITED)
        return True

    async def _refused(
        self, target: Target, delivery: Delivery[E], queue: list[Delivery[E]], reason: str
    ) -> None:
        log.warning("Server %s refused a %s post: %s", target.guild_id, self._feature, reason)
        await self._ledger.failed(delivery, reason)
        turned_off = False
        for setting in target.settings:
            if await self._settings.delivery_failed(
                setting.guild_id, setting.feature, reason, limit=FAILURE_LIMIT
            ):
                log.warning("%s turned off in server %s: %s", setting.feature, setting.guild_id, reason)
                turned_off = True
        if turned_off:
            await self._ledger.drop(queue, reason)
