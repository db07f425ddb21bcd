"""The HTTP client for HaloRuns: one per bot, shared by both API generations.

It owns the base URL, the time limit of a request, the cache (``haloruns.cache_seconds``), and
the sharing of one upstream request among identical concurrent ones. Every answer is parsed into
the caller's pydantic type; whatever goes wrong becomes an ``UpstreamError`` naming HaloRuns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TypeVar

import aiohttp
from pydantic import TypeAdapter, ValidationError

from bot.clients.capped_read import read_capped
from bot.clients.shared_requests import SharedRequests
from bot.config import HaloRunsConfig
from bot.errors import UpstreamError
from bot.runtime.telemetry import Telemetry

log = logging.getLogger(__name__)

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
        self._request_seconds = request_seconds
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
            try:
                async with self._session.get(url, params=params, timeout=self._timeout) as response:
                    if response.status == 404:
                        return None
                    if response.status >= 400:
                        raise UpstreamError(SERVICE, f"it answered HTTP {response.status}")
                    body = await read_capped(response, SERVICE)
                    content_type = response.content_type
            except TimeoutError:
                raise UpstreamError(
                    SERVICE, f"it did not answer within {self._request_seconds:g} seconds"
                ) from None
            except aiohttp.ClientError as error:
                log.warning("HaloRuns request %s failed: %s", path, error)
                raise UpstreamError(SERVICE, "it could not be reached") from None
            return self._parse(path, body, content_type, shape)

    @staticmethod
    def _parse(path: str, body: bytes, content_type: str, shape: TypeAdapter[T]) -> T:
        try:
            return shape.validate_json(body)
        except ValidationError as error:
            if error.errors()[0]["type"] != "json_invalid":
                log.warning("HaloRuns sent %s in an unexpected shape: %s", path, error)
                raise UpstreamError(SERVICE, "it sent data in a shape the bot does not understand") from None
            if content_type == "text/html" or body.lstrip()[:1] == b"<":
                raise UpstreamError(SERVICE, "it sent an error page instead of data") from None
            raise UpstreamError(SERVICE, "it sent data that is not valid JSON") from None
