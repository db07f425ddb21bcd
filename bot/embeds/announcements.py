"""The world-record announcement: one card per new record."""

from __future__ import annotations

import discord

from bot.embeds.cards import Card, game_colour
from bot.embeds.haloruns import COLOUR, runners
from bot.models.haloruns import Run
from bot.utils.rendering import duration, plain, safe_link, timestamp
from bot.utils.run_times import format_run_time

GOLD = discord.Colour.gold()


def _time(run: Run) -> str:
    time = f"**{format_run_time(run.seconds)}**"
    vod = safe_link(run.vod)
    return f"[{time}]({vod})" if vod else time


def _previous(run: Run) -> tuple[str, str]:
    previous = run.previous
    if previous is None:
        return "First record", "The first world record on this board."
    held = f"{format_run_time(previous.seconds)} by {runners(previous.runners)}"
    margin = previous.seconds - run.seconds
    if run.tie or abs(margin) < 0.0005:
        return "Ties the record of", held
    lines = [f"{held}, beaten by {format_run_time(margin)}" if margin > 0 else held]
    if previous.date:
        stood = (
            f" (stood {duration(run.date - previous.date)})" if run.date and run.date > previous.date else ""
        )
        lines.append(f"set {timestamp(previous.date, 'D')}{stood}")
    return "Previous record", "\n".join(lines)


def record_card(run: Run) -> Card:
    """A new world record: the time linked to its video and the runners, the board, the record
    it replaced with the margin and how long it stood, when it was set; Watch and Board buttons."""
    tie = run.tie or (run.previous is not None and abs(run.previous.seconds - run.seconds) < 0.0005)
    headline = "World record tied" if tie else "New world record"
    board = " ".join(filter(None, [run.category, run.difficulty])) or "unknown"
    name, value = _previous(run)
    blocks = [
        f"**Game**\n{plain(run.game, 200) or 'unknown'}",
        f"**Level**\n{plain(run.level, 200) or 'unknown'}",
        f"**Board**\n{plain(board, 200)}",
        f"**{name}**\n{value}",
    ]
    if run.date:
        blocks.append(f"**Set**\n{timestamp(run.date, 'f')} ({timestamp(run.date)})")
    return Card(
        title=plain(f"{headline}: {run.game} — {run.level}", 256),
        subtitle=f"{_time(run)} by {runners(run.runners)}",
        accent=game_colour(run.game, (COLOUR if tie else GOLD).value),
        blocks=blocks,
        links=[("Watch", run.vod), ("Board", run.board_url)],
        footer="HaloRuns",
    )
