"""What the local Discord keeps: the messages, the interactions with their answers, the requests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.discord.components import IS_COMPONENTS_V2, texts, walk
from tests.fakes.discord.payloads import EPHEMERAL, LOADING


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
    def layout(self) -> bool:
        """Whether it is a Components V2 message (a layout, without content or embeds)."""
        return bool(int(self.data.get("flags") or 0) & IS_COMPONENTS_V2)

    @property
    def texts(self) -> list[str]:
        """What a layout's text displays read, in reading order."""
        return texts(self.data.get("components") or [])

    @property
    def text(self) -> str:
        """All the text a user reads: the content, the embeds' and the text displays', one a line."""
        embeds = [
            part
            for embed in self.embeds
            for part in [
                (embed.get("author") or {}).get("name"),
                embed.get("title"),
                embed.get("description"),
                *[f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields") or []],
                (embed.get("footer") or {}).get("text"),
            ]
            if part
        ]
        return "\n".join(filter(None, [self.content, *embeds, *self.texts]))

    @property
    def card(self) -> list[str]:
        """The text displays of a layout's card (its first container), in reading order."""
        components = self.data.get("components") or []
        container = next((c for c in components if c.get("type") == 17), None)
        return texts([container]) if container else self.texts

    @property
    def ping(self) -> str:
        """What a layout says above its card (a post's role mention)."""
        components = self.data.get("components") or []
        return "\n".join(str(c["content"]) for c in components if c.get("type") == 10)

    @property
    def title(self) -> str:
        """A card's title: the heading its first text display starts with."""
        first = self.card[0].splitlines()[0] if self.card else ""
        return first.removeprefix("### ")

    @property
    def subtitle(self) -> str:
        """What a card's header says under its title."""
        return self.card[0].partition("\n")[2] if self.card else ""

    @property
    def body(self) -> str:
        """A card's text between its header and its footer."""
        inner = self.card[1:-1] if self.footer else self.card[1:]
        return "\n".join(inner)

    @property
    def blocks(self) -> dict[str, str]:
        """A card's blocks that start with a heading in bold, by heading (without the stars)."""
        found = {}
        for text in self.card:
            head, _, body = text.partition("\n")
            if head.startswith("**") and head.endswith("**") and len(head) > 4:
                found[head[2:-2]] = body
        return found

    @property
    def footer(self) -> str:
        """A card's small print: its last text display, when it is one (``-# …``)."""
        last = self.card[-1] if self.card else ""
        return last.removeprefix("-# ") if last.startswith("-# ") else ""

    def media(self) -> list[str]:
        """The links of a layout's thumbnails and gallery items, in reading order."""
        found = []
        for c in walk(self.data.get("components") or []):
            if c.get("type") == 11:
                found.append(str(c["media"]["url"]))
            found += [str(item["media"]["url"]) for item in c.get("items") or []]
        return found

    def controls(self) -> list[dict[str, Any]]:
        """The buttons and menus a click reaches (not link buttons), in reading order."""
        return [c for c in walk(self.data.get("components") or []) if c.get("custom_id")]

    def links(self) -> dict[str, str]:
        """The link buttons, by label."""
        return {
            str(c.get("label")): str(c["url"])
            for c in walk(self.data.get("components") or [])
            if c.get("type") == 2 and c.get("url")
        }

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
        (c for c in walk(message.data["components"]) if name in (c.get("label"), c.get("placeholder"))),
        None,
    )
    assert found is not None, f"no button or menu {name!r} on the message"
    return dict(found)


@dataclass
class Request:
    method: str
    path: str
    body: Any
    # When the local Discord had the whole request (time.perf_counter()), before it did anything with it.
    received_at: float = field(default_factory=time.perf_counter)
