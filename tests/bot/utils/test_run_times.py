"""Run times as runners type them, and as the bot shows them."""

from __future__ import annotations

import pytest

from bot.utils.run_times import format_run_time, parse_run_time


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (231, 231.0),
        (601.25, 601.25),
        ("754", 754.0),
        ("12:34", 754.0),
        ("12:34.5", 754.5),
        ("0:15:02", 902.0),
        ("1:45:12", 6312.0),
        (" 3:51 ", 231.0),
        ("1:23:45.678", 5025.678),
        ("23:45", 1425.0),
        ("23:45.5", 1425.5),
        ("1h 23m 45s", 5025.0),
        ("1H23M45.678S", 5025.678),
        ("5025.678", 5025.678),
        ("12m 5s 250ms", 725.25),
        ("45s", 45.0),
        ("2h", 7200.0),
    ],
)
def test_parse_accepts_seconds_and_clock_times(value: int | float | str, seconds: float) -> None:
    assert parse_run_time(value) == seconds


@pytest.mark.parametrize(
    "value", ["", "twelve", "1:60", "1:60:00", "-5", "1::2", "1h 60s", "h m s", "5 s m", True, float("nan")]
)
def test_parse_refuses_what_is_not_a_time(value: object) -> None:
    with pytest.raises(ValueError, match=r"time|more than 59"):
        parse_run_time(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (59, "0:59"), (231, "3:51"), (754.5, "12:34.500"), (3600, "1:00:00"), (6312, "1:45:12"),
     (601.25, "10:01.250"), (59.9996, "1:00")],
)  # fmt: skip
def test_format_shows_milliseconds_only_when_there_are_some(seconds: float, text: str) -> None:
    assert format_run_time(seconds) == text
