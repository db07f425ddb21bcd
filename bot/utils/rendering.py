"""Small helpers to render values for Discord messages."""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import discord

log = logging.getLogger(__name__)


def timestamp(moment: datetime, style: str = "R") -> str:
    """A Discord timestamp, shown in each reader's own time zone and language."""
    return discord.utils.format_dt(moment, style)  # type: ignore[arg-type]


def duration(span: timedelta) -> str:
    """``3d 4h 5m``-style, leaving out leading zero units; seconds only under a minute."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if not (days or hours or minutes):
        return f"{seconds}s"
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    while parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{value}{unit}" for value, unit in parts)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# "@" before what Discord could read as a mention: @everyone, @here, <@user>, <@!user>, <@&role>.
_MENTION = re.compile(r"@(?=everyone|here|[!&]?\d)")
QUOTE_LIMIT = 100
# Bidirectional embeddings, overrides and isolates: one left open turns the rest of a line around.
_NO_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def escape_mentions(text: str) -> str:
    """``text`` with a zero-width space after each ``@`` that could start a mention, of any id
    length (``discord.utils.escape_mentions`` only takes real-sized ids)."""
    return _MENTION.sub("@\u200b", text)


def plain(text: str, limit: int) -> str:
    """Upstream or user text made safe to show: markdown and mentions escaped, text-direction
    controls left out, cut to ``limit`` characters."""
    return clip(escape_mentions(discord.utils.escape_markdown(text.translate(_NO_BIDI))), limit)


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """What a member typed, echoed back in quotes: on one line (control characters shown as
    spaces), escaped and cut to ``limit`` characters, so no input can lengthen or mark up an answer."""
    one_line = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return f"“{plain(one_line, limit)}”"


# Discord's limits (embed description, field value, all text of one embed), with room for a footer.
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
EMBED_BUDGET = 5500
# The rest of Discord's limits on a message, to which the reply layer fits every answer.
CONTENT_LIMIT = 2000
EMBED_TOTAL_LIMIT = 6000
NAME_LIMIT = 256  # title, field name, author name
FOOTER_LIMIT = 2048
URL_LIMIT = 2048
MAX_FIELDS = 25


def fit_content(content: str) -> str:
    """A message's text within Discord's 2,000 characters."""
    if len(content) > CONTENT_LIMIT:
        log.warning("An answer of %d characters was cut to Discord's %d", len(content), CONTENT_LIMIT)
    return clip(content, CONTENT_LIMIT)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """``embed`` itself if it is within Discord's limits, else a copy cut to them: the last safety
    net under answers that are built within them."""
    original: dict[str, Any] = dict(embed.to_dict())
    if _within_limits(original):
        return embed  # the usual case: no copy to cut and compare
    data = copy.deepcopy(original)
    for key, limit in (("title", NAME_LIMIT), ("description", DESCRIPTION_LIMIT)):
        if key in data:
            data[key] = clip(str(data[key]), limit)
    for part, key, limit in (("footer", "text", FOOTER_LIMIT), ("author", "name", NAME_LIMIT)):
        if key in data.get(part, {}):
            data[part][key] = clip(str(data[part][key]), limit)
    if len(data.get("url", "")) > URL_LIMIT:
        del data["url"]
    fields = [
        {
            **f,
            "name": clip(f["name"], NAME_LIMIT) or "\u200b",
            "value": clip(f["value"], FIELD_LIMIT) or "\u200b",
        }
        for f in data.get("fields", [])[:MAX_FIELDS]
    ]
    text = len(data.get("title", "")) + len(data.get("description", ""))
    text += len(data.get("footer", {}).get("text", "")) + len(data.get("author", {}).get("name", ""))
    while fields and text + sum(len(f["name"]) + len(f["value"]) for f in fields) > EMBED_TOTAL_LIMIT:
        fields.pop()
    if "fields" in data:
        data["fields"] = fields
    if text > EMBED_TOTAL_LIMIT and "description" in data:
        data["description"] = clip(
            data["description"], max(1, len(data["description"]) - (text - EMBED_TOTAL_LIMIT))
        )
    if data == original:
        return embed
    log.warning("An embed over Discord's limits was cut to them")
    return discord.Embed.from_dict(data)


def _within_limits(data: dict[str, Any]) -> bool:
    """Whether ``fit_embed`` would leave the embed ``data`` as it is: every part within its limit,
    no field with an empty name or value, all the text within the embed's total."""
    fields = data.get("fields", [])
    text = sum(len(data.get(key, "")) for key in ("title", "description"))
    text += len(data.get("footer", {}).get("text", "")) + len(data.get("author", {}).get("name", ""))
    return (
        len(data.get("title", "")) <= NAME_LIMIT
        and len(data.get("description", "")) <= DESCRIPTION_LIMIT
        and len(data.get("footer", {}).get("text", "")) <= FOOTER_LIMIT
        and len(data.get("author", {}).get("name", "")) <= NAME_LIMIT
        and len(data.get("url", "")) <= URL_LIMIT
        and len(fields) <= MAX_FIELDS
        and all(0 < len(f["name"]) <= NAME_LIMIT and 0 < len(f["value"]) <= FIELD_LIMIT for f in fields)
        and text + sum(len(f["name"]) + len(f["value"]) for f in fields) <= EMBED_TOTAL_LIMIT
    )


def pages_of(items: Sequence[str], *, per_page: int, budget: int, separator: str = "\n") -> list[str]:
    """``items`` joined into pages of at most ``per_page`` items and ``budget`` characters each."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for item in (clip(item, budget) for item in items):
        extra = len(item) + (len(separator) if current else 0)
        if current and (len(current) == per_page or size + extra > budget):
            pages.append(separator.join(current))
            current, size, extra = [], 0, len(item)
        current.append(item)
        size += extra
    if current:
        pages.append(separator.join(current))
    return pages


MAX_LINK = 512


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) link, made safe to put in a markdown link; else ``None``."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_LINK:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


def link(label: str, url: str | None) -> str | None:
    """A markdown link to ``url`` when it is a safe http(s) link."""
    safe = safe_link(url)
    return f"[{label}]({safe})" if safe else None
