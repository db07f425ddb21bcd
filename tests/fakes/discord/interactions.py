"""Interactions: the slash commands, user commands, button clicks, menu choices and form submits a
test sends, and the bot's answers to them (callbacks, followups, edits through the token)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, Literal

from aiohttp import web

from tests.fakes.discord.gateway import Gateway
from tests.fakes.discord.payloads import (
    EPHEMERAL,
    LOADING,
    MEMBER_PERMISSIONS,
    USE_EXTERNAL_APPS,
    USER_INSTALL_PERMISSIONS,
    dm_channel,
    iso_now,
    snowflake,
    user_payload,
)
from tests.fakes.discord.records import Interaction, Message, component
from tests.fakes.discord.responses import error_response, json_response
from tests.fakes.discord.rest import Rest

OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}
# Where a test uses a command (see ``Interactions.invoke``).
Place = Literal["server", "user", "dm", "group_dm"]
# Followups an interaction from a member's own install may have where the app is not installed.
USER_INSTALL_FOLLOWUPS = 5


class NotOffered(AssertionError):
    """Discord would not offer this command there (its contexts or install types leave it out)."""


class Interactions(Gateway, Rest):
    """Interactions sent through the gateway and answered over REST, each kept as an ``Interaction``."""

    def __init__(self) -> None:
        super().__init__()
        self.member = user_payload(snowflake(), "runner")  # who invokes commands unless a test says
        self.interactions: dict[int, Interaction] = {}
        self.webhooks: dict[str, str] = {}  # the channel of each webhook, by token
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
        place: Place = "server",
    ) -> Interaction:
        """Sends INTERACTION_CREATE for the slash command ``command`` ("name [group] [sub]") as a
        member of ``guild``; with ``focused``, an autocomplete for that option instead.

        ``place`` is where it is used: ``server`` (a server with the bot, as the default), ``user``
        (a server without the bot, ``guild`` being one the bot is not in, from the member's own
        install), ``dm`` (a DM with the bot) or ``group_dm``. A command whose synced ``contexts``
        and ``integration_types`` leave it out of that place is not offered: ``NotOffered``.
        """
        guild = guild or self.guilds[0]
        words = command.split()
        self._check_offered(words[0], 1, place, guild)
        options_payload = self._options(words, options or {}, guild, focused)
        data: dict[str, Any] = {"id": str(snowflake()), "name": words[0], "type": 1}
        if place in ("server", "user"):
            data["guild_id"] = guild["id"]
        for word in reversed(words[1:]):
            kind = 1 if not options_payload or options_payload[0]["type"] not in (1, 2) else 2
            options_payload = [{"name": word, "type": kind, "options": options_payload}]
        data["options"] = options_payload
        resolved = self._resolved(options or {}, guild)
        if resolved:
            data["resolved"] = resolved
        where = self._place(place, guild, channel, permissions, user or self.member)
        return await self._interact(4 if focused else 2, data, where, user)

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
        self._check_offered(name, 2, "server", guild)
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
        where = self._place("server", guild, channel, MEMBER_PERMISSIONS, self.member)
        return await self._interact(2, data, where, None)

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
        return await self._interact(3, data, self._place_of(message, guild, user), user, message=message.data)

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
        data = {"custom_id": modal["custom_id"], "components": rows}
        # A form opened from a button belongs to that button's message, which it may update.
        message = opened.payload.get("message")
        where = self._where_again(opened.payload, user)
        return await self._interact(5, data, where, user, message=message)

    def _place(
        self, place: Place, guild: dict[str, Any], channel: str, permissions: int, user: dict[str, Any]
    ) -> dict[str, Any]:
        """The part of an interaction that says where it happened and who may answer how."""
        if place in ("server", "user"):
            where: dict[str, Any] = {
                "guild_id": guild["id"],
                "guild": {"id": guild["id"], "locale": "en-US", "features": []},
                "channel": next(c for c in guild["channels"] if c["name"] == channel),
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
                "guild_locale": "en-US",
            }
            if place == "server":
                where["app_permissions"] = str(MEMBER_PERMISSIONS)
                where["authorizing_integration_owners"] = {"0": guild["id"]}
            else:
                # No bot there: the app may only embed, attach and mention, through the interaction.
                where["app_permissions"] = str(USER_INSTALL_PERMISSIONS)
                where["authorizing_integration_owners"] = {"1": user["id"]}
            where["context"] = 0
        else:
            where = {
                "user": user,
                "channel": dm_channel(user, self.bot_user if place == "dm" else None),
                "app_permissions": str(USER_INSTALL_PERMISSIONS),
                "context": 1 if place == "dm" else 2,
                "authorizing_integration_owners": {"1": user["id"]} if place == "group_dm" else {"0": "0"},
            }
        where["channel_id"] = where["channel"]["id"]
        return where

    def _where_again(self, payload: dict[str, Any], user: dict[str, Any] | None) -> dict[str, Any]:
        """Where a later interaction on an earlier one's message or form happens: the same place, by
        ``user`` (the earlier one's member unless given)."""
        keys = ("guild_id", "guild", "guild_locale", "channel", "channel_id", "app_permissions", "context")
        where = {key: payload[key] for key in keys if key in payload}
        owners = dict(payload["authorizing_integration_owners"])
        who = user or (payload["member"]["user"] if "member" in payload else payload["user"])
        if "1" in owners:
            owners["1"] = who["id"]
        where["authorizing_integration_owners"] = owners
        if "member" in payload:
            same = who["id"] == payload["member"]["user"]["id"]
            permissions = payload["member"]["permissions"] if same else str(MEMBER_PERMISSIONS)
            where["member"] = {**payload["member"], "user": who, "permissions": permissions}
        else:
            where["user"] = who
        return where

    def _place_of(
        self, message: Message, guild: dict[str, Any] | None, user: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Where a click on ``message`` happens: where the interaction that answered with it was, or
        for a channel post, its channel in ``guild`` (the first unless given)."""
        origin = next((i for i in self.interactions.values() if message in i.messages), None)
        if origin is not None and (guild is None or origin.payload.get("guild_id") == guild["id"]):
            return self._where_again(origin.payload, user)
        guild = guild or self.guilds[0]
        channel = next(c["name"] for c in guild["channels"] if c["id"] == message.data["channel_id"])
        return self._place("server", guild, channel, MEMBER_PERMISSIONS, user or self.member)

    def _check_offered(self, name: str, kind: int, place: Place, guild: dict[str, Any]) -> None:
        """Refuses a command Discord would not offer ``place``, by its synced definition (one the bot
        added without syncing is offered only in a server with the bot)."""
        scopes = [None] if place in ("dm", "group_dm") else [None, int(guild["id"])]
        definition = next(
            (
                d
                for scope in scopes
                for d in self.commands.get(scope, [])
                if d["name"] == name and d.get("type", 1) == kind
            ),
            None,
        )
        if definition is None:
            if place != "server":
                raise NotOffered(f"{name!r} is not a synced command: not offered in a {place}")
            return
        contexts = definition.get("contexts")
        installs = definition.get("integration_types") or [0]
        context = {"server": 0, "user": 0, "dm": 1, "group_dm": 2}[place]
        install = 1 if place in ("user", "group_dm") else None
        if contexts is not None and context not in contexts:
            raise NotOffered(f"{name!r} is not offered in a {place} (contexts {contexts})")
        if install is not None and install not in installs:
            raise NotOffered(f"{name!r} cannot be installed by a member (integration_types {installs})")
        if install is None and 0 not in installs:
            raise NotOffered(f"{name!r} is not installed with the bot (integration_types {installs})")

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        where: dict[str, Any],
        user: dict[str, Any] | None,
        *,
        message: dict[str, Any] | None = None,
    ) -> Interaction:
        payload = {
            "id": str(snowflake()),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            **where,
            "token": f"itoken-{snowflake()}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        interaction = Interaction(payload, sent_at=time.perf_counter())
        self.interactions[interaction.id] = interaction
        # On the session of its server's shard (shard 0's in a DM), as Discord sends it.
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=payload.get("guild_id"))
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
            if match["token"] in self.webhooks:
                with_components = request.query.get("with_components", "").lower() in ("1", "true")
                return self._execute_webhook(match["token"], body, with_components=with_components)
            return self._followup(match["token"], body)

    def create_webhook(self, channel: str) -> tuple[int, str]:
        """A webhook of the bot's application in the channel named ``channel``: (id, token)."""
        webhook_id, token = snowflake(), f"wtoken-{snowflake()}"
        self.webhooks[token] = self.channels[channel]["id"]
        return webhook_id, token

    def _execute_webhook(self, token: str, body: dict[str, Any], *, with_components: bool) -> web.Response:
        """A message through a webhook that is not an interaction's: Discord reads its components
        only with ``with_components=true`` (and leaves them out otherwise)."""
        if not with_components:
            body = {key: value for key, value in body.items() if key != "components"}
        if not (
            body.get("content") or body.get("embeds") or body.get("components") or body.get("attachments")
        ):
            return error_response(400, 50006, "Cannot send an empty message")
        message = self._new_message(self.webhooks[token], body)
        message.data["webhook_id"] = str(self.application_id)
        return json_response(message.data)

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
        kind, data = body["type"], body.get("data") or {}
        if _forced_private(interaction.payload) and kind in (4, 5):
            data = {**data, "flags": int(data.get("flags") or 0) | EPHEMERAL}
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
        # Acknowledged once the answer was kept (a refused one leaves the interaction unanswered).
        interaction.callbacks.append(body)
        interaction.acknowledged_at = time.perf_counter()
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
            # defer's ephemerality whatever the followup's flags say (its other flags apply).
            self._edit(original, {**body, "flags": int(body.get("flags") or 0) & ~EPHEMERAL})
            message = original
        else:
            owners = interaction.payload["authorizing_integration_owners"]
            if "0" not in owners and len(interaction.followups) >= USER_INSTALL_FOLLOWUPS:
                return error_response(
                    400, 40094, "This interaction has hit the maximum number of follow up messages"
                )
            if _forced_private(interaction.payload):
                body = {**body, "flags": int(body.get("flags") or 0) | EPHEMERAL}
            message = self._new_message(interaction.payload["channel_id"], body, interaction=True)
            interaction.followups.append(message)
        interaction.changed.set()
        return json_response(message.data)


def _forced_private(payload: dict[str, Any]) -> bool:
    """Discord shows a member's own install's answers only to them in a server that has not
    installed the app and does not let the member use external apps."""
    if "member" not in payload or "0" in payload["authorizing_integration_owners"]:
        return False
    return not int(payload["member"]["permissions"]) & USE_EXTERNAL_APPS
