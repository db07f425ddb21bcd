"""Embeds for HaloRuns answers. Every text from HaloRuns is escaped; links are shown only if http(s).

Everything is cut or paged to stay within Discord's limits, whatever lengths HaloRuns sends.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.embeds.cards import BLOCKS_BUDGET, Card, game_colour
from bot.models.haloruns import BoardRecord, Holders, Level, Option, Run, Runner, RunnerProfile, Stream
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

COLOUR = discord.Colour.from_rgb(0x2E, 0x86, 0xC1)
STREAM_COLOUR = discord.Colour.purple()
RUNS_PER_PAGE = 10
NAMES_PER_PAGE = 60
STREAMS_PER_PAGE = 10
MAX_TIED_SHOWN = 5


def runners(names: Sequence[Runner]) -> str:
    return clip(" & ".join(plain(runner.name, 64) for runner in names), 300) or "an unknown runner"


def _points(points: float | None) -> str | None:
    return f"{points:,.1f} points" if points is not None else None


def record_lines(record: BoardRecord) -> str:
    lines = []
    for run in record.runs[:MAX_TIED_SHOWN]:
        details = [
            f"**{format_run_time(run.seconds)}** by {runners(run.runners)}",
            timestamp(run.date, "D") if run.date else None,
            link("vod", run.vod),
            _points(run.points),
        ]
        lines.append(" · ".join(part for part in details if part))
    if len(record.runs) > 1:
        lines.insert(0, f"Tied by {len(record.runs)} runs:")
    if len(record.runs) > MAX_TIED_SHOWN:
        lines.append(f"…and {len(record.runs) - MAX_TIED_SHOWN} more tied")
    board = link("board", record.board_url)
    return clip("\n".join([*lines, *([board] if board else [])]), FIELD_LIMIT)


def records_card(level: Level, records: Sequence[BoardRecord]) -> Card:
    """/wr: one block a board; for one board, buttons to its video and to the board."""
    # As many boards as fit; the card's footer says how many more.
    blocks = [f"**{plain(f'{r.category} {r.difficulty}', 256)}**\n{record_lines(r)}" for r in records]
    links: list[tuple[str, str | None]] = []
    if len(records) == 1:
        first = records[0].runs[0] if records[0].runs else None
        links = [("Watch", first.vod if first else None), ("Board", records[0].board_url)]
    return Card(
        title=plain(f"World records: {level.label}", 256),
        accent=game_colour(level.game.name, COLOUR.value),
        subtitle=None if records else "No world records on these boards yet.",
        blocks=blocks,
        links=links,
        more="{count} more boards: choose a category or difficulty to see them",
    )


def vod_message(level: Level, category: Option, difficulty: Option, vod: str | None) -> str:
    board = plain(f"{level.label}, {category.name} {difficulty.name}", 300)
    if vod is None:
        return f"HaloRuns has no world record on the board {board}."
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


def run_pages(title: str, runs: Sequence[Run], empty: str, how: str | None = None) -> list[Card]:
    pages = pages_of([run_line(run) for run in runs], per_page=RUNS_PER_PAGE, budget=BLOCKS_BUDGET)
    return [Card(title=title, accent=COLOUR.value, blocks=[page], footer=how) for page in pages or [empty]]


def runner_embed(profile: RunnerProfile) -> discord.Embed:
    embed = discord.Embed(title=plain(profile.name, 256), colour=COLOUR, url=safe_link(profile.url))
    embed.add_field(
        name="Points", value=f"{profile.points:,.1f}" if profile.points is not None else "not known"
    )
    records = profile.world_records
    embed.add_field(name="World records", value=str(records) if records is not None else "not known")
    latest = clip(run_line(profile.latest_run), FIELD_LIMIT) if profile.latest_run else "none"
    embed.add_field(name="Most recent run", value=latest, inline=False)
    return embed


def holder_pages(holders: Holders) -> list[Card]:
    title = f"World record holders ({len(holders.names)})"
    names = [plain(name, 64) for name in holders.names] or ["nobody yet"]
    pages = pages_of(names, per_page=NAMES_PER_PAGE, budget=BLOCKS_BUDGET, separator=", ")
    return [Card(title=title, accent=COLOUR.value, blocks=[page], footer=holders.how) for page in pages]


def _stream_block(stream: Stream) -> str:
    details = [
        plain(stream.title, 200) or None,
        f"{stream.viewers:,} watching" if stream.viewers is not None else None,
        f"live since {timestamp(stream.started_at)}" if stream.started_at else None,
        link("watch", stream.url),
    ]
    name = plain(" · ".join(filter(None, [stream.runner, stream.game])), 256)
    return f"**{name}**\n" + ("\n".join(d for d in details if d) or "live")


def stream_pages(streams: Sequence[Stream]) -> list[Card]:
    title = f"Live on HaloRuns ({len(streams)})" if streams else "Live on HaloRuns"
    if not streams:
        return [Card(title=title, accent=STREAM_COLOUR.value, subtitle="Nobody is streaming right now.")]
    pages: list[list[str]] = [[]]
    for block in map(_stream_block, streams):
        if len(pages[-1]) == STREAMS_PER_PAGE or sum(map(len, pages[-1])) + len(block) > BLOCKS_BUDGET:
            pages.append([])
        pages[-1].append(block)
    return [Card(title=title, accent=STREAM_COLOUR.value, blocks=page) for page in pages]


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
