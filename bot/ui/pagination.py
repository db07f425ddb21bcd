"""Long answers as pages of one card, turned with Previous and Next inside the card by the person
who asked."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import replace

import discord

from bot.embeds.cards import Card, card_container, card_view
from bot.ui.replies import send_reply

PAGE_MINUTES = 10  # buttons go after this long unused (an interaction's token lives 15 minutes)


class Pages(discord.ui.LayoutView):
    def __init__(self, origin: discord.Interaction, pages: Sequence[Card]) -> None:
        super().__init__(timeout=PAGE_MINUTES * 60)
        self.origin = origin
        self.latest = origin  # the last interaction on the message: its token outlives the view
        self.index = 0
        self.pages = [
            replace(page, footer=" · ".join(filter(None, [page.footer, f"Page {number}/{len(pages)}"])))
            for number, page in enumerate(pages, start=1)
        ]
        self.previous: discord.ui.Button[Pages] = discord.ui.Button(
            label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary
        )
        self.next: discord.ui.Button[Pages] = discord.ui.Button(
            label="Next", emoji="▶️", style=discord.ButtonStyle.secondary
        )
        self.previous.callback = self._previous  # type: ignore[method-assign]
        self.next.callback = self._next  # type: ignore[method-assign]
        self.buttons: discord.ui.ActionRow[Pages] = discord.ui.ActionRow(self.previous, self.next)
        self._render()

    def _render(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(self.pages) - 1
        self.clear_items()
        self.add_item(card_container(self.pages[self.index], rows=[self.buttons]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.origin.user.id:
            return True
        await interaction.response.send_message(
            "Only the person who ran the command can turn its pages; run it yourself to browse.",
            ephemeral=True,
        )
        return False

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = index
        self._render()
        self.latest = interaction
        await interaction.response.edit_message(view=self)

    async def _previous(self, interaction: discord.Interaction) -> None:
        await self._show(interaction, max(self.index - 1, 0))

    async def _next(self, interaction: discord.Interaction) -> None:
        await self._show(interaction, min(self.index + 1, len(self.pages) - 1))

    async def on_timeout(self) -> None:
        # The page stays, without its buttons (a layout cannot be left without components).
        with contextlib.suppress(discord.HTTPException):
            await self.latest.edit_original_response(view=card_view(self.pages[self.index]))


async def send_pages(interaction: discord.Interaction, pages: Sequence[Card]) -> None:
    """The first page, with buttons when there is more than one."""
    view = Pages(interaction, pages) if len(pages) > 1 else card_view(pages[0])
    await send_reply(interaction, view=view)
