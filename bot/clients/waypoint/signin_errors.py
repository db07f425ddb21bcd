"""What goes wrong with the Microsoft sign-in behind Halo Waypoint, and what the operator does.

Apart from ``bot.clients.waypoint.microsoft_signin`` so that naming them does not load MSAL and requests,
which the bot imports only when Halo Infinite is turned on (or for ``infinite-login``).
"""

from __future__ import annotations

SIGN_IN_AGAIN = "run `python -m bot infinite-login` on the bot's machine"


class SignedOut(Exception):
    """There is no usable Microsoft sign-in; the message says why, for the operator."""


class SignInUnreachable(Exception):
    """The Microsoft sign-in service could not be reached or answered nonsense."""
