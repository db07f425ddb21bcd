"""A local speedrun.com API v1 serving the recorded fixtures (tests/data/speedrun, MIT).

It answers the way the real API does: an envelope around the data, ``embed=`` replacing ids with
``{"data": object}``, 404 with its error body, and HTTP 420 past ``limit_per_minute`` requests in
any minute. Submissions await verification (``add_submission``) until a moderator verifies or
rejects them, or they are deleted; a game in ``hidden_queues`` shows its queue only to a request
with that game's API key.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import deque
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.local_http import LocalServer
from tests.fakes.speedrun_rules import rule_problems, schema_problems

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "speedrun"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


UNSTABLE_WINDOW = 8


def _submitted(run: dict[str, Any]) -> str:
    return str(run.get("submitted") or "")


def _played(run: dict[str, Any]) -> str:
    return str(run.get("date") or "")


def _verified(run: dict[str, Any]) -> str:
    return str(run["status"].get("verify-date") or "")


def error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message, "links": []}, status=status)


class FakeSpeedrun(LocalServer):
    ROOT = "/api/v1"

    def __init__(self, *, limit_per_minute: int = 100, minute: float = 60.0) -> None:
        super().__init__()
        self.limit_per_minute = limit_per_minute
        self.minute = minute  # tests shorten it to see a whole window quickly
        self.delay = 0.0  # seconds before every answer, as when speedrun.com is slow
        self.requests: list[str] = []
        self.rate_limited = 0
        self._recent: deque[float] = deque()
        self.games: list[dict[str, Any]] = _load("games.json")["data"]
        self.categories: dict[str, list[dict[str, Any]]] = {
            self.games[0]["id"]: _load("games.categories.json")["data"]
        }
        self.levels: dict[str, list[dict[str, Any]]] = {}
        self.runs: dict[str, dict[str, Any]] = {run["id"]: run for run in _load("runs.json")["data"]}
        self.users: dict[str, dict[str, Any]] = {
            "48g10dr8": {"names": {"international": "Zeta"}},
            "dx39g5ex": {"names": {"international": "@everyone **bold**"}},
        }
        self.variables: dict[str, list[dict[str, Any]]] = {}
        self.api_keys: dict[str, str] = {}  # API key: the id of the user it belongs to
        self.unstable = False  # True: /runs orders differently at each call, as the real one can
        self.offset_limit = 10_000  # /runs lists no run past this (offset + max), as the real one
        self.platforms: dict[str, str] = {}  # id: name
        self.regions: dict[str, str] = {}
        self.moderators: set[str] = set()  # user ids that moderate every game here
        self.submitted: list[dict[str, Any]] = []  # bodies of POST /runs, as received
        # What the next POSTs to /runs meet: "lost answer" (run made, then HTTP 502) or "down" (503).
        self.submit_faults: list[str] = []
        self.hidden_queues: dict[str, str] = {}  # game id: the API key that may see its queue
        self._made_runs = 0
        self._calls = 0
        self._add_dead_cells()
        self._add_halo_2()

    def _add_dead_cells(self) -> None:
        """The game, category and subcategory that the recorded runs (Dead Cells) belong to."""
        self.games.append(
            {
                "id": "nd2ee5ed",
                "names": {"international": "Dead Cells"},
                "abbreviation": "deadcells",
                "weblink": "https://www.speedrun.com/deadcells",
                "released": 2018,
                # As speedrun.com sends them: a picture of each kind, null where the game has none.
                "assets": {
                    "cover-medium": {
                        "uri": "https://www.speedrun.com/themes/deadcells/cover-128.png",
                        "width": 128,
                        "height": 180,
                    },
                    "foreground": None,
                },
            }
        )
        self.categories["nd2ee5ed"] = [
            {
                "id": "7kjp314k",
                "name": "Any%",
                "type": "per-game",
                "weblink": "https://www.speedrun.com/deadcells#Any",
            },
            {"id": "lvlcat01", "name": "Biome", "type": "per-level"},
        ]
        self.levels["nd2ee5ed"] = [{"id": "lvl00001", "name": "Prisoners' Quarters"}]
        self.variables["7kjp314k"] = [
            {
                "id": "e8m661ql",
                "name": "Version",
                "category": "7kjp314k",
                "is-subcategory": True,
                "values": {
                    "values": {"z19e788q": {"label": "1.0"}, "p12vx6ql": {"label": "Daily"}},
                    "default": "z19e788q",
                },
            }
        ]

    def _add_halo_2(self) -> None:
        """A game with everything a submission is checked against: a ruleset, platforms, regions, a
        level category, and mandatory, optional, level-only and typed variables."""
        self.platforms |= {"8gej2n93": "PC", "o7e2mx6w": "Xbox"}
        self.regions |= {"pr184lqn": "USA / NTSC", "e6lxy1dz": "EUR / PAL"}
        self.games.append(
            {
                "id": "kdkmr7d1",
                "names": {"international": "Halo 2"},
                "abbreviation": "halo2",
                "weblink": "https://www.speedrun.com/halo2",
                "released": 2004,
                "ruleset": {
                    "show-milliseconds": True,
                    "require-verification": True,
                    "require-video": True,
                    "run-times": ["realtime", "ingame"],
                    "default-time": "realtime",
                    "emulators-allowed": False,
                },
                "platforms": ["8gej2n93", "o7e2mx6w"],
                "regions": ["pr184lqn", "e6lxy1dz"],
            }
        )
        self.categories["kdkmr7d1"] = [
            {"id": "wk6pexd1", "name": "Easy", "type": "per-game"},
            {"id": "n2y1y72o", "name": "Level Legendary", "type": "per-level"},
        ]
        self.levels["kdkmr7d1"] = [
            {"id": "rdnyx4dm", "name": "Cairo Station"},
            {"id": "ldyz6zd3", "name": "Outskirts"},
        ]
        players = {
            "id": "2lgz978p",
            "name": "Players",
            "category": None,
            "scope": {"type": "global"},
            "mandatory": True,
            "user-defined": False,
            "values": {
                "values": {"21d4zvp1": {"label": "Solo"}, "5q8e7y3q": {"label": "Co-op"}},
                "default": None,
            },
        }
        self.variables["wk6pexd1"] = [
            players,
            {
                "id": "ylq9qkv8",
                "name": "Version",
                "category": "wk6pexd1",
                "scope": {"type": "full-game"},
                "mandatory": False,
                "user-defined": False,
                "values": {
                    "values": {"gq7zo9p1": {"label": "MCC"}, "21gyzk91": {"label": "Original"}},
                    "default": "gq7zo9p1",
                },
            },
            {
                "id": "p854r2vl",
                "name": "Seed",
                "category": "wk6pexd1",
                "scope": {"type": "global"},
                "mandatory": False,
                "user-defined": True,
                "values": {"values": {}, "default": None},
            },
        ]
        self.variables["n2y1y72o"] = [
            players,
            {
                "id": "68km3w4l",
                "name": "Skull",
                "category": "n2y1y72o",
                "scope": {"type": "single-level", "level": "rdnyx4dm"},
                "mandatory": True,
                "user-defined": False,
                "values": {
                    "values": {"4qye4731": {"label": "Iron"}, "mln3x8nq": {"label": "None"}},
                    "default": "mln3x8nq",
                },
            },
            {
                "id": "wl33kewl",
                "name": "Full-game only",
                "category": None,
                "scope": {"type": "full-game"},
                "mandatory": True,
                "user-defined": False,
                "values": {"values": {"9qj7z0oq": {"label": "A"}}, "default": None},
            },
        ]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._limit])
        app.router.add_get("/api/v1/games", self._search_games)
        app.router.add_get("/api/v1/games/{game}", self._game)
        app.router.add_get("/api/v1/games/{game}/categories", self._categories)
        app.router.add_get("/api/v1/games/{game}/levels", self._levels)
        app.router.add_get("/api/v1/runs/{run}", self._run)
        app.router.add_get("/api/v1/runs", self._runs)
        app.router.add_post("/api/v1/runs", self._submit)
        app.router.add_get("/api/v1/users", self._users)
        app.router.add_get("/api/v1/users/{user}", self._user)
        app.router.add_get("/api/v1/profile", self._profile)
        app.router.add_get("/api/v1/categories/{category}/variables", self._variables)
        app.router.add_get("/api/v1/leaderboards/{game}/category/{category}", self._leaderboard)
        app.router.add_get("/api/v1/leaderboards/{game}/level/{level}/{category}", self._leaderboard)
        return app

    @web.middleware
    async def _limit(self, request: web.Request, handler: Any) -> web.StreamResponse:
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= self.minute:
            self._recent.popleft()
        self.requests.append(request.path_qs)
        if len(self._recent) >= self.limit_per_minute:
            self.rate_limited += 1
            return error(420, "You are sending too many requests. Please slow down.")
        self._recent.append(now)
        if self.delay:
            await asyncio.sleep(self.delay)
        response: web.StreamResponse = await handler(request)
        return response

    def _game_by_id(self, game_id: str) -> dict[str, Any] | None:
        return next((g for g in self.games if g["id"] == game_id), None)

    async def _search_games(self, request: web.Request) -> web.Response:
        name = request.query.get("name", "").casefold()
        abbreviation = request.query.get("abbreviation")
        found = [
            g
            for g in self.games
            if (abbreviation is not None and g.get("abbreviation") == abbreviation)
            or (abbreviation is None and name in g["names"]["international"].casefold())
        ]
        size = len(found)
        return web.json_response(
            {"data": found, "pagination": {"offset": 0, "max": 20, "size": size, "links": []}}
        )

    async def _game(self, request: web.Request) -> web.Response:
        game = self._game_by_id(request.match_info["game"])
        if game is None:
            return error(404, "The requested resource could not be found.")
        embeds = request.query.get("embed", "").split(",")
        game = dict(game)
        for kind, names in (("platforms", self.platforms), ("regions", self.regions)):
            if kind in embeds:
                game[kind] = {"data": [{"id": i, "name": names[i]} for i in game.get(kind, [])]}
        return web.json_response({"data": game})

    async def _categories(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self.categories.get(request.match_info["game"], [])})

    async def _levels(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self.levels.get(request.match_info["game"], [])})

    async def _run(self, request: web.Request) -> web.Response:
        run = self.runs.get(request.match_info["run"])
        if run is None:
            return error(404, "The requested resource could not be found.")
        return web.json_response({"data": self._embedded(run, request.query.get("embed", "").split(","))})

    def _embedded(self, run: dict[str, Any], embeds: list[str]) -> dict[str, Any]:
        run = dict(run)
        if "game" in embeds:
            game = self._game_by_id(run["game"]) or {
                "id": run["game"],
                "names": {"international": run["game"]},
            }
            run["game"] = {"data": game}
        if "category" in embeds and run.get("category"):
            categories = [c for cs in self.categories.values() for c in cs]
            category = next((c for c in categories if c["id"] == run["category"]), None)
            run["category"] = {"data": category or {"id": run["category"], "name": run["category"]}}
        if "level" in embeds:
            run["level"] = (
                {"data": []}
                if run.get("level") is None
                else {"data": {"id": run["level"], "name": run["level"]}}
            )
        if "players" in embeds:
            run["players"] = {"data": [self._player(p) for p in run.get("players", [])]}
        return run

    def _player(self, player: dict[str, Any]) -> dict[str, Any]:
        if player.get("rel") == "guest":
            return {"rel": "guest", "name": player.get("name", "guest")}
        user = self.users.get(player["id"], {"names": {"international": f"user-{player['id']}"}})
        return {
            "rel": "user",
            "id": player["id"],
            "weblink": f"https://www.speedrun.com/user/{player['id']}",
            **user,
        }

    async def _runs(self, request: web.Request) -> web.Response:
        query = request.query
        filters = ("game", "category", "level", "user", "status")
        if not any(key in query for key in ("examiner", "game", "guest", "level", "user")):
            return error(400, "Please query by at least one of: examiner, game, guest, level, user.")
        key = request.headers.get("X-API-Key")
        runs = [
            run
            for run in self.runs.values()
            if not (run["status"]["status"] == "new" and self.hidden_queues.get(run["game"], key) != key)
            and all(
                key not in query
                or (key == "user" and any(p.get("id") == query["user"] for p in run["players"]))
                or (key == "status" and run["status"]["status"] == query["status"])
                or (key not in ("user", "status") and run.get(key) == query[key])
                for key in filters
            )
        ]
        ordering = {"submitted": _submitted, "verify-date": _verified, "date": _played}.get(
            query.get("orderby", "")
        )
        if ordering:
            runs.sort(key=ordering, reverse=query.get("direction") == "desc")
        if self.unstable:
            runs = self._shuffled(runs)
        size = int(query.get("max", 20))
        offset = int(query.get("offset", 0))
        if offset + size > self.offset_limit:
            return error(400, "Invalid pagination values.")
        page = runs[offset : offset + size]
        links = (
            [{"rel": "next", "uri": f"{self.base_url}/runs?offset={offset + size}"}]
            if offset + size < len(runs)
            else []
        )
        embeds = query.get("embed", "").split(",")
        return web.json_response(
            {
                "data": [self._embedded(run, embeds) for run in page],
                "pagination": {"offset": offset, "max": size, "size": len(page), "links": links},
            }
        )

    def _shuffled(self, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Like the real API's unstable ordering: neighbours trade places, differently each call,
        so that runs slip across page boundaries."""
        self._calls += 1
        shuffler = random.Random(self._calls)
        shuffled: list[dict[str, Any]] = []
        cuts = [0, *range(shuffler.randrange(1, UNSTABLE_WINDOW), len(runs), UNSTABLE_WINDOW), len(runs)]
        for start, end in itertools.pairwise(cuts):
            window = runs[start:end]
            shuffler.shuffle(window)
            shuffled.extend(window)
        return shuffled

    def add_run(self, run_id: str, seconds: float, played: date, **changes: Any) -> dict[str, Any]:
        """A Dead Cells Any% 1.0 run, verified now by default, played on ``played``."""
        run = {
            **self.runs["y43enp3z"],
            "id": run_id,
            "weblink": f"https://www.speedrun.com/deadcells/run/{run_id}",
            "date": played.isoformat(),
            "submitted": f"{played.isoformat()}T12:00:00Z",
            "times": {**self.runs["y43enp3z"]["times"], "primary_t": seconds, "realtime_t": seconds},
            "status": {
                "status": "verified",
                "examiner": "zx7weqv8",
                "verify-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            **changes,
        }
        self.runs[run_id] = run
        return run

    def add_submission(
        self, run_id: str, seconds: float, submitted: datetime, **changes: Any
    ) -> dict[str, Any]:
        """A Dead Cells Any% 1.0 run awaiting verification, submitted at ``submitted``."""
        return self.add_run(
            run_id,
            seconds,
            submitted.date(),
            submitted=submitted.strftime("%Y-%m-%dT%H:%M:%SZ"),
            status={"status": "new", "examiner": None, "verify-date": None},
            **changes,
        )

    def verify(self, run_id: str, examiner: str) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.runs[run_id]["status"] = {"status": "verified", "examiner": examiner, "verify-date": now}

    def reject(self, run_id: str, examiner: str, reason: str) -> None:
        self.runs[run_id]["status"] = {"status": "rejected", "examiner": examiner, "reason": reason}

    async def _user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        if user_id not in self.users:
            return error(404, "The requested resource could not be found.")
        return web.json_response({"data": {"rel": "user", "id": user_id, **self.users[user_id]}})

    async def _profile(self, request: web.Request) -> web.Response:
        user_id = self.api_keys.get(request.headers.get("X-API-Key", ""))
        if user_id is None:
            return error(
                403,
                "This operations requires a user context, but no valid API Key was submitted in your "
                "request.",
            )
        return web.json_response({"data": {"rel": "user", "id": user_id, **self.users[user_id]}})

    async def _submit(self, request: web.Request) -> web.Response:
        user_id = self.api_keys.get(request.headers.get("X-API-Key", ""))
        if user_id is None:
            return error(403, "This operations requires a user context, but no valid API Key was submitted.")
        body = await request.json()
        self.submitted.append(body)
        fault = self.submit_faults.pop(0) if self.submit_faults else None
        if fault == "down":
            return error(503, "The service is temporarily unavailable.")
        run = body.get("run") if isinstance(body, dict) else None
        problems = schema_problems(run) if isinstance(run, dict) else ["[run] is missing and it is required"]
        if not problems:
            assert isinstance(run, dict)
            problems = self._rule_problems(run)
        if problems:
            message = "The submitted run does not validate against the schema. See the `errors` attached."
            return web.json_response(
                {"status": 400, "message": message, "errors": problems, "links": []}, status=400
            )
        assert isinstance(run, dict)
        made = self.add_submitted(body, user_id)
        if fault == "lost answer":
            return error(502, "Bad gateway.")
        return web.json_response(
            {"data": made}, status=201, headers={"Location": f"{self.base_url}/runs/{made['id']}"}
        )

    def _rule_problems(self, run: dict[str, Any]) -> list[str]:
        game = next((g for g, cs in self.categories.items() for c in cs if c["id"] == run["category"]), None)
        game_data = self._game_by_id(game or "") or {}
        category = next((c for c in self.categories.get(game or "", []) if c["id"] == run["category"]), None)
        level = run.get("level")
        variables = [
            v
            for v in self.variables.get(run["category"], [])
            if (kind := v.get("scope", {}).get("type", "global")) == "global"
            or (kind == "full-game" and level is None)
            or (kind == "all-levels" and level is not None)
            or (kind == "single-level" and v["scope"].get("level") == level)
        ]
        return rule_problems(run, game_data, category, self.levels.get(game or "", []), variables)

    def add_submitted(self, body: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The run speedrun.com makes of a valid submission (``body`` as POSTed)."""
        run = body["run"]
        self._made_runs += 1
        run_id = f"n{self._made_runs:07d}"
        game = next(g for g, cs in self.categories.items() for c in cs if c["id"] == run["category"])
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        verified = bool(run.get("verified")) and user_id in self.moderators
        timing = next(iter(run["times"]))
        made = {
            "id": run_id,
            "weblink": f"https://www.speedrun.com/run/{run_id}",
            "game": game,
            "level": run.get("level"),
            "category": run["category"],
            "videos": {"links": [{"uri": run["video"]}]} if run.get("video") else None,
            "comment": run.get("comment"),
            "status": {"status": "verified", "examiner": user_id, "verify-date": now}
            if verified
            else {"status": "new"},
            "players": [{"rel": "user", "id": user_id}],
            "date": run.get("date") or datetime.now(UTC).date().isoformat(),
            "submitted": now,
            "times": {"primary_t": run["times"][timing], f"{timing}_t": run["times"][timing]},
            "system": {
                "platform": run.get("platform"),
                "emulated": bool(run.get("emulated")),
                "region": run.get("region"),
            },
            "values": {k: v["value"] for k, v in run.get("variables", {}).items()},
        }
        self.runs[run_id] = made
        return made

    async def _users(self, request: web.Request) -> web.Response:
        lookup = request.query.get("lookup", "").casefold()
        found = [
            {"rel": "user", "id": user_id, **user}
            for user_id, user in self.users.items()
            if user["names"]["international"].casefold() == lookup
        ]
        return web.json_response(
            {"data": found, "pagination": {"offset": 0, "max": 20, "size": len(found), "links": []}}
        )

    async def _variables(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self.variables.get(request.match_info["category"], [])})

    async def _leaderboard(self, request: web.Request) -> web.Response:
        game, category = request.match_info["game"], request.match_info["category"]
        level = request.match_info.get("level")
        wanted = {key[4:]: value for key, value in request.query.items() if key.startswith("var-")}
        on = request.query.get("date")
        best: dict[str, dict[str, Any]] = {}  # each player's fastest run: a board shows no other
        for run in sorted(self.runs.values(), key=lambda run: run["times"]["primary_t"]):
            if (
                run["game"] == game
                and run["category"] == category
                and run.get("level") == level
                and run["status"]["status"] == "verified"
                and run["times"]["primary_t"] > 0
                and (on is None or (run.get("date") or "") <= on)
                and all(run.get("values", {}).get(k) == v for k, v in wanted.items())
            ):
                player = run["players"][0]
                best.setdefault(player.get("id") or player.get("name", ""), run)
        runs = list(best.values())
        places: list[dict[str, Any]] = []
        for index, run in enumerate(runs):
            tied = places and places[-1]["run"]["times"]["primary_t"] == run["times"]["primary_t"]
            places.append({"place": places[-1]["place"] if tied else index + 1, "run": run})
        top = int(request.query.get("top", 10))
        places = [p for p in places if p["place"] <= top]
        players = [self._player(p) for place in places for p in place["run"]["players"]]
        return web.json_response(
            {
                "data": {
                    "weblink": f"https://www.speedrun.com/{game}#{category}",
                    "game": game,
                    "category": category,
                    "level": level,
                    "runs": places,
                    "players": {"data": players},
                }
            }
        )
