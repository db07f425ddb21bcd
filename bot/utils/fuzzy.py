"""Fuzzy matching with rapidfuzz: names that look alike, for "Did you mean …" and for names that
are spelt another way. Some 3 MiB that a bot whose names all match as they are does without: this
module is imported by ``bot.utils.matching`` at the first match that needs it."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process


def closest(choices: Sequence[str], text: str, limit: int) -> list[int]:
    """The positions of up to ``limit`` of ``choices`` that look most like ``text``, best first."""
    matches = process.extract(text, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
    return [index for _, _, index in matches]


def best(choices: Sequence[str], text: str, cutoff: float) -> int | None:
    """The position of the one of ``choices`` most like ``text``, if it scores ``cutoff`` or more."""
    match = process.extractOne(text, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    return match[2] if match else None


def similarity(first: str, second: str) -> float:
    """How alike the two are, from 0 to 100."""
    return fuzz.ratio(first, second)
