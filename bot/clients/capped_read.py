"""Reading an upstream response body with a size limit, for every API client."""

from __future__ import annotations

import aiohttp

from bot.errors import UpstreamError

MAX_BYTES = 8 * 1024 * 1024  # the largest document read; every feed the bot reads is far smaller


async def read_capped(response: aiohttp.ClientResponse, service: str, limit: int = MAX_BYTES) -> bytes:
    """The whole body; an ``UpstreamError`` naming ``service`` once it grows past ``limit`` bytes."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise UpstreamError(service, f"it sent a document larger than {limit // 2**20} MB")
    return bytes(body)
