"""Long answers as pages of one card, turned with Previous and Next inside the card by the person
who asked, also after a restart.

The pages are kept in the bot's state under the interaction that asked (for ``PAGE_DAYS``), and
each button is a dynamic item whose ``custom_id`` names that interaction, the member who asked and
the page it shows: a click rebuilds the page from the state, whatever ran before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.embeds.cards import Card, card_view
from bot.ui.replies import send_reply

if TYPE_CHECKING:
    from bot.app import HaloBot
    from bot.storage.state import BotState

PAGE_DAYS = 7  # how long the pages of an answer are kept (and its buttons work)
PREFIX = "pages"
ONLY_THE_ASKER = "Only the person who ran the command can turn its pages; run it yourself to browse."
GONE = "These pages are no longer kept: run the command again to browse."


def _key(origin: int) -> str:
    return f"{PREFIX}:{origin}"


def _dump(pages: Sequence[Card]) -> str:
    return json.dumps([asdict(page) for page in pages])


def _load(stored: str) -> list[Card]:
    cards = []
    for page in json.loads(stored):
        page["links"] = [tuple(link) for link in page["links"]]
        cards.append(Card(**page))
    return cards


class PageTurn(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"{PREFIX}:(?P<origin>\d+):(?P<owner>\d+):(?P<index>\d+):(?P<way>previous|next)",
):
    """Previous or Next: shows page ``index`` of the answer to interaction ``origin``."""

    def __init__(self, origin: int, owner: int, index: int, way: str, *, disabled: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=way.capitalize(),
                emoji="◀️" if way == "previous" else "▶️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"{PREFIX}:{origin}:{owner}:{index}:{way}",
                disabled=disabled,
            )
        )
        self.origin, self.owner, self.index, self.way = origin, owner, index, way

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        origin, owner, index = int(match["origin"]), int(match["owner"]), int(match["index"])
        return cls(origin, owner, index, match["way"], disabled=False)

    async def callback(self, interaction: discord.Interaction[HaloBot]) -> None:  # type: ignore[override]
        if interaction.user.id != self.owner:
            await interaction.response.send_message(ONLY_THE_ASKER, ephemeral=True)
            return
        stored = await interaction.client.state.get(_key(self.origin))
        if stored is None:
            await interaction.response.send_message(GONE, ephemeral=True)
            return
        pages = _load(stored)
        index = min(self.index, len(pages) - 1)
        await interaction.response.edit_message(view=page_view(pages, index, self.origin, self.owner))


async def forget_old_pages(state: BotState) -> None:
    """Forgets the pages kept longer than ``PAGE_DAYS`` (a background job: not on a command's way)."""
    await state.forget_before(f"{PREFIX}:", datetime.now(UTC) - timedelta(days=PAGE_DAYS))


def numbered(pages: Sequence[Card]) -> list[Card]:
    """``pages`` with "Page 2/5" in their footers."""
    return [
        replace(page, footer=" · ".join(filter(None, [page.footer, f"Page {number}/{len(pages)}"])))
        for number, page in enumerate(pages, start=1)
    ]


def page_view(pages: Sequence[Card], index: int, origin: int, owner: int) -> discord.ui.LayoutView:
    """Page ``index`` of ``pages`` (numbered), with Previous and Next inside its card."""
    last = len(pages) - 1
    buttons: discord.ui.ActionRow[Any] = discord.ui.ActionRow(
        PageTurn(origin, owner, max(index - 1, 0), "previous", disabled=index == 0),
        PageTurn(origin, owner, min(index + 1, last), "next", disabled=index == last),
    )
    return card_view(pages[index], rows=[buttons])


async def send_pages(
    interaction: discord.Interaction[Any], pages: Sequence[Card], *, file: discord.File | None = None
) -> None:
    """The first page, with buttons when there is more than one (its pages kept for the buttons);
    ``file`` (a page's ``attachment://`` image) stays with every page."""
    if len(pages) == 1:
        await send_reply(interaction, view=card_view(pages[0]), file=file)
        return
    shown = numbered(pages)
    state: BotState = interaction.client.state
    await state.set(_key(interaction.id), _dump(shown))
    await send_reply(interaction, view=page_view(shown, 0, interaction.id, interaction.user.id), file=file)
