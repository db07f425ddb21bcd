"""Errors with a message written for the person who ran the command."""

from discord import app_commands


class UserFacingError(app_commands.AppCommandError):
    """Something the user can fix or should know; its message is shown to them ephemerally."""


class UpstreamError(UserFacingError):
    """An external service failed; the message names the service and what happened."""

    def __init__(self, service: str, problem: str) -> None:
        super().__init__(
            f"{service} is not answering properly right now ({problem}). Please try again later."
        )
        self.service = service
        self.problem = problem


class StartupError(Exception):
    """The bot cannot start for a reason the operator can fix; the message says which."""
