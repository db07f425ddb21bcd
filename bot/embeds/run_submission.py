"""Cards of a /src submit form: the preview, and what became of it. Member and speedrun.com text is
escaped; links only when http(s)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.embeds.cards import Card, block
from bot.embeds.speedrun import COLOUR, GOLD, played_day
from bot.models.run_submission import Draft
from bot.models.speedrun import TIMINGS
from bot.storage.submission_forms import Form
from bot.utils.rendering import FIELD_LIMIT, clip, link, plain, timestamp
from bot.utils.run_times import format_run_time

STATUSES = {"new": "Awaiting verification", "verified": "Verified", "rejected": "Rejected"}


def shown_time(draft: Draft) -> str:
    """The time as speedrun.com will show it: whole seconds for games that show no milliseconds."""
    return format_run_time(draft.seconds if draft.show_milliseconds else math.floor(draft.seconds + 0.5))


def board(draft: Draft) -> str:
    names = [draft.game.name, draft.category.name, draft.level.name if draft.level else None]
    return " — ".join(plain(name, 100) for name in names if name)


def _run_blocks(draft: Draft) -> list[str]:
    timing = TIMINGS[draft.timing]
    rounded = (
        "" if draft.show_milliseconds or draft.seconds.is_integer() else " (rounded: no milliseconds here)"
    )
    blocks = [block("Time", f"**{shown_time(draft)}** {timing}{rounded}")]
    for variable in draft.variables:
        shown = variable.shown
        value = plain(shown, 200) if shown else ("*choose one below*" if variable.mandatory else "none")
        blocks.append(block(plain(variable.name, 200), value))
    blocks.append(block("Date", played_day(draft.played)))
    blocks.append(block("Platform", plain(draft.platform.name, 200) if draft.platform else "none"))
    if draft.region:
        blocks.append(block("Region", plain(draft.region.name, 200)))
    blocks.append(block("Emulated", "yes" if draft.emulated else "no"))
    if draft.verified:
        blocks.append(block("Verified", "asked for (only the game's moderators can)"))
    blocks.append(block("Video", link("watch", draft.video) or "none"))
    if draft.splits:
        blocks.append(block("Splits", plain(draft.splits, 100)))
    if draft.comment:
        blocks.append(block("Comment", plain(draft.comment, FIELD_LIMIT)))
    return blocks


def preview_card(form: Form, problems: Sequence[str] = ()) -> Card:
    """The preview of exactly what will be submitted, and speedrun.com's objections to a try."""
    draft = form.draft
    objections = "\n".join(f"• {problem}" for problem in problems)
    return Card(
        title="Your run, ready to submit",
        subtitle=(
            f"{board(draft)}\nSubmitted as **{plain(draft.runner.name, 100)}** on speedrun.com when you "
            f"press **Submit**. This form closes {timestamp(form.expires_at)}."
        ),
        accent=COLOUR.value,
        blocks=_run_blocks(draft),
        extra=[block("Not submitted", clip(objections, FIELD_LIMIT))] if problems else [],
        links=[("Watch", draft.video)],
    )


def closed_card(form: Form, why: str) -> Card:
    """The preview of a form that can no longer be used, saying why."""
    return Card(
        title="Not submitted",
        subtitle=f"{board(form.draft)}\n{why}",
        accent=COLOUR.value,
        blocks=_run_blocks(form.draft),
    )


def submitted_card(form: Form) -> Card:
    assert form.submitted is not None
    submitted, draft = form.submitted, form.draft
    return Card(
        title="Submitted to speedrun.com",
        subtitle=f"{board(draft)} in **{shown_time(draft)}** by {plain(draft.runner.name, 100)}",
        accent=GOLD.value,
        blocks=[
            block("Status", STATUSES.get(submitted.status, plain(submitted.status, 50))),
            block("Run", link(submitted.run_id, submitted.weblink) or f"`{submitted.run_id}`"),
        ],
        links=[("Run", submitted.weblink), ("Watch", draft.video)],
    )
