"""HaloRuns points: what a time earns against the world record (``docs/apis.md`` §1c)."""

from __future__ import annotations

import math


def points(world_record: float, time: float, *, full_game: bool = False) -> float:
    """``0.008 * e^(4.8284 * wr / pb) * 100``, x10 for full game: 100 (1,000) for the world record itself.

    A time faster than the world record would be the new record, so it earns the record's points.
    """
    if world_record <= 0 or time <= 0:
        raise ValueError("times must be longer than zero")
    ratio = min(world_record / time, 1.0)
    earned = 0.008 * math.exp(4.8284 * ratio) * 100
    return earned * 10 if full_game else earned
