"""Where a command was used: in a server with the bot, in a server where only the member added the
app to their account, in a DM with the bot or in a group DM.

A member's own install (a user install) reaches every server and DM, but there the bot is no
member: it has no channels, no roles and no permissions, and answers only through the interaction.
"""

from __future__ import annotations

import discord

from bot.errors import UserFacingError

NOT_IN_THIS_SERVER = (
    "The bot is not in this server, so it cannot post here: a server admin can invite it "
    "(with the bot scope) and then set it up with /config."
)


def bot_in_server(interaction: discord.Interaction) -> bool:
    """Whether the bot is a member of the server the command was used in (``False`` in DMs)."""
    return interaction.guild_id is not None and interaction.client.get_guild(interaction.guild_id) is not None


def answers_privately(interaction: discord.Interaction) -> bool:
    """Whether answers must be ephemeral: in a server without the bot whose member may not use
    external apps there, Discord shows a user-installed app's answers only to the member anyway."""
    if interaction.guild_id is None or bot_in_server(interaction):
        return False
    return not interaction.permissions.use_external_apps


def require_bot_in_server(interaction: discord.Interaction) -> None:
    """Refuses a command that needs the bot in the server (its channels, roles or posts) elsewhere."""
    if not bot_in_server(interaction):
        raise UserFacingError(NOT_IN_THIS_SERVER)
