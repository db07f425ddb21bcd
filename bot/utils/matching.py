"""What a member's words name among known names, and "Did you mean …" when they name nothing: one
matcher for every feature (HaloRuns levels and filters, speedrun.com categories, levels, systems)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import import_module
from types import ModuleType

from bot.utils.rendering import plain


def normalize(text: str) -> str:
    """Lower case, punctuation dropped, spaces collapsed: ``Halo: Reach`` → ``halo reach``."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("'", "")).split())


def named(names: Iterable[str], text: str) -> str | None:
    """The one of ``names`` that ``text`` names, whatever its case and punctuation; ``None`` if none."""
    wanted = normalize(text)
    return next((name for name in names if wanted and normalize(name) == wanted), None)


@cache
def _fuzzy() -> ModuleType:
    """``bot.utils.fuzzy`` (rapidfuzz), loaded at the first match that is not exact: the one place."""
    return import_module("bot.utils.fuzzy")


def closest(names: Iterable[str], text: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` of ``names`` that look most like ``text``, for "Did you mean …"."""
    choices = list(dict.fromkeys(names))
    found: list[int] = _fuzzy().closest([normalize(n) for n in choices], normalize(text), limit)
    return [choices[index] for index in found]


def best(choices: Sequence[str], text: str, cutoff: float) -> int | None:
    """The position of ``text`` among ``choices`` (normalized both); else of the one most like it,
    if it scores ``cutoff`` (of 100) or more."""
    if text in choices:
        return choices.index(text)
    found: int | None = _fuzzy().best(choices, text, cutoff)
    return found


def similarity(first: str, second: str) -> float:
    """How alike the two are, from 0 (nothing alike) to 100 (the same)."""
    if first == second:
        return 100.0
    return float(_fuzzy().similarity(first, second))


def did_you_mean(names: Iterable[str], text: str) -> str:
    """`` Did you mean **A** or **B**?`` for the names closest to ``text``; empty when none is."""
    return suggest(closest(names, text))


def suggest(guesses: Iterable[str], limit: int = 100) -> str:
    """`` Did you mean **A** or **B**?`` for guesses already made; empty without any."""
    shown = " or ".join(f"**{plain(guess, limit)}**" for guess in guesses)
    return f" Did you mean {shown}?" if shown else ""
