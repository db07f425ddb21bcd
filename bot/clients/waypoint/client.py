"""The HTTP client for Halo Waypoint's services (profile, stats, skill, gamecms, UGC discovery):
one per bot.

Every request carries the Spartan token and clearance from ``WaypointTokens``; a 401 rebuilds
them and the request is sent once more. A 429 stops all requests until its Retry-After has passed
(each caller is told when to try again). Player answers are kept for a minute, gamecms documents
(calendars, medals, playlists) and playlists' public names for six hours; identical requests in
flight are sent once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection, Mapping
from typing import TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import TypeAdapter

from bot.clients.capped_read import read_capped
from bot.clients.http import UpstreamErrors
from bot.clients.shared_requests import SharedRequests
from bot.clients.waypoint.microsoft_signin import MicrosoftSignIn
from bot.clients.waypoint.tokens import WaypointTokens
from bot.config import InfiniteConfig
from bot.errors import UpstreamError
from bot.models import waypoint as api
from bot.runtime.telemetry import Telemetry

log = logging.getLogger(__name__)

SERVICE = "Halo Waypoint"
REQUEST_SECONDS = 2.5
PLAYER_SECONDS = 60
DOCUMENT_SECONDS = 6 * 3600
DEFAULT_RETRY_AFTER = 10.0
# apis.md: whether an unknown gamertag is a 404 or a 400 is not known; both mean "no such player".
NO_SUCH_PLAYER = (400, 404)

T = TypeVar("T")


def signed_in_client(
    session: aiohttp.ClientSession, config: InfiniteConfig, telemetry: Telemetry
) -> WaypointClient:
    """The client, signed in through the Microsoft account kept at ``infinite.token_cache``."""
    return WaypointClient(
        session, config, WaypointTokens(session, config, MicrosoftSignIn(config)), telemetry
    )


class WaypointClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: InfiniteConfig,
        tokens: WaypointTokens,
        telemetry: Telemetry,
    ) -> None:
        self._session = session
        self._config = config
        self._tokens = tokens
        self._telemetry = telemetry
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
        self._errors = UpstreamErrors(SERVICE, REQUEST_SECONDS)
        self._players = SharedRequests(PLAYER_SECONDS)
        self._documents = SharedRequests(DOCUMENT_SECONDS)
        self._quiet_until = 0.0  # time.monotonic() before which Waypoint asked not to be called

    async def renew_sign_in(self) -> None:
        """Renews the tokens now if they are about to expire."""
        await self._tokens.credentials()

    async def player(self, gamertag: str) -> api.Player | None:
        """The player with this gamertag, or ``None`` when there is none."""
        url = f"{self._config.profile_url}/users/gt({quote(gamertag, safe='')})"
        return await self._players.get(
            ("player", gamertag.casefold()), lambda: self._get(url, api.PLAYER, missing=NO_SUCH_PLAYER)
        )

    async def me(self) -> api.Player:
        """The signed-in player."""
        return await self._get_present(f"{self._config.profile_url}/users/me", api.PLAYER)

    async def service_record(self, xuid: str, season_path: str | None) -> api.ServiceRecord:
        url = f"{self._config.stats_url}/hi/players/xuid({quote(xuid, safe='')})/Matchmade/servicerecord"
        params = {"seasonId": season_path} if season_path else {}
        return await self._players.get(
            ("record", xuid, season_path), lambda: self._get_present(url, api.SERVICE_RECORD, params)
        )

    async def csr(self, xuid: str, playlist_id: str, season: str | None) -> api.CsrResults:
        url = f"{self._config.skill_url}/hi/playlist/{quote(playlist_id, safe='')}/csrs"
        params = {"players": f"xuid({xuid})", **({"season": season} if season else {})}
        return await self._players.get(
            ("csr", xuid, playlist_id, season), lambda: self._get_present(url, api.CSR_RESULTS, params)
        )

    async def csr_calendar(self) -> api.CsrCalendar:
        return await self._document(
            "/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json", api.CSR_CALENDAR
        )

    async def medals(self) -> api.MedalMetadata:
        return await self._document("/hi/Waypoint/file/medals/metadata.json", api.MEDAL_METADATA)

    async def playlist(self, playlist_id: str) -> api.PlaylistAsset | None:
        path = f"/hi/Multiplayer/file/playlists/assets/{quote(playlist_id, safe='')}.json"
        url = f"{self._config.gamecms_url}{path}"
        return await self._documents.get(path, lambda: self._get(url, api.PLAYLIST_ASSET))

    async def playlist_version(self, playlist_id: str, version: str) -> api.PlaylistVersion | None:
        """The UGC discovery document of a playlist version (its public name)."""
        path = f"/hi/playlists/{quote(playlist_id, safe='')}/versions/{quote(version, safe='')}"
        url = f"{self._config.discovery_url}{path}"
        return await self._documents.get(("discovery", path), lambda: self._get(url, api.PLAYLIST_VERSION))

    async def _document(self, path: str, shape: TypeAdapter[T]) -> T:
        url = f"{self._config.gamecms_url}{path}"
        return await self._documents.get(path, lambda: self._get_present(url, shape))

    async def _get_present(
        self, url: str, shape: TypeAdapter[T], params: Mapping[str, str] | None = None
    ) -> T:
        found = await self._get(url, shape, params)
        if found is None:
            raise UpstreamError(SERVICE, "it has no such document")
        return found

    async def _get(
        self,
        url: str,
        shape: TypeAdapter[T],
        params: Mapping[str, str] | None = None,
        *,
        missing: Collection[int] = (404,),
    ) -> T | None:
        for attempt in (1, 2):
            wait = self._quiet_until - time.monotonic()
            if wait > 0:
                raise UpstreamError(
                    SERVICE, f"it asked the bot to wait; try again in {math.ceil(wait)} seconds"
                )
            credentials = await self._tokens.credentials()
            headers = {**credentials.headers(), "Accept": "application/json"}
            async with self._telemetry.upstream_call(SERVICE):
                with self._errors.request(url):
                    async with self._session.get(
                        url, params=params, headers=headers, timeout=self._timeout
                    ) as response:
                        if response.status == 401 and attempt == 1:
                            self._tokens.refused(credentials)
                            continue
                        if response.status in missing:
                            return None
                        self._check_status(response)
                        body = await read_capped(response, SERVICE)
                return self._errors.parse(url, body, shape)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_status(self, response: aiohttp.ClientResponse) -> None:
        status = response.status
        if status == 429:
            wait = _seconds(response.headers.get("Retry-After"))
            self._quiet_until = max(self._quiet_until, time.monotonic() + wait)
            log.warning("Halo Waypoint is limiting the bot's requests: none for %g seconds", wait)
            raise UpstreamError(SERVICE, f"it asked the bot to wait; try again in {math.ceil(wait)} seconds")
        if status == 401:
            log.warning("Halo Waypoint refused a freshly built Spartan token")
            raise UpstreamError(SERVICE, "it refused the bot's sign-in")
        self._errors.check_status(status)


def _seconds(retry_after: str | None) -> float:
    """Retry-After in seconds (a number; an HTTP date or nothing counts as the default)."""
    try:
        return max(0.0, float(retry_after)) if retry_after else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
