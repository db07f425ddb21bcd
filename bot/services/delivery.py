"""Posting to many servers: what can go wrong with one post, and the pace all posts keep.

Discord allows a bot 50 requests a second in all, which ``bot.runtime.discord_limit`` keeps for
every request the bot makes (posts, publications, edits, lookups), paced from what Discord answers.
The bot's posts (announcements, stream alerts) also share one pace, at that limit, so that posts
alone never ask for more than Discord allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiolimiter import AsyncLimiter

from bot.runtime.discord_limit import GLOBAL_LIMIT

RATE_LIMITED_TRIES = 5
FAILURE_LIMIT = 3  # refusals in a row (channel gone, permission removed) before a server is turned off

T = TypeVar("T")


class DeliveryRefused(Exception):
    """Discord refused the post for a reason only the server's admins can fix."""


class PostRejected(Exception):
    """Discord rejected this one post (a 4xx other than refusals and rate limits): it is given up."""


class SlowDown(Exception):
    """Discord is rate limiting the bot beyond what its HTTP client retries: wait ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:g} s")
        self.seconds = seconds


class MessageGone(Exception):
    """A message the bot keeps up to date is not there any more (deleted by a moderator, say)."""


class ServerUnavailable(Exception):
    """The server is out of reach for now (an outage, a reconnect): the post waits for a later poll."""


def post_pace() -> AsyncLimiter:
    """The pace every post of one bot keeps: no more a second than Discord's global limit."""
    return AsyncLimiter(GLOBAL_LIMIT, 1)


async def paced(pace: AsyncLimiter, attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()`` within the pace, again after a wait while Discord says to slow down."""
    for _ in range(RATE_LIMITED_TRIES - 1):
        await pace.acquire()
        try:
            return await attempt()
        except SlowDown as slow_down:
            await asyncio.sleep(slow_down.seconds)
    await pace.acquire()
    return await attempt()
