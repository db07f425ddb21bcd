"""Replying to an interaction whatever state it is in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
from discord import InteractionResponseType

from bot.ui.reach import answers_privately
from bot.utils.rendering import fit_content, fit_embed


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Shows ``content`` only to the user, also after the command has already deferred.

    After a public defer, Discord turns the first followup into the (public) deferred reply
    whatever its flags say; so the "thinking…" message is removed first and the text comes as an
    ephemeral followup of its own.
    """
    content = fit_content(content)
    response = interaction.response
    if not response.is_done():
        await response.send_message(content, ephemeral=True)
        return
    if response.type is InteractionResponseType.deferred_channel_message:
        with contextlib.suppress(discord.NotFound):
            await interaction.delete_original_response()
    await interaction.followup.send(content, ephemeral=True)


@contextlib.asynccontextmanager
async def thinking_if_slow(
    interaction: discord.Interaction, after: float = 1.0, *, ephemeral: bool = False
) -> AsyncIterator[None]:
    """Shows "thinking…" (a public defer, unless ``ephemeral``) only if the block takes longer than
    ``after`` seconds.

    Quick answers then come as one plain reply, and slow ones are still acknowledged well within
    Discord's 3 seconds.
    """
    deferring = asyncio.Event()

    async def defer_later() -> None:
        await asyncio.sleep(after)
        deferring.set()
        await interaction.response.defer(thinking=True, ephemeral=ephemeral or answers_privately(interaction))

    timer = asyncio.create_task(defer_later())
    try:
        yield
    finally:
        if deferring.is_set():
            await timer  # the defer is under way: let it finish before anything else is sent
        else:
            timer.cancel()


async def send_reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | discord.ui.LayoutView | None = None,
    file: discord.File | None = None,
    ephemeral: bool = False,
) -> None:
    """The command's answer (public unless ``ephemeral``, or where Discord would show it only to the
    member anyway), whether or not it deferred first; cut to
    Discord's limits should it be over them."""
    given = {
        "content": fit_content(content) if content is not None else None,
        "embed": fit_embed(embed) if embed is not None else None,
        "view": view,
        "file": file,
    }
    extras: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    extras["ephemeral"] = ephemeral or answers_privately(interaction)
    if interaction.response.is_done():
        await interaction.followup.send(**extras)
    else:
        await interaction.response.send_message(**extras)
