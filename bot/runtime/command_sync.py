"""Pushing the slash-command definitions to Discord, only when they changed since the last push."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import discord
from discord import app_commands

from bot.storage.state import BotState

log = logging.getLogger(__name__)


def definitions_hash(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> str:
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    encoded = json.dumps(sorted(payload, key=lambda c: (c["type"], c["name"])), sort_keys=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


async def sync_commands(
    tree: app_commands.CommandTree, state: BotState, guild_ids: Sequence[int], *, force: bool
) -> list[str]:
    """Syncs to each of ``guild_ids``, or globally when there are none. Returns the scopes pushed."""
    guilds: list[discord.Object | None] = [discord.Object(id=i) for i in guild_ids] or [None]
    pushed = []
    for guild in guilds:
        if guild is not None:
            tree.copy_global_to(guild=guild)
        scope = f"guild {guild.id}" if guild else "global"
        key = f"commands.hash.{scope.replace(' ', ':')}"
        digest = definitions_hash(tree, guild)
        if not force and await state.get(key) == digest:
            log.info("Slash commands (%s) unchanged since the last sync", scope)
            continue
        synced = await tree.sync(guild=guild)
        await state.set(key, digest)
        log.info("Synced %d slash commands (%s)", len(synced), scope)
        pushed.append(scope)
    return pushed
