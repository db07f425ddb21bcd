"""Small helpers to render values for Discord messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import discord


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


def plain(text: str, limit: int) -> str:
    """Upstream or user text made safe to show: markdown escaped, cut to ``limit`` characters."""
    return clip(discord.utils.escape_mentions(discord.utils.escape_markdown(text)), limit)


# Discord's limits (embed description, field value, all text of one embed), with room for a footer.
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
EMBED_BUDGET = 5500


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
