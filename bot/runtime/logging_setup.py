"""One logging setup for the process, with every secret masked before a line is written."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# Interaction and webhook tokens appear in the URLs and payloads discord.py logs at DEBUG level.
_URL_TOKENS = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/?\s]+")
_TOKEN_FIELDS = re.compile(r"""(['"](?:\w*_)?token['"]\s*:\s*['"])[^'"]+""", re.IGNORECASE)
MASK = "***"


def masked(text: str, secrets: Iterable[str]) -> str:
    """``text`` with the secrets and any URL or field tokens in it masked."""
    text = _URL_TOKENS.sub(rf"\g<1>{MASK}", text)
    text = _TOKEN_FIELDS.sub(rf"\g<1>{MASK}", text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks configured secrets and URL tokens, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return masked(super().format(record), self._secrets)


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # From INFO up, whatever the level:
    # - at DEBUG, discord.py logs every gateway event whole, and with them what members type into
    #   forms, such as their speedrun.com API keys;
    # - aiosqlite logs every database call twice at DEBUG from its own thread, which goes on
    #   logging after the event loop is done with it, past the last line of a failed start
    #   (bot.storage.database logs each statement, and its time, at DEBUG).
    for chatty in ("discord.gateway", "aiosqlite"):
        logging.getLogger(chatty).setLevel(max(logging.getLevelName(level), logging.INFO))
    # Alembic logs each step of a migration at INFO; the bot says in one line where the database
    # is (bot.storage.database), and the steps show only at DEBUG.
    logging.getLogger("alembic").setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
    # The bot has no voice features; discord.py's warnings about missing voice libraries mislead.
    logging.getLogger("discord.client").addFilter(lambda record: "voice will NOT" not in record.getMessage())
