"""Interactions: the slash commands, user commands, button clicks, menu choices and form submits a
test sends, and the bot's answers to them (callbacks, followups, edits through the token)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tests.fakes.discord.gateway import Gateway
from tests.fakes.discord.payloads import (
    EPHEMERAL,
    LOADING,
    MEMBER_PERMISSIONS,
    iso_now,
    snowflake,
    user_payload,
)
from tests.fakes.discord.records import Interaction, Message, component
from tests.fakes.discord.responses import error_response, json_response
from tests.fakes.discord.rest import Rest

OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}


class Interactions(Gateway, Rest):
    """Interactions sent through the gateway and answered over REST, each kept as an ``Interaction``."""

    def __init__(self) -> None:
        super().__init__()
        self.member = user_payload(snowflake(), "runner")  # who invokes commands unless a test says
        self.interactions: dict[int, Interaction] = {}
        self._add_interaction_routes()

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
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild["id"])
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

    def _add_interaction_routes(self) -> None:
        route = self._route
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"

        @route("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback")
        async def callback(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._callback(int(match["id"]), match["token"], body)

        @route("GET|PATCH|DELETE", f"{hook}/messages/(?P<message>@original|\\d+)")
        async def webhook_message(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._webhook_message(request.method, match["token"], match["message"], body)

        @route("POST", hook)
        async def followup(request: web.Request, match: re.Match[str], body: Any) -> web.Response:
            return self._followup(match["token"], body)

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
