"""The HTTP client for HaloRuns: one per bot, shared by both API generations.

It owns the base URL, the time limit of a request, the cache (``haloruns.cache_seconds``), and
the sharing of one upstream request among identical concurrent ones. Every answer is parsed into
the caller's pydantic type; whatever goes wrong becomes an ``UpstreamError`` naming HaloRuns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import aiohttp
from pydantic import TypeAdapter

from bot.clients.capped_read import read_capped
from bot.clients.http import UpstreamErrors
from bot.clients.shared_requests import SharedRequests
from bot.config import HaloRunsConfig
from bot.errors import UpstreamError
from bot.runtime.telemetry import Telemetry

SERVICE = "HaloRuns"
REQUEST_SECONDS = 6.0

T = TypeVar("T")


class HaloRunsClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: HaloRunsConfig,
        telemetry: Telemetry,
        *,
        request_seconds: float = REQUEST_SECONDS,
    ) -> None:
        self._session = session
        self._base_url = config.base_url
        self._telemetry = telemetry
        self._timeout = aiohttp.ClientTimeout(total=request_seconds)
        self._errors = UpstreamErrors(SERVICE, request_seconds, tells_bad_json=True)
        self._requests = SharedRequests(config.cache_seconds)

    async def get(
        self,
        path: str,
        shape: TypeAdapter[T],
        params: Mapping[str, str] | None = None,
        *,
        fresh: bool = False,
    ) -> T:
        """``path`` parsed as ``shape``; a missing document (HTTP 404) is an error. ``fresh`` skips
        the cache (a request in flight is still shared, and the answer still cached)."""
        found = await self.get_optional(path, shape, params, fresh=fresh)
        if found is None:
            raise UpstreamError(SERVICE, f"it has no {path}")
        return found

    async def get_optional(
        self,
        path: str,
        shape: TypeAdapter[T],
        params: Mapping[str, str] | None = None,
        *,
        fresh: bool = False,
    ) -> T | None:
        """``path`` parsed as ``shape``, or ``None`` when HaloRuns has no such document (HTTP 404)."""
        key = (path, tuple(sorted((params or {}).items())))
        return await self._requests.get(key, lambda: self._fetch(path, shape, params), fresh=fresh)

    async def _fetch(self, path: str, shape: TypeAdapter[T], params: Mapping[str, str] | None) -> T | None:
        url = f"{self._base_url}{path}"
        async with self._telemetry.upstream_call(SERVICE):
            with self._errors.request(path):
                async with self._session.get(url, params=params, timeout=self._timeout) as response:
                    if response.status == 404:
                        return None
                    self._errors.check_status(response.status)
                    body = await read_capped(response, SERVICE)
                    content_type = response.content_type
            return self._errors.parse(path, body, shape, content_type)
