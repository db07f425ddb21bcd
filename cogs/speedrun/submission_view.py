"""The buttons and menus of a /src submit preview.

They are dynamic items: the form's id is in each ``custom_id`` and the form itself in the database,
so they keep working after a restart. Only the member who opened a form can use it. A form still
open when it expires is closed on screen (buttons disabled, saying so) by a timer while the bot
runs, or at the next click after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.embeds import run_submission as cards
from bot.embeds.cards import BUTTONS_IN_A_ROW, Card, card_view
from bot.models.run_submission import FormVariable
from bot.services.run_submission import RunSubmissions
from bot.storage.submission_forms import Form, SubmissionForms
from bot.ui.replies import send_ephemeral
from bot.ui.tree import report_error
from bot.utils.rendering import clip

if TYPE_CHECKING:
    from bot.app import HaloBot

log = logging.getLogger(__name__)

COMMAND = "src submit"
COG = "Speedrun"
PREFIX = "srcsub"
_FORM = r"(?P<form>[0-9a-f]{16})"
# An interaction's token edits its message for 15 minutes: a form must close before its first one ends.
TOKEN_LIFETIME = timedelta(minutes=14, seconds=55)
EXPIRED = "This form has expired: run `/src submit` again to submit the run."
CANCELLED = "Cancelled: nothing was sent to speedrun.com."
# Once a POST went out without an answer, the run may exist: closing the form must not hide that.
MAYBE_SENT = (
    "speedrun.com did not answer an earlier try, so the run may be there: look at your runs on "
    "speedrun.com before you submit it again."
)
BUSY = (
    "This run is being submitted right now. If nothing changes within a few minutes, press Submit "
    "again: the bot then finds out what became of it."
)

Action = Callable[["discord.Interaction[HaloBot]", Form], Awaitable[None]]


@dataclass(frozen=True)
class Submissions:
    """What the preview's items work with, built by the speedrun cog: the service, the stored
    forms, and the timers that close expired forms on screen."""

    service: RunSubmissions
    forms: SubmissionForms
    closing: FormClosing


def submissions(interaction: discord.Interaction[HaloBot]) -> Submissions:
    """The ``Submissions`` of the speedrun cog (the items are rebuilt from a click, so they find it
    through the cog, whose ``COG`` name is fixed)."""
    found = getattr(interaction.client.get_cog(COG), "submissions", None)
    if not isinstance(found, Submissions):
        raise RuntimeError(f"the {COG} cog is not loaded")
    return found


def form_view(form: Form, card: Card, *, usable: bool = True) -> discord.ui.LayoutView:
    """``card`` with, inside it, a menu per pre-defined variable (the chosen value preselected), a
    button per typed one, then Submit (once every mandatory variable has a value) and Cancel."""
    editable = usable and form.sent_at is None  # after a try that got no answer, what was sent stays
    picked = [v for v in form.draft.variables if not v.user_defined]
    rows: list[discord.ui.ActionRow[Any]] = [
        discord.ui.ActionRow(VariablePick(_menu(form.id, variable, disabled=not editable)))
        for variable in picked
    ]
    buttons = [
        *(
            TypedVariable(_button(form.id, f"type:{v.id}", f"{v.name}…", disabled=not editable))
            for v in form.draft.variables
            if v.user_defined
        ),
        FormButton(_button(form.id, "submit", "Submit", disabled=not usable or bool(form.draft.missing))),
        FormButton(_button(form.id, "cancel", "Cancel", disabled=not usable)),
    ]
    for start in range(0, len(buttons), BUTTONS_IN_A_ROW):
        rows.append(discord.ui.ActionRow(*buttons[start : start + BUTTONS_IN_A_ROW]))
    return card_view(card, rows=rows)


def _menu(form_id: str, variable: FormVariable, *, disabled: bool) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=f"{PREFIX}:{form_id}:pick:{variable.id}",
        placeholder=clip(f"{variable.name}{' (required)' if variable.mandatory else ''}", 150),
        min_values=1 if variable.mandatory else 0,
        options=[
            discord.SelectOption(label=clip(o.name, 100), value=o.id, default=o.id == variable.value)
            for o in variable.options
        ],
        disabled=disabled,
    )


def _button(form_id: str, target: str, label: str, *, disabled: bool) -> discord.ui.Button[Any]:
    style = {"submit": discord.ButtonStyle.success, "cancel": discord.ButtonStyle.secondary}
    return discord.ui.Button(
        label=clip(label, 80),
        style=style.get(target, discord.ButtonStyle.primary),
        custom_id=f"{PREFIX}:{form_id}:{target}",
        disabled=disabled,
    )


async def show(
    interaction: discord.Interaction[HaloBot], form: Form, problems: list[str] | None = None
) -> None:
    """Puts the form as it now stands on the message the interaction belongs to."""
    if form.state == "sending":
        await send_ephemeral(interaction, BUSY)
        return
    now = datetime.now(UTC)
    if form.state == "submitted":
        view = card_view(cards.submitted_card(form))
    elif form.state == "cancelled":
        view = card_view(cards.closed_card(form, _closed(form, CANCELLED)))
    elif form.expired(now):
        view = form_view(form, cards.closed_card(form, _closed(form, EXPIRED)), usable=False)
    else:
        view = form_view(form, cards.preview_card(form, problems or []))
    if interaction.response.is_done():
        await interaction.edit_original_response(view=view)
    else:
        await interaction.response.edit_message(view=view)
    submissions(interaction).closing.watch(form, interaction)


def _closed(form: Form, why: str) -> str:
    return MAYBE_SENT if form.sent_at is not None else why


async def _guarded(
    interaction: discord.Interaction[HaloBot], form_id: str, action: Action, *, sending: bool = False
) -> None:
    """Runs ``action`` on the member's own open form (or one being sent, with ``sending``); errors
    are shown to them, never lost."""
    try:
        form = await submissions(interaction).service.form(form_id, interaction.user.id)
        usable = form.state == "open" or (sending and form.state == "sending")
        if not usable or form.expired(datetime.now(UTC)):
            await show(interaction, form)
            return
        await action(interaction, form)
    except Exception as error:
        await report_error(interaction, error, COMMAND)


class _FormItem:
    """What the three kinds of form items share: rebuilt from the clicked component as it is."""

    custom_id: str

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(item)  # type: ignore[call-arg]

    @property
    def target(self) -> tuple[str, str]:
        """The form's id, and the item's action or variable id."""
        parts = self.custom_id.split(":")
        return parts[1], parts[-1]


class FormButton(
    _FormItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PREFIX}:{_FORM}:(submit|cancel)"
):
    async def callback(self, interaction: discord.Interaction[HaloBot]) -> None:  # type: ignore[override]
        form_id, action = self.target
        if action == "submit":
            await _guarded(interaction, form_id, _submit, sending=True)  # a claim may be stale
        else:
            await _guarded(interaction, form_id, _cancel)


class VariablePick(
    _FormItem, discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"{PREFIX}:{_FORM}:pick:[a-z0-9]+"
):
    async def callback(self, interaction: discord.Interaction[HaloBot]) -> None:  # type: ignore[override]
        form_id, variable_id = self.target
        value = self.item.values[0] if self.item.values else None

        async def pick(interaction: discord.Interaction[HaloBot], form: Form) -> None:
            await show(interaction, await submissions(interaction).service.choose(form, variable_id, value))

        await _guarded(interaction, form_id, pick)


class TypedVariable(
    _FormItem, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PREFIX}:{_FORM}:type:[a-z0-9]+"
):
    """A button that asks for a user-defined variable's value in a small form."""

    async def callback(self, interaction: discord.Interaction[HaloBot]) -> None:  # type: ignore[override]
        form_id, variable_id = self.target

        async def ask(interaction: discord.Interaction[HaloBot], form: Form) -> None:
            variable = next(v for v in form.draft.variables if v.id == variable_id)
            await interaction.response.send_modal(TypedValue(form, variable))

        await _guarded(interaction, form_id, ask)


async def _submit(interaction: discord.Interaction[HaloBot], form: Form) -> None:
    await interaction.response.defer()  # posting may take longer than Discord's 3 seconds
    attempt = await submissions(interaction).service.submit(form)
    await show(interaction, attempt.form, attempt.problems)


async def _cancel(interaction: discord.Interaction[HaloBot], form: Form) -> None:
    await show(interaction, await submissions(interaction).service.cancel(form))


class TypedValue(discord.ui.Modal):
    def __init__(self, form: Form, variable: FormVariable) -> None:
        left = (form.expires_at - datetime.now(UTC)).total_seconds()
        super().__init__(title=clip(variable.name, 45), timeout=max(1.0, left))
        self.form_id = form.id
        self.variable_id = variable.id
        self.value: discord.ui.TextInput[TypedValue] = discord.ui.TextInput(
            label=clip(variable.name, 45), default=variable.value, required=variable.mandatory, max_length=200
        )
        self.add_item(self.value)

    async def on_submit(self, interaction: discord.Interaction[HaloBot]) -> None:  # type: ignore[override]
        typed = self.value.value.strip() or None

        async def keep(interaction: discord.Interaction[HaloBot], form: Form) -> None:
            await show(
                interaction, await submissions(interaction).service.choose(form, self.variable_id, typed)
            )

        await _guarded(interaction, self.form_id, keep)

    async def on_error(self, interaction: discord.Interaction[HaloBot], error: Exception) -> None:  # type: ignore[override]
        await report_error(interaction, error, COMMAND)


class FormClosing:
    """Closes each open form on screen when it expires, through the newest interaction that showed
    it (an interaction can edit its message for 15 minutes)."""

    def __init__(self, forms: SubmissionForms) -> None:
        self._forms = forms
        self._timers: dict[str, asyncio.Task[None]] = {}

    def watch(self, form: Form, interaction: discord.Interaction[HaloBot]) -> None:
        self.forget(form.id)
        if form.state == "open":
            self._timers[form.id] = asyncio.create_task(self._close(form.id, form.expires_at, interaction))

    def forget(self, form_id: str) -> None:
        timer = self._timers.pop(form_id, None)
        if timer is not None:
            timer.cancel()

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def _close(
        self, form_id: str, closing: datetime, interaction: discord.Interaction[HaloBot]
    ) -> None:
        await asyncio.sleep(max(0.0, (closing - datetime.now(UTC)).total_seconds()))
        self._timers.pop(form_id, None)
        try:
            form = await self._forms.get(form_id)
            if form is not None and form.state == "open":
                closed = cards.closed_card(form, _closed(form, EXPIRED))
                await interaction.edit_original_response(view=form_view(form, closed, usable=False))
        except discord.HTTPException as error:
            log.info("Could not close expired form %s on screen: %s", form_id, error)
        except Exception:
            log.exception("Closing expired form %s failed", form_id)
