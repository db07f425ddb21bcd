"""Level lookup in the catalog (bot/clients/haloruns/catalog.py builds it): by ID or name, for
autocomplete, and for "did you mean". Levels are named as the site names them; the seed's other
spellings (ODST's "Kilowani Station", the site's "Kikowani Station") are understood in what users
type."""

from __future__ import annotations

from bot.models.haloruns import Catalog, Level
from bot.utils.matching import normalize, similarity

# The seed's spellings of words the site spells otherwise, as users may type them.
_SPELLINGS = {"kilowani": "kikowani"}


def _spelled(text: str) -> str:
    """Normalized ``text`` with the site's spelling of each word."""
    return " ".join(_SPELLINGS.get(word, word) for word in normalize(text).split())


# Short names runners type for the games, searched along with the game's own name.
_GAME_SHORT_NAMES = {
    "01": "hce ce", "02": "h2", "03": "h3", "04": "odst", "05": "reach hr", "06": "h4", "07": "h2 mcc",
    "08": "h5",
}  # fmt: skip


def _search_text(level: Level) -> str:
    short = _GAME_SHORT_NAMES.get(level.game.number or "", "")
    return normalize(f"{level.game.name} {short} {level.name} {level.code or ''}")


def find_levels(catalog: Catalog, text: str) -> list[Level]:
    """The levels ``text`` names exactly: an ID, a name (with or without its game) or a label."""
    text = text.strip()
    if text in catalog.by_key:
        return [catalog.by_key[text]]
    wanted = _spelled(text)
    return [
        level
        for level in catalog.levels
        if wanted
        in (normalize(level.name), normalize(f"{level.game.name} {level.name}"), normalize(level.label))
    ]


def rank_levels(catalog: Catalog, text: str, limit: int = 25) -> list[Level]:
    """Levels for autocomplete: ID and name prefixes first, then fuzzy matches, best first."""
    query = _spelled(text)
    if not query:
        return list(catalog.levels[:limit])
    scored: list[tuple[float, float, int, Level]] = []
    for position, level in enumerate(catalog.levels):
        score = _prefix_score(level, query) or _word_score(query, _search_text(level))
        if score >= 75:
            scored.append((-score, -_word_score(query, normalize(level.name)), position, level))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


def _prefix_score(level: Level, query: str) -> float:
    if level.code and level.code.startswith(query):
        return 300
    name = normalize(level.name)
    if name.startswith(query):
        return 250
    if normalize(f"{level.game.name} {level.name}").startswith(query):
        return 200
    if any(word.startswith(query) for word in name.split()):
        return 150
    return 0


def _word_score(query: str, text: str) -> float:
    """How well every word of ``query`` matches some word of ``text`` (0 to 100), typos forgiven."""
    words = text.split()
    return sum(
        max(100 if word.startswith(wanted) else similarity(wanted, word) for word in words)
        for wanted in query.split()
    ) / len(query.split())


def similar_levels(catalog: Catalog, text: str, limit: int = 3) -> list[Level]:
    """The levels that look most like ``text``, for "Did you mean …"."""
    query = _spelled(text) or "?"
    scored = sorted(
        (
            (_word_score(query, _search_text(level)), position, level)
            for position, level in enumerate(catalog.levels)
        ),
        key=lambda item: (-item[0], item[1]),
    )
    return [level for score, _, level in scored[:limit] if score >= 50]
