"""Message components as Discord judges them beyond its OpenAPI description: Components V2 (the
``IS_COMPONENTS_V2`` flag, layouts of containers, sections, text displays, thumbnails, galleries,
files and separators, 40 components in all, 4000 characters of text), the action rows of messages
without the flag, and the mentions a message's text makes under its ``allowed_mentions``.

From Discord's component reference (discord.com/developers/docs/components/reference) and its
message reference (allowed mentions); the OpenAPI description checks each component's own fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

IS_COMPONENTS_V2 = 1 << 15
ACTION_ROW, BUTTON, STRING_SELECT, SECTION, TEXT_DISPLAY, THUMBNAIL = 1, 2, 3, 9, 10, 11
MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER = 12, 13, 14, 17
SELECTS = (3, 5, 6, 7, 8)
LINK_STYLE, PREMIUM_STYLE = 5, 6
V2_TOP_LEVEL = (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER)
IN_CONTAINER = (ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR)
V2_COMPONENTS = 40  # components in a message, nested ones counted
V2_TEXT = 4000  # characters of all text displays of a message
ACTION_ROWS = 5  # rows of a message without the flag
BUTTONS_IN_A_ROW = 5
TEXTS_IN_A_SECTION = 3
GALLERY_ITEMS = 10


def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, nested ones included (a section's accessory too), in reading order."""
    for component in components:
        yield component
        yield from walk(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            yield component["accessory"]


def texts(components: list[dict[str, Any]]) -> list[str]:
    """The text displays' contents, in reading order."""
    return [str(c.get("content") or "") for c in walk(components) if c.get("type") == TEXT_DISPLAY]


def _row_problems(row: dict[str, Any], where: str) -> list[str]:
    children = row.get("components") or []
    kinds = [c.get("type") for c in children]
    if not children:
        return [f"{where}: an action row holds at least one component"]
    if any(k in SELECTS for k in kinds) and len(children) > 1:
        return [f"{where}: a select menu fills its action row alone"]
    if any(k not in (BUTTON, *SELECTS) for k in kinds):
        return [f"{where}: an action row holds buttons or one select menu"]
    if len(children) > BUTTONS_IN_A_ROW:
        return [f"{where}: more than {BUTTONS_IN_A_ROW} buttons in an action row"]
    return []


def _button_problems(button: dict[str, Any], where: str) -> list[str]:
    style = button.get("style")
    if style == LINK_STYLE:
        if not button.get("url") or "custom_id" in button:
            return [f"{where}: a link button has a url and no custom_id"]
    elif style != PREMIUM_STYLE and (not button.get("custom_id") or "url" in button):
        return [f"{where}: a button has a custom_id and no url"]
    return []


def _layout_problems(component: dict[str, Any], where: str) -> list[str]:
    kind = component.get("type")
    found: list[str] = []
    if kind == ACTION_ROW:
        found += _row_problems(component, where)
    elif kind == CONTAINER:
        for i, child in enumerate(component.get("components") or []):
            if child.get("type") not in IN_CONTAINER:
                found.append(f"{where}.components[{i}]: type {child.get('type')} cannot be in a container")
            else:
                found += _layout_problems(child, f"{where}.components[{i}]")
    elif kind == SECTION:
        children = component.get("components") or []
        if not 1 <= len(children) <= TEXTS_IN_A_SECTION or any(
            c.get("type") != TEXT_DISPLAY for c in children
        ):
            found.append(f"{where}: a section holds 1 to {TEXTS_IN_A_SECTION} text displays")
        accessory = component.get("accessory") or {}
        if accessory.get("type") not in (THUMBNAIL, BUTTON):
            found.append(f"{where}: a section's accessory is a thumbnail or a button")
    elif kind == MEDIA_GALLERY and not 1 <= len(component.get("items") or []) <= GALLERY_ITEMS:
        found.append(f"{where}: a media gallery holds 1 to {GALLERY_ITEMS} items")
    return found


def _media_urls(message: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for component in walk(message.get("components") or []):
        if component.get("type") in (THUMBNAIL, FILE):
            yield (
                str(component.get("type")),
                str((component.get("media") or component.get("file") or {}).get("url")),
            )
        for item in component.get("items") or []:
            yield "gallery item", str((item.get("media") or {}).get("url"))


def message_problems(message: dict[str, Any], filenames: set[str]) -> list[str]:
    """What Discord refuses in a message as it would stand (its content, embeds, components and
    flags after a create or an edit); ``filenames`` are the files it has or is sent with."""
    components = message.get("components") or []
    flags = int(message.get("flags") or 0)
    found: list[str] = []
    everything = list(walk(components))
    for i, button in enumerate(c for c in everything if c.get("type") == BUTTON):
        found += _button_problems(button, f"button {i}")
    ids = [c["custom_id"] for c in everything if c.get("custom_id")]
    if len(ids) != len(set(ids)):
        found.append("components: custom_ids must be unique in a message")
    if flags & IS_COMPONENTS_V2:
        if (
            message.get("content")
            or message.get("embeds")
            or message.get("sticker_ids")
            or message.get("poll")
        ):
            found.append("a message with IS_COMPONENTS_V2 has no content, embeds, stickers or poll")
        if not components:
            found.append("a message with IS_COMPONENTS_V2 has components")
        if len(everything) > V2_COMPONENTS:
            found.append(f"components: {len(everything)} in the message, more than {V2_COMPONENTS}")
        text = sum(len(t) for t in texts(components))
        if text > V2_TEXT:
            found.append(f"text displays hold {text} characters, more than {V2_TEXT}")
        for i, component in enumerate(components):
            if component.get("type") not in V2_TOP_LEVEL:
                found.append(f"components[{i}]: type {component.get('type')} cannot be at the top")
            else:
                found += _layout_problems(component, f"components[{i}]")
        for kind, url in _media_urls(message):
            name = url.removeprefix("attachment://")
            if url.startswith("attachment://") and name not in filenames:
                found.append(f"{kind} {url}: no attached file of that name")
            elif kind == str(FILE) and not url.startswith("attachment://"):
                found.append(f"file {url}: a file component shows an attachment (attachment://)")
            elif not url.startswith(("attachment://", "https://", "http://")):
                found.append(f"{kind} {url}: not a link or an attachment")
    else:
        if len(components) > ACTION_ROWS:
            found.append(f"components: more than {ACTION_ROWS} action rows")
        for i, component in enumerate(components):
            if component.get("type") != ACTION_ROW:
                found.append(f"components[{i}]: type {component.get('type')} needs the IS_COMPONENTS_V2 flag")
            else:
                found += _row_problems(component, f"components[{i}]")
    return found


_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)\b")


def mentions(message: dict[str, Any], allowed: dict[str, Any] | None) -> dict[str, Any]:
    """Who the message pings: the mentions in its content and its text displays that its
    ``allowed_mentions`` let through (everything, when it sends none)."""
    text = "\n".join([str(message.get("content") or ""), *texts(message.get("components") or [])])
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    users = {str(u) for u in (allowed or {}).get("users") or []}
    roles = {str(r) for r in (allowed or {}).get("roles") or []}
    return {
        "mentions": [u for u in dict.fromkeys(_USER.findall(text)) if "users" in parse or u in users],
        "mention_roles": [r for r in dict.fromkeys(_ROLE.findall(text)) if "roles" in parse or r in roles],
        "mention_everyone": "everyone" in parse and _EVERYONE.search(text) is not None,
    }
