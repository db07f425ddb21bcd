"""The gateway websocket: hello and heartbeats, IDENTIFY (READY, GUILD_CREATE), RESUME, reconnects
and outages, sharding, and the events the server dispatches.

Sharding as Discord does it: IDENTIFY may carry ``shard: [id, count]`` (none means ``[0, 1]``), READY
carries it back, and a guild belongs to shard ``(guild_id >> 22) % count``: its GUILD_CREATE and its
events (interactions included) go only to that shard's session; other events go to shard 0. An id
outside the count closes the session with 4010, more than ``MAX_GUILDS_PER_SESSION`` guilds on one
session with 4011. ``GET /gateway/bot`` recommends one shard per ``GUILDS_PER_SHARD`` guilds.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord.payloads import snowflake
from tests.fakes.discord.state import State

MAX_GUILDS_PER_SESSION = 2500  # Discord closes a bigger session with 4011 "Sharding required"
GUILDS_PER_SHARD = 1000  # what GET /gateway/bot recommends a shard for


def shard_of(guild_id: int | str, shard_count: int) -> int:
    return (int(guild_id) >> 22) % shard_count


@dataclass
class Session:
    """One identified gateway session: which shard it is, and its sequence."""

    ws: web.WebSocketResponse
    shard_id: int
    shard_count: int
    session_id: str
    sequence: int = 0


class Gateway(State):
    """The gateway sessions a bot holds (one a shard), and the switches that break them (outages,
    reconnects)."""

    def __init__(self) -> None:
        super().__init__()
        self.identifies = 0
        self.resumes = 0
        self.ready = asyncio.Event()  # set when a session has been sent its guilds
        self.max_concurrency = 16  # session_start_limit.max_concurrency in GET /gateway/bot
        self.sessions: dict[int, Session] = {}  # by shard id
        self.identified: list[tuple[int, int, float]] = []  # (shard id, count, time.perf_counter())
        self._by_ws: dict[web.WebSocketResponse, Session] = {}
        self._by_session_id: dict[str, Session] = {}  # every session ever identified, to resume
        self._sockets: set[web.WebSocketResponse] = set()
        self.resume_gateway_url: str | None = None  # default: this server's gateway
        self.gateway_down = False  # refuse gateway connections, as during an outage
        self.gateway_refused = 0  # connections refused while it was down
        self.gateway_opened: list[float] = []  # time.perf_counter() of each connection accepted

    @property
    def recommended_shards(self) -> int:
        return max(1, math.ceil(len(self.guilds) / GUILDS_PER_SHARD))

    def gateway_bot(self) -> dict[str, Any]:
        """The answer to ``GET /gateway/bot``."""
        return {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - self.identifies,
                "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        }

    def guilds_of(self, shard_id: int, shard_count: int) -> list[dict[str, Any]]:
        return [g for g in self.guilds if shard_of(g["id"], shard_count) == shard_id]

    async def dispatch(self, event: str, data: Any, *, guild_id: int | str | None = None) -> None:
        """Sends ``event`` on the session of ``guild_id``'s shard (shard 0's without a guild)."""
        session = self._session_for(guild_id)
        if session is None:
            raise RuntimeError(f"no session of the bot holds guild {guild_id} on the gateway")
        await self._send(session, event, data)

    def _session_for(self, guild_id: int | str | None) -> Session | None:
        for session in self.sessions.values():
            wanted = 0 if guild_id is None else shard_of(guild_id, session.shard_count)
            if session.shard_id == wanted:
                return session
        return None

    @staticmethod
    async def _send(session: Session, event: str, data: Any) -> None:
        session.sequence += 1
        await session.ws.send_json({"op": 0, "t": event, "s": session.sequence, "d": data})

    async def send_reconnect(self) -> None:
        """Asks every session to reconnect and resume (gateway op 7)."""
        for session in list(self.sessions.values()):
            del self.sessions[session.shard_id]
            await session.ws.send_json({"op": 7, "d": None})

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
            session = self._by_ws.pop(ws, None)
            if session is not None and session.ws is ws and self.sessions.get(session.shard_id) is session:
                del self.sessions[session.shard_id]
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return
        guilds = self.guilds_of(shard_id, shard_count)
        if len(guilds) > MAX_GUILDS_PER_SESSION:
            await ws.close(code=4011, message=b"Sharding required.")
            return
        self.identifies += 1
        self.identified.append((shard_id, shard_count, time.perf_counter()))
        session = Session(ws, shard_id, shard_count, f"session-{snowflake()}")
        self.sessions[shard_id] = self._by_ws[ws] = self._by_session_id[session.session_id] = session
        await self._send(
            session,
            "READY",
            {
                "v": 10,
                "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "resume_gateway_url": self.resume_gateway_url or self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "shard": [shard_id, shard_count],
            },
        )
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", guild)
        self.ready.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        old = self._by_session_id.get(data.get("session_id") or "")
        if data.get("token") != self.token or old is None:
            await ws.send_json({"op": 9, "d": False})
            return
        self.resumes += 1
        old.ws = ws
        self.sessions[old.shard_id] = self._by_ws[ws] = old
        await self._send(old, "RESUMED", {})
