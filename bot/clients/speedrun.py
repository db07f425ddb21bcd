"""The HTTP client for speedrun.com's REST API v1: one per bot, for commands and the poller alike.

It keeps the whole bot within ``speedrun.requests_per_minute`` (speedrun.com allows 100), with
commands first: the announcement poller's requests (``background=True``) wait while a command
waits, and leave part of the budget to commands. It waits out 420 and 429 answers and tries again,
sends ``X-API-Key`` when configured, keeps games, categories and levels for an hour and other
answers for a minute, and shares one request among identical callers.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr, TypeAdapter, ValidationError

from bot.clients.http import UpstreamErrors
from bot.clients.request_budget import RequestBudget
from bot.clients.shared_requests import SharedRequests
from bot.config import SpeedrunConfig
from bot.errors import KeyRefused, NotFound, Refused, RunRefused, UpstreamError
from bot.models import speedrun as api
from bot.runtime.telemetry import Telemetry
from bot.utils.rendering import quoted

log = logging.getLogger(__name__)

SERVICE = "speedrun.com"
REQUEST_SECONDS = 8.0
RATE_LIMITED_TRIES = 3
STATIC_SECONDS = 3600  # games, categories, levels, variables
LOOKUP_SECONDS = 60

T = TypeVar("T")


LONGEST_REF = 200  # longer than any name, abbreviation or id on speedrun.com


def _askable(ref: str) -> bool:
    """Whether ``ref`` could name something on speedrun.com: text that cannot (none, or pages of
    it) is not sent, so it cannot turn into a request for a list or one too long to be read."""
    return 0 < len(ref) <= LONGEST_REF


def checked_api_key(text: str) -> SecretStr:
    """``text`` (surrounding spaces removed) if it has the form of an API key: one word of visible
    ASCII characters (speedrun.com makes them of letters and digits), and so safe to send in a
    header. Else ``KeyRefused``, saying what is wrong without repeating the key."""
    key = text.strip()
    if key and all("!" <= c <= "~" for c in key):
        return SecretStr(key)
    if not key:
        problem = "it is blank"
    elif any(c in "\r\n" for c in key):
        problem = "it holds a line break"
    elif any(unicodedata.category(c) == "Cc" for c in key):
        problem = "it holds a control character (a tab, say, or an escape sequence)"
    elif any(c.isspace() for c in key):
        problem = "it holds a space"
    else:
        problem = "it holds characters a key does not have (such as letters with accents or emoji)"
    raise KeyRefused(
        f"That is not a speedrun.com API key: {problem}. A key is one word of letters and digits."
    )


class SpeedrunClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: SpeedrunConfig,
        telemetry: Telemetry,
        *,
        minute: float = 60.0,
    ) -> None:
        self._session = session
        self._base_url = config.base_url
        self._telemetry = telemetry
        self._headers = (
            {"X-API-Key": config.api_key.get_secret_value()} if config.api_key.get_secret_value() else {}
        )
        # A bucket of a fifth of the budget, draining the rest each minute: no minute holds more.
        burst = max(1, config.requests_per_minute // 5)
        per_second = (config.requests_per_minute - burst) / minute
        self._budget = RequestBudget(burst, per_second, kept=burst // 2)
        self._timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
        self._errors = UpstreamErrors(SERVICE, REQUEST_SECONDS)
        self._static = SharedRequests(STATIC_SECONDS)
        self._lookups = SharedRequests(LOOKUP_SECONDS)

    # -- what the bot asks ------------------------------------------------------------------------

    async def game(self, ref: str) -> api.Game:
        """A game by id, abbreviation or name (an exact name first, else the best match)."""
        ref = ref.strip()
        if _askable(ref):
            by_id = await self._static.get(
                ("game", ref), lambda: self._get_optional(f"/games/{quote(ref, safe='')}", api.GAME)
            )
            if by_id is not None:
                return by_id.data
            for params in ({"abbreviation": ref}, {"name": ref}):
                found = await self.search_games(params)
                exact = next((g for g in found if g.name.casefold() == ref.casefold()), None)
                if exact or found:
                    return exact or found[0]
        raise NotFound(f"speedrun.com has no game {quoted(ref)}: try its name, abbreviation or id.")

    async def search_games(self, params: Mapping[str, str]) -> list[api.Game]:
        if not all(_askable(value) for value in params.values()):
            return []
        key = ("games", tuple(sorted(params.items())))
        page = await self._static.get(key, lambda: self._get("/games", api.GAMES, {**params, "max": "20"}))
        return page.data

    async def categories(self, game_id: str) -> list[api.Category]:
        path = f"/games/{quote(game_id, safe='')}/categories"
        return (await self._static.get(path, lambda: self._get(path, api.CATEGORIES))).data

    async def levels(self, game_id: str) -> list[api.Level]:
        path = f"/games/{quote(game_id, safe='')}/levels"
        return (await self._static.get(path, lambda: self._get(path, api.LEVELS))).data

    async def run(self, run_id: str, *, background: bool = False) -> api.Run:
        """A run by id; in the ``background``, fresh and after commands (``NotFound`` when gone)."""
        path = f"/runs/{quote(run_id.strip(), safe='')}"
        params = {"embed": "game,category,level,players"}
        if background:
            return (await self._get(path, api.RUN, params, background=True)).data
        found = (
            await self._lookups.get(path, lambda: self._get_optional(path, api.RUN, params))
            if _askable(run_id.strip())
            else None
        )
        if found is None:
            raise NotFound(f"speedrun.com has no run {quoted(run_id)}.")
        return found.data

    async def variables(self, category_id: str) -> list[api.Variable]:
        path = f"/categories/{quote(category_id, safe='')}/variables"
        return (await self._static.get(path, lambda: self._get(path, api.VARIABLES))).data

    async def user(self, name: str) -> api.Player:
        """A user by name (exact, any case)."""
        params = {"lookup": name.strip()}
        page = (
            await self._lookups.get(
                ("users", name.strip().casefold()), lambda: self._get("/users", api.USERS, params)
            )
            if _askable(name.strip())
            else None
        )
        if page is None or not page.data:
            raise NotFound(f"speedrun.com has no user {quoted(name)}.")
        return page.data[0]

    async def user_by_id(self, user_id: str, *, background: bool = False) -> api.Player:
        """A user by id (kept like games: names seldom change)."""
        path = f"/users/{quote(user_id, safe='')}"
        return (
            await self._static.get(path, lambda: self._get(path, api.PROFILE, background=background))
        ).data

    async def runs(
        self, filters: Mapping[str, str], *, count: int, background: bool = False
    ) -> tuple[list[api.Run], bool]:
        """Up to ``count`` runs matching ``filters`` (GET /runs), and whether there are more; in the
        ``background``, fresh and after commands."""
        params = {**filters, "embed": "players,category,level", "max": str(min(count, 200))}
        key = ("runs", tuple(sorted(params.items())))
        page = await self._lookups.get(
            key, lambda: self._get("/runs", api.RUNS, params, background=background), fresh=background
        )
        more = bool(page.pagination and page.pagination.next)
        return page.data[:count], more

    async def leaderboard(
        self,
        game_id: str,
        category_id: str,
        level_id: str | None,
        *,
        top: int,
        variables: Mapping[str, str],
        on: date | None = None,
        background: bool = False,
    ) -> api.Leaderboard:
        """The board's ``top`` places (as it stood ``on`` that day, if given)."""
        where = f"level/{quote(level_id, safe='')}/" if level_id else "category/"
        path = f"/leaderboards/{quote(game_id, safe='')}/{where}{quote(category_id, safe='')}"
        params = {"top": str(top), "embed": "players", **{f"var-{k}": v for k, v in variables.items()}}
        if on is not None:
            params["date"] = on.isoformat()
        key = (path, tuple(sorted(params.items())))
        board = await self._lookups.get(
            key, lambda: self._get(path, api.LEADERBOARD, params, background=background), fresh=background
        )
        return board.data

    async def profile(self, api_key: SecretStr) -> api.Player:
        """The speedrun.com user whose API key this is (never cached: keys can be revoked)."""
        try:
            found = await self._get_optional("/profile", api.PROFILE, api_key=api_key)
        except KeyRefused:
            found = None
        if found is None:
            raise KeyRefused("speedrun.com does not accept that API key.")
        return found.data

    async def game_details(self, game_id: str) -> api.Game:
        """A game with its platforms and regions by name, and its ruleset."""
        path = f"/games/{quote(game_id, safe='')}"
        params = {"embed": "platforms,regions"}
        return (await self._static.get((path, "systems"), lambda: self._get(path, api.GAME, params))).data

    async def submit_run(self, api_key: SecretStr, run: Mapping[str, Any]) -> api.Run:
        """``POST /runs`` in the key's owner's name: the new run. ``RunRefused`` (400) says why;
        ``KeyRefused`` when the key is not accepted. ``UpstreamError`` leaves the outcome unknown:
        the run may have been created (look among ``newest_submissions`` before trying again)."""
        status, body = await self._exchange("POST", "/runs", json={"run": run}, api_key=api_key)
        try:
            return self._parse("/runs", status, body, api.RUN).data
        except Refused as refusal:
            if refusal.status != 400:
                raise
            raise RunRefused(refusal.reason, refusal.errors) from None

    async def newest_submissions(self, api_key: SecretStr, user_id: str) -> list[api.Run]:
        """The user's most recently submitted runs, newest first, read fresh in their name."""
        params = {"user": user_id, "orderby": "submitted", "direction": "desc", "max": "20"}
        return (await self._get("/runs", api.RUNS, params, api_key=api_key)).data

    # -- HTTP -------------------------------------------------------------------------------------

    async def _get(
        self,
        path: str,
        shape: TypeAdapter[T],
        params: Mapping[str, str] | None = None,
        *,
        background: bool = False,
        api_key: SecretStr | None = None,
    ) -> T:
        """``path`` parsed as ``shape``; ``NotFound`` on 404. With ``api_key``, in that member's name
        rather than the bot's."""
        status, body = await self._exchange("GET", path, params, background=background, api_key=api_key)
        if status == 404:
            raise NotFound(f"speedrun.com has no {path}.")
        return self._parse(path, status, body, shape)

    async def _get_optional(
        self,
        path: str,
        shape: TypeAdapter[T],
        params: Mapping[str, str] | None = None,
        api_key: SecretStr | None = None,
    ) -> T | None:
        """As ``_get``, but ``None`` on 404 (lookups that may miss are commands', never the poller's)."""
        try:
            return await self._get(path, shape, params, api_key=api_key)
        except NotFound:
            return None

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        json: Mapping[str, Any] | None = None,
        background: bool = False,
        api_key: SecretStr | None = None,
    ) -> tuple[int, bytes]:
        """One request's status and body, within the budget; 420 and 429 are waited out and tried
        again (speedrun.com did nothing with the request). A member's ``api_key`` that speedrun.com
        refuses (401, 403) raises ``KeyRefused``."""
        attempt = 0
        while True:
            attempt += 1
            await self._budget.take(background=background)
            async with self._telemetry.upstream_call(SERVICE):
                status, retry_after, body = await self._request(method, path, params, json, api_key)
                if api_key is not None and status in (401, 403):
                    raise KeyRefused("speedrun.com refused your API key.")
                if status not in (420, 429) or attempt == RATE_LIMITED_TRIES:
                    return status, body
                log.warning("speedrun.com rate limit (HTTP %d): waiting %.1f s", status, retry_after)
            await asyncio.sleep(retry_after)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        api_key: SecretStr | None,
    ) -> tuple[int, float, bytes]:
        url = f"{self._base_url}{path}"
        headers = {"X-API-Key": api_key.get_secret_value()} if api_key else self._headers
        with self._errors.request(path):
            async with self._session.request(
                method, url, params=params, json=json, headers=headers, timeout=self._timeout
            ) as response:
                retry_after = float(response.headers.get("Retry-After", 5) or 5)
                return response.status, min(retry_after, 60.0), await response.read()

    def _parse(self, path: str, status: int, body: bytes, shape: TypeAdapter[T]) -> T:
        if status in (420, 429):
            raise UpstreamError(SERVICE, "it keeps asking the bot to slow down")
        if 400 <= status < 500:
            try:
                refusal = api.API_ERROR.validate_json(body)
            except ValidationError:
                refusal = api.ApiError(message=f"HTTP {status}")
            raise Refused(status, refusal.message, refusal.errors)
        self._errors.check_status(status)
        return self._errors.parse(path, body, shape)
