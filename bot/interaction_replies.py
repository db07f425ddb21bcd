"""Replying to an interaction whatever state it is in."""

from __future__ import annotations

import contextlib

import discord
from discord import InteractionResponseType


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Shows ``content`` only to the user, also after the command has already deferred.

    After a public defer, Discord turns the first followup into the (public) deferred reply
    whatever its flags say; so the "thinking…" message is removed first and the text comes as an
    ephemeral followup of its own.
    """
    response = interaction.response
    if not response.is_done():
        await response.send_message(content, ephemeral=True)
        return
    if response.type is InteractionResponseType.deferred_channel_message:
        with contextlib.suppress(discord.NotFound):
            await interaction.delete_original_response()
    await interaction.followup.send(content, ephemeral=True)
