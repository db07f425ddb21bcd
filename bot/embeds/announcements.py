"""The world-record announcement: one card per new record; and what any announcement of a record
(HaloRuns or speedrun.com) says of the post it supersedes, and once superseded, of its successor."""

from __future__ import annotations

from dataclasses import replace

import discord

from bot.embeds.cards import Card, game_colour
from bot.embeds.haloruns import COLOUR, runners
from bot.models.haloruns import Run
from bot.services.delivery import Succession
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


def with_previous(card: Card, link: str) -> Card:
    """Links the announcement back to the post of the record it supersedes."""
    return replace(card, blocks=[*card.blocks, f"**Previous post**\n[previous record]({link})"])


def succession_text(succession: Succession) -> str:
    """``Beaten by Sable by 0:03 on <date>``, ``Tied by Sable on <date>``."""
    by = plain(succession.by, 300) or "unknown"
    verb = {"tied": "Tied", "beaten": "Beaten", "superseded": "Superseded"}[succession.kind]
    margin = f" by {format_run_time(succession.margin)}" if succession.margin is not None else ""
    on = f" on {timestamp(succession.on, 'D')}" if succession.on else ""
    return f"{verb} by {by}{margin}{on}: [new record]({succession.link})"


def with_succession(card: Card, succession: Succession) -> Card:
    """Tells on the announcement of a record that a later one tied, beat or superseded it."""
    name = "Record tied" if succession.kind == "tied" else "No longer the record"
    return replace(card, blocks=[f"**{name}**\n{succession_text(succession)}", *card.blocks])
