"""A local HaloRuns serving both API generations from the recorded-shape JSON in ``haloruns/``.

``content`` files are served at their own paths (``/content/...``); the legacy query API
(``/api/request?query=...``) answers from ``legacy/<query>.json``, filtered as the seed describes.
Tests can make any path fail in the ways the real site might.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from tests.fakes.local_http import LocalServer

DATA = Path(__file__).parent / "haloruns"

FailureMode = Literal["500", "timeout", "html", "not-json", "wrong-shape"]


@dataclass
class Failure:
    path: re.Pattern[str]
    mode: FailureMode
    times: int


def json_response(data: Any) -> web.Response:
    return web.Response(text=json.dumps(data), content_type="application/json")


class FakeHaloRuns(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []  # path and query of every request, in order
        self.delay = 0.0  # seconds before every answer
        self.overrides: dict[str, Any] = {}  # path -> JSON served instead of the file
        self._failures: list[Failure] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/content/{tail:.*}", self._content)
        app.router.add_get("/api/request", self._legacy)
        return app

    def fail(self, path: str, mode: FailureMode, *, times: int = 1) -> None:
        """The next ``times`` requests whose path and query match the ``path`` regex fail with ``mode``."""
        self._failures.append(Failure(re.compile(path), mode, times))

    def count(self, pattern: str) -> int:
        return sum(1 for request in self.requests if re.search(pattern, request))

    async def _answer(self, request: web.Request, produce: Any) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if self.delay:
            await asyncio.sleep(self.delay)
        failure = next((f for f in self._failures if f.times > 0 and f.path.search(request.path_qs)), None)
        if failure is not None:
            failure.times -= 1
            return await self._failure(failure.mode)
        data = produce()
        return web.Response(status=404, text="Not found") if data is None else json_response(data)

    @staticmethod
    async def _failure(mode: FailureMode) -> web.StreamResponse:
        if mode == "500":
            return web.Response(status=503, text="Service Unavailable")
        if mode == "timeout":
            await asyncio.sleep(3600)
        if mode == "html":
            return web.Response(
                text="<html><body>Cloudflare: error 1020</body></html>", content_type="text/html"
            )
        if mode == "not-json":
            return web.Response(text='{"Entries": [', content_type="application/json")
        return json_response({"Unexpected": True, "Entries": "none"})

    async def _content(self, request: web.Request) -> web.StreamResponse:
        def produce() -> Any:
            if request.path in self.overrides:
                return self.overrides[request.path]
            file = (DATA / request.path.lstrip("/")).resolve()
            if DATA not in file.parents or not file.is_file():
                return None
            return json.loads(file.read_text())

        return await self._answer(request, produce)

    async def _legacy(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, lambda: self._query(request.query))

    def _query(self, query: Any) -> Any:
        name = query.get("query", "")
        if name in self.overrides:
            return self.overrides[name]
        file = DATA / "legacy" / f"{name}.json"
        if not re.fullmatch(r"[A-Za-z]+", name) or not file.is_file():
            return {"error": "unknown query"}
        data = json.loads(file.read_text())
        limit = min(int(query.get("limit", 50)), 50)
        if name == "records":
            records = data.get(query.get("level", ""), [])
            if "isCoop" in query:
                records = [r for r in records if r["is_coop"] == (query["isCoop"] == "1")]
            if "difficulty" in query:
                wanted = "Legendary" if query["difficulty"] == "1" else "Easy"
                records = [r for r in records if r["difficulty_name"] == wanted]
            return records
        if name == "wrVods":
            board = query.get("isCoop", "0") + query.get("difficulty", "0")
            return data.get(query.get("level", ""), {}).get(board, "")
        if name == "user":
            return data.get(query.get("user", "").lower())
        if name in ("recentRuns", "recentRecords"):
            country = query.get("country")
            return [r for r in data if country is None or r["country"] == country][:limit]
        return data
