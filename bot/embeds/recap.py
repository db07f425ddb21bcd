"""The weekly recap post: the week's world records by game, the longest-standing record that
fell, the most active runners, and how many streams went live."""

from __future__ import annotations

import discord

from bot.embeds.history import holders, span
from bot.services.recap import RecapRecord, WeekRecap
from bot.utils.rendering import FIELD_LIMIT, clip, plain, safe_link, timestamp
from bot.utils.run_times import format_run_time

COLOUR = discord.Colour.gold()
GAMES_SHOWN = 20  # fields: the embed keeps room for the other three (Discord allows 25)


def _time(record: RecapRecord) -> str:
    time = f"**{format_run_time(record.seconds)}**"
    link = safe_link(record.link)
    return f"[{time}]({link})" if link else time


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


def recap_embed(recap: WeekRecap) -> discord.Embed:
    count = sum(len(records) for records in recap.records.values())
    summary = [f"{count} new world record{'s' if count != 1 else ''}"]
    if recap.games:
        names = ", ".join(plain(name, 100) for name in recap.games)
        summary.append(
            f"{recap.runs} verified run{'s' if recap.runs != 1 else ''} of {names} on speedrun.com"
        )
    embed = discord.Embed(
        title="Weekly recap",
        description=clip(
            f"The week from {timestamp(recap.start, 'D')} to {timestamp(recap.end, 'D')}: "
            + "; ".join(summary)
            + ".",
            1000,
        ),
        colour=COLOUR,
    )
    games = list(recap.records.items())
    for game, records in games[:GAMES_SHOWN]:
        embed.add_field(
            name=clip(f"{plain(game, 200)} ({len(records)})", 256),
            value=clip("\n".join(map(_line, records)), FIELD_LIMIT),
            inline=False,
        )
    if len(games) > GAMES_SHOWN:
        embed.add_field(name="More games", value=f"…and {len(games) - GAMES_SHOWN} more", inline=False)
    if recap.longest_fallen:
        embed.add_field(
            name="Longest-standing record that fell",
            value=clip(_fallen(recap.longest_fallen), FIELD_LIMIT),
            inline=False,
        )
    if recap.runners:
        active = ", ".join(f"{plain(name, 64)} ({count})" for name, count in recap.runners)
        embed.add_field(name="Most active runners", value=clip(active, FIELD_LIMIT), inline=False)
    embed.add_field(name="Streams that went live", value=str(recap.streams), inline=False)
    embed.set_footer(
        text="From what the bot recorded this week: HaloRuns' records and the followed speedrun.com games"
    )
    return embed
