from __future__ import annotations

from pathlib import Path

import pytest

from bot.clients.haloruns.catalog import content_catalog, legacy_catalog
from bot.models.haloruns_content import GLOBAL_METADATA
from bot.services.haloruns.catalog import find_levels, rank_levels, similar_levels

GLOBAL_JSON = Path(__file__).parents[3] / "fakes" / "haloruns" / "content" / "metadata" / "global.json"


def test_the_legacy_catalog_holds_the_seed_tables_and_a_full_game_board_per_game() -> None:
    catalog = legacy_catalog()

    assert catalog.by_key["0504"].label == "Halo: Reach — Tip of the Spear (0504)"
    assert catalog.by_key["0110"].name == "The Maw"
    assert catalog.by_key["0712"].name == "High Charity", "Halo 2 MCC shares Halo 2's levels"
    assert [level.code for level in catalog.levels if level.full_game] == [f"0{n}00" for n in range(1, 9)]


def test_content_levels_get_level_ids_by_game_and_name() -> None:
    catalog = content_catalog(GLOBAL_METADATA.validate_json(GLOBAL_JSON.read_bytes()))

    codes = {level.label: level.code for level in catalog.levels}
    assert codes["Halo CE — Pillar of Autumn (0101)"] == "0101"
    assert codes["Halo 3: ODST — Kizingo Boulevard (0404)"] == "0404"
    assert codes["Halo Infinite — Foundation"] is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0504", "0504"),
        ("tip of the spear", "0504"),
        ("HALO REACH TIP OF THE SPEAR", "0504"),
        ("the maw", "0110"),
    ],
)
def test_find_levels_by_id_or_name(text: str, code: str) -> None:
    assert [level.code for level in find_levels(legacy_catalog(), text)] == [code]


def test_rank_levels_puts_prefixes_before_fuzzy_matches() -> None:
    ranked = [level.code for level in rank_levels(legacy_catalog(), "h3 halo")]

    assert ranked[0] == "0309"
    assert len(rank_levels(legacy_catalog(), "")) == 25


def test_similar_levels_forgive_typos() -> None:
    assert similar_levels(legacy_catalog(), "silent cartogrpher")[0].code == "0104"
    assert similar_levels(legacy_catalog(), "xyzzy") == []


@pytest.mark.parametrize(
    "text", ["Kikowani Station", "kilowani station", "Halo 3: ODST Kilowani Station", "0407"]
)
def test_odsts_level_is_named_as_on_the_site_and_found_by_the_seeds_spelling(text: str) -> None:
    content = content_catalog(GLOBAL_METADATA.validate_json(GLOBAL_JSON.read_bytes()))

    for catalog in (legacy_catalog(), content):
        assert [level.label for level in find_levels(catalog, text)] == [
            "Halo 3: ODST — Kikowani Station (0407)"
        ]
    assert rank_levels(legacy_catalog(), "kilowani")[0].code == "0407"
