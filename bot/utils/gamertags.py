"""Xbox gamertags, checked before any request is made with one."""

from __future__ import annotations

import re

from bot.errors import UserFacingError
from bot.utils.rendering import quoted

MAX_LENGTH = 15
# Letters (any script), digits and single spaces, starting with a letter or digit; then an
# optional "#1234" suffix that modern gamertags carry.
_GAMERTAG = re.compile(r"(?P<name>[^\W_](?:[^\W_]| (?=[^\W_]))*)(?P<suffix>#\d{1,4})?")


class InvalidGamertag(UserFacingError):
    """The text cannot be an Xbox gamertag."""


def gamertag(text: str) -> str:
    """``text`` as a gamertag (surrounding spaces removed); ``InvalidGamertag`` when it cannot be one."""
    candidate = text.strip()
    match = _GAMERTAG.fullmatch(candidate)
    if match is None or len(match["name"]) > MAX_LENGTH:
        raise InvalidGamertag(
            f"{quoted(candidate, 40)} is not an Xbox gamertag: up to {MAX_LENGTH} letters, digits and "
            "single spaces, optionally followed by a suffix such as #1234."
        )
    return candidate
