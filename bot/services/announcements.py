"""World-record announcements: poll the record feed, keep the ledger, post each new record once.

The feed is read every ``haloruns.records_poll_seconds``. Records never seen before are stored with
one pending delivery per channel of a server where an announcement setting is on and its filters
pass (a server may have one setting for every game and more for sets of games, each with its own
channel and role); the first poll (and the first after ``haloruns.api`` changed) only remembers the
feed. Delivering, and editing the post of the record a new one supersedes on its board, is
``FeedDelivery``'s work (bot/services/delivery.py).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from pydantic import TypeAdapter

from bot.errors import UpstreamError
from bot.models.haloruns import Run
from bot.models.settings import AnnouncementFilters
from bot.services.delivery import FeedDelivery, Follower, PollResult, Poster, Succession, jump_url, succession
from bot.services.haloruns.service import HaloRuns
from bot.storage.database import Database
from bot.storage.ledger import Posted, RunLedger
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.state import BotState
from bot.utils.matching import normalize

log = logging.getLogger(__name__)

FEED = "haloruns"
FEED_SIZE = 50
FEED_STATE = "records.feed.api"  # which API generation the ledger's records came from
FEATURE: Final = "announcements"


def wanted(setting: FeatureSetting[AnnouncementFilters], run: Run) -> bool:
    """Whether the run passes the server's filters (games, difficulties, extension categories)."""
    filters = setting.filters
    games = {normalize(game) for game in filters.games}
    difficulties = {normalize(d) for d in filters.difficulties}
    if games and normalize(run.game) not in games:
        return False
    if difficulties and normalize(run.difficulty) not in difficulties:
        return False
    return filters.extensions or not run.extension


def board_of(run: Run) -> str:
    """The board the record is of: every run of the record feed is a world record."""
    parts = "\x1f".join(normalize(part) for part in (run.game, run.level, run.category, run.difficulty))
    return "haloruns:" + hashlib.sha1(parts.encode(), usedforsecurity=False).hexdigest()


def followed(earlier: Posted[Run], later: Posted[Run]) -> Succession | None:
    """How the later record followed the earlier one on their board; ``None`` if it was set
    before it (a record the feed showed late supersedes nothing)."""
    if earlier.run.date and later.run.date and later.run.date < earlier.run.date:
        return None
    by = " & ".join(runner.name for runner in later.run.runners)
    return succession(earlier.run.seconds, later.run.seconds, by=by, on=later.run.date, link=jump_url(later))


def oldest_first(runs: list[Run]) -> list[Run]:
    """The feed lists the newest first; records without a date keep their place in it."""
    undated = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(enumerate(runs), key=lambda item: (item[1].date or undated, -item[0]))
    return [run for _, run in ordered]


class Announcements:
    def __init__(
        self,
        haloruns: HaloRuns,
        database: Database,
        settings: GuildSettings,
        state: BotState,
        *,
        api: str,
        post: Poster[Run],
        follow: Follower[Run],
        stopping: Callable[[], bool],
    ) -> None:
        self._haloruns = haloruns
        self._ledger = RunLedger(database, FEED, TypeAdapter(Run), board_of)
        self._settings = settings
        self._state = state
        self._api = api
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
        """One round: read the feed, record what is new, deliver everything pending."""
        try:
            async with self._haloruns.deadline():
                runs = oldest_first(await self._haloruns.recent_records(FEED_SIZE, fresh=True))
        except UpstreamError as error:
            log.warning("World-record feed skipped this poll: %s", error)
            posted, failed, edited = await self._delivery.deliver()  # posts still owed need no feed
            return PollResult(0, posted, failed, owed=await self._delivery.owed(), good=False, edited=edited)
        if await self._state.get(FEED_STATE) != self._api:
            await self._ledger.add(runs, lambda run: [])
            await self._state.set(FEED_STATE, self._api)
            log.info(
                "First look at the %s record feed: %d records remembered, none posted", self._api, len(runs)
            )
            return PollResult(0, 0, 0, owed=await self._delivery.owed())
        targets = await self._settings.enabled(FEATURE)
        new = await self._ledger.add(runs, self._delivery.recipients(targets))
        if new:
            log.info("%d new world record(s)", len(new))
        posted, failed, edited = await self._delivery.deliver()
        return PollResult(len(new), posted, failed, owed=await self._delivery.owed(), edited=edited)
