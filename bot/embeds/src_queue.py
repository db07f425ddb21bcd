"""The speedrun.com queue: the post of a submission awaiting verification (kept up to date with what
became of it), and /src queue's pages. Text from speedrun.com is escaped; links only if http(s)."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.embeds.speedrun import COLOUR, played_day, players, times
from bot.models.src_queue import Flag, QueuedRun, State
from bot.services.src_queue import Queue
from bot.utils.rendering import (
    DESCRIPTION_LIMIT,
    FIELD_LIMIT,
    clip,
    duration,
    link,
    pages_of,
    plain,
    safe_link,
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


def queued_run_embed(entry: QueuedRun) -> discord.Embed:
    """A queued run's post: what a moderator needs to check it, and what became of it."""
    run = entry.run
    title = f"{HEADLINES[entry.state]}: {' — '.join(filter(None, [entry.game, run.board_name]))}"
    embed = discord.Embed(
        title=plain(title, 256),
        url=safe_link(run.weblink),
        colour=COLOURS[entry.state],
        description=_state(entry),
    )
    embed.add_field(name="Game", value=plain(entry.game, 200) or "unknown")
    embed.add_field(name="Category", value=plain(run.board_name, 200) or "unknown")
    if entry.variables:
        embed.add_field(name="Variables", value=clip("\n".join(plain(v, 200) for v in entry.variables), 1024))
    embed.add_field(name="Time", value=times(run))
    embed.add_field(name="Players", value=players(run))
    system = [
        plain(entry.platform, 100) if entry.platform else None,
        "emulated" if run.system.emulated else None,
    ]
    if any(system):
        embed.add_field(name="Platform", value=", ".join(filter(None, system)))
    if run.played:
        embed.add_field(name="Played", value=played_day(run.played))
    if run.submitted:
        embed.add_field(name="Submitted", value=timestamp(run.submitted, "f"))
    videos = _videos(entry)
    if videos:
        embed.add_field(name="Videos", value=videos, inline=False)
    if run.comment:
        embed.add_field(name="Comment", value=plain(run.comment, FIELD_LIMIT), inline=False)
    flags = flag_lines(entry)
    if flags:
        embed.add_field(name="Flags", value="\n".join(flags), inline=False)
    embed.set_footer(text=f"speedrun.com queue · run {run.id}")
    return embed


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


def queue_pages(queue: Queue, now: datetime) -> list[discord.Embed]:
    """/src queue: how many runs wait and how long the oldest has, then each run, oldest first."""
    title = plain(f"{queue.game.name}: verification queue", 256)
    count = f"{len(queue.runs)}{'' if queue.complete else '+'}"
    oldest = queue.runs[0].run.submitted if queue.runs else None
    summary = f"**{count} run{'s' if len(queue.runs) != 1 else ''} waiting**" + (
        f", the oldest for {duration(now - oldest)}" if oldest else ""
    )
    if not queue.runs:
        return [discord.Embed(title=title, description="No run is waiting for verification.", colour=COLOUR)]
    lines = [f"`{n}.` {queue_line(entry, now)}" for n, entry in enumerate(queue.runs, start=1)]
    pages = pages_of(lines, per_page=10, budget=DESCRIPTION_LIMIT - len(summary) - 96)
    return [discord.Embed(title=title, description=f"{summary}\n\n{page}", colour=COLOUR) for page in pages]
