"""Embeds for HaloRuns answers. Every text from HaloRuns is escaped; links are shown only if http(s)."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.models.haloruns import BoardRecord, Holders, Level, Option, Run, Runner, RunnerProfile, Stream
from bot.rendering import link, plain, safe_link, timestamp
from bot.run_times import format_run_time

COLOUR = discord.Colour.from_rgb(0x2E, 0x86, 0xC1)
RUNS_PER_PAGE = 10
NAMES_PER_PAGE = 60
MAX_STREAMS = 25


def runners(names: Sequence[Runner]) -> str:
    return " & ".join(plain(runner.name, 64) for runner in names) or "an unknown runner"


def _points(points: float | None) -> str | None:
    return f"{points:,.1f} points" if points is not None else None


def record_lines(record: BoardRecord) -> str:
    lines = []
    for run in record.runs:
        details = [
            f"**{format_run_time(run.seconds)}** by {runners(run.runners)}",
            timestamp(run.date, "D") if run.date else None,
            link("vod", run.vod),
            _points(run.points),
        ]
        lines.append(" · ".join(part for part in details if part))
    if len(record.runs) > 1:
        lines.insert(0, f"Tied by {len(record.runs)} runs:")
    board = link("board", record.board_url)
    return "\n".join([*lines, *([board] if board else [])])


def records_embed(level: Level, records: Sequence[BoardRecord]) -> discord.Embed:
    embed = discord.Embed(title=plain(f"World records: {level.label}", 256), colour=COLOUR)
    if len(records) == 1:
        embed.url = safe_link(records[0].board_url)
    for record in records[:25]:
        embed.add_field(
            name=plain(f"{record.category} {record.difficulty}", 256),
            value=record_lines(record),
            inline=False,
        )
    if not records:
        embed.description = "No world records on these boards yet."
    return embed


def vod_message(level: Level, category: Option, difficulty: Option, vod: str | None) -> str:
    board = plain(f"{level.label}, {category.name} {difficulty.name}", 300)
    safe = safe_link(vod)
    if safe is None:
        return f"The world record of {board} has no video link on HaloRuns."
    return f"World record video of {board}:\n{safe}"


def run_line(run: Run) -> str:
    head = f"**{plain(run.board, 200)}**" if run.game else "**a run**"
    parts = [
        f"{head}: **{format_run_time(run.seconds)}** by {runners(run.runners)}"
        + (" (tie)" if run.tie else ""),
        timestamp(run.date) if run.date else None,
        link("vod", run.vod),
        link("board", run.board_url),
    ]
    line = " · ".join(part for part in parts if part)
    if run.previous:
        line += f"\n-# was {format_run_time(run.previous.seconds)} by {runners(run.previous.runners)}"
    return line


def run_pages(title: str, runs: Sequence[Run], empty: str) -> list[discord.Embed]:
    if not runs:
        return [discord.Embed(title=title, description=empty, colour=COLOUR)]
    return [
        discord.Embed(
            title=title,
            description="\n".join(run_line(run) for run in runs[start : start + RUNS_PER_PAGE]),
            colour=COLOUR,
        )
        for start in range(0, len(runs), RUNS_PER_PAGE)
    ]


def runner_embed(profile: RunnerProfile) -> discord.Embed:
    embed = discord.Embed(title=plain(profile.name, 256), colour=COLOUR, url=safe_link(profile.url))
    embed.add_field(
        name="Points", value=f"{profile.points:,.1f}" if profile.points is not None else "not known"
    )
    records = profile.world_records
    embed.add_field(name="World records", value=str(records) if records is not None else "not known")
    embed.add_field(
        name="Most recent run",
        value=run_line(profile.latest_run) if profile.latest_run else "none",
        inline=False,
    )
    return embed


def holder_pages(holders: Holders) -> list[discord.Embed]:
    title = f"World record holders ({len(holders.names)})"
    names = [plain(name, 64) for name in holders.names] or ["nobody yet"]
    pages = []
    for start in range(0, len(names), NAMES_PER_PAGE):
        page = discord.Embed(
            title=title, description=", ".join(names[start : start + NAMES_PER_PAGE]), colour=COLOUR
        )
        if holders.how:
            page.set_footer(text=holders.how)
        pages.append(page)
    return pages


def streams_embed(streams: Sequence[Stream]) -> discord.Embed:
    embed = discord.Embed(title="Live on HaloRuns", colour=discord.Colour.purple())
    if not streams:
        embed.description = "Nobody is streaming right now."
    for stream in streams[:MAX_STREAMS]:
        details = [
            plain(stream.title, 200) or None,
            f"{stream.viewers:,} watching" if stream.viewers is not None else None,
            f"live since {timestamp(stream.started_at)}" if stream.started_at else None,
            link("watch", stream.url),
        ]
        name = plain(" · ".join(filter(None, [stream.runner, stream.game])), 256)
        embed.add_field(name=name, value="\n".join(d for d in details if d) or "live", inline=False)
    if len(streams) > MAX_STREAMS:
        embed.set_footer(text=f"and {len(streams) - MAX_STREAMS} more on haloruns.com")
    return embed


def points_embed(world_record: float, time: float, points: float, *, full_game: bool) -> discord.Embed:
    board = "full-game" if full_game else "level"
    embed = discord.Embed(title=f"{points:,.1f} points", colour=COLOUR)
    if time < world_record:
        record = format_run_time(world_record)
        embed.description = f"{format_run_time(time)} beats the world record of {record}: a new record!"
    else:
        behind = format_run_time(time - world_record)
        embed.description = (
            f"{format_run_time(time)} against a world record of {format_run_time(world_record)} "
            f"({behind} behind) on a {board} board."
        )
    embed.set_footer(text="HaloRuns points: 0.008 · e^(4.8284 · WR / time) · 100, times 10 for full game")
    return embed
