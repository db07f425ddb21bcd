"""Errors with a message written for the person who ran the command."""

from discord import app_commands


class UserFacingError(app_commands.AppCommandError):
    """Something the user can fix or should know; its message is shown to them ephemerally."""


class StartupError(Exception):
    """The bot cannot start for a reason the operator can fix; the message says which."""


class UpstreamError(UserFacingError):
    """An upstream service failed or answered with something unusable; the message names it."""

    def __init__(self, service: str, problem: str, *, detail: str | None = None) -> None:
        super().__init__(f"{service} is not answering properly right now: {problem}. Please try again later.")
        self.service = service
        self.problem = problem
        self.detail = detail  # for the operator: what exactly did not fit
