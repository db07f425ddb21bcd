"""Stream alerts: one message per stream and server, kept up to date while live, closed when it ends.

Every ``haloruns.streams_poll_seconds`` the stream list is read. A stream not yet alerted in a
server whose alerts are on gets a message; a live alert is edited when the title or game changes
(at most every ``haloruns.stream_edit_minutes``); an alert whose stream is missing from a good list
is edited to say it ended. A stream back within ``haloruns.stream_rejoin_minutes`` continues its
alert; after that the alert is closed (its message deleted, if the server asked for that).

A failed poll is no information. The list's ``UpdatedAt`` is when HaloRuns regenerated it: an
empty list made after the last list that held a stream is news, and ends those streams at once. An
empty list whose ``UpdatedAt`` did not advance, or that has none (the legacy API's never has), may
be an outage: it counts only once it has lasted past HaloRuns' own refresh of the list (5 minutes),
so that a feed that briefly comes back empty does not end everyone's stream. A stream ends at the
last poll that still saw it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from bot.errors import UpstreamError
from bot.models.haloruns import Stream
from bot.models.settings import StreamAlertFilters
from bot.runtime.jobs import Polled
from bot.services.delivery import (
    FAILURE_LIMIT,
    DeliveryRefused,
    MessageGone,
    PostRejected,
    ServerUnavailable,
    paced,
)
from bot.services.haloruns.service import HaloRuns
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.state import BotState
from bot.storage.stream_alerts import Alert, StreamAlertStore
from bot.utils.matching import normalize

log = logging.getLogger(__name__)

ALERTS_AT_ONCE = 50
EMPTY_LIST_CONFIRMED = timedelta(minutes=5)  # HaloRuns refreshes the list every 5 minutes
LAST_GOOD_POLL = "streams.last_good_poll"
# When HaloRuns made the last list that held a stream ("" when that list did not say).
LAST_LIST_WITH_STREAMS = "streams.last_list_with_streams"
NO_MESSAGE = 0  # the alert's message was deleted by someone: the stream is followed without one


class StreamDesk(Protocol):
    """What the watcher asks of Discord."""

    async def post(
        self, setting: FeatureSetting[StreamAlertFilters], stream: Stream, live_since: datetime, nonce: str
    ) -> int:
        """Posts a live alert; returns the message id."""

    async def show(self, alert: Alert) -> None:
        """Edits the alert's message to show ``alert`` as it now is (live, or ended)."""

    async def delete(self, alert: Alert) -> None:
        """Deletes the alert's message."""


def wanted(setting: FeatureSetting[StreamAlertFilters], stream: Stream) -> bool:
    games = {normalize(game) for game in setting.filters.games}
    return not games or normalize(stream.game or "") in games


def nonce(stream: Stream, guild_id: int, live_since: datetime) -> str:
    text = f"{stream.key}/{guild_id}/{live_since.isoformat()}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:25]


class StreamAlerts:
    def __init__(
        self,
        haloruns: HaloRuns,
        alerts: StreamAlertStore,
        settings: GuildSettings,
        state: BotState,
        desk: StreamDesk,
        *,
        rejoin: timedelta,
        edit_every: timedelta,
        stopping: Callable[[], bool],
    ) -> None:
        self._haloruns = haloruns
        self._alerts = alerts
        self._settings = settings
        self._state = state
        self._desk = desk
        self._rejoin = rejoin
        self._edit_every = edit_every
        self._stopping = stopping
        self._at_once = asyncio.Semaphore(ALERTS_AT_ONCE)
        self._empty_since: datetime | None = None
        self._live_before: set[str] = set()  # the streams of the last good list

    async def poll(self) -> Polled:
        try:
            async with self._haloruns.deadline():
                listing = await self._haloruns.stream_list(fresh=True)
        except UpstreamError as error:
            log.warning("Stream list skipped this poll (no stream is ended for it): %s", error)
            return Polled(good=False)
        streams = listing.streams
        now = datetime.now(UTC)
        alerts = await self._alerts.open()
        if streams:
            await self._remember_list_with_streams(listing.updated_at)
        if not streams and any(alert.ended_at is None for alert in alerts):
            if await self._made_since_streams(listing.updated_at):
                log.info("The stream list is empty and newer than the last one with streams: they ended")
                self._empty_since = None
            else:
                self._empty_since = self._empty_since or now
                if now - self._empty_since < EMPTY_LIST_CONFIRMED:
                    log.info("The stream list is empty; streams are ended only if it stays so")
                    return Polled()  # it was read: whether it means anything is for later polls
        else:
            self._empty_since = None
        last_good = await self._state.get(LAST_GOOD_POLL)
        seen_last = datetime.fromisoformat(last_good) if last_good else now
        await self._state.set(LAST_GOOD_POLL, now.isoformat())
        live = {stream.key: stream for stream in streams}
        await self._went_live(live, alerts, now)
        settings = await self._settings.enabled("streams")
        on_end = {s.guild_id: s.filters.on_end for s in settings}
        still_open = await asyncio.gather(
            *(self._follow(alert, live.get(alert.stream_key), on_end, now, seen_last) for alert in alerts)
        )
        covered = {
            (a.stream_key, a.guild_id) for a, is_open in zip(alerts, still_open, strict=True) if is_open
        }
        await asyncio.gather(
            *(
                self._start(
                    setting, [s for s in live.values() if (s.key, setting.guild_id) not in covered], now
                )
                for setting in settings
            )
        )
        return Polled()

    async def _went_live(self, live: Mapping[str, Stream], alerts: list[Alert], now: datetime) -> None:
        """Each stream's start, for the weekly recap: as the list says it, else as its alert
        says, else now when the last list did not have it (this process's last list: a stream
        without a start time that was live across a restart is counted again)."""
        alerted = {alert.stream_key: alert.live_since for alert in alerts if alert.ended_at is None}
        for key, stream in live.items():
            since = stream.started_at or alerted.get(key) or (None if key in self._live_before else now)
            if since is not None:
                await self._alerts.went_live(key, since)
        self._live_before = set(live)

    async def _remember_list_with_streams(self, updated_at: datetime | None) -> None:
        value = updated_at.isoformat() if updated_at else ""
        if await self._state.get(LAST_LIST_WITH_STREAMS) != value:
            await self._state.set(LAST_LIST_WITH_STREAMS, value)

    async def _made_since_streams(self, updated_at: datetime | None) -> bool:
        """Whether an empty list was made after the last list that held a stream."""
        last = await self._state.get(LAST_LIST_WITH_STREAMS)
        if updated_at is None or not last:
            return False
        return updated_at > datetime.fromisoformat(last)

    async def _follow(
        self,
        alert: Alert,
        stream: Stream | None,
        on_end: Mapping[int, str],
        now: datetime,
        seen_last: datetime,
    ) -> bool:
        """Brings one open alert up to date with what the list says of its stream; ``False`` once
        the alert is closed."""
        if alert.ended_at is None:
            if stream is None:
                return await self._change(
                    alert, replace(alert, ended_at=max(seen_last, alert.live_since), edited_at=now)
                )
            if (stream.title, stream.game) != (alert.stream.title, alert.stream.game) and (
                now - alert.edited_at >= self._edit_every
            ):
                return await self._change(alert, replace(alert, stream=stream, edited_at=now))
            return True
        if stream is not None and now - alert.ended_at <= self._rejoin:
            return await self._change(alert, replace(alert, stream=stream, ended_at=None, edited_at=now))
        if now - alert.ended_at <= self._rejoin:
            return True
        if on_end.get(alert.guild_id) == "delete" and alert.message_id != NO_MESSAGE:
            done = await self._do(alert, lambda: self._desk.delete(alert))
            if done is None:
                return True  # try the delete again next poll
        await self._alerts.close(alert)
        return False

    async def _change(self, alert: Alert, changed: Alert) -> bool:
        if alert.message_id != NO_MESSAGE:
            done = await self._do(alert, lambda: self._desk.show(changed))
            if done is None:
                return True  # not shown yet: the next poll tries again
            if not done:
                await self._alerts.close(alert)
                return False
        await self._alerts.save(changed)
        return True

    async def _do(self, alert: Alert, action: Callable[[], Awaitable[None]]) -> bool | None:
        """One Discord action on an alert's message, waiting out slow-downs. ``True`` when done, ``False``
        when it can never be done (the alert is then closed, or followed without its message),
        ``None`` when it may work on a later poll."""
        async with self._at_once:
            try:
                await paced(action)
            except MessageGone:
                if alert.ended_at is None:
                    await self._alerts.save(replace(alert, message_id=NO_MESSAGE))
                    return None
                return False
            except (DeliveryRefused, PostRejected) as error:
                log.warning("Stream alert in server %s closed: %s", alert.guild_id, error)
                return False
            except ServerUnavailable:
                return None
            except Exception:
                log.warning(
                    "Stream alert in server %s not updated; next poll tries again",
                    alert.guild_id,
                    exc_info=True,
                )
                return None
        return True

    async def _start(
        self, setting: FeatureSetting[StreamAlertFilters], streams: list[Stream], now: datetime
    ) -> None:
        """New alerts in one server, one after the other; its first refusal ends its turn."""
        for stream in streams:
            if not wanted(setting, stream):
                continue
            live_since = stream.started_at or now
            async with self._at_once:
                if self._stopping():
                    return
                try:
                    post = partial(
                        self._desk.post,
                        setting,
                        stream,
                        live_since,
                        nonce(stream, setting.guild_id, live_since),
                    )
                    message_id = await paced(post)
                    await self._alerts.save(
                        Alert(
                            stream.key,
                            setting.guild_id,
                            setting.channel_id,
                            message_id,
                            stream,
                            live_since,
                            None,
                            now,
                        )
                    )
                except DeliveryRefused as refusal:
                    log.warning("Server %s refused a stream alert: %s", setting.guild_id, refusal)
                    if await self._settings.delivery_failed(
                        setting.guild_id, "streams", str(refusal), limit=FAILURE_LIMIT
                    ):
                        log.warning("Stream alerts turned off in server %s: %s", setting.guild_id, refusal)
                    return
                except Exception:
                    log.warning(
                        "Stream alert in server %s not posted; next poll tries again",
                        setting.guild_id,
                        exc_info=True,
                    )
                    return
        if setting.failures:
            await self._settings.delivered(setting.guild_id, "streams")
