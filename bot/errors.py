"""Errors with a message written for the person who ran the command."""

from discord import app_commands


class UserFacingError(app_commands.AppCommandError):
    """Something the user can fix or should know; its message is shown to them ephemerally."""


class StartupError(Exception):
    """The bot cannot start for a reason the operator can fix; the message says which."""
