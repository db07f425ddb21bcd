"""The gateway websocket: hello and heartbeats, IDENTIFY (READY, GUILD_CREATE), RESUME, reconnects
and outages, and the events the server dispatches."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord.payloads import snowflake
from tests.fakes.discord.state import State


class Gateway(State):
    """The one gateway session a bot holds, and the switches that break it (outages, reconnects)."""

    def __init__(self) -> None:
        super().__init__()
        self.identifies = 0
        self.resumes = 0
        self.ready = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._sequence = 0
        self._session_id = ""
        self._sockets: set[web.WebSocketResponse] = set()
        self.resume_gateway_url: str | None = None  # default: this server's gateway
        self.gateway_down = False  # refuse gateway connections, as during an outage
        self.gateway_refused = 0  # connections refused while it was down
        self.gateway_opened: list[float] = []  # time.perf_counter() of each connection accepted

    async def dispatch(self, event: str, data: Any) -> None:
        if self._ws is None:
            raise RuntimeError("no bot is connected to the gateway")
        self._sequence += 1
        await self._ws.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    async def send_reconnect(self) -> None:
        """Asks the bot to reconnect and resume (gateway op 7)."""
        assert self._ws is not None
        ws, self._ws = self._ws, None
        await ws.send_json({"op": 7, "d": None})

    async def drop_connections(self) -> None:
        """Closes every gateway connection, as a network failure would."""
        for ws in list(self._sockets):
            await ws.close(code=1006)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.gateway_down:
            self.gateway_refused += 1
            return web.Response(status=503)
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.gateway_opened.append(time.perf_counter())
        self._sockets.add(ws)
        try:
            await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op, data = message.get("op"), message.get("d")
                if op == 1:
                    await ws.send_json({"op": 11})
                elif op == 2:
                    await self._identify(ws, data)
                elif op == 6:
                    await self._resume(ws, data)
        finally:
            self._sockets.discard(ws)
            if self._ws is ws:
                self._ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies += 1
        self._ws, self._sequence, self._session_id = ws, 0, f"session-{snowflake()}"
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                "session_id": self._session_id,
                "resume_gateway_url": self.resume_gateway_url or self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild in self.guilds:
            await self.dispatch("GUILD_CREATE", guild)
        self.ready.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token or data.get("session_id") != self._session_id:
            await ws.send_json({"op": 9, "d": False})
            return
        self.resumes += 1
        self._ws = ws
        await self.dispatch("RESUMED", {})
