"""Embeds of a /src submit form: the preview, and what became of it. Member and speedrun.com text is
escaped; links only when http(s)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord

from bot.embeds.speedrun import COLOUR, GOLD, played_day
from bot.models.run_submission import Draft
from bot.models.speedrun import TIMINGS
from bot.storage.submission_forms import Form
from bot.utils.rendering import FIELD_LIMIT, clip, link, plain, safe_link, timestamp
from bot.utils.run_times import format_run_time

STATUSES = {"new": "Awaiting verification", "verified": "Verified", "rejected": "Rejected"}


def shown_time(draft: Draft) -> str:
    """The time as speedrun.com will show it: whole seconds for games that show no milliseconds."""
    return format_run_time(draft.seconds if draft.show_milliseconds else math.floor(draft.seconds + 0.5))


def board(draft: Draft) -> str:
    names = [draft.game.name, draft.category.name, draft.level.name if draft.level else None]
    return " — ".join(plain(name, 100) for name in names if name)


def _run_fields(embed: discord.Embed, draft: Draft) -> None:
    timing = TIMINGS[draft.timing]
    rounded = (
        "" if draft.show_milliseconds or draft.seconds.is_integer() else " (rounded: no milliseconds here)"
    )
    embed.add_field(name="Time", value=f"**{shown_time(draft)}** {timing}{rounded}", inline=False)
    for variable in draft.variables:
        shown = variable.shown
        value = plain(shown, 200) if shown else ("*choose one below*" if variable.mandatory else "none")
        embed.add_field(name=plain(variable.name, 200), value=value)
    embed.add_field(name="Date", value=played_day(draft.played))
    embed.add_field(name="Platform", value=plain(draft.platform.name, 200) if draft.platform else "none")
    if draft.region:
        embed.add_field(name="Region", value=plain(draft.region.name, 200))
    embed.add_field(name="Emulated", value="yes" if draft.emulated else "no")
    if draft.verified:
        embed.add_field(name="Verified", value="asked for (only the game's moderators can)")
    embed.add_field(name="Video", value=link("watch", draft.video) or "none")
    if draft.splits:
        embed.add_field(name="Splits", value=plain(draft.splits, 100))
    if draft.comment:
        embed.add_field(name="Comment", value=plain(draft.comment, FIELD_LIMIT), inline=False)


def preview_embed(form: Form, problems: Sequence[str] = ()) -> discord.Embed:
    draft = form.draft
    embed = discord.Embed(
        title="Your run, ready to submit",
        description=(
            f"{board(draft)}\nSubmitted as **{plain(draft.runner.name, 100)}** on speedrun.com when you "
            f"press **Submit**. This form closes {timestamp(form.expires_at)}."
        ),
        colour=COLOUR,
    )
    _run_fields(embed, draft)
    if problems:
        listed = "\n".join(f"• {problem}" for problem in problems)
        embed.add_field(name="Not submitted", value=clip(listed, FIELD_LIMIT), inline=False)
    return embed


def closed_embed(form: Form, why: str) -> discord.Embed:
    """The preview of a form that can no longer be used, saying why."""
    embed = discord.Embed(title="Not submitted", description=f"{board(form.draft)}\n{why}", colour=COLOUR)
    _run_fields(embed, form.draft)
    return embed


def submitted_embed(form: Form) -> discord.Embed:
    assert form.submitted is not None
    submitted, draft = form.submitted, form.draft
    embed = discord.Embed(
        title="Submitted to speedrun.com",
        url=safe_link(submitted.weblink),
        description=f"{board(draft)} in **{shown_time(draft)}** by {plain(draft.runner.name, 100)}",
        colour=GOLD,
    )
    embed.add_field(name="Status", value=STATUSES.get(submitted.status, plain(submitted.status, 50)))
    embed.add_field(name="Run", value=link(submitted.run_id, submitted.weblink) or f"`{submitted.run_id}`")
    return embed
