"""The speedrun.com queue: the post of a submission awaiting verification (kept up to date with what
became of it), and /src queue's pages. Text from speedrun.com is escaped; links only if http(s)."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.embeds.cards import BLOCKS_BUDGET, Card, game_colour
from bot.embeds.speedrun import COLOUR, played_day, players, times
from bot.models.src_queue import Flag, QueuedRun, State
from bot.services.src_queue import Queue
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

HEADLINES: dict[State, str] = {
    "waiting": "Awaiting verification",
    "verified": "✅ Verified",
    "rejected": "❌ Rejected",
    "withdrawn": "Withdrawn",
}
COLOURS: dict[State, discord.Colour] = {
    "waiting": COLOUR,
    "verified": discord.Colour.green(),
    "rejected": discord.Colour.red(),
    "withdrawn": discord.Colour.light_grey(),
}
FLAGS: dict[Flag, str] = {
    "no video": "No video link",
    "not a web video": "A video link that is not a web (http or https) link",
    "faster than the record": "Faster than the board's world record",
    "second submission": "The player has an earlier submission waiting on this board",
    "waiting long": "Waiting for more than a week",
}


def flag_lines(entry: QueuedRun) -> list[str]:
    lines = []
    for flag in entry.flags:
        text = FLAGS[flag]
        if flag == "faster than the record" and entry.record is not None:
            text += f" ({format_run_time(entry.record)})"
        lines.append(f"⚠️ {text}")
    return lines


def _state(entry: QueuedRun) -> str:
    status = entry.run.status
    by = f" by {plain(entry.examiner, 64)}" if entry.examiner else ""
    match entry.state:
        case "verified":
            when = f" on {timestamp(status.verify_date, 'D')}" if status.verify_date else ""
            return f"✅ Verified{by}{when}"
        case "rejected":
            return f"❌ Rejected{by}: {plain(status.reason or 'no reason given', 500)}"
        case "withdrawn":
            return "Withdrawn: speedrun.com has this run no more"
    return "Awaiting verification"


def _videos(entry: QueuedRun) -> str | None:
    shown = []
    for number, video in enumerate(entry.run.videos.links if entry.run.videos else [], start=1):
        shown.append(link(f"video {number}", video.uri) or f"video {number}: {plain(video.uri, 200)}")
    return clip(" · ".join(shown), FIELD_LIMIT) if shown else None


def queued_run_card(entry: QueuedRun) -> Card:
    """A queued run's post: what a moderator needs to check it, and what became of it."""
    run = entry.run
    title = f"{HEADLINES[entry.state]}: {' — '.join(filter(None, [entry.game, run.board_name]))}"
    system = [
        plain(entry.platform, 100) if entry.platform else None,
        "emulated" if run.system.emulated else None,
    ]
    variables = clip("\n".join(plain(v, 200) for v in entry.variables), 1024)
    videos = _videos(entry)
    flags = flag_lines(entry)
    blocks = [
        f"**Game**\n{plain(entry.game, 200) or 'unknown'}",
        f"**Category**\n{plain(run.board_name, 200) or 'unknown'}",
        f"**Variables**\n{variables}" if entry.variables else "",
        f"**Time**\n{times(run)}",
        f"**Players**\n{players(run)}",
        f"**Platform**\n{', '.join(filter(None, system))}" if any(system) else "",
        f"**Played**\n{played_day(run.played)}" if run.played else "",
        f"**Submitted**\n{timestamp(run.submitted, 'f')}" if run.submitted else "",
        f"**Videos**\n{videos}" if videos else "",
        f"**Comment**\n{plain(run.comment, FIELD_LIMIT)}" if run.comment else "",
    ]
    return Card(
        title=plain(title, 256),
        accent=COLOURS[entry.state].value,
        subtitle=_state(entry),
        blocks=blocks,
        extra=["**Flags**\n" + "\n".join(flags)] if flags else [],
        links=[("Run", run.weblink)],
        footer=f"speedrun.com queue · run {plain(run.id, 100)}",
    )


def queue_line(entry: QueuedRun, now: datetime) -> str:
    run = entry.run
    parts = [
        f"**{format_run_time(run.times.primary_t)}**",
        plain(run.board_name, 150) or None,
        f"by {players(run)}",
        f"waiting {duration(now - run.submitted)}" if run.submitted else None,
        link("run", run.weblink),
    ]
    line = " · ".join(part for part in parts if part)
    return line + (f" · ⚠️ {', '.join(entry.flags)}" if entry.flags else "")


def queue_pages(queue: Queue, now: datetime) -> list[Card]:
    """/src queue: how many runs wait and how long the oldest has, then each run, oldest first."""
    title = plain(f"{queue.game.name}: verification queue", 256)
    accent = game_colour(queue.game.name, COLOUR.value)
    if not queue.runs:
        return [Card(title=title, accent=accent, subtitle="No run is waiting for verification.")]
    count = f"{len(queue.runs)}{'' if queue.complete else '+'}"
    oldest = queue.runs[0].run.submitted
    summary = f"**{count} run{'s' if len(queue.runs) != 1 else ''} waiting**" + (
        f", the oldest for {duration(now - oldest)}" if oldest else ""
    )
    lines = [f"`{n}.` {queue_line(entry, now)}" for n, entry in enumerate(queue.runs, start=1)]
    pages = pages_of(lines, per_page=10, budget=BLOCKS_BUDGET)
    return [Card(title=title, accent=accent, subtitle=summary, blocks=[page]) for page in pages]
