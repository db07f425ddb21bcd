"""Run times: read from upstream data or from users, and shown the way speedrunners write them."""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"(?:(?:(?P<h>\d+):)?(?P<m>\d+):)?(?P<s>\d+(?:\.\d+)?)")


def parse_run_time(value: int | float | str) -> float:
    """Seconds from whole or fractional seconds, or from ``h:mm:ss``, ``m:ss`` or ``m:ss.ms`` text.

    Raises ``ValueError`` with a message that says which forms are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a run time")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _CLOCK.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a time like 1:02:03, 12:34, 12:34.567 or 754")
        hours, minutes = int(match["h"] or 0), int(match["m"] or 0)
        if match["m"] is not None and float(match["s"]) >= 60:
            raise ValueError(f"{value!r} has more than 59 seconds in a minute")
        if match["h"] is not None and minutes >= 60:
            raise ValueError(f"{value!r} has more than 59 minutes in an hour")
        seconds = hours * 3600 + minutes * 60 + float(match["s"])
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} is not a run time")
    return seconds


def format_run_time(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``, with milliseconds only when the time has them."""
    millis = round(seconds * 1000)
    whole, ms = divmod(millis, 1000)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
    return f"{text}.{ms:03}" if ms else text
