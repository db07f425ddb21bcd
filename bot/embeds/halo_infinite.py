"""Embeds for /csr and /servicerecord."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.embeds import csr_tiers
from bot.embeds.cards import Card
from bot.models import waypoint as api
from bot.services.halo_infinite import CsrReport, RecordReport
from bot.utils.rendering import duration, plain, safe_link

TOP_MEDALS = 5
CARD_FILENAME = "csr.png"  # the rank card's attachment, which the /csr embed shows
BAR_CELLS = 10


def _author(embed: discord.Embed, player: api.Player) -> None:
    picture = safe_link(player.gamerpic.small if player.gamerpic else None)
    embed.set_author(name=player.gamertag[:256], icon_url=picture)


def _bar(fraction: float) -> str:
    filled = round(fraction * BAR_CELLS)
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def csr_card(report: CsrReport) -> Card:
    """/csr: the rank and the progress to the next, the season and all-time highs, the rank card."""
    current = report.result.current
    colour, _ = csr_tiers.colours(current)
    lines = [f"**{csr_tiers.rank(current)}**"]
    step = csr_tiers.progress(current)
    if step is not None:
        lines.append(f"{_bar(step.fraction)} {step.to_go} to {step.next_rank}")
    if not current.ranked:
        lines.append(csr_tiers.placement(current).capitalize())
    highs = [
        f"**{label}**\n{csr_tiers.rank(standing)}"
        for label, standing in (
            ("Season max", report.result.season_max),
            ("All-time max", report.result.all_time_max),
        )
        if standing is not None
    ]
    player = report.player
    return Card(
        title=f"{plain(report.playlist.name, 200)} rank",
        subtitle=plain(player.gamertag, 40),
        accent=colour,
        thumbnail=player.gamerpic.small if player.gamerpic else None,
        blocks=["\n".join(lines), *highs],
        image=f"attachment://{CARD_FILENAME}",
        footer=report.season.label if report.season else "Current season",
    )


def _count(value: int) -> str:
    return f"{value:,}"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


Figure = tuple[int | timedelta, str]


def _mode_figures(record: api.ServiceRecord) -> dict[str, list[Figure]]:
    modes: dict[str, list[Figure]] = {}
    if (ctf := record.capture_the_flag_stats) is not None:
        modes["Capture the Flag"] = [
            (ctf.flag_captures, "captures"),
            (ctf.flag_returns, "returns"),
            (ctf.flag_carriers_killed, "carriers killed"),
        ]
    if (ball := record.oddball_stats) is not None:
        modes["Oddball"] = [(ball.time_as_skull_carrier, "holding the skull"), (ball.skull_grabs, "grabs")]
    if (zones := record.zones_stats) is not None:
        modes["Zones"] = [(zones.zone_captures, "captures"), (zones.total_zone_occupation_time, "in zones")]
    if (elimination := record.elimination_stats) is not None:
        modes["Elimination"] = [
            (elimination.eliminations, "eliminations"),
            (elimination.allies_revived, "revives"),
        ]
    if (extraction := record.extraction_stats) is not None:
        modes["Extraction"] = [(extraction.successful_extractions, "extractions")]
    if (infection := record.infection_stats) is not None:
        modes["Infection"] = [
            (infection.spartans_infected, "infected"),
            (infection.infected_killed, "infected killed"),
        ]
    if (stockpile := record.stockpile_stats) is not None:
        modes["Stockpile"] = [
            (stockpile.power_seeds_deposited, "seeds deposited"),
            (stockpile.power_seeds_stolen, "stolen"),
        ]
    return modes


def _figure(value: int | timedelta, label: str) -> str:
    return f"{duration(value) if isinstance(value, timedelta) else _count(value)} {label}"


def _modes(record: api.ServiceRecord) -> list[str]:
    """One line per mode the player has figures in."""
    return [
        f"**{mode}**: {' · '.join(_figure(*figure) for figure in figures)}"
        for mode, figures in _mode_figures(record).items()
        if any(value for value, _ in figures)
    ]


def service_record_embed(report: RecordReport) -> discord.Embed:
    record, core = report.record, report.record.core_stats
    season = report.season.label if report.season else "All seasons"
    embed = discord.Embed(title="Matchmaking service record", colour=0x3E8FD8)
    _author(embed, report.player)
    embed.set_footer(text=season)
    if record.matches_completed == 0:
        embed.description = "No matchmade games in this period."
        return embed
    embed.add_field(
        name="Matches",
        value=f"{_count(record.matches_completed)} ({_count(record.wins)} W · {_count(record.losses)} L · "
        f"{_count(record.ties)} T)",
    )
    embed.add_field(name="Win rate", value=f"{record.wins / record.matches_completed:.1%}")
    embed.add_field(name="Time played", value=duration(record.time_played))
    embed.add_field(
        name="K / D / A", value=f"{_count(core.kills)} / {_count(core.deaths)} / {_count(core.assists)}"
    )
    embed.add_field(name="K/D · KDA", value=f"{_ratio(core.kills, core.deaths)} · {core.average_kda:.2f}")
    embed.add_field(name="Accuracy", value=f"{core.accuracy:.1f}%")
    embed.add_field(
        name="Damage",
        value=f"{_count(core.damage_dealt)} dealt · {_count(core.damage_taken)} taken",
        inline=False,
    )
    if report.top_medals:
        medals = [f"{plain(m.name, 60)} x{_count(m.count)}" for m in report.top_medals[:TOP_MEDALS]]
        embed.add_field(name="Top medals", value="\n".join(medals), inline=False)
    if modes := _modes(record):
        embed.add_field(name="Modes", value="\n".join(modes), inline=False)
    return embed
