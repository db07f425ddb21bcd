"""The private form in which a member links their speedrun.com API key (``/src key set``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.clients.speedrun import checked_api_key
from bot.storage.speedrun_keys import SpeedrunKeys
from bot.ui.replies import send_ephemeral, thinking_if_slow
from bot.ui.tree import report_error
from bot.utils.rendering import plain

if TYPE_CHECKING:
    from bot.app import HaloBot

COMMAND = "src key set"


class KeyForm(discord.ui.Modal, title="Link your speedrun.com API key"):
    api_key: discord.ui.TextInput[KeyForm] = discord.ui.TextInput(
        label="API key",
        placeholder="Shown at speedrun.com/api/auth once you are signed in",
        min_length=8,
        max_length=250,
    )

    def __init__(self, keys: SpeedrunKeys) -> None:
        super().__init__()
        self._keys = keys

    async def on_submit(self, interaction: discord.Interaction[HaloBot]) -> None:  # type: ignore[override]
        key = checked_api_key(self.api_key.value)  # before any request is made with it
        bot = interaction.client
        async with thinking_if_slow(interaction):
            profile = await bot.speedrun.profile(key)
            name = profile.display_name
            await self._keys.link(interaction.user.id, key, profile.id or "", name)
        await send_ephemeral(
            interaction,
            f"Linked as **{plain(name, 100)}** on speedrun.com: `/src submit` now submits runs in that "
            "name. `/src key remove` forgets the key.",
        )

    async def on_error(self, interaction: discord.Interaction[HaloBot], error: Exception) -> None:  # type: ignore[override]
        await report_error(interaction, error, COMMAND)
