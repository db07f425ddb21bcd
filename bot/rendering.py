"""Small helpers to render values for Discord messages."""

from __future__ import annotations

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


def plain(text: str, limit: int) -> str:
    """Upstream or user text made safe to show: markdown escaped, cut to ``limit`` characters."""
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) link, made safe to put in a markdown link; else ``None``."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


def link(label: str, url: str | None) -> str | None:
    """A markdown link to ``url`` when it is a safe http(s) link."""
    safe = safe_link(url)
    return f"[{label}]({safe})" if safe else None
