"""A local Discord-compatible server: REST under /api/v10 and a gateway websocket, on 127.0.0.1.

The real discord.py connects to it through ``discord.api_base`` and ``discord.gateway_url``. It
sends READY and GUILD_CREATE, injects INTERACTION_CREATE, answers interaction callbacks the way
Discord does, keeps every message the bot creates, edits and deletes, can fail a route on demand,
and checks the JSON body of every REST call against Discord's OpenAPI description.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes.discord import discord_spec
from tests.fakes.local_http import LocalHttp

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
# View channel, send messages, embed links, read history, use application commands.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}

_ids = itertools.count(1)


def snowflake() -> int:
    return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_ids) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


TEXT_CHANNEL, NEWS_CHANNEL = 0, 5
SEND_MESSAGES = 1 << 11


def make_channel(
    guild_id: int | str, name: str, *, kind: int = TEXT_CHANNEL, position: int = 0, deny_everyone: int = 0
) -> dict[str, Any]:
    """A guild text (or news) channel; ``deny_everyone`` takes permissions from @everyone there."""
    overwrites = (
        [{"id": str(guild_id), "type": 0, "allow": "0", "deny": str(deny_everyone)}] if deny_everyone else []
    )
    return {
        "id": str(snowflake()),
        "type": kind,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": overwrites,
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
    }


def make_guild(
    name: str = "Halo Speedrunning",
    *,
    channels: tuple[str, ...] = ("general", "world-records"),
    roles: tuple[str, ...] = ("Runners",),
    guild_id: int | None = None,
) -> dict[str, Any]:
    """A GUILD_CREATE payload with text channels and roles (the @everyone role included)."""
    gid = guild_id or snowflake()
    everyone = {"id": str(gid), "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS), "position": 0}
    role_list = [everyone] + [
        {"id": str(snowflake()), "name": role, "permissions": "0", "position": i + 1}
        for i, role in enumerate(roles)
    ]
    for role in role_list:
        role.update(
            color=0, hoist=False, managed=False, mentionable=False, flags=0, icon=None, unicode_emoji=None
        )
    return {
        "id": str(gid),
        "name": name,
        "icon": None,
        "owner_id": str(snowflake()),
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "features": [],
        "roles": role_list,
        "emojis": [],
        "stickers": [],
        "channels": [make_channel(gid, channel, position=i) for i, channel in enumerate(channels)],
        "threads": [],
        "members": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "joined_at": iso_now(),
    }


@dataclass
class Message:
    """A message as Discord keeps it, plus what the bot asked for that Discord does not echo."""

    data: dict[str, Any]
    allowed_mentions: dict[str, Any] | None = None
    deleted: bool = False
    edits: int = 0
    created: float = field(default_factory=time.monotonic)
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded attachments by filename

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & LOADING)


@dataclass
class Interaction:
    """One interaction the server sent, and everything the bot answered to it."""

    payload: dict[str, Any]
    sent_at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    acknowledged_at: float | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    edits: int = 0  # edits of its messages through its token
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def messages(self) -> list[Message]:
        return [m for m in [self.original, *self.followups] if m is not None and not m.deleted]

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """The autocomplete choices the bot answered with."""
        for callback in self.callbacks:
            if callback["type"] == 8:
                return list(callback["data"]["choices"])
        return None

    @property
    def modal(self) -> dict[str, Any] | None:
        """The form (modal) the bot answered with."""
        return next((dict(c["data"]) for c in self.callbacks if c["type"] == 9), None)

    async def wait_for(self, predicate: Callable[[Interaction], bool], timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()

    async def reply(self, timeout: float = 10) -> Message:
        """The first visible answer, once it is no longer "thinking…"."""
        await self.wait_for(lambda i: any(not m.loading for m in i.messages), timeout)
        return next(m for m in self.messages if not m.loading)

    async def autocomplete_choices(self, timeout: float = 10) -> list[dict[str, Any]]:
        await self.wait_for(lambda i: i.choices is not None, timeout)
        assert self.choices is not None
        return self.choices


def component(message: Message, name: str) -> dict[str, Any]:
    """The button (by label) or select menu (by placeholder) on ``message``."""
    found = next(
        (
            c
            for row in message.data["components"]
            for c in row["components"]
            if name in (c.get("label"), c.get("placeholder"))
        ),
        None,
    )
    assert found is not None, f"no button or menu {name!r} on the message"
    return dict(found)


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    times: int
    retry_after: float
    after_processing: bool = False


@dataclass
class Request:
    method: str
    path: str
    body: Any


Handler = Callable[[web.Request, re.Match[str], Any], Awaitable[web.Response]]


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


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py only parses JSON when the content type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(status: int, code: int, message: str, errors: Any = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return json_response(body, status)


class FakeDiscord:
    def __init__(self, *, token: str = "test-bot-token", guilds: list[dict[str, Any]] | None = None) -> None:
        self.token = token
        self.application_id = snowflake()
        self.bot_user = user_payload(self.application_id, "HaloBot", bot=True)
        self.owner = user_payload(snowflake(), "owner")
        self.member = user_payload(snowflake(), "runner")  # who invokes commands unless a test says
        self.guilds = guilds if guilds is not None else [make_guild()]
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, Interaction] = {}
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.identifies = 0
        self.resumes = 0
        self.ready = asyncio.Event()
        self._failures: list[Failure] = []
        self._ws: web.WebSocketResponse | None = None
        self._sequence = 0
        self._session_id = ""
        self._http = LocalHttp()
        self._sockets: set[web.WebSocketResponse] = set()
        self.resume_gateway_url: str | None = None  # default: this server's gateway
        self.gateway_down = False  # refuse gateway connections, as during an outage
        self.gateway_refused = 0  # connections refused while it was down
        # Discord matches an enforced nonce for a few minutes; tests of restarts set 0 to see doubles.
        self.nonce_seconds = 300.0
        # Discord's global limit (50 requests a second per bot), off unless a test or bench sets it.
        self.global_rate_limit: float | None = None
        self.rate_limited = 0  # requests answered 429 by that limit
        self._bucket_tokens = 0.0
        self._bucket_time = 0.0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._add_routes()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        await self._http.serve(app)

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await self._http.close()

    @property
    def port(self) -> int:
        return self._http.port

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- control for tests ---------------------------------------------------------------------------

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

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for guild in self.guilds for c in guild["channels"]}

    def channel_messages(self, channel_id: int | str) -> list[Message]:
        return [
            m for m in self.messages.values() if m.data["channel_id"] == str(channel_id) and not m.deleted
        ]

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

    async def invoke(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild: dict[str, Any] | None = None,
        channel: str = "general",
        permissions: int = MEMBER_PERMISSIONS,
        user: dict[str, Any] | None = None,
        focused: str | None = None,
    ) -> Interaction:
        """Sends INTERACTION_CREATE for the slash command ``command`` ("name [group] [sub]") as a
        member of ``guild``; with ``focused``, an autocomplete for that option instead."""
        guild = guild or self.guilds[0]
        words = command.split()
        options_payload = self._options(words, options or {}, guild, focused)
        data: dict[str, Any] = {"id": str(snowflake()), "name": words[0], "type": 1, "guild_id": guild["id"]}
        for word in reversed(words[1:]):
            kind = 1 if not options_payload or options_payload[0]["type"] not in (1, 2) else 2
            options_payload = [{"name": word, "type": kind, "options": options_payload}]
        data["options"] = options_payload
        resolved = self._resolved(options or {}, guild)
        if resolved:
            data["resolved"] = resolved
        return await self._interact(4 if focused else 2, data, guild, channel, permissions, user)

    async def invoke_user_command(
        self,
        name: str,
        target: dict[str, Any],
        *,
        guild: dict[str, Any] | None = None,
        channel: str = "general",
    ) -> Interaction:
        """Sends INTERACTION_CREATE for the user command (context menu) ``name`` on ``target``."""
        guild = guild or self.guilds[0]
        member = {"roles": [], "joined_at": iso_now(), "flags": 0, "pending": False, "nick": None}
        member["permissions"] = str(MEMBER_PERMISSIONS)
        data = {
            "id": str(snowflake()),
            "name": name,
            "type": 2,
            "guild_id": guild["id"],
            "target_id": target["id"],
            "resolved": {"users": {target["id"]: target}, "members": {target["id"]: member}},
        }
        return await self._interact(2, data, guild, channel, MEMBER_PERMISSIONS, None)

    async def click(
        self,
        message: Message,
        label: str,
        *,
        user: dict[str, Any] | None = None,
        guild: dict[str, Any] | None = None,
    ) -> Interaction:
        """Presses the button labelled ``label`` on ``message`` (an interaction of type 3)."""
        button = component(message, label)
        assert not button.get("disabled"), f"the button {label!r} is disabled"
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._on_component(message, data, user, guild)

    async def choose(
        self, message: Message, placeholder: str, labels: list[str], *, user: dict[str, Any] | None = None
    ) -> Interaction:
        """Picks the options labelled ``labels`` in the select menu with that ``placeholder``."""
        menu = component(message, placeholder)
        assert not menu.get("disabled"), f"the menu {placeholder!r} is disabled"
        by_label = {option["label"]: option["value"] for option in menu["options"]}
        data = {"custom_id": menu["custom_id"], "component_type": 3, "values": [by_label[x] for x in labels]}
        return await self._on_component(message, data, user, None)

    async def _on_component(
        self,
        message: Message,
        data: dict[str, Any],
        user: dict[str, Any] | None,
        guild: dict[str, Any] | None,
    ) -> Interaction:
        guild = guild or self.guilds[0]
        channel = next(c["name"] for c in guild["channels"] if c["id"] == message.data["channel_id"])
        return await self._interact(3, data, guild, channel, MEMBER_PERMISSIONS, user, message=message.data)

    async def submit(
        self, opened: Interaction, values: Mapping[str, str], *, user: dict[str, Any] | None = None
    ) -> Interaction:
        """Fills in the form ``opened`` answered with (``values`` by field label) and submits it
        (an interaction of type 5, MODAL_SUBMIT)."""
        await opened.wait_for(lambda i: i.modal is not None)
        modal = opened.modal
        assert modal is not None
        rows = []
        for row in modal["components"]:
            if row["type"] == 18:  # a label around one field
                field = row["component"]
                submitted = {
                    "type": field["type"],
                    "custom_id": field["custom_id"],
                    "value": values[row["label"]],
                }
                rows.append({"type": 18, "component": submitted})
            else:
                fields = [
                    {"type": field["type"], "custom_id": field["custom_id"], "value": values[field["label"]]}
                    for field in row["components"]
                ]
                rows.append({"type": 1, "components": fields})
        guild = next(g for g in self.guilds if g["id"] == opened.payload["guild_id"])
        channel = next(c["name"] for c in guild["channels"] if c["id"] == opened.payload["channel_id"])
        data = {"custom_id": modal["custom_id"], "components": rows}
        # A form opened from a button belongs to that button's message, which it may update.
        message = opened.payload.get("message")
        return await self._interact(5, data, guild, channel, MEMBER_PERMISSIONS, user, message=message)

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        guild: dict[str, Any],
        channel: str,
        permissions: int,
        user: dict[str, Any] | None,
        *,
        message: dict[str, Any] | None = None,
    ) -> Interaction:
        channel_data = next(c for c in guild["channels"] if c["name"] == channel)
        user = user or self.member
        payload = {
            "id": str(snowflake()),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": guild["id"],
            "guild": {"id": guild["id"], "locale": "en-US", "features": []},
            "channel_id": channel_data["id"],
            "channel": channel_data,
            "member": {
                "user": user,
                "roles": [],
                "joined_at": iso_now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "permissions": str(permissions),
            },
            "token": f"itoken-{snowflake()}",
            "version": 1,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild["id"]},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        interaction = Interaction(payload, sent_at=time.perf_counter())
        self.interactions[interaction.id] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _options(
        self, words: list[str], options: Mapping[str, Any], guild: dict[str, Any], focused: str | None
    ) -> list[dict[str, Any]]:
        types = self._option_types(words)
        payload = []
        for name, value in options.items():
            kind = types.get(name, OPTION_TYPES.get(type(value), 3))
            option: dict[str, Any] = {"name": name, "type": kind, "value": value}
            if kind in (6, 7, 8, 9):
                option["value"] = str(value)
            if name == focused:
                option["focused"] = True
            payload.append(option)
        return payload

    def _option_types(self, words: list[str]) -> dict[str, int]:
        """Option types from the synced definition of the command, where there is one."""
        for definitions in self.commands.values():
            for definition in definitions:
                if definition["name"] != words[0]:
                    continue
                options = definition.get("options", [])
                for word in words[1:]:
                    options = next((o.get("options", []) for o in options if o["name"] == word), [])
                return {o["name"]: o["type"] for o in options}
        return {}

    def _resolved(self, options: Mapping[str, Any], guild: dict[str, Any]) -> dict[str, Any]:
        ids = {str(v) for v in options.values() if isinstance(v, int | str)}
        channels = {
            c["id"]: {**c, "permissions": str(MEMBER_PERMISSIONS)}
            for c in guild["channels"]
            if c["id"] in ids
        }
        roles = {r["id"]: r for r in guild["roles"] if r["id"] in ids}
        resolved: dict[str, Any] = {}
        if channels:
            resolved["channels"] = channels
        if roles:
            resolved["roles"] = roles
        return resolved

    # -- gateway -----------------------------------------------------------------------------------

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

    # -- REST --------------------------------------------------------------------------------------

    def _route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append((method, re.compile(f"^{pattern}$"), handler))
            return handler

        return register

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

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, uploads = await self._read_body(request)
        self.requests.append(Request(request.method, path, body))
        wait = self._over_global_limit()
        if wait:
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
        if request.headers.get("Authorization") != f"Bot {self.token}" and not path.startswith(
            ("/interactions/", "/webhooks/")
        ):
            return error_response(401, 0, "401: Unauthorized")
        problems = discord_spec().violations(request.method, path, body) + embed_limit_problems(body)
        if problems:
            self.violations += problems
            return error_response(
                400, 50035, "Invalid Form Body", {"_errors": [{"message": p} for p in problems]}
            )
        failure = next(
            (f for f in self._failures if f.times > 0 and f.method == request.method and f.path.search(path)),
            None,
        )
        if failure is not None:
            failure.times -= 1
            if not failure.after_processing:
                return self._failure_response(failure)
        if uploads:
            body = self._attach(body, uploads)
        for method, pattern, handler in self._routes:
            match = pattern.match(path)
            if method == request.method and match:
                response = await handler(request, match, body)
                return self._failure_response(failure) if failure is not None else response
        self.violations.append(f"{request.method} {path}: the local Discord server has no handler")
        return error_response(404, 0, "404: Not Found")

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes]]]:
        """The JSON body, and the files of a multipart upload by form field (``files[0]``)."""
        if not request.can_read_body:
            return None, {}
        if request.content_type != "multipart/form-data":
            return await request.json(), {}
        body: Any = None
        uploads: dict[str, tuple[str, bytes]] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            if part.name == "payload_json":
                body = json.loads(await part.text())
            elif part.name:
                uploads[part.name] = (part.filename or "", bytes(await part.read()))
        return body, uploads

    def _attach(self, body: Any, uploads: dict[str, tuple[str, bytes]]) -> Any:
        """A copy of ``body`` with the uploaded bytes put with the attachments it names (as
        ``_content``); a named upload that is missing is a violation."""
        body = copy.deepcopy(body)
        message = body["data"] if isinstance(body.get("data"), dict) else body
        for attachment in message.get("attachments") or []:
            upload = uploads.get(f"files[{attachment['id']}]")
            if upload is None or upload[0] != attachment["filename"]:
                self.violations.append(f"attachment {attachment} has no upload of that name")
                continue
            attachment["_content"] = upload[1]
        return body

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

    def _add_routes(self) -> None:
        route = self._route
        app = r"(?P<app>\d+)"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"

        @route("GET", "/users/@me")
        async def me(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response({**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0})

        @route("GET", "/oauth2/applications/@me")
        async def application(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self._application())

        @route("GET", "/gateway(/bot)?")
        async def gateway(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response({"url": self.gateway_url, "shards": 1})

        @route("PUT", f"/applications/{app}/commands")
        async def put_global(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self._store_commands(None, body))

        @route("PUT", f"/applications/{app}/guilds/(?P<guild>\\d+)/commands")
        async def put_guild(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self._store_commands(int(match["guild"]), body))

        @route("GET", f"/applications/{app}/commands")
        async def get_global(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self.commands.get(None, []))

        @route("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback")
        async def callback(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._callback(int(match["id"]), match["token"], body)

        @route("GET|PATCH|DELETE", f"{hook}/messages/(?P<message>@original|\\d+)")
        async def webhook_message(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._webhook_message(request.method, match["token"], match["message"], body)

        @route("POST", hook)
        async def followup(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._followup(match["token"], body)

        @route("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)")
        async def member(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            if match["user"] != str(self.application_id):
                return error_response(404, 10007, "Unknown Member")
            return json_response(
                {
                    "user": self.bot_user,
                    "roles": [],
                    "joined_at": iso_now(),
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            )

        @route("POST", r"/channels/(?P<channel>\d+)/messages")
        async def create_message(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._create_message(match["channel"], body)

        @route("GET|PATCH|DELETE", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)")
        async def channel_message(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._channel_message(request.method, int(match["message"]), body)

        @route("POST", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)/crosspost")
        async def crosspost(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            message = self.messages.get(int(match["message"]))
            if message is None or message.deleted:
                return error_response(404, 10008, "Unknown Message")
            message.data["flags"] = int(message.data.get("flags") or 0) | 1  # CROSSPOSTED
            return json_response(message.data)

        # A handler may serve several methods: split "GET|PATCH|DELETE" into one route per method.
        self._routes = [
            (method, pattern, handler)
            for methods, pattern, handler in self._routes
            for method in methods.split("|")
        ]

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user,
            "owner": self.owner,
            "summary": "",
            "verify_key": "0" * 64,
            "team": None,
            "flags": 0,
            "tags": [],
        }

    def _store_commands(
        self, guild_id: int | None, definitions: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        stored = [
            {
                **definition,
                "id": str(snowflake()),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "default_member_permissions": definition.get("default_member_permissions"),
                "description": definition.get("description", ""),  # "" for context-menu commands
                **({"guild_id": str(guild_id)} if guild_id else {}),
            }
            for definition in definitions
        ]
        self.commands[guild_id] = stored
        return stored

    def _new_message(self, channel_id: str, body: Mapping[str, Any], *, interaction: bool = False) -> Message:
        data = {
            "id": str(snowflake()),
            "channel_id": channel_id,
            "author": self.bot_user,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "type": 20 if interaction else 0,
            "flags": int(body.get("flags") or 0),
            "timestamp": iso_now(),
            "edited_timestamp": None,
        }
        if interaction:
            data["application_id"] = str(self.application_id)
            data["webhook_id"] = str(self.application_id)
        if body.get("nonce") is not None:
            data["nonce"] = body["nonce"]
        message = Message(data, allowed_mentions=body.get("allowed_mentions"))
        self._keep_files(message, body)
        self.messages[message.id] = message
        return message

    @staticmethod
    def _keep_files(message: Message, body: Mapping[str, Any]) -> None:
        """The files uploaded with ``body`` become the message's attachments."""
        uploaded = [a for a in body.get("attachments") or [] if "_content" in a]
        if not uploaded:
            return
        channel_id = message.data["channel_id"]
        message.data["attachments"] = [
            {
                "id": str(snowflake()),
                "filename": a["filename"],
                "size": len(a["_content"]),
                "url": f"https://cdn.discordapp.com/attachments/{channel_id}/{a['filename']}",
                "proxy_url": f"https://media.discordapp.net/attachments/{channel_id}/{a['filename']}",
            }
            for a in uploaded
        ]
        message.files = {a["filename"]: a["_content"] for a in uploaded}

    @classmethod
    def _edit(cls, message: Message, body: Mapping[str, Any]) -> None:
        cls._keep_files(message, body)
        for key in ("content", "embeds", "components"):
            if key in body:
                message.data[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            message.data["flags"] = int(body["flags"]) | (int(message.data.get("flags") or 0) & EPHEMERAL)
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        message.data["flags"] = int(message.data.get("flags") or 0) & ~LOADING
        message.data["edited_timestamp"] = iso_now()
        message.edits += 1

    def _interaction_by_token(self, token: str) -> Interaction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    def _callback(self, interaction_id: int, token: str, body: dict[str, Any]) -> web.Response:
        interaction = self.interactions.get(interaction_id)
        if interaction is None or interaction.token != token:
            return error_response(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        if time.perf_counter() - interaction.sent_at > 3:
            return error_response(404, 10062, "Unknown interaction")
        interaction.callbacks.append(body)
        interaction.acknowledged_at = time.perf_counter()
        kind, data = body["type"], body.get("data") or {}
        channel_id = interaction.payload["channel_id"]
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            interaction.original = self._new_message(channel_id, data, interaction=True)
            resource["message"] = interaction.original.data
        elif kind == 5:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            interaction.original = self._new_message(channel_id, {"flags": flags}, interaction=True)
            resource["message"] = interaction.original.data
        elif kind in (6, 7) and "message" in interaction.payload:
            # A component's message is updated in place (7), or will be by a later edit (6): it is
            # the interaction's original message from then on.
            target = self.messages[int(interaction.payload["message"]["id"])]
            if kind == 7:
                self._edit(target, data)
            interaction.original = target
            resource["message"] = target.data
        interaction.changed.set()
        return json_response(
            {
                "interaction": {
                    "id": str(interaction.id),
                    "type": interaction.payload["type"],
                    "response_message_id": str(interaction.original.id) if interaction.original else None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(
                        interaction.original and interaction.original.ephemeral
                    ),
                },
                "resource": resource,
            }
        )

    def _webhook_message(self, method: str, token: str, message_ref: str, body: Any) -> web.Response:
        interaction = self._interaction_by_token(token)
        if interaction is None:
            return error_response(401, 50027, "Invalid Webhook Token")
        if message_ref == "@original":
            message = interaction.original
        else:
            message = next((m for m in interaction.followups if m.id == int(message_ref)), None)
        if message is None or message.deleted:
            return error_response(404, 10008, "Unknown Message")
        if method == "DELETE":
            message.deleted = True
        elif method == "PATCH":
            self._edit(message, body or {})
            interaction.edits += 1
        interaction.changed.set()
        return web.Response(status=204) if method == "DELETE" else json_response(message.data)

    def _followup(self, token: str, body: dict[str, Any]) -> web.Response:
        interaction = self._interaction_by_token(token)
        if interaction is None:
            return error_response(401, 50027, "Invalid Webhook Token")
        if not interaction.callbacks:
            return error_response(400, 40060, "Interaction has not been acknowledged.")
        original = interaction.original
        if original is not None and original.loading and not original.deleted:
            # After a defer, Discord turns the first followup into the deferred reply, keeping the
            # defer's ephemerality whatever the followup's flags say.
            self._edit(original, {**body, "flags": None})
            message = original
        else:
            message = self._new_message(interaction.payload["channel_id"], body, interaction=True)
            interaction.followups.append(message)
        interaction.changed.set()
        return json_response(message.data)

    def _create_message(self, channel_id: str, body: dict[str, Any]) -> web.Response:
        if channel_id not in {c["id"] for guild in self.guilds for c in guild["channels"]}:
            return error_response(404, 10003, "Unknown Channel")
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            for message in self.messages.values():
                if (
                    message.data["channel_id"] == channel_id
                    and message.data.get("nonce") == body["nonce"]
                    and time.monotonic() - message.created < self.nonce_seconds
                ):
                    return json_response(message.data)
        return json_response(self._new_message(channel_id, body).data)

    def _channel_message(self, method: str, message_id: int, body: Any) -> web.Response:
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            return error_response(404, 10008, "Unknown Message")
        if method == "DELETE":
            message.deleted = True
            return web.Response(status=204)
        if method == "PATCH":
            self._edit(message, body or {})
        return json_response(message.data)
