"""Local Xbox Live and Halo Waypoint hosts serving the recorded fixtures (tests/data/waypoint,
MIT, from the SPNKr project).

One server stands for every host, each under its own path prefix (``/userauth``, ``/xsts``,
``/settings``, ``/profile``, ``/stats``, ``/skill``, ``/gamecms``, ``/discovery``). Playlists are
served as the real hosts serve them: the gamecms asset with ``HasCsr``, ``NameHint`` and
``UgcPlaylistVersion`` only (no recording exists; the shape HaloFunTime hft-backend reads), and
the name in the UGC discovery document of that version (the recorded ``get_playlist.json``).
It checks the token chain the way Waypoint does: each step needs the token the previous step
issued, Spartan tokens expire, the skill service wants the clearance too, and anything else is a
401.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.local_http import LocalServer

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "waypoint"
HALO_RELYING_PARTY = "https://prod.xsts.halowaypoint.com/"
RANKED_ARENA = "edfef3ac-9cbe-4fa2-b949-8f29deafd483"
RANKED_DOUBLES = "fa5aa2a3-2428-4912-a023-e1eeea7b877c"
DOUBLES_VERSION = "3f5e1c2a-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
PLAYER = "aCurtis X89"
PLAYER_XUID = "2535445291321133"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def standing(value: int, tier: str, sub_tier: int, *, next_sub_tier: int | None = None) -> dict[str, Any]:
    """A CSR standing in Waypoint's shape (tiers 300 wide from 0, sub-tiers 50; Onyx from 1500)."""
    start = 1500 if tier == "Onyx" else value - value % 50
    following = sub_tier + 1 if next_sub_tier is None else next_sub_tier
    return {
        "Value": value,
        "MeasurementMatchesRemaining": 0,
        "Tier": tier,
        "TierStart": start,
        "SubTier": sub_tier,
        "NextTier": tier,
        "NextTierStart": start if tier == "Onyx" else start + 50,
        "NextSubTier": following,
        "InitialMeasurementMatches": 5,
        "DemotionProtectionMatchesRemaining": 0,
        "InitialDemotionProtectionMatches": 3,
    }


def asset(name_hint: str, version: str, *, ranked: bool = True) -> dict[str, Any]:
    """A gamecms playlist asset, in the shape the real one has."""
    return {"HasCsr": ranked, "NameHint": name_hint, "UgcPlaylistVersion": version}


@dataclass
class Fault:
    path: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]


class FakeWaypoint(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self._numbers = itertools.count(1)
        self.spartan_lifetime = timedelta(hours=4)
        self.issued: Counter[str] = Counter()  # tokens issued per step
        self.rps_tickets: list[str] = []
        self.requests: list[tuple[str, str]] = []  # (method, path and query) of every data request
        self._user_tokens: set[str] = set()
        self._xsts_tokens: set[str] = set()
        self._spartan: dict[str, datetime] = {}  # token → expiry
        self._clearance = fixture("clearance")["FlightConfigurationId"]
        self.players = {PLAYER.casefold(): {**fixture("get_user"), "xuid": PLAYER_XUID, "gamertag": PLAYER}}
        self.records: dict[str | None, Any] = {None: fixture("get_service_record")}
        # CSR per (playlist, season); None: the current season. The recorded answer by default.
        self.csr: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.csr_codes: dict[tuple[str, str | None], int] = {}  # a ResultCode other than 0, no Result
        arena = fixture("get_playlist")  # the discovery document of Ranked Arena
        doubles = {**arena, "AssetId": RANKED_DOUBLES, "VersionId": DOUBLES_VERSION}
        # gamecms playlist assets, by playlist id
        self.playlists = {
            RANKED_ARENA: asset("RankedArena", arena["VersionId"]),
            RANKED_DOUBLES: asset("RankedDoubles", DOUBLES_VERSION),
        }
        # UGC discovery documents, by (playlist id, version id)
        self.playlist_versions = {
            (RANKED_ARENA, arena["VersionId"]): arena,
            (RANKED_DOUBLES, DOUBLES_VERSION): {**doubles, "PublicName": "Ranked Doubles"},
        }
        self.faults: list[Fault] = []
        self.delay = 0.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        return app

    def settings(self) -> dict[str, str]:
        """The ``infinite`` config keys that point the bot at this server."""
        base = self.base_url
        return {
            "user_auth_url": f"{base}/userauth",
            "xsts_url": f"{base}/xsts",
            "settings_url": f"{base}/settings",
            "profile_url": f"{base}/profile",
            "stats_url": f"{base}/stats",
            "skill_url": f"{base}/skill",
            "gamecms_url": f"{base}/gamecms",
            "discovery_url": f"{base}/discovery",
        }

    def fail(self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """The next ``times`` requests whose path matches ``path`` are answered ``status``."""
        self.faults.append(Fault(re.compile(path), status, times, headers or {}))

    def revoke_spartan_tokens(self) -> None:
        """Every Spartan token issued so far is refused from now on (as after a server-side reset)."""
        self._spartan.clear()

    # -- serving ------------------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        fault = next((f for f in self.faults if f.times > 0 and f.path.search(path)), None)
        if fault is not None:
            fault.times -= 1
            return web.json_response({"message": "fault"}, status=fault.status, headers=fault.headers)
        if self.delay:
            await asyncio.sleep(self.delay)
        if path == "/userauth/user/authenticate" and request.method == "POST":
            return await self._user_token(request)
        if path == "/xsts/xsts/authorize" and request.method == "POST":
            return await self._xsts_token(request)
        if path == "/settings/spartan-token" and request.method == "POST":
            return await self._spartan_token(request)
        if not self._spartan_ok(request):
            return web.json_response({"message": "unauthorized"}, status=401)
        self.requests.append((request.method, str(request.rel_url)))
        if path == "/settings/oban/flight-configurations/titles/hi/audiences/RETAIL/active":
            self.issued["clearance"] += 1
            return web.json_response(fixture("clearance"))
        return self._data(request)

    def _issue(self, step: str) -> str:
        """A new token of the sign-in ``step``, counted in ``issued``."""
        self.issued[step] += 1
        return f"{step}-{next(self._numbers)}"

    async def _user_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        ticket = body["Properties"]["RpsTicket"]
        if request.headers.get("x-xbl-contract-version") != "1" or not ticket.startswith("d="):
            return web.Response(status=400)
        self.rps_tickets.append(ticket)
        token = self._issue("user")
        self._user_tokens.add(token)
        return web.json_response({**fixture("xbox_user"), "Token": token})

    async def _xsts_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (
            body["RelyingParty"] != HALO_RELYING_PARTY
            or body["Properties"]["UserTokens"][0] not in self._user_tokens
        ):
            return web.Response(status=401)
        token = self._issue("xsts")
        self._xsts_tokens.add(token)
        return web.json_response({**fixture("xsts_halo"), "Token": token})

    async def _spartan_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        proof = body["Proof"][0]
        if body["Audience"] != "urn:343:s3:services" or proof["Token"] not in self._xsts_tokens:
            return web.Response(status=401)
        token = self._issue("spartan")
        expires = datetime.now(UTC) + self.spartan_lifetime
        self._spartan[token] = expires
        answer = {
            **fixture("spartan"),
            "SpartanToken": token,
            "ExpiresUtc": {"ISO8601Date": expires.isoformat()},
        }
        return web.json_response(answer, status=201)

    def _spartan_ok(self, request: web.Request) -> bool:
        expires = self._spartan.get(request.headers.get("x-343-authorization-spartan", ""))
        return expires is not None and expires > datetime.now(UTC)

    def _data(self, request: web.Request) -> web.Response:
        path, query = request.path, request.query
        if path == "/profile/users/me":  # the signed-in player
            return web.json_response(self.players[PLAYER.casefold()])
        if match := re.fullmatch(r"/profile/users/gt\((.+)\)", path):
            player = self.players.get(match[1].casefold())
            return web.json_response(player) if player else web.json_response({"message": "nope"}, status=404)
        if match := re.fullmatch(r"/stats/hi/players/xuid\((\d+)\)/Matchmade/servicerecord", path):
            if match[1] not in {p["xuid"] for p in self.players.values()}:
                return web.json_response({}, status=404)
            season = query.get("seasonId")
            return web.json_response(self.records.get(season, fixture("get_service_record_empty")))
        if match := re.fullmatch(r"/skill/hi/playlist/([^/]+)/csrs", path):
            if request.headers.get("343-clearance") != self._clearance:
                return web.json_response({"message": "no clearance"}, status=403)
            return self._csr(match[1], query.get("players", ""), query.get("season"))
        if path == "/gamecms/hi/Progression/file/Csr/Calendars/CsrSeasonCalendar.json":
            return web.json_response(fixture("get_csr_season_calendar"))
        if path == "/gamecms/hi/Waypoint/file/medals/metadata.json":
            return web.json_response(fixture("get_medal_metadata"))
        if match := re.fullmatch(r"/gamecms/hi/Multiplayer/file/playlists/assets/([^/]+)\.json", path):
            found = self.playlists.get(
                match[1], asset("QuickPlay", "0f0e0d0c-0000-4000-8000-000000000000", ranked=False)
            )
            return web.json_response(found)
        if match := re.fullmatch(r"/discovery/hi/playlists/([^/]+)/versions/([^/]+)", path):
            document = self.playlist_versions.get((match[1], match[2]))
            return web.json_response(document) if document else web.json_response({}, status=404)
        return web.json_response({"message": f"no such document {path}"}, status=404)

    def _csr(self, playlist: str, players: str, season: str | None) -> web.Response:
        answer = copy.deepcopy(fixture("get_playlist_csr"))
        entry = answer["Value"][0]
        entry["Id"] = players
        if (playlist, season) in self.csr_codes:
            entry["ResultCode"], entry["Result"] = self.csr_codes[(playlist, season)], None
        elif (playlist, season) in self.csr:
            entry["Result"] = self.csr[(playlist, season)]
        elif playlist not in self.playlists:
            entry["ResultCode"], entry["Result"] = 1, None
        return web.json_response(answer)
