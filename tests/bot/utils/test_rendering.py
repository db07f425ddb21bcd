"""Echoed input made safe, and answers held to Discord's limits whatever they hold."""

from __future__ import annotations

from collections.abc import Callable

import discord
import pytest

from bot.utils.rendering import CONTENT_LIMIT, fit_content, fit_embed, quoted
from tests.fakes.discord import discord_spec, embed_limit_problems


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Halo 2", "“Halo 2”"),
        ("@everyone and @here", "“@\u200beveryone and @\u200bhere”"),
        ("<@&123> <@456> <@!789>", "“<@\u200b&123> <@\u200b456> <@\u200b!789>”"),
        ("**bold** `code`", "“\\*\\*bold\\*\\* \\`code\\`”"),
        ("one\nline\tand\x1b[31m", "“one line and [31m”"),
        ("\u202eright to left", "“right to left”"),
        ("\U0001f3c3\u200d\u2642\ufe0f", "“\U0001f3c3\u200d\u2642\ufe0f”"),
        ("x" * 500, f"“{'x' * 99}…”"),
    ],
)
def test_quoted_input_is_one_escaped_clipped_line(typed: str, shown: str) -> None:
    assert quoted(typed) == shown


def test_content_is_cut_to_discords_limit() -> None:
    assert fit_content("short") == "short"
    assert len(fit_content("x" * 6000)) == CONTENT_LIMIT


def test_an_embed_within_the_limits_is_left_as_it_is() -> None:
    embed = discord.Embed(title="Title", description="text").add_field(name="a", value="b")

    assert fit_embed(embed) is embed


def test_an_embed_over_every_limit_is_cut_to_what_discord_takes() -> None:
    embed = discord.Embed(title="t" * 300, description="d" * 5000, url="https://e.example/" + "u" * 3000)
    embed.set_footer(text="f" * 3000).set_author(name="a" * 300)
    for number in range(30):
        embed.add_field(name=f"{number}" * 300, value="v" * 2000)
    embed.add_field(name="", value="")

    fitted = fit_embed(embed).to_dict()
    body = {"content": None, "embeds": [fitted]}

    assert discord_spec().violations("POST", "/channels/1/messages", body) == []
    assert embed_limit_problems(body) == []
    assert fitted["title"].endswith("…")


def _one_over(limit: str) -> discord.Embed:
    """An embed within every limit but ``limit``, which it passes by one."""
    embed = discord.Embed(title="Title", description="text", url="https://e.example/")
    embed.set_footer(text="footer").set_author(name="author").add_field(name="a", value="b")
    over: dict[str, Callable[[], object]] = {
        "title": lambda: setattr(embed, "title", "t" * 257),
        "description": lambda: setattr(embed, "description", "d" * 4097),
        "url": lambda: setattr(embed, "url", "https://e.example/" + "u" * 2031),
        "footer": lambda: embed.set_footer(text="f" * 2049),
        "author": lambda: embed.set_author(name="a" * 257),
        "field count": lambda: [embed.add_field(name="n", value="v") for _ in range(25)],
        "field name": lambda: embed.add_field(name="n" * 257, value="v"),
        "field value": lambda: embed.add_field(name="n", value="v" * 1025),
        "empty name": lambda: embed.add_field(name="", value="v"),
        "empty value": lambda: embed.add_field(name="n", value=""),
        "total": lambda: [embed.add_field(name="n", value="v" * 1000) for _ in range(6)],
    }
    over[limit]()
    return embed


@pytest.mark.parametrize(
    "limit",
    [
        "title",
        "description",
        "url",
        "footer",
        "author",
        "field count",
        "field name",
        "field value",
        "empty name",
        "empty value",
        "total",
    ],
)
def test_an_embed_over_one_limit_by_one_is_cut(limit: str) -> None:
    embed = _one_over(limit)

    fitted = fit_embed(embed)

    assert fitted is not embed
    assert embed_limit_problems({"embeds": [fitted.to_dict()]}) == []


def test_fields_over_the_total_are_dropped_from_the_end() -> None:
    embed = discord.Embed(title="Many fields")
    for number in range(10):
        embed.add_field(name=f"field {number}", value="v" * 1000)

    fitted = fit_embed(embed)

    assert [f.name for f in fitted.fields] == [f"field {n}" for n in range(5)]
    assert len(fitted) <= 6000
