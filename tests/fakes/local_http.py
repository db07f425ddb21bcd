"""An aiohttp application served on 127.0.0.1 at a free port: the transport of every local server."""

from __future__ import annotations

import ssl
from typing import Self

from aiohttp import web


class LocalHttp:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def serve(self, app: web.Application, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def url(self, path: str = "", *, scheme: str = "http") -> str:
        """The address of ``path`` on this server."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class LocalServer:
    """A local stand-in for one upstream, served by ``LocalHttp``: a subclass says what it serves
    (``app()``) and under which path its API starts (``ROOT``)."""

    ROOT = ""

    def __init__(self) -> None:
        self._http = LocalHttp()

    def app(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> None:
        await self._http.serve(self.app())

    async def stop(self) -> None:
        await self._http.close()

    @property
    def base_url(self) -> str:
        return self._http.url(self.ROOT)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exception: object) -> None:
        await self.stop()
