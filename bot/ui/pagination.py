"""Long answers as pages of embeds, turned with buttons by the person who asked."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import discord

from bot.ui.replies import send_reply
from bot.utils.rendering import fit_embed

PAGE_MINUTES = 10  # buttons go after this long unused (an interaction's token lives 15 minutes)


class Pages(discord.ui.View):
    def __init__(self, origin: discord.Interaction, pages: Sequence[discord.Embed]) -> None:
        super().__init__(timeout=PAGE_MINUTES * 60)
        self.origin = origin
        self.latest = origin  # the last interaction on the message: its token outlives the view
        self.index = 0
        for number, page in enumerate(pages, start=1):
            page.set_footer(text=" · ".join(filter(None, [page.footer.text, f"Page {number}/{len(pages)}"])))
        self.pages = [fit_embed(page) for page in pages]  # each is shown by editing the message
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(self.pages) - 1

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
        self._sync_buttons()
        self.latest = interaction
        await interaction.response.edit_message(embed=self.pages[index], view=self)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Pages]) -> None:
        await self._show(interaction, max(self.index - 1, 0))

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Pages]) -> None:
        await self._show(interaction, min(self.index + 1, len(self.pages) - 1))

    async def on_timeout(self) -> None:
        with contextlib.suppress(discord.HTTPException):
            await self.latest.edit_original_response(view=None)


async def send_pages(
    interaction: discord.Interaction, pages: Sequence[discord.Embed], *, file: discord.File | None = None
) -> None:
    """The first page, with buttons when there is more than one; ``file`` stays with every page."""
    view = Pages(interaction, pages) if len(pages) > 1 else None
    await send_reply(interaction, embed=pages[0], view=view, file=file)
