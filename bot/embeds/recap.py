"""The weekly recap post: the week's world records by game, the longest-standing record that
fell, the most active runners, and how many streams went live."""

from __future__ import annotations

import discord

from bot.embeds.cards import Card
from bot.embeds.history import holders, span
from bot.services.recap import RecapRecord, WeekRecap
from bot.utils.rendering import FIELD_LIMIT, clip, link, plain, timestamp
from bot.utils.run_times import format_run_time

COLOUR = discord.Colour.gold()


def _time(record: RecapRecord) -> str:
    time = f"**{format_run_time(record.seconds)}**"
    return link(time, record.link) or time


def _line(record: RecapRecord) -> str:
    tie = " (tie)" if record.tie else ""
    when = timestamp(record.date, "D")
    return f"{plain(record.board, 150)}: {_time(record)} by {holders(record.holders)}{tie} · {when}"


def _fallen(record: RecapRecord) -> str:
    previous = format_run_time(record.previous_seconds) if record.previous_seconds is not None else "?"
    stood = span(record.previous_stood) if record.previous_stood else "a while"
    return (
        f"{plain(record.game, 100)} {plain(record.board, 150)}: **{previous}** by"
        f" {holders(record.previous_holders)} stood {stood}, until {holders(record.holders)}"
        f" ran {_time(record)}"
    )


def _game_block(game: str, records: list[RecapRecord]) -> str:
    heading = clip(f"{plain(game, 200)} ({len(records)})", 256)
    return f"**{heading}**\n" + clip("\n".join(map(_line, records)), FIELD_LIMIT)


def recap_card(recap: WeekRecap) -> Card:
    """The week's records by game (as many games as fit, the footer saying how many more), then the
    longest-standing record that fell, the most active runners and the streams, always shown."""
    count = sum(len(records) for records in recap.records.values())
    summary = [f"{count} new world record{'s' if count != 1 else ''}"]
    if recap.games:
        names = ", ".join(plain(name, 100) for name in recap.games)
        summary.append(
            f"{recap.runs} verified run{'s' if recap.runs != 1 else ''} of {names} on speedrun.com"
        )
    games = [_game_block(game, records) for game, records in recap.records.items()]
    extra = []
    if recap.longest_fallen:
        extra.append(f"**Longest-standing record that fell**\n{clip(_fallen(recap.longest_fallen), 900)}")
    if recap.runners:
        active = ", ".join(f"{plain(name, 64)} ({count})" for name, count in recap.runners)
        extra.append(f"**Most active runners**\n{clip(active, 900)}")
    extra.append(f"**Streams that went live**\n{recap.streams}")
    return Card(
        title="Weekly recap",
        accent=COLOUR.value,
        subtitle=clip(
            f"The week from {timestamp(recap.start, 'D')} to {timestamp(recap.end, 'D')}: "
            + "; ".join(summary)
            + ".",
            1000,
        ),
        blocks=games,
        extra=extra,
        more="…and {count} more games not shown",
        footer="From what the bot recorded this week: HaloRuns' records and the followed speedrun.com games",
    )
