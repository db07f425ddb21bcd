"""A local Discord-compatible server: REST under /api/v10 and a gateway websocket, on 127.0.0.1.

The real discord.py connects to it through ``discord.api_base`` and ``discord.gateway_url``. It
sends READY and GUILD_CREATE, injects INTERACTION_CREATE, answers interaction callbacks the way
Discord does, keeps every message the bot creates, edits and deletes, can fail a route on demand,
and checks the JSON body of every REST call against Discord's OpenAPI description.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.discord.interactions import Interactions
from tests.fakes.discord.payloads import make_guild


class FakeDiscord(Interactions):
    """The gateway, REST and interactions of one local Discord, with everything it was sent."""

    def __init__(self, *, token: str = "test-bot-token", guilds: list[dict[str, Any]] | None = None) -> None:
        self.token = token
        super().__init__()
        self.guilds = guilds if guilds is not None else [make_guild()]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        await self._http.serve(app)

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await self._http.close()
