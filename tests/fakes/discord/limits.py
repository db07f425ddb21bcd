"""What Discord refuses beyond its OpenAPI description: the global rate limit, the embed size
limit, and the failures a test injects."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.discord.responses import error_response, json_response


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    times: int
    retry_after: float
    after_processing: bool = False


EMBED_TOTAL_LIMIT = 6000  # Discord's limit on all text of one message's embeds, not in the OpenAPI file


def embed_limit_problems(body: Any) -> list[str]:
    """What Discord refuses in a message body that its OpenAPI description does not say."""
    if not isinstance(body, dict):
        return []
    message: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else body
    embeds = message.get("embeds") or []
    total = sum(
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
        + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
        for embed in embeds
    )
    return (
        [f"embeds hold {total} characters, more than {EMBED_TOTAL_LIMIT}"]
        if total > EMBED_TOTAL_LIMIT
        else []
    )


class Limits:
    """The global rate limit (a token bucket) and the failures injected with ``fail``."""

    def __init__(self) -> None:
        super().__init__()
        self._failures: list[Failure] = []
        # Discord's global limit (50 requests a second per bot), off unless a test or bench sets it.
        self.global_rate_limit: float | None = None
        self.rate_limited = 0  # requests answered 429 by that limit
        self._bucket_tokens = 0.0
        self._bucket_time = 0.0

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.2,
        after_processing: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` on paths matching the ``path`` regex get ``status``;
        with ``after_processing``, the request takes effect first (the answer is what is lost)."""
        self._failures.append(Failure(method, re.compile(path), status, times, retry_after, after_processing))

    def _over_global_limit(self) -> float:
        """Seconds to wait when the global limit is exhausted (a token bucket), else 0."""
        if self.global_rate_limit is None:
            return 0.0
        now = time.monotonic()
        rate = self.global_rate_limit
        self._bucket_tokens = min(rate, self._bucket_tokens + (now - self._bucket_time) * rate)
        self._bucket_time = now
        if self._bucket_tokens >= 1:
            self._bucket_tokens -= 1
            return 0.0
        return (1 - self._bucket_tokens) / rate

    def _global_limit(self) -> web.Response | None:
        """The 429 Discord answers while the global limit is exhausted, else None."""
        wait = self._over_global_limit()
        if not wait:
            return None
        self.rate_limited += 1
        return json_response(
            {"message": "You are being rate limited.", "retry_after": round(wait, 3), "global": True},
            429,
            {
                "Retry-After": str(round(wait, 3)),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
                "Via": "1.1 google",
            },
        )

    def _due_failure(self, method: str, path: str) -> Failure | None:
        """The injected failure this call meets, if any (it counts as one of its ``times``)."""
        failure = next(
            (f for f in self._failures if f.times > 0 and f.method == method and f.path.search(path)),
            None,
        )
        if failure is not None:
            failure.times -= 1
        return failure

    @staticmethod
    def _failure_response(failure: Failure) -> web.Response:
        if failure.status == 429:
            return json_response(
                {
                    "message": "You are being rate limited.",
                    "retry_after": failure.retry_after,
                    "global": False,
                },
                429,
                # Discord's own 429s come through its proxy; without Via discord.py takes it for a ban.
                {"Retry-After": str(failure.retry_after), "X-RateLimit-Scope": "user", "Via": "1.1 google"},
            )
        if failure.status == 403:
            return error_response(403, 50013, "Missing Permissions")
        if failure.status == 404:
            return error_response(404, 10003, "Unknown Channel")
        return error_response(failure.status, 0, f"{failure.status}: Server Error")
