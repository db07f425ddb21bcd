"""Embeds for speedrun.com answers; every text from speedrun.com is escaped, links only if http(s)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

import discord

from bot.embeds.cards import BLOCKS_BUDGET, Card, block, game_colour
from bot.models import speedrun as api
from bot.utils.rendering import (
    FIELD_LIMIT,
    clip,
    link,
    pages_of,
    plain,
    safe_link,
    timestamp,
)
from bot.utils.run_times import format_run_time

COLOUR = discord.Colour.from_rgb(0xFF, 0xB8, 0x00)
GOLD = discord.Colour.gold()


def played_day(played: date) -> str:
    """A day with no time of day: shown as of its noon, UTC, so that every time zone sees that day."""
    return timestamp(datetime.combine(played, time(12), UTC), "D")


def _names(items: Sequence[str]) -> str:
    return clip(", ".join(plain(item, 100) for item in items), FIELD_LIMIT) or "none"


def game_embed(
    game: api.Game, categories: Sequence[api.Category], levels: Sequence[api.Level]
) -> discord.Embed:
    embed = discord.Embed(title=plain(game.name, 256), url=safe_link(game.weblink), colour=COLOUR)
    if game.abbreviation:
        embed.add_field(name="Abbreviation", value=plain(game.abbreviation, 100))
    if game.released:
        embed.add_field(name="Released", value=str(game.released))
    embed.add_field(name="Id", value=f"`{game.id}`")
    full_game = [c.name for c in categories if c.type == "per-game" and not c.miscellaneous]
    misc = [c.name for c in categories if c.type == "per-game" and c.miscellaneous]
    per_level = [c.name for c in categories if c.type == "per-level"]
    embed.add_field(name="Full-game categories", value=_names(full_game), inline=False)
    if misc:
        embed.add_field(name="Miscellaneous categories", value=_names(misc), inline=False)
    if per_level:
        embed.add_field(name="Level categories", value=_names(per_level), inline=False)
    if levels:
        embed.add_field(
            name=f"Levels ({len(levels)})", value=_names([level.name for level in levels]), inline=False
        )
    return embed


def players(run: api.Run) -> str:
    return clip(" & ".join(plain(p.display_name, 64) for p in run.players), 300) or "unknown"


def times(run: api.Run) -> str:
    """The primary time in bold, then each timing the run has, one a line."""
    times = run.times
    lines = [f"**{format_run_time(times.primary_t)}**"]
    for label, seconds in (
        ("Real time", times.realtime_t),
        ("Without loads", times.realtime_noloads_t),
        ("In-game", times.ingame_t),
    ):
        if seconds:
            lines.append(f"{label}: {format_run_time(seconds)}")
    return "\n".join(lines)


def _status(run: api.Run) -> str:
    status = run.status
    if status.status == "verified":
        when = f" {timestamp(status.verify_date, 'D')}" if status.verify_date else ""
        examiner = f" by `{status.examiner}`" if status.examiner else ""
        return f"Verified{examiner}{when}"
    if status.status == "rejected":
        return f"Rejected: {plain(status.reason or 'no reason given', 500)}"
    return "Awaiting verification"


def run_card(run: api.Run) -> Card:
    """/src run: the run in full, with buttons to its video, its page and its first player."""
    game = run.game.name if isinstance(run.game, api.Game) else run.game
    title = " — ".join(filter(None, [game, run.board_name]))
    dates = [
        f"Played {played_day(run.played)}" if run.played else None,
        f"submitted {timestamp(run.submitted, 'D')}" if run.submitted else None,
    ]
    system = [f"platform `{run.system.platform}`" if run.system.platform else None]
    system.append("emulated" if run.system.emulated else None)
    videos = [
        link(f"video {n}", v.uri) for n, v in enumerate(run.videos.links if run.videos else [], start=1)
    ]
    shown = [v for v in videos if v]
    splits = link("splits", run.splits.uri if run.splits else None)
    blocks = [
        block("Players", players(run)),
        block("Time", times(run)),
        block("Dates", ", ".join(filter(None, dates))) if any(dates) else "",
        block("Status", _status(run)),
        block("System", ", ".join(filter(None, system))) if any(system) else "",
        block("Videos", clip(" · ".join(shown), FIELD_LIMIT)) if shown else "",
        block("Comment", plain(run.comment, FIELD_LIMIT)) if run.comment else "",
        block("Splits", splits) if splits else "",
    ]
    first_video = next((v.uri for v in (run.videos.links if run.videos else []) if safe_link(v.uri)), None)
    profile = next((p.weblink for p in run.players if safe_link(p.weblink)), None)
    return Card(
        title=plain(title, 256),
        accent=game_colour(game, COLOUR.value),
        thumbnail=run.game.cover if isinstance(run.game, api.Game) else None,
        blocks=blocks,
        links=[("Watch", first_video), ("Run", run.weblink), ("Profile", profile)],
        footer=f"speedrun.com run {plain(run.id, 100)}",
    )


def run_line(run: api.Run) -> str:
    parts = [
        f"**{format_run_time(run.times.primary_t)}** by {players(run)}",
        plain(run.board_name, 150) or None,
        run.status.status,
        timestamp(run.submitted) if run.submitted else None,
        link("run", run.weblink),
    ]
    return " · ".join(part for part in parts if part)


def run_pages(title: str, runs: Sequence[api.Run], more: bool) -> list[Card]:
    pages = pages_of([run_line(run) for run in runs], per_page=10, budget=BLOCKS_BUDGET) or ["No runs match."]
    footer = f"The first {len(runs)} runs; narrow the search to see others." if more else None
    return [
        Card(title=plain(title, 256), accent=COLOUR.value, blocks=[page], footer=footer) for page in pages
    ]


def leaderboard_pages(title: str, board: api.Leaderboard) -> list[Card]:

    def who(run: api.Run) -> str:
        return clip(" & ".join(plain(n, 64) for n in board.players_of(run)), 300) or "unknown"

    lines = [
        f"**{place.place}.** {format_run_time(place.run.times.primary_t)} by {who(place.run)}"
        + (
            f" · {link('video', place.run.videos.links[0].uri)}"
            if place.run.videos and place.run.videos.links
            else ""
        )
        for place in board.runs
    ]
    pages = pages_of(lines, per_page=20, budget=BLOCKS_BUDGET) or ["No runs on this board yet."]
    return [
        Card(title=plain(title, 256), accent=COLOUR.value, blocks=[page], links=[("Board", board.weblink)])
        for page in pages
    ]


def _previous_record(entry: api.VerifiedRun) -> tuple[str, str] | None:
    record = entry.record
    if record is None:
        return None
    previous = record.previous
    if previous is None:
        return "First record", "The first run on this board."
    who = clip(" & ".join(plain(name, 64) for name in previous.players), 300) or "unknown"
    held = f"{format_run_time(previous.seconds)} by {who}"
    if previous.played:
        held += f", played {played_day(previous.played)}"
    if record.tie:
        return "Ties the record of", held
    margin = record.margin(entry.run.times.primary_t) or 0
    return "Previous record", f"{held}\nbeaten by **{format_run_time(margin)}**"


def verified_run_card(entry: api.VerifiedRun) -> Card:
    """The announcement of a newly verified run: a world record (with the margin), or any run."""
    run, record = entry.run, entry.record
    headline = "Verified run"
    if record is not None:
        headline = "World record tied" if record.tie else "New world record"
    links = run.videos.links if run.videos else []
    video = next(filter(None, (safe_link(v.uri) for v in links)), None)
    time_text = f"**{format_run_time(run.times.primary_t)}**"
    blocks = [
        block("Game", plain(entry.game, 200) or "unknown"),
        block("Category", plain(run.board_name, 200) or "unknown"),
        block("Played", played_day(run.played)) if run.played else "",
    ]
    previous = _previous_record(entry)
    if previous:
        blocks.append(block(*previous))
    if run.status.verify_date:
        blocks.append(block("Verified", timestamp(run.status.verify_date, "f")))
    profile = next((p.weblink for p in run.players if safe_link(p.weblink)), None)
    return Card(
        title=plain(f"{headline}: {' — '.join(filter(None, [entry.game, run.board_name]))}", 256),
        subtitle=f"{link(time_text, video) or time_text} by {players(run)}",
        accent=GOLD.value if record is not None and not record.tie else game_colour(entry.game, COLOUR.value),
        blocks=blocks,
        links=[("Watch", video), ("Run", run.weblink), ("Profile", profile)],
        footer="speedrun.com · verified",
    )
