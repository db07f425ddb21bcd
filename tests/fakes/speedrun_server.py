"""A local speedrun.com API v1 serving the recorded fixtures (../shared/fixtures/speedrun, MIT).

It answers the way the real API does: an envelope around the data, ``embed=`` replacing ids with
``{"data": object}``, 404 with its error body, and HTTP 420 past ``limit_per_minute`` requests in
any minute.
"""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "speedrun"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message, "links": []}, status=status)


class FakeSpeedrun:
    def __init__(self, *, limit_per_minute: int = 100, minute: float = 60.0) -> None:
        self.limit_per_minute = limit_per_minute
        self.minute = minute  # tests shorten it to see a whole window quickly
        self.requests: list[str] = []
        self.rate_limited = 0
        self._recent: deque[float] = deque()
        self.games: list[dict[str, Any]] = _load("games.json")["data"]
        self.categories: dict[str, list[dict[str, Any]]] = {
            self.games[0]["id"]: _load("games.categories.json")["data"]
        }
        self.levels: dict[str, list[dict[str, Any]]] = {}
        self.runs: dict[str, dict[str, Any]] = {run["id"]: run for run in _load("runs.json")["data"]}
        self.users: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application(middlewares=[self._limit])
        app.router.add_get("/api/v1/games", self._search_games)
        app.router.add_get("/api/v1/games/{game}", self._game)
        app.router.add_get("/api/v1/games/{game}/categories", self._categories)
        app.router.add_get("/api/v1/games/{game}/levels", self._levels)
        app.router.add_get("/api/v1/runs/{run}", self._run)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

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
        return (
            web.json_response({"data": game})
            if game
            else error(404, "The requested resource could not be found.")
        )

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
