"""Every command the bot registers fits Discord's limits, and every cog is loaded."""

from __future__ import annotations

import re
from typing import Any

from bot.app import COGS, HaloBot

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
SUBCOMMAND_TYPES = (1, 2)


def problems_of(option: dict[str, Any], where: str) -> list[str]:
    found = []
    if not NAME.match(option["name"]):
        found.append(f"{where}: name {option['name']!r}")
    if not 1 <= len(option.get("description", "")) <= 100:
        found.append(f"{where}: description must be 1-100 characters")
    options = option.get("options", [])
    if len(options) > 25:
        found.append(f"{where}: more than 25 options")
    if len(option.get("choices", [])) > 25:
        found.append(f"{where}: more than 25 choices")
    required_seen_optional = False
    for child in options:
        if child["type"] not in SUBCOMMAND_TYPES:
            if child.get("required") and required_seen_optional:
                found.append(f"{where}: required option {child['name']} after an optional one")
            required_seen_optional |= not child.get("required")
        found += problems_of(child, f"{where} {child['name']}")
    return found


def text_length(option: dict[str, Any]) -> int:
    own = len(option["name"]) + len(option.get("description", ""))
    own += sum(len(c["name"]) + len(str(c["value"])) for c in option.get("choices", []))
    return own + sum(text_length(child) for child in option.get("options", []))


async def test_every_cog_is_loaded(bot: HaloBot) -> None:
    assert sorted(bot.extensions) == sorted(COGS)


async def test_commands_fit_discords_limits(bot: HaloBot) -> None:
    everything = [command.to_dict(bot.tree) for command in bot.tree.get_commands()]
    definitions = [d for d in everything if d.get("type", 1) == 1]
    menus = [d for d in everything if d.get("type", 1) != 1]  # user and message commands

    assert definitions, "the bot registers no command"
    assert len(definitions) <= 100
    assert len({d["name"] for d in definitions}) == len(definitions)
    for definition in definitions:
        assert problems_of(definition, "/" + definition["name"]) == []
        assert text_length(definition) <= 8000, definition["name"]
    assert sum(1 for d in menus if d["type"] == 2) <= 5  # Discord's limit of user commands
    for menu in menus:
        assert 1 <= len(menu["name"]) <= 32, menu["name"]
        assert "options" not in menu, menu["name"]
