"""Halo Infinite for the commands: ranks (CSR) and service records by gamertag, the ranked
playlists and CSR seasons to choose from, and whether the bot can reach Waypoint at all.

Each answer is looked up within ``ANSWER_SECONDS``, so that the user hears within Discord's
3 seconds what went wrong. A missing or expired Microsoft sign-in is told to the user in one line
and to the operator in the log, with what to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import aiohttp

from bot.clients.waypoint.signin_errors import SIGN_IN_AGAIN, SignedOut, SignInUnreachable
from bot.config import InfiniteConfig
from bot.errors import ServiceError, UpstreamError, UserFacingError
from bot.models import waypoint as api
from bot.runtime.jobs import Polled
from bot.runtime.telemetry import Telemetry
from bot.utils.gamertags import gamertag as checked_gamertag
from bot.utils.rendering import plain, quoted

if TYPE_CHECKING:
    from bot.clients.waypoint.client import WaypointClient

log = logging.getLogger(__name__)

ANSWER_SECONDS = 2.5
DISCOVERY_SECONDS = 2.0
DISCOVERY_AT_ONCE = 8
RANKED_ARENA = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TURNED_OFF = "Halo Infinite stats are turned off on this bot."
NOT_SIGNED_IN = (
    "Halo Infinite stats are unavailable: the bot is not signed in to Xbox Live. "
    "Its operator has been told how to fix it."
)


class InfiniteUnavailable(UserFacingError):
    """The bot cannot ask Halo Waypoint anything (turned off, or not signed in)."""


class NoSuchPlayer(UserFacingError):
    """There is no Xbox player with that gamertag."""


class NoRank(UserFacingError):
    """The player has no CSR to show in that playlist and season."""


@dataclass(frozen=True, slots=True)
class Season:
    """A CSR season from the calendar."""

    path: str  # "Csr/Seasons/CsrSeason5-1.json"
    start: datetime
    end: datetime

    @property
    def record_id(self) -> str:
        """The service record's ``seasonId`` of this season."""
        return api.service_record_season(self.path)

    @property
    def key(self) -> str:
        """``CsrSeason5-1``: the skill service's season, and the command option's value."""
        return self.path.rsplit("/", 1)[-1].removesuffix(".json")

    @property
    def label(self) -> str:
        number = re.sub(r"^CsrSeason", "", self.key)
        return f"Season {number} ({self.start:%d %b %Y} to {self.end:%d %b %Y})"

    def includes(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Playlist:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class CsrReport:
    player: api.Player
    playlist: Playlist
    season: Season | None  # None: the season running now, by Waypoint's reckoning
    result: api.CsrResult


@dataclass(frozen=True, slots=True)
class MedalCount:
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class RecordReport:
    player: api.Player
    season: Season | None  # None: every season
    record: api.ServiceRecord
    top_medals: list[MedalCount]


class HaloInfinite:
    def __init__(self, client: WaypointClient | None) -> None:
        """``client`` is ``None`` when Halo Infinite is turned off."""
        self._client = client
        self._ranked = {RANKED_ARENA: "Ranked Arena"}
        self._checked: set[str] = {RANKED_ARENA}
        self._discovering = asyncio.Semaphore(DISCOVERY_AT_ONCE)
        self._told_operator: str | None = None

    @classmethod
    def from_config(
        cls, session: aiohttp.ClientSession, config: InfiniteConfig, telemetry: Telemetry
    ) -> HaloInfinite:
        if not config.enabled:
            return cls(None)
        # The one place the Waypoint client is loaded, and with it MSAL and requests (6 MiB):
        # only when Halo Infinite is turned on.
        from bot.clients.waypoint import client as waypoint

        return cls(waypoint.signed_in_client(session, config, telemetry))

    # -- what the commands ask --------------------------------------------------------------------

    async def player(self, gamertag: str) -> api.Player:
        """The player behind ``gamertag`` (checked first); ``NoSuchPlayer`` when there is none."""
        async with self._answering() as client:
            return await _player(client, gamertag)

    async def csr(self, who: str | api.Player, playlist_ref: str | None, season_key: str | None) -> CsrReport:
        """The CSR of ``who`` (a gamertag, or a linked player) in a ranked playlist (id or name;
        Ranked Arena when ``None``) and season (the current one when ``None``)."""
        async with self._answering() as client:
            player = who if isinstance(who, api.Player) else await _player(client, who)
            playlist = await self._playlist(client, playlist_ref or RANKED_ARENA)
            season = await self._season(client, season_key, current=True)
            results = await client.csr(
                player.xuid, playlist.id, season.key if season and season_key else None
            )
        gamertag = plain(player.gamertag, 40)
        mine = next((r for r in results.value if r.id == f"xuid({player.xuid})"), None)
        code = mine.result_code if mine else 1
        if code == 4:
            raise NoRank(f"**{gamertag}**'s privacy settings hide their rank.")
        if code not in (0, 1):
            raise UpstreamError("Halo Waypoint", f"it could not look up the rank (result code {code})")
        if mine is None or code == 1 or mine.result is None:
            where = f"{plain(playlist.name, 100)}, {season.label if season else 'this season'}"
            raise NoRank(f"**{gamertag}** has no rank in {where}.")
        return CsrReport(player, playlist, season, mine.result)

    async def service_record(self, who: str | api.Player, season_key: str | None) -> RecordReport:
        """The matchmaking service record of ``who``, in one season or (``None``) all of them."""
        async with self._answering() as client:
            player = who if isinstance(who, api.Player) else await _player(client, who)
            season = await self._season(client, season_key, current=False)
            record, medals = await asyncio.gather(
                client.service_record(player.xuid, season.record_id if season else None), client.medals()
            )
        names = {medal.name_id: medal.name.value for medal in medals.medals}
        earned = sorted(record.core_stats.medals, key=lambda m: m.count, reverse=True)
        top = [MedalCount(names[m.name_id], m.count) for m in earned if m.name_id in names and m.count > 0]
        return RecordReport(player, season, record, top)

    async def seasons(self) -> list[Season]:
        """The CSR seasons, newest first."""
        async with self._answering() as client:
            seasons = await _calendar(client)
        return sorted(seasons, key=lambda s: s.start, reverse=True)

    async def ranked_playlists(self, gamertag: str | None = None) -> list[Playlist]:
        """The ranked playlists known so far; with ``gamertag``, those this player played are
        discovered first (for as long as an autocomplete can wait)."""
        if gamertag:
            with contextlib.suppress(UserFacingError, ServiceError, TimeoutError):
                async with asyncio.timeout(DISCOVERY_SECONDS), self._answering() as client:
                    player = await _player(client, gamertag)
                    record = await client.service_record(player.xuid, None)
                    await self._discover(client, record.subqueries.playlist_asset_ids or [])
        return [Playlist(id, name) for id, name in self._ranked.items()]

    async def keep_signed_in(self) -> Polled:
        """Renews the Waypoint tokens ahead of their expiry (a background job)."""
        try:
            async with self._answering() as client:
                await client.renew_sign_in()
        except (UserFacingError, ServiceError):
            return Polled(good=False)
        self._told_operator = None  # signed in: a later sign-in problem is news again
        return Polled()

    # -- inside ------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _answering(self) -> AsyncIterator[WaypointClient]:
        """The client, for a lookup that must end within ``ANSWER_SECONDS``; sign-in trouble
        becomes a message for the user, and one for the operator."""
        if self._client is None:
            raise InfiniteUnavailable(TURNED_OFF)
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                yield self._client
        except TimeoutError:
            raise UpstreamError(
                "Halo Waypoint", f"it did not answer within {ANSWER_SECONDS:g} seconds"
            ) from None
        except SignedOut as error:
            self._tell_operator(f"Halo Infinite is not signed in: {error}; {SIGN_IN_AGAIN}")
            raise InfiniteUnavailable(NOT_SIGNED_IN) from None
        except SignInUnreachable as error:
            log.warning("Microsoft sign-in failed: %s", error)
            raise UpstreamError("Microsoft sign-in", "it could not be reached") from None

    def _tell_operator(self, message: str) -> None:
        if message != self._told_operator:  # once per change, not once per command
            log.warning("%s", message)
            self._told_operator = message

    async def _season(self, client: WaypointClient, key: str | None, *, current: bool) -> Season | None:
        """The season called ``key``; without one, the season running now if ``current``."""
        if key is None and not current:
            return None
        if key is None:  # only a label: without the calendar, "this season" will do
            try:
                seasons = await _calendar(client)
            except UpstreamError:
                return None
            now = datetime.now(UTC)
            return next((s for s in seasons if s.includes(now)), None)
        seasons = await _calendar(client)
        found = next((s for s in seasons if key in (s.key, s.path)), None)
        if found is None:
            raise UserFacingError(f"There is no CSR season {quoted(key, 40)}: pick one from the list.")
        return found

    async def _playlist(self, client: WaypointClient, ref: str) -> Playlist:
        """The ranked playlist with this id or name."""
        ref = ref.strip()
        by_name = next((id for id, name in self._ranked.items() if name.casefold() == ref.casefold()), None)
        playlist_id = by_name or ref.casefold()
        if UUID.fullmatch(playlist_id):
            await self._check(client, playlist_id)
        if playlist_id not in self._ranked:
            raise UserFacingError(f"{quoted(ref, 40)} is not a ranked playlist: pick one from the list.")
        return Playlist(playlist_id, self._ranked[playlist_id])

    async def _discover(self, client: WaypointClient, playlist_ids: Iterable[str]) -> None:
        unknown = {id for id in playlist_ids if id not in self._checked}
        await asyncio.gather(*(self._check(client, id) for id in unknown))

    async def _check(self, client: WaypointClient, playlist_id: str) -> None:
        """Learns whether the playlist is ranked, and its public name, once."""
        if playlist_id in self._checked:
            return
        async with self._discovering:
            asset = await client.playlist(playlist_id)
            version = asset.ugc_playlist_version if asset is not None and asset.has_csr else None
            name = await _public_name(client, playlist_id, version) if version else None
        if asset is None or not asset.has_csr:
            self._checked.add(playlist_id)
            return
        if name is not None or not version:
            self._checked.add(playlist_id)  # else discovery is asked again next time
        hint = api.readable_name_hint(asset.name_hint or "")
        self._ranked[playlist_id] = name or hint or f"Playlist {playlist_id[:8]}"


async def _player(client: WaypointClient, gamertag: str) -> api.Player:
    name = checked_gamertag(gamertag)
    found = await client.player(name)
    if found is None:
        raise NoSuchPlayer(f"There is no Xbox player with the gamertag **{plain(name, 40)}**.")
    return found


async def _public_name(client: WaypointClient, playlist_id: str, version: str) -> str | None:
    """The playlist's name as players know it (UGC discovery); ``None`` when it cannot be read."""
    try:
        found = await client.playlist_version(playlist_id, version)
    except UpstreamError as error:
        log.warning("The public name of playlist %s could not be read: %s", playlist_id, error)
        return None
    return (found.public_name.strip() or None) if found else None


async def _calendar(client: WaypointClient) -> list[Season]:
    calendar = await client.csr_calendar()
    return [
        Season(s.csr_season_file_path, s.start_date.iso_date, s.end_date.iso_date) for s in calendar.seasons
    ]
