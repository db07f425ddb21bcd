"""The level catalog: the seed's level tables, their mapping onto the current site, and level lookup.

Level IDs are the 2-digit game number and the 2-digit level number (``0504``). The seed has no
table for Halo 2 MCC (``07``): it is assumed to share Halo 2's levels. Full-game boards are not in
the seed either: they take level number ``00`` (``0500`` is Halo: Reach, Full Game). Levels are
named as the site names them; the seed's other spellings (ODST's "Kilowani Station", the site's
"Kikowani Station") are understood in what users type.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.models.haloruns import COOP, FULL_GAME, SOLO, Catalog, Game, Level, Option
from bot.models.haloruns_content import GlobalMetadata
from bot.services.matching import normalize

_HALO_2 = (
    "Cairo Station", "Outskirts", "Metropolis", "The Arbiter", "Oracle", "Delta Halo", "Regret",
    "Sacred Icon", "Quarantine Zone", "Gravemind", "Uprising", "High Charity", "The Great Journey",
)  # fmt: skip

# The seed's tables: game number, name, levels in level-number order.
LEGACY_GAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("01", "Halo: Combat Evolved", (
        "Pillar of Autumn", "Halo", "Truth and Reconciliation", "The Silent Cartographer",
        "Assault on the Control Room", "343 Guilty Spark", "The Library", "Two Betrayals", "Keyes",
        "The Maw",
    )),
    ("02", "Halo 2", _HALO_2),
    ("03", "Halo 3", (
        "Sierra 117", "Crows Nest", "Tsavo Highway", "The Storm", "Floodgate", "The Ark", "The Covenant",
        "Cortana", "Halo",
    )),
    ("04", "Halo 3: ODST", (
        "Prepare to Drop", "Tayari Plaza", "Uplift Reserve", "Kizingo Blvd.", "ONI Alpha Site", "NMPD HQ",
        "Kikowani Station", "Data Hive", "Coastal Highway",
    )),
    ("05", "Halo: Reach", (
        "Winter Contingency", "ONI: Sword Base", "Nightfall", "Tip of the Spear", "Long Night of Solace",
        "Exodus", "New Alexandria", "The Package", "The Pillar of Autumn",
    )),
    ("06", "Halo 4", (
        "Dawn", "Requiem", "Forerunner", "Infinity", "Reclaimer", "Shutdown", "Composer", "Midnight",
    )),
    ("07", "Halo 2 MCC", _HALO_2),
    ("08", "Halo 5", (
        "Osiris", "Blue Team", "Glassed", "Unconfirmed", "Evacuation", "Reunion", "Swords of Sanghelios",
        "Enemy Lines", "Battle of Sunaion", "Genesis", "The Breaking", "Guardians",
    )),
)  # fmt: skip

# The legacy API's categories and difficulties, with the values of its isCoop and difficulty.
LEGACY_CATEGORIES = (Option(SOLO, "0"), Option(COOP, "1"))
LEGACY_DIFFICULTIES = (Option("Easy", "0"), Option("Legendary", "1"))

# Other names the games go by (the current site's among them), for mapping games onto numbers.
_GAME_ALIASES = {"halo ce": "01", "halo combat evolved anniversary": "01", "halo 5 guardians": "08"}


# The seed's spellings of words the site spells otherwise, as users may type them.
_SPELLINGS = {"kilowani": "kikowani"}


def _spelled(text: str) -> str:
    """Normalized ``text`` with the site's spelling of each word."""
    return " ".join(_SPELLINGS.get(word, word) for word in normalize(text).split())


_GAME_NUMBERS = {normalize(name): number for number, name, _ in LEGACY_GAMES} | _GAME_ALIASES


def legacy_catalog() -> Catalog:
    games, levels = [], []
    for number, name, level_names in LEGACY_GAMES:
        game = Game(name, number, number, LEGACY_CATEGORIES, LEGACY_DIFFICULTIES)
        games.append(game)
        for index, level_name in enumerate((FULL_GAME, *level_names)):
            code = f"{number}{index:02}"
            levels.append(Level(game, level_name, code, code))
    return Catalog(tuple(games), tuple(levels))


def content_catalog(metadata: GlobalMetadata) -> Catalog:
    """The current site's games and segments, with level IDs where a game and level match the seed."""
    tables = {number: level_names for number, _, level_names in LEGACY_GAMES}
    games, levels = [], []
    for entry in metadata.games:
        number = _GAME_NUMBERS.get(normalize(entry.name))
        game = Game(
            entry.name,
            entry.id,
            number,
            tuple(Option(c.name, c.id) for c in entry.categories),
            tuple(Option(d.name, d.id) for d in entry.difficulties),
        )
        games.append(game)
        for segment in entry.segments:
            code = _level_code(number, segment.name, tables.get(number or "", ()))
            levels.append(Level(game, segment.name, segment.id, code))
    return Catalog(tuple(games), tuple(levels))


def _level_code(number: str | None, name: str, table: tuple[str, ...]) -> str | None:
    if number is None:
        return None
    if name == FULL_GAME:
        return f"{number}00"
    choices = [normalize(level) for level in table]
    match = process.extractOne(normalize(name), choices, scorer=fuzz.ratio, score_cutoff=80)
    return f"{number}{match[2] + 1:02}" if match else None


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
        max(100 if word.startswith(wanted) else fuzz.ratio(wanted, word) for word in words)
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
