"""Stream alerts: one message per stream and server, kept up to date while live, closed when it ends.

Every ``haloruns.streams_poll_seconds`` the stream list is read. A stream not yet alerted in a
server whose alerts are on gets a message; a live alert is edited when the title or game changes
(at most every ``haloruns.stream_edit_minutes``); an alert whose stream is missing from a good list
is edited to say it ended. A stream back within ``haloruns.stream_rejoin_minutes`` continues its
alert; after that the alert is closed (its message deleted, if the server asked for that).

A failed poll is no information. An empty list while streams are live must be seen twice in a
row before it counts: a feed that briefly comes back empty does not end everyone's stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiolimiter import AsyncLimiter

from bot.errors import UpstreamError
from bot.models.haloruns import Stream
from bot.services.delivery import FAILURE_LIMIT, DeliveryRefused, MessageGone, PostRejected, paced
from bot.services.haloruns.catalog import normalize
from bot.services.haloruns.service import HaloRuns
from bot.storage.settings import FeatureSetting, GuildSettings
from bot.storage.stream_alerts import Alert, StreamAlerts

log = logging.getLogger(__name__)

ALERTS_AT_ONCE = 50


class StreamDesk(Protocol):
    """What the watcher asks of Discord."""

    async def post(self, setting: FeatureSetting, stream: Stream, live_since: datetime, nonce: str) -> int:
        """Posts a live alert; returns the message id."""

    async def show(self, alert: Alert) -> None:
        """Edits the alert's message to show ``alert`` as it now is (live, or ended)."""

    async def delete(self, alert: Alert) -> None:
        """Deletes the alert's message."""


def wanted(setting: FeatureSetting, stream: Stream) -> bool:
    games = {normalize(game) for game in setting.filters.get("games", [])}
    return not games or normalize(stream.game or "") in games


def nonce(stream: Stream, guild_id: int, live_since: datetime) -> str:
    text = f"{stream.key}/{guild_id}/{live_since.isoformat()}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:25]


class StreamWatcher:
    def __init__(
        self,
        haloruns: HaloRuns,
        alerts: StreamAlerts,
        settings: GuildSettings,
        desk: StreamDesk,
        *,
        pace: AsyncLimiter,
        rejoin: timedelta,
        edit_every: timedelta,
        stopping: Callable[[], bool],
    ) -> None:
        self._haloruns = haloruns
        self._alerts = alerts
        self._settings = settings
        self._desk = desk
        self._pace = pace
        self._rejoin = rejoin
        self._edit_every = edit_every
        self._stopping = stopping
        self._at_once = asyncio.Semaphore(ALERTS_AT_ONCE)
        self._empty_once = False

    async def poll(self) -> None:
        try:
            async with self._haloruns.deadline():
                streams = await self._haloruns.streams(fresh=True)
        except UpstreamError as error:
            log.warning("Stream list skipped this poll (no stream is ended for it): %s", error)
            return
        alerts = await self._alerts.open()
        if not streams and any(alert.ended_at is None for alert in alerts) and not self._empty_once:
            self._empty_once = True
            log.info("The stream list came back empty; waiting for the next poll before ending streams")
            return
        self._empty_once = False
        live = {stream.key: stream for stream in streams}
        settings = {s.guild_id: s for s in await self._settings.enabled("streams")}
        now = datetime.now(UTC)
        await asyncio.gather(
            *(self._follow(alert, live.get(alert.stream_key), settings, now) for alert in alerts)
        )
        open_ = {(alert.stream_key, alert.guild_id) for alert in alerts}
        await asyncio.gather(
            *(
                self._start(setting, stream, now)
                for stream in streams
                for setting in settings.values()
                if (stream.key, setting.guild_id) not in open_ and wanted(setting, stream)
            )
        )

    async def _follow(
        self, alert: Alert, stream: Stream | None, settings: dict[int, FeatureSetting], now: datetime
    ) -> None:
        """Brings one open alert up to date with what the list says of its stream."""
        if alert.ended_at is None:
            if stream is None:
                await self._change(alert, replace(alert, ended_at=now, edited_at=now))
            elif (stream.title, stream.game) != (alert.stream.title, alert.stream.game) and (
                now - alert.edited_at >= self._edit_every
            ):
                await self._change(alert, replace(alert, stream=stream, edited_at=now))
        elif stream is not None and now - alert.ended_at <= self._rejoin:
            await self._change(alert, replace(alert, stream=stream, ended_at=None, edited_at=now))
        elif now - alert.ended_at > self._rejoin:
            setting = settings.get(alert.guild_id)
            if setting is not None and setting.filters.get("on_end") == "delete":
                await self._do(alert, lambda: self._desk.delete(alert))
            await self._alerts.close(alert)

    async def _change(self, alert: Alert, changed: Alert) -> None:
        if await self._do(alert, lambda: self._desk.show(changed)):
            await self._alerts.save(changed)

    async def _do(self, alert: Alert, action: Callable[[], Awaitable[None]]) -> bool:
        """Runs one Discord action on an alert's message within the pace; ``True`` if it was done."""
        async with self._at_once:
            try:
                await paced(self._pace, action)
            except MessageGone:
                await self._alerts.close(alert)  # nothing left to keep up to date
            except (DeliveryRefused, PostRejected) as error:
                log.warning("Stream alert in server %s not updated: %s", alert.guild_id, error)
            except Exception:
                log.warning(
                    "Stream alert in server %s not updated; next poll tries again",
                    alert.guild_id,
                    exc_info=True,
                )
            else:
                return True
        return False

    async def _start(self, setting: FeatureSetting, stream: Stream, now: datetime) -> None:
        if self._stopping():
            return
        live_since = stream.started_at or now
        async with self._at_once:
            try:
                message_id = await paced(
                    self._pace,
                    lambda: self._desk.post(
                        setting, stream, live_since, nonce(stream, setting.guild_id, live_since)
                    ),
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
        await self._alerts.save(
            Alert(stream.key, setting.guild_id, setting.channel_id, message_id, stream, live_since, None, now)
        )
        if setting.failures:
            await self._settings.delivered(setting.guild_id, "streams")
