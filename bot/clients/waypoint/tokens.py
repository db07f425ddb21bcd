"""The token chain in front of Halo Waypoint: Microsoft access token → Xbox user token → XSTS token
(Halo's relying party) → Spartan token, plus the clearance the skill service asks for.

Each token is kept until ``RENEW_BEFORE`` its expiry and then renewed, only from the step that
needs it; all callers waiting at once share one renewal, which goes on even if they give up. A
refused token (HTTP 401 on a Waypoint request) rebuilds the chain once, however many requests saw
it. No token is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from pydantic import TypeAdapter, ValidationError

from bot.clients.waypoint.microsoft_signin import MicrosoftSignIn
from bot.clients.waypoint.signin_errors import SignedOut
from bot.config import InfiniteConfig
from bot.errors import UpstreamError
from bot.models import waypoint as api
from bot.models.lenient import describe

log = logging.getLogger(__name__)

SERVICE = "Xbox Live sign-in"
RENEW_BEFORE = timedelta(minutes=5)
REQUEST_SECONDS = 10.0
HALO_RELYING_PARTY = "https://prod.xsts.halowaypoint.com/"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a Waypoint request sends."""

    spartan: str = field(repr=False)
    clearance: str

    def headers(self) -> dict[str, str]:
        return {"x-343-authorization-spartan": self.spartan, "343-clearance": self.clearance}


@dataclass(frozen=True, slots=True)
class _Held:
    value: str = field(repr=False)
    expires: datetime


class _Refused(UpstreamError):
    """A step of the chain refused the token it was given (HTTP 400, 401 or 403)."""

    def __init__(self, step: str, status: int) -> None:
        super().__init__(SERVICE, f"it refused the sign-in (HTTP {status})")
        self.step = step
        self.status = status


class WaypointTokens:
    def __init__(
        self, session: aiohttp.ClientSession, config: InfiniteConfig, signin: MicrosoftSignIn
    ) -> None:
        self._session = session
        self._config = config
        self._signin = signin
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
        self._user: _Held | None = None
        self._xsts: _Held | None = None
        self._spartan: _Held | None = None
        self._clearance: str | None = None
        self._generation = 0  # counts the chains forgotten; a renewal of an older one is not kept
        self._renewal: asyncio.Task[Credentials] | None = None

    async def credentials(self) -> Credentials:
        """Valid credentials, renewed first when they are about to expire."""
        if self._spartan is not None and self._clearance is not None and _fresh(self._spartan):
            return Credentials(self._spartan.value, self._clearance)
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.ensure_future(self._renew())
            self._renewal.add_done_callback(_retrieved)
        return await asyncio.shield(self._renewal)

    def refused(self, used: Credentials) -> None:
        """Waypoint refused ``used``: forget the chain it came from, if it is still the current
        one (many requests may report the same token), and keep the Microsoft sign-in."""
        if self._spartan is not None and used.spartan == self._spartan.value:
            log.info("Halo Waypoint refused the Spartan token: rebuilding the Xbox Live token chain")
            self._forget()

    def _forget(self) -> None:
        self._user = self._xsts = self._spartan = None
        self._clearance = None
        self._generation += 1
        self._renewal = None  # a renewal under way may build on what was refused

    async def _renew(self) -> Credentials:
        generation = self._generation
        try:
            user, xsts, spartan, clearance = await self._chain()
        except _Refused as refused:
            self._forget()  # start again from the Microsoft sign-in next time
            if refused.step == "authenticate":
                raise SignedOut(f"Xbox Live refused the Microsoft sign-in (HTTP {refused.status})") from None
            raise
        if generation == self._generation:
            self._user, self._xsts, self._spartan, self._clearance = user, xsts, spartan, clearance
            log.info("Halo Waypoint sign-in renewed; the Spartan token is good until %s", spartan.expires)
        return Credentials(spartan.value, clearance)

    async def _chain(self) -> tuple[_Held, _Held, _Held, str]:
        """The tokens, renewed from the first one about to expire."""
        user, xsts = self._user, self._xsts
        if xsts is None or user is None or not _fresh(xsts):
            if user is None or not _fresh(user):
                microsoft = await asyncio.to_thread(self._signin.access_token)
                user = await self._xbox_token(
                    f"{self._config.user_auth_url}/user/authenticate",
                    {
                        "RelyingParty": "http://auth.xboxlive.com",
                        "TokenType": "JWT",
                        "Properties": {
                            "AuthMethod": "RPS",
                            "SiteName": "user.auth.xboxlive.com",
                            "RpsTicket": f"d={microsoft}",
                        },
                    },
                )
            xsts = await self._xbox_token(
                f"{self._config.xsts_url}/xsts/authorize",
                {
                    "RelyingParty": HALO_RELYING_PARTY,
                    "TokenType": "JWT",
                    "Properties": {"SandboxId": "RETAIL", "UserTokens": [user.value]},
                },
            )
        answer = await self._post(
            f"{self._config.settings_url}/spartan-token",
            {
                "Audience": "urn:343:s3:services",
                "MinVersion": "4",
                "Proof": [{"Token": xsts.value, "TokenType": "Xbox_XSTSv3"}],
            },
            api.SPARTAN_TOKEN,
            {"Accept": "application/json"},
        )
        spartan = _Held(answer.spartan_token, answer.expires_utc.iso_date)
        clearance = await self._request(
            "GET",
            f"{self._config.settings_url}/oban/flight-configurations/titles/hi/audiences/RETAIL/active",
            None,
            api.CLEARANCE,
            {"Accept": "application/json", "x-343-authorization-spartan": spartan.value},
        )
        return user, xsts, spartan, clearance.flight_configuration_id

    async def _xbox_token(self, url: str, body: dict[str, Any]) -> _Held:
        token = await self._post(url, body, api.XBOX_TOKEN, {"x-xbl-contract-version": "1"})
        return _Held(token.token, token.not_after)

    async def _post(
        self, url: str, body: dict[str, Any], shape: TypeAdapter[T], headers: dict[str, str]
    ) -> T:
        return await self._request("POST", url, body, shape, headers)

    async def _request(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        shape: TypeAdapter[T],
        headers: dict[str, str],
    ) -> T:
        step = url.rsplit("/", 1)[-1]
        try:
            async with self._session.request(
                method, url, json=body, headers=headers, timeout=self._timeout
            ) as response:
                if response.status >= 400:
                    log.warning("The Xbox Live token chain failed at %s: HTTP %d", step, response.status)
                    if response.status in (400, 401, 403):
                        raise _Refused(step, response.status)
                    raise UpstreamError(SERVICE, f"it answered HTTP {response.status}")
                data = await response.read()
        except TimeoutError:
            raise UpstreamError(SERVICE, f"it did not answer within {REQUEST_SECONDS:g} seconds") from None
        except aiohttp.ClientError as error:
            log.warning("The Xbox Live token chain failed at %s: %s", step, error)
            raise UpstreamError(SERVICE, "it could not be reached") from None
        try:
            return shape.validate_json(data)
        except ValidationError as error:
            log.warning(
                "The Xbox Live token chain got an unexpected %s answer: %d problems",
                step,
                error.error_count(),
            )
            raise UpstreamError(
                SERVICE, "it sent data in a shape the bot does not understand", detail=describe(error)
            ) from None


def _fresh(held: _Held) -> bool:
    return held.expires - RENEW_BEFORE > datetime.now(UTC)


def _retrieved(task: asyncio.Task[Credentials]) -> None:
    """Marks a renewal's failure as seen: its callers have it, or nobody was left waiting."""
    if not task.cancelled():
        task.exception()
