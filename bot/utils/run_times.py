"""Run times: read from upstream data or from users, and shown the way speedrunners write them."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from bot.utils.rendering import quoted

_CLOCK = re.compile(r"(?:(?:(?P<h>\d+):)?(?P<m>\d+):)?(?P<s>\d+(?:\.\d+)?)")
_UNITS = re.compile(
    r"(?=\d)(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m(?:in)?)?\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s)?\s*(?:(?P<ms>\d+)\s*ms)?"
)
FORMS = "`1:23:45.678`, `23:45`, `23:45.5`, `1h 23m 45s` or `5025.678`"


def parse_run_time(value: int | float | str) -> float:
    """Seconds from whole or fractional seconds, or from ``h:mm:ss``, ``m:ss``, ``m:ss.ms`` or
    ``1h 23m 45.6s`` text; text is read exactly (``1:23:45.678`` is 5025.678, not 5025.67799…).

    Raises ``ValueError`` with a message that says which forms are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a run time")
    seconds = float(value) if isinstance(value, int | float) else float(_text_seconds(value))
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} is not a run time")
    return seconds


def _text_seconds(text: str) -> Decimal:
    clock = _CLOCK.fullmatch(text.strip())
    units = None if clock else _UNITS.fullmatch(text.strip().casefold())
    match = clock or units
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{quoted(text)} is not a time like {FORMS}")
    hours, minutes = int(match["h"] or 0), int(match["m"] or 0)
    seconds = Decimal(match["s"] or 0) + Decimal(units["ms"] or 0) / 1000 if units else Decimal(match["s"])
    if (match["m"] or match["h"]) is not None and seconds >= 60:
        raise ValueError(f"{quoted(text)} has more than 59 seconds in a minute")
    if match["h"] is not None and minutes >= 60:
        raise ValueError(f"{quoted(text)} has more than 59 minutes in an hour")
    return hours * 3600 + minutes * 60 + seconds


def format_run_time(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``, with milliseconds only when the time has them."""
    millis = round(seconds * 1000)
    whole, ms = divmod(millis, 1000)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
    return f"{text}.{ms:03}" if ms else text
