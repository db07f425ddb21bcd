"""HaloRuns points: what a time earns against the world record."""

from __future__ import annotations

import pytest

from bot.services.haloruns.points import points


def test_the_world_record_earns_100_points_and_1000_on_a_full_game_board() -> None:
    assert points(754, 754) == pytest.approx(100, abs=0.01)
    assert points(6312, 6312, full_game=True) == pytest.approx(1000, abs=0.1)


def test_points_follow_the_haloruns_formula() -> None:
    assert points(100, 110) == pytest.approx(0.008 * 2.718281828 ** (4.8284 * 100 / 110) * 100)
    assert points(100, 200) < points(100, 150) < points(100, 101)


def test_a_time_faster_than_the_record_earns_the_records_points() -> None:
    assert points(754, 700) == points(754, 754)


def test_points_refuse_a_zero_time() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        points(754, 0)
