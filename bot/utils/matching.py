"""What a member's words name among known names, and "Did you mean …" when they name nothing: one
matcher for every feature (HaloRuns levels and filters, speedrun.com categories, levels, systems)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from bot.utils.rendering import plain


def normalize(text: str) -> str:
    """Lower case, punctuation dropped, spaces collapsed: ``Halo: Reach`` → ``halo reach``."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("'", "")).split())


def named(names: Iterable[str], text: str) -> str | None:
    """The one of ``names`` that ``text`` names, whatever its case and punctuation; ``None`` if none."""
    wanted = normalize(text)
    return next((name for name in names if wanted and normalize(name) == wanted), None)


def closest(names: Iterable[str], text: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` of ``names`` that look most like ``text``, for "Did you mean …"."""
    choices = list(dict.fromkeys(names))
    matches = process.extract(
        normalize(text), [normalize(n) for n in choices], scorer=fuzz.WRatio, limit=limit, score_cutoff=50
    )
    return [choices[index] for _, _, index in matches]


def did_you_mean(names: Iterable[str], text: str) -> str:
    """`` Did you mean **A** or **B**?`` for the names closest to ``text``; empty when none is."""
    return suggest(closest(names, text))


def suggest(guesses: Iterable[str], limit: int = 100) -> str:
    """`` Did you mean **A** or **B**?`` for guesses already made; empty without any."""
    shown = " or ".join(f"**{plain(guess, limit)}**" for guess in guesses)
    return f" Did you mean {shown}?" if shown else ""
