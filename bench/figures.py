"""Printing a benchmark's figures as a two-column table."""

from __future__ import annotations

from collections.abc import Sequence


def print_figures(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{'figure':<{width}}  value\n{'-' * width}  {'-' * 12}")
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
