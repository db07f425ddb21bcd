"""/history and /src history: a board's world-record progression, newest first, in pages, with
its chart (bot/embeds/history_chart.py, loaded with the first chart: matplotlib is large)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import discord

from bot.embeds.cards import BLOCKS_BUDGET, Card, game_colour
from bot.models.history import Progression
from bot.models.speedrun import SAME_TIME
from bot.utils.rendering import (
    FIELD_LIMIT,
    clip,
    duration,
    link,
    pages_of,
    plain,
    timestamp,
)
from bot.utils.run_times import format_run_time

COLOUR = discord.Colour.gold()
RECORDS_PER_PAGE = 8
CHART_FILENAME = "history.png"


def holders(names: tuple[str, ...]) -> str:
    return clip(" & ".join(plain(name, 64) for name in names), 300) or "an unknown runner"


def span(length: timedelta) -> str:
    """``2y 14d`` for long spans, ``3d``, else hours and minutes."""
    years, days = divmod(length.days, 365)
    if years:
        return f"{years}y {days}d"
    return f"{days}d" if days else duration(length)


def record_line(progression: Progression, index: int, now: datetime) -> str:
    """A record's time, holders, date, the margin by which it beat the one before, and how long
    it stood (or has stood so far)."""
    record = progression.records[index]
    before, after = progression.standing(index)
    time = f"**{format_run_time(record.seconds)}**"
    parts = [f"{link(time, record.link) or time} by {holders(record.holders)}"]
    parts.append(timestamp(record.date, "D") if record.date else "date unknown")
    if before is None:
        parts.append("first record" if progression.complete else "first known record")
    elif abs(before.seconds - record.seconds) < SAME_TIME:
        parts.append("tie")
    else:
        parts.append(f"beat the last by {format_run_time(before.seconds - record.seconds)}")
    if record.date:
        if after is None:
            parts.append(f"standing for {span(now - record.date)}")
        elif after.date:
            parts.append(f"stood {span(after.date - record.date)}")
    return " · ".join(parts)


def history_pages(progression: Progression, now: datetime | None = None) -> list[Card]:
    """The records newest first, a page of ``RECORDS_PER_PAGE`` at a time, each page saying how
    far back the history reaches; the chart is each page's image."""
    now = now or datetime.now(UTC)
    lines = [record_line(progression, index, now) for index in reversed(range(len(progression.records)))]
    known = f"**How far back**\n{clip(progression.known, FIELD_LIMIT)}"
    budget = BLOCKS_BUDGET - len(known)
    pages = pages_of(lines, per_page=RECORDS_PER_PAGE, budget=budget) or ["No records known."]
    undated = sum(1 for record in progression.records if record.date is None)
    footer = " · ".join(
        filter(
            None,
            [
                progression.source,
                f"{len(progression.records)} records",
                f"{undated} without a date are not on the chart" if undated else None,
            ],
        )
    )
    return [
        Card(
            title=clip(f"World-record history: {plain(progression.board, 200)}", 256),
            accent=game_colour(progression.board, COLOUR.value),
            blocks=[page, known],
            image=f"attachment://{CHART_FILENAME}",
            links=[("Board", progression.url)],
            footer=footer,
        )
        for page in pages
    ]


async def history_chart(progression: Progression) -> discord.File:
    """The progression's chart as an attachment, drawn in a thread."""
    png = await asyncio.to_thread(_draw, progression)
    return discord.File(io.BytesIO(png), filename=CHART_FILENAME)


def _draw(progression: Progression) -> bytes:
    from bot.embeds import history_chart  # the one place matplotlib is loaded: with the first chart

    return history_chart.render(progression)
