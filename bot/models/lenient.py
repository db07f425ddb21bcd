"""Building blocks for parsing upstream JSON tolerantly: extra fields ignored, bad list items skipped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, WrapValidator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from bot.utils.run_times import parse_run_time

log = logging.getLogger(__name__)


class Payload(BaseModel):
    """An upstream object: unknown fields are ignored, known ones are checked, nothing is mutable.

    Its schema is built when it is first used, not when the module is imported: the idle bot
    builds none of those of a service it has not called yet (Halo Waypoint's, when turned off).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


def describe(error: ValidationError, *, skip: int = 0) -> str:
    """The first problem of ``error``, where it is and what: ``Entries[3].Duration: Input should
    be a valid number``; ``skip`` leaves out that many steps of its location."""
    first = error.errors()[0]
    where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in first["loc"][skip:])
    return f"{where.lstrip('.')}: {first['msg']}" if where else str(first["msg"])


@dataclass(frozen=True, slots=True)
class Skipped:
    """Items of an upstream list left out for their shape."""

    bad: int
    total: int
    problem: str  # the first, within an item

    def __str__(self) -> str:
        return f"{self.bad} of {self.total} entries not understood: {self.problem}"


_noted: ContextVar[list[Skipped] | None] = ContextVar("skipped_items", default=None)


@contextmanager
def noting_skips() -> Iterator[list[Skipped]]:
    """Collects what the lists parsed inside the block (in this task and those it starts) left out."""
    noted: list[Skipped] = []
    reset = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(reset)


def _drop_invalid_items(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as error:
        if not isinstance(value, list):
            raise
        bad = {problem["loc"][0] for problem in error.errors() if problem["loc"]}
        if not bad or len(bad) == len(value) or not all(isinstance(index, int) for index in bad):
            raise  # nothing fits: the whole document is not what it should be
        log.warning("Skipped %d of %d upstream items in an unexpected shape: %s", len(bad), len(value), error)
        noted = _noted.get()
        if noted is not None:
            noted.append(Skipped(len(bad), len(value), describe(error, skip=1)))
        return handler([item for index, item in enumerate(value) if index not in bad])


# A list whose items that do not fit the model are logged and left out instead of failing the whole.
SkipInvalid = WrapValidator(_drop_invalid_items)


def _none_if_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as error:
        log.warning("Ignored an optional upstream value in an unexpected shape: %s", error)
        return None


# An optional value that does not fit is taken as missing rather than losing the whole item.
NoneIfInvalid = WrapValidator(_none_if_invalid)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _empty_as_none(value: Any) -> Any:
    return None if value in ("", 0) else value


# Whole or fractional seconds, or "H:MM:SS" text (HaloRuns has sent both).
RunTime = Annotated[float, BeforeValidator(parse_run_time)]
# Unix seconds or ISO 8601; a time without a zone is UTC.
Moment = Annotated[datetime, AfterValidator(_utc)]
# The same, where "", 0, null and anything that is not a time mean "not known".
MaybeMoment = Annotated[Moment | None, BeforeValidator(_empty_as_none), NoneIfInvalid]
MaybeNumber = Annotated[float | None, NoneIfInvalid]
MaybeCount = Annotated[int | None, NoneIfInvalid]
MaybeRunTime = Annotated[RunTime | None, NoneIfInvalid]
