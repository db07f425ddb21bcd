"""A run being submitted to speedrun.com from Discord: the form as the member filled it in.

Everything the preview shows and ``POST /runs`` sends is here, by id and by name, so that the
form's buttons work from the database alone, also after a restart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.models.deferred import Frozen
from bot.models.speedrun import SAME_TIME, Run, Timing

SUBMITTED_SLACK = timedelta(minutes=5)  # clocks of the bot and speedrun.com may differ a little


class Named(Frozen):
    id: str
    name: str


class FormVariable(Frozen):
    """A variable of the run's category (or level), with the value chosen so far."""

    id: str
    name: str
    mandatory: bool
    user_defined: bool  # the member types the value
    options: tuple[Named, ...] = ()  # pre-defined values
    value: str | None = None  # a value id, or the typed text of a user-defined variable

    @property
    def shown(self) -> str | None:
        if self.value is None or self.user_defined:
            return self.value
        return next((o.name for o in self.options if o.id == self.value), self.value)


class Draft(Frozen):
    runner: Named  # the speedrun.com user whose key submits it
    game: Named
    category: Named
    level: Named | None
    seconds: float
    timing: Timing
    show_milliseconds: bool
    platform: Named | None
    region: Named | None
    played: date
    emulated: bool
    video: str | None
    comment: str | None
    splits: str | None
    verified: bool
    variables: tuple[FormVariable, ...] = ()

    @property
    def missing(self) -> list[FormVariable]:
        """Mandatory variables without a value yet: the form cannot be submitted."""
        return [v for v in self.variables if v.mandatory and v.value is None]

    def choosing(self, variable_id: str, value: str | None) -> Draft:
        variables = tuple(
            v.model_copy(update={"value": value}) if v.id == variable_id else v for v in self.variables
        )
        return self.model_copy(update={"variables": variables})

    def body(self) -> dict[str, Any]:
        """The ``run`` object of ``POST /runs`` (run-submit.json)."""
        run: dict[str, Any] = {
            "category": self.category.id,
            "date": self.played.isoformat(),
            "platform": self.platform.id if self.platform else None,
            "region": self.region.id if self.region else None,
            "level": self.level.id if self.level else None,
            "times": {self.timing: self.seconds},
            "emulated": self.emulated,
            "verified": self.verified,
            "video": self.video,
            "comment": self.comment,
            "splitsio": self.splits,
            "variables": {
                v.id: {"type": "user-defined" if v.user_defined else "pre-defined", "value": v.value}
                for v in self.variables
                if v.value is not None
            },
        }
        return {key: value for key, value in run.items() if value is not None}

    def is_run(self, run: Run, sent_at: datetime) -> bool:
        """Whether ``run`` is this form's, submitted since ``sent_at`` (for telling whether a
        request that got no answer made the run)."""
        seconds = getattr(run.times, f"{self.timing}_t", None) or run.times.primary_t
        chosen = {v.id: v.value for v in self.variables if not v.user_defined and v.value is not None}
        return (
            run.submitted is not None
            and sent_at - SUBMITTED_SLACK <= run.submitted <= datetime.now(UTC) + SUBMITTED_SLACK
            and run.category_id == self.category.id
            and run.level_id == (self.level.id if self.level else None)
            and run.played == self.played
            and run.system.platform == (self.platform.id if self.platform else None)
            and all(run.values.get(variable) == value for variable, value in chosen.items())
            and abs(seconds - self.seconds) < (SAME_TIME if self.show_milliseconds else 0.5 + SAME_TIME)
        )


class Submitted(Frozen):
    """What speedrun.com answered to the form: the run it made."""

    run_id: str
    weblink: str | None
    status: str  # "new" (awaiting verification) or "verified"
