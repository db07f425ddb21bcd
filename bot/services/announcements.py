"""World-record announcements: poll the record feed, keep the ledger, post each new record once.

The feed is read every ``haloruns.records_poll_seconds``. Records never seen before are stored with
one pending delivery per server whose announcements are on (and whose filters they pass); the
first poll (and the first after ``haloruns.api`` changed) only remembers the feed. Delivering is
``FeedDelivery``'s work (bot/services/delivery.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Final

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import UpstreamError
from bot.models.haloruns import Run
from bot.models.settings import AnnouncementFilters
from bot.services.delivery import FeedDelivery, PollResult
from bot.services.haloruns.service import HaloRuns
from bot.storage.ledger import RunLedger
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.state import BotState
from bot.utils.matching import normalize

log = logging.getLogger(__name__)

FEED = "haloruns"
FEED_SIZE = 50
FEED_STATE = "records.feed.api"  # which API generation the ledger's records came from
FEATURE: Final = "announcements"

# Posts ``run`` as the server's settings say, with ``nonce``; returns the message id.
Poster = Callable[[FeatureSetting[AnnouncementFilters], Run, str], Awaitable[int]]


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


def oldest_first(runs: list[Run]) -> list[Run]:
    """The feed lists the newest first; records without a date keep their place in it."""
    undated = datetime.max.replace(tzinfo=UTC)
    ordered = sorted(enumerate(runs), key=lambda item: (item[1].date or undated, -item[0]))
    return [run for _, run in ordered]


class Announcements:
    def __init__(
        self,
        haloruns: HaloRuns,
        engine: AsyncEngine,
        settings: GuildSettings,
        state: BotState,
        *,
        api: str,
        post: Poster,
        stopping: Callable[[], bool],
    ) -> None:
        self._haloruns = haloruns
        self._ledger = RunLedger(engine, FEED, TypeAdapter(Run))
        self._settings = settings
        self._state = state
        self._api = api
        self._delivery = FeedDelivery(
            self._ledger,
            settings,
            feature=FEATURE,
            setting_of=lambda run: FEATURE,
            post=post,
            stopping=stopping,
        )

    async def poll(self) -> PollResult:
        """One round: read the feed, record what is new, deliver everything pending."""
        try:
            async with self._haloruns.deadline():
                runs = oldest_first(await self._haloruns.recent_records(FEED_SIZE, fresh=True))
        except UpstreamError as error:
            log.warning("World-record feed skipped this poll: %s", error)
            delivered = await self._delivery.deliver()  # posts still owed need no feed
            return PollResult(0, *delivered, owed=await self._delivery.owed(), good=False)
        if await self._state.get(FEED_STATE) != self._api:
            await self._ledger.add(runs, lambda run: [])
            await self._state.set(FEED_STATE, self._api)
            log.info(
                "First look at the %s record feed: %d records remembered, none posted", self._api, len(runs)
            )
            return PollResult(0, 0, 0, owed=await self._delivery.owed())
        targets = await self._settings.enabled(FEATURE)
        new = await self._ledger.add(runs, lambda run: [t.guild_id for t in targets if wanted(t, run)])
        if new:
            log.info("%d new world record(s)", len(new))
        delivered = await self._delivery.deliver()
        return PollResult(len(new), *delivered, owed=await self._delivery.owed())
