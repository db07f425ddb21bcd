"""Secrets never reach a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.runtime.logging_setup import RedactingFormatter, setup_logging


def formatted(message: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, message, args, (type(exc), exc, None) if exc else None
    )
    return RedactingFormatter("%(message)s", ["bot-token-123"]).format(record)


def test_configured_secrets_are_masked_also_in_tracebacks() -> None:
    line = formatted("login with %s", "bot-token-123", exc=RuntimeError("bad token bot-token-123"))

    assert "bot-token-123" not in line
    assert line.startswith("login with ***")
    assert "RuntimeError: bad token ***" in line


def test_interaction_and_webhook_tokens_are_masked() -> None:
    line = formatted(
        "POST http://x/api/v10/interactions/123/aW50ZXJhY3Rpb24/callback then /webhooks/9/tok-en/messages "
        "payload {'token': 'aW50ZXJhY3Rpb24', \"refresh_token\": \"M.R3_BAY\"}"
    )

    assert "aW50ZXJhY3Rpb24" not in line
    assert "tok-en" not in line
    assert "M.R3_BAY" not in line
    assert "/interactions/123/***/callback" in line


@pytest.fixture
def debug_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging("DEBUG", [])
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        for name in ("discord.gateway", "aiosqlite"):
            logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.usefixtures("debug_logging")
def test_gateway_events_are_never_logged_whole_even_at_debug() -> None:
    gateway = logging.getLogger("discord.gateway")
    assert not gateway.isEnabledFor(logging.DEBUG), "they carry what members type into forms"
    assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)


@pytest.mark.usefixtures("debug_logging")
def test_the_database_thread_is_quiet_even_at_debug() -> None:
    # aiosqlite's worker thread logged after the last line of a failed start, even inside it.
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.INFO)
