"""What every concern of the local Discord reads: the bot's identity, the guilds, the commands and
messages it keeps, and where it listens."""

from __future__ import annotations

from typing import Any

from tests.fakes.discord.payloads import snowflake, user_payload
from tests.fakes.discord.records import Message
from tests.fakes.local_http import LocalHttp


class State:
    """The state the gateway, REST and interactions share; ``FakeDiscord`` sets the token and guilds."""

    token: str
    guilds: list[dict[str, Any]]

    def __init__(self) -> None:
        super().__init__()
        self.application_id = snowflake()
        self.bot_user = user_payload(self.application_id, "HaloBot", bot=True)
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.messages: dict[int, Message] = {}
        self._http = LocalHttp()

    @property
    def api_base(self) -> str:
        return self._http.url("/api/v10")

    @property
    def gateway_url(self) -> str:
        return self._http.url("/gateway", scheme="ws")

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for guild in self.guilds for c in guild["channels"]}

    def channel_messages(self, channel_id: int | str) -> list[Message]:
        return [
            m for m in self.messages.values() if m.data["channel_id"] == str(channel_id) and not m.deleted
        ]
