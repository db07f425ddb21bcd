"""The level catalogs of both HaloRuns API generations: the seed's level tables, and their mapping
onto the current site's games and segments.

Level IDs are the 2-digit game number and the 2-digit level number (``0504``). The seed has no
table for Halo 2 MCC (``07``): it is assumed to share Halo 2's levels. Full-game boards are not in
the seed either: they take level number ``00`` (``0500`` is Halo: Reach, Full Game).
"""

from __future__ import annotations

from bot.models.haloruns import COOP, FULL_GAME, SOLO, Catalog, Game, Level, Option
from bot.models.haloruns_content import GlobalMetadata
from bot.utils.matching import best, normalize

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


# The current site's names of levels the seed's tables spell otherwise: matched as they are, with no
# fuzzy matching (which still finds a level renamed since).
_LEVEL_ALIASES = {"kizingo boulevard": "kizingo blvd"}

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
    wanted = normalize(name)
    found = best([normalize(level) for level in table], _LEVEL_ALIASES.get(wanted, wanted), cutoff=80)
    return f"{number}{found + 1:02}" if found is not None else None
