"""The bot's errors, and the one place that chooses the words a user reads for each.

Two kinds: a ``UserFacingError`` is raised by a feature with its message already written for the
person who ran the command ("HaloRuns has no level …"). The others are plain domain errors raised by
the clients and the storage (an upstream failing or refusing, a key that can no longer be read):
they say what happened and name no command, so a background job catches them like any exception,
and ``user_message`` turns them into what a member reads (the tree's error handler, and a run
submission's preview, show them through it).
"""

from __future__ import annotations

from discord import app_commands

SET_KEY_AGAIN = "Copy it again from <https://www.speedrun.com/api/auth> and run `/src key set` again."
SET_AGAIN = "Your speedrun.com API key can no longer be read: set it again with `/src key set`."


class UserFacingError(app_commands.AppCommandError):
    """Something the user can fix or should know; its message is shown to them ephemerally."""


class StartupError(Exception):
    """The bot cannot start for a reason the operator can fix; the message says which."""


class ServiceError(Exception):
    """An upstream service failed, refused or has no such thing: what a caller of a client catches."""


class UpstreamError(ServiceError):
    """``service`` failed or answered with something unusable; ``problem`` says how ("it answered
    HTTP 500"), and is the error's message."""

    def __init__(self, service: str, problem: str, *, detail: str | None = None) -> None:
        super().__init__(problem)
        self.service = service
        self.problem = problem
        self.detail = detail  # for the operator: what exactly did not fit


class NotFound(ServiceError):
    """The service has no such thing; the message says what was looked for."""


class Refused(ServiceError):
    """speedrun.com refused the request (HTTP 4xx); the message carries its own reason, ``errors``
    its list of problems where it gives one (a refused submission)."""

    def __init__(self, status: int, message: str, errors: list[str]) -> None:
        super().__init__(f"speedrun.com refused the request: {message}")
        self.status = status
        self.reason = message
        self.errors = errors


class RunRefused(ServiceError):
    """speedrun.com refused a submitted run (HTTP 400), saying why in ``errors``."""

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(f"speedrun.com refused the run: {message}")
        self.errors = errors


class KeyRefused(ServiceError):
    """speedrun.com does not accept a member's API key, or the text is no key; the message says
    which, without the key."""


class KeyUnreadable(Exception):
    """A member's stored API key was sealed under another secret and can no longer be read."""


def user_message(error: BaseException) -> str | None:
    """What a member reads for ``error``; ``None`` for an error that is the bot's own fault."""
    if isinstance(error, UpstreamError):
        return (
            f"{error.service} is not answering properly right now: {error.problem}. Please try again later."
        )
    if isinstance(error, KeyRefused):
        return f"{error} {SET_KEY_AGAIN}"
    if isinstance(error, KeyUnreadable):
        return SET_AGAIN
    if isinstance(error, UserFacingError | ServiceError):
        return str(error)
    return None
