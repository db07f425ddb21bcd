"""The command tree: one place that turns every command error into what the user sees."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import user_message
from bot.ui.replies import send_ephemeral

if TYPE_CHECKING:
    from bot.app import HaloBot

log = logging.getLogger(__name__)

# discord.py's own check failures carry messages meant for the user.
_CHECK_ERRORS = (app_commands.CheckFailure, app_commands.TransformerError)


def apology(error_id: str) -> str:
    return f"Sorry, something went wrong on our side. It has been logged as error `{error_id}`."


def shard_of(interaction: discord.Interaction[HaloBot]) -> int:
    """The shard the interaction came on (direct messages come on shard 0)."""
    count = interaction.client.shard_count or 1
    return (interaction.guild_id >> 22) % count if interaction.guild_id else 0


class HaloTree(app_commands.CommandTree["HaloBot"]):
    async def interaction_check(self, interaction: discord.Interaction[HaloBot]) -> bool:
        if interaction.type is discord.InteractionType.application_command and interaction.command:
            self.client.telemetry.command_served(interaction.command.qualified_name, shard_of(interaction))
        return True

    async def on_error(
        self, interaction: discord.Interaction[HaloBot], error: app_commands.AppCommandError
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "unknown"
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await report_error(interaction, cause, name)


async def report_error(interaction: discord.Interaction[HaloBot], error: BaseException, name: str) -> None:
    """Tells the user what went wrong with ``name`` (a command, or a form it opened): the words
    ``user_message`` chooses for an error they can fix or should know (and discord.py's check
    failures), else an apology with the id under which the error is logged."""
    words = str(error) if isinstance(error, _CHECK_ERRORS) else user_message(error)
    if words is not None:
        kind, message = type(error).__name__, words
        log.info("/%s refused: %s", name, message)
    else:
        kind, error_id = "internal", secrets.token_hex(4)
        message = apology(error_id)
        log.error("/%s failed, error id %s", name, error_id, exc_info=error)
    interaction.client.telemetry.command_failed(name, kind, shard_of(interaction))
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete can only answer with choices
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("Could not tell the user about the error in /%s", name, exc_info=True)
