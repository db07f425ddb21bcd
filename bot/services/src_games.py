"""The speedrun.com games a feature's servers follow, polled one after the other.

The first look at a game remembers what is there and posts nothing; when that look was made is
kept (in ``state_key``), so that after a restart the game is polled from there on, and what came
meanwhile is posted once. A game nobody follows any more is forgotten: followed again, it gets a
first look afresh. A game that cannot be read this poll is skipped, the others are not held up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

from bot.errors import ServiceError, UserFacingError
from bot.models.settings import Filters
from bot.storage.settings import FeatureSetting
from bot.storage.state import BotState

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Filters)
# poll_game(game id, when the bot first looked at it, the settings that follow it): how many new
FirstLook = Callable[[str], Awaitable[None]]
PollGame = Callable[[str, datetime, list[FeatureSetting[F]]], Awaitable[int]]


class FollowedGames(Generic[F]):
    def __init__(
        self,
        enabled: Callable[[], Awaitable[list[FeatureSetting[F]]]],
        state: BotState,
        *,
        state_key: str,
        stopping: Callable[[], bool],
    ) -> None:
        """``enabled()`` gives the feature's settings that are on, scoped by game id."""
        self._enabled = enabled
        self._state = state
        self._state_key = state_key  # {game id: when the bot first looked at it}
        self._stopping = stopping

    async def poll(self, first_look: FirstLook, poll_game: PollGame[F]) -> tuple[int, bool]:
        """Every followed game, the first time with ``first_look``, then with ``poll_game``; how many
        new items they found, and whether every game was read."""
        settings = await self._enabled()
        games = {s.scope for s in settings}
        followed: dict[str, str] = json.loads(await self._state.get(self._state_key) or "{}")
        new = 0
        read_all = True
        for game_id in sorted(games):
            if self._stopping():
                break
            try:
                if game_id in followed:
                    since = datetime.fromisoformat(followed[game_id])
                    new += await poll_game(game_id, since, [s for s in settings if s.scope == game_id])
                else:
                    await first_look(game_id)
                    followed[game_id] = datetime.now(UTC).isoformat()
            except (ServiceError, UserFacingError) as error:
                log.warning("speedrun.com game %s skipped this poll: %s", game_id, error)
                read_all = False
        await self._state.set(self._state_key, json.dumps({g: t for g, t in followed.items() if g in games}))
        return new, read_all
