"""speedrun.com lookups the commands share: a game's category, level or subcategory from the
user's words, with "Did you mean" when they name nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from bot.clients.speedrun import SpeedrunClient
from bot.errors import UserFacingError
from bot.models import speedrun as api
from bot.utils.matching import did_you_mean, normalize
from bot.utils.rendering import plain, quoted

Named = TypeVar("Named", api.Category, api.Level, api.System)


def pick(options: Sequence[Named], text: str, what: str, game: api.Game) -> Named:
    """The option ``text`` names by id or name (any case)."""
    wanted = normalize(text)
    found = next((o for o in options if o.id == text.strip() or normalize(o.name) == wanted), None)
    if found is not None:
        return found
    raise UserFacingError(
        f"{plain(game.name, 100)} has no {what} {quoted(text)} on speedrun.com."
        + did_you_mean([o.name for o in options], text)
    )


async def board(
    client: SpeedrunClient, game: api.Game, category: str | None, level: str | None
) -> tuple[api.Category | None, api.Level | None]:
    """The category and level of ``game`` the user's words name (a level board needs a
    per-level category)."""
    chosen_level = pick(await client.levels(game.id), level, "level", game) if level else None
    if category is None:
        return None, chosen_level
    kind = "per-level" if chosen_level else "per-game"
    categories = [c for c in await client.categories(game.id) if c.type == kind]
    return pick(categories, category, "level category" if chosen_level else "category", game), chosen_level


def subcategory(variables: Sequence[api.Variable], text: str | None) -> dict[str, str]:
    """``{variable id: value id}`` for a ``Variable: Value`` choice; every variable's default else."""
    chosen = {v.id: v.values.default for v in variables if v.is_subcategory and v.values.default}
    if text:
        for variable in variables:
            for value_id, value in variable.values.values.items():
                if (
                    normalize(f"{variable.name} {value.label}") == normalize(text)
                    or text == f"{variable.id}={value_id}"
                ):
                    chosen[variable.id] = value_id
                    return {k: v for k, v in chosen.items() if v}
        raise UserFacingError(f"That category has no subcategory {quoted(text)}: pick one from the list.")
    return {k: v for k, v in chosen.items() if v}
