"""Cards fit Discord's limits of a message whatever they are given: judged by the local Discord's
rules (40 components, 4,000 characters of text displays, the layout's nesting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.embeds.announcements import record_card
from bot.embeds.cards import Card, card_view, game_colour
from bot.embeds.haloruns import run_pages
from bot.embeds.stream_alerts import stream_card
from bot.models.haloruns import Run, Runner, Stream
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


LONG = "_*<@&1>@everyone" * 40  # escaped, every character doubles; a mention in every piece
VOD = "https://www.youtube.com/watch?v=" + "x" * 470


def test_announcement_and_stream_cards_fit_for_any_input() -> None:
    runners = tuple(Runner(LONG, VOD) for _ in range(8))
    when = datetime(2024, 5, 20, tzinfo=UTC)
    previous = Run(LONG, LONG, LONG, LONG, 900.0, runners, date=when - timedelta(days=400))
    record = Run(LONG, LONG, LONG, LONG, 899.5, runners, date=when, board_url=VOD, previous=previous)
    stream = Stream(LONG, LONG, 10**9, when, VOD, game=LONG, image=VOD)
    pages = run_pages("Recent world records", [record] * 50, "none")

    for card in [record_card(record), stream_card(stream, when), stream_card(stream, when, when), *pages]:
        components, problems = judged(card)
        shown = texts(components)
        assert problems == [], card.title[:40]
        assert sum(map(len, shown)) <= 4000
        assert not [t for t in shown if "<@&1>" in t or "@everyone" in t], "escaped: nothing can ping"
    assert len(pages) > 1, "50 runs take several pages"
