"""Cards fit Discord's limits of a message whatever they are given: judged by the local Discord's
rules (40 components, 4,000 characters of text displays, the layout's nesting)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.embeds.cards import Card, card_view, game_colour
from tests.fakes.discord.components import IS_COMPONENTS_V2, message_problems, texts, walk


def judged(card: Card) -> tuple[list[dict[str, Any]], list[str]]:
    components = card_view(card).to_components()  # type: ignore[no-untyped-call]
    return components, message_problems({"flags": IS_COMPONENTS_V2, "components": components}, set())


@pytest.mark.parametrize(("blocks", "size"), [(50, 300), (10, 3000), (60, 5)])
def test_any_card_fits_discords_limits_and_says_what_it_left_out(blocks: int, size: int) -> None:
    card = Card(
        title="T" * 400,
        subtitle="s" * 2000,
        accent=0x123456,
        thumbnail="https://example.com/" + "p" * 100,
        blocks=[f"**Board {n}**\n" + "x" * size for n in range(blocks)],
        image="https://example.com/card.png",
        links=[(f"Link {n}", f"https://example.com/{n}") for n in range(7)],
        footer="f" * 600,
    )

    components, problems = judged(card)

    assert problems == []
    assert len(list(walk(components))) <= 40
    shown = texts(components)
    assert sum(map(len, shown)) <= 4000
    kept = sum(1 for text in shown if text.startswith("**Board"))
    assert 0 < kept < blocks
    assert shown[-1].endswith(f"…and {blocks - kept} more not shown")


def test_a_card_shows_only_http_links_and_a_header_without_a_picture_is_a_text() -> None:
    card = Card(
        title="World records",
        accent=game_colour("Halo: Reach", 0),
        thumbnail="javascript:alert(1)",
        blocks=["**Solo Easy**\n12:34"],
        links=[("Watch", "javascript:alert(1)"), ("Board", "https://haloruns.com/b")],
    )

    [container], problems = judged(card)

    assert problems == []
    assert container["accent_color"] == game_colour("Reach", 0) != 0
    assert container["components"][0] == {"type": 10, "content": "### World records"}
    buttons = [c for c in walk([container]) if c["type"] == 2]
    assert [(b["label"], b["url"]) for b in buttons] == [("Board", "https://haloruns.com/b")]
