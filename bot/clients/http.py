"""What goes wrong in a request to an upstream service, as an ``UpstreamError``: for every API client.

Each client keeps one ``UpstreamErrors`` naming its service and its time limit, and uses it for the
three things that go wrong alike everywhere: the request (no answer in time, no connection), the
status (an HTTP error), and the body (not the data the caller's pydantic type describes). What a
client does with the statuses it knows (404, 401, 429 …) stays in that client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
from pydantic import TypeAdapter, ValidationError

from bot.errors import UpstreamError
from bot.models.lenient import describe

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class UpstreamErrors:
    """The errors of requests to ``service``, each limited to ``seconds``.

    ``tells_bad_json``: a body that is not JSON at all is named as such (an error page, or data that
    is not valid JSON) rather than as data in a shape the bot does not understand.
    """

    service: str
    seconds: float
    tells_bad_json: bool = False

    @contextmanager
    def request(self, what: str) -> Iterator[None]:
        """Around a request for ``what`` (a path or URL, for the log): a timeout or a connection
        failure becomes an ``UpstreamError``."""
        try:
            yield
        except TimeoutError:
            raise UpstreamError(self.service, f"it did not answer within {self.seconds:g} seconds") from None
        except aiohttp.ClientError as error:
            log.warning("%s request %s failed: %s", self.service, what, error)
            raise UpstreamError(self.service, "it could not be reached") from None

    def check_status(self, status: int) -> None:
        """An ``UpstreamError`` for an HTTP error status (400 and above)."""
        if status >= 400:
            raise UpstreamError(self.service, f"it answered HTTP {status}")

    def parse(self, what: str, body: bytes, shape: TypeAdapter[T], content_type: str = "") -> T:
        """``body`` (the answer for ``what``, of ``content_type``) parsed as ``shape``; an
        ``UpstreamError`` when it is not that."""
        try:
            return shape.validate_json(body)
        except ValidationError as error:
            if not self.tells_bad_json or error.errors()[0]["type"] != "json_invalid":
                log.warning("%s sent %s in an unexpected shape: %s", self.service, what, error)
                raise UpstreamError(
                    self.service,
                    "it sent data in a shape the bot does not understand",
                    detail=describe(error),
                ) from None
            if content_type == "text/html" or body.lstrip()[:1] == b"<":
                raise UpstreamError(self.service, "it sent an error page instead of data") from None
            raise UpstreamError(self.service, "it sent data that is not valid JSON") from None
