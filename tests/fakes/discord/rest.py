"""REST under /api/v10: routing, authorization, body checks against the OpenAPI description and
uploads, and the endpoints of the bot's identity, its commands, channels and their messages."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.discord.components import IS_COMPONENTS_V2, mentions, message_problems
from tests.fakes.discord.limits import Limits, embed_limit_problems
from tests.fakes.discord.payloads import EPHEMERAL, LOADING, iso_now, snowflake, user_payload
from tests.fakes.discord.records import Message, Request
from tests.fakes.discord.responses import error_response, json_response
from tests.fakes.discord.spec import discord_spec
from tests.fakes.discord.state import State

Handler = Callable[[web.Request, re.Match[str], Any], Awaitable[web.Response]]


class Refused(Exception):
    """A message Discord would not keep: answered 400 with these problems, which count as violations."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _judge(message: Message, body: Mapping[str, Any]) -> None:
    """Refuses ``message`` (as it would stand after ``body``) if Discord would, else works out who
    it pings."""
    filenames = {
        str(a.get("filename")) for a in [*message.data["attachments"], *(body.get("attachments") or [])]
    }
    problems = message_problems(message.data, filenames)
    if problems:
        raise Refused(problems)
    message.data.update(mentions(message.data, message.allowed_mentions))


class Rest(Limits, State):
    """The REST API: every request is recorded, checked, then routed to its handler."""

    def gateway_bot(self) -> dict[str, Any]:
        raise NotImplementedError  # the gateway's (FakeDiscord puts them together)

    def __init__(self) -> None:
        super().__init__()
        self.owner = user_payload(snowflake(), "owner")
        self.requests: list[Request] = []
        self.violations: list[str] = []
        # Discord matches an enforced nonce for a few minutes; tests of restarts set 0 to see doubles.
        self.nonce_seconds = 300.0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._add_rest_routes()

    def _route(self, methods: str, pattern: str) -> Callable[[Handler], Handler]:
        """Registers a handler; one may serve several methods ("GET|PATCH|DELETE")."""

        def register(handler: Handler) -> Handler:
            self._routes += [(method, re.compile(f"^{pattern}$"), handler) for method in methods.split("|")]
            return handler

        return register

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, uploads = await self._read_body(request)
        self.requests.append(Request(request.method, path, body))
        # Interaction callbacks and followups do not count against Discord's global limit.
        limited = None if path.startswith(("/interactions/", "/webhooks/")) else self._global_limit()
        if limited is not None:
            return limited
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
        failure = self._due_failure(request.method, path)
        if failure is not None and not failure.after_processing:
            return self._failure_response(failure)
        if uploads:
            body = self._attach(body, uploads)
        for method, pattern, handler in self._routes:
            match = pattern.match(path)
            if method == request.method and match:
                try:
                    response = await handler(request, match, body)
                except Refused as refused:
                    self.violations += refused.problems
                    return error_response(
                        400,
                        50035,
                        "Invalid Form Body",
                        {"_errors": [{"message": p} for p in refused.problems]},
                    )
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

    def _add_rest_routes(self) -> None:
        route = self._route
        app = r"(?P<app>\d+)"

        @route("GET", "/users/@me")
        async def me(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response({**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0})

        @route("GET", "/oauth2/applications/@me")
        async def application(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self._application())

        @route("GET", "/gateway")
        async def gateway(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response({"url": self.gateway_url})

        @route("GET", "/gateway/bot")
        async def gateway_bot(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self.gateway_bot())

        @route("PUT", f"/applications/{app}/commands")
        async def put_global(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self._store_commands(None, body))

        @route("PUT", f"/applications/{app}/guilds/(?P<guild>\\d+)/commands")
        async def put_guild(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self._store_commands(int(match["guild"]), body))

        @route("GET", f"/applications/{app}/commands")
        async def get_global(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return json_response(self.commands.get(None, []))

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

        @route("GET", r"/channels/(?P<channel>\d+)")
        async def channel(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            found = next(
                (c for guild in self.guilds for c in guild["channels"] if c["id"] == match["channel"]), None
            )
            return json_response(found) if found else error_response(404, 10003, "Unknown Channel")

        @route("GET", r"/guilds/(?P<guild>\d+)/roles")
        async def roles(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            found = next((guild for guild in self.guilds if guild["id"] == match["guild"]), None)
            return json_response(found["roles"]) if found else error_response(404, 10004, "Unknown Guild")

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
        _judge(message, body)
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
        """Applies an edit, or refuses it (``Refused``) when the message would break Discord's rules:
        the edited message is judged whole, as Discord does (a layout keeps its flag)."""
        edited = Message(copy.deepcopy(message.data), message.allowed_mentions)
        cls._keep_files(edited, body)
        for key in ("content", "embeds", "components"):
            if key in body:
                edited.data[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        kept = int(message.data.get("flags") or 0) & (EPHEMERAL | IS_COMPONENTS_V2)
        if "flags" in body and body["flags"] is not None:
            edited.data["flags"] = int(body["flags"]) | kept
        if "allowed_mentions" in body:
            edited.allowed_mentions = body["allowed_mentions"]
        edited.data["flags"] = int(edited.data.get("flags") or 0) & ~LOADING
        if not message.loading or body.get("content") or body.get("embeds") or body.get("components"):
            _judge(edited, body)  # (a "thinking…" message is judged once it shows something)
        message.data = edited.data
        message.allowed_mentions = edited.allowed_mentions
        message.files = edited.files or message.files
        message.data["edited_timestamp"] = iso_now()
        message.edits += 1

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
