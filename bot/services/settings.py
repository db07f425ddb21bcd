"""The rules of /config: what a server may set for each posting feature, checked against HaloRuns
and speedrun.com, and what its settings are as /config show lists them.

A server follows at most ``MAX_GAMES`` speedrun.com games for each per-game feature (announcements
of verified runs, ``src``; the verification queue, ``queue``); games and difficulties are kept as
HaloRuns spells them, whatever case or punctuation the admin typed. World-record announcements are
set once per set of games (every game when none is named), each setting with its own channel and
role, at most ``MAX_ANNOUNCEMENTS`` in a server: the first under the key ``announcements`` (as a
server's one setting always was), the others under ``announcements:<digest of their games>``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from bot.clients.speedrun import SpeedrunClient
from bot.errors import ServiceError, UserFacingError
from bot.models import speedrun as api
from bot.models.settings import (
    AnnouncementFilters,
    Filters,
    RecapFilters,
    SrcAnnouncementFilters,
    SrcQueueFilters,
    StreamAlertFilters,
)
from bot.services.haloruns.service import HaloRuns
from bot.storage.settings import (
    Feature,
    FeatureSetting,
    GameFeature,
    GuildSettings,
    has_filters,
    scoped,
)
from bot.utils.matching import did_you_mean, named, normalize
from bot.utils.rendering import plain, quoted

DIFFICULTIES = ("Easy", "Normal", "Heroic", "Legendary", "Any Difficulty")
MAX_GAMES = 20  # speedrun.com games one server may follow: each costs requests at every poll
MAX_ANNOUNCEMENTS = 10  # announcement settings (sets of games) in one server

S = TypeVar("S", bound=FeatureSetting[Filters])
GAME_FILTERS: dict[GameFeature, type[SrcAnnouncementFilters | SrcQueueFilters]] = {
    "src": SrcAnnouncementFilters,
    "queue": SrcQueueFilters,
}


@dataclass(frozen=True, slots=True)
class Overview:
    """A server's settings: its announcement settings (all games first, then by their games),
    stream alerts' (``None`` while never set), and one per followed speedrun.com game, by the
    game's name."""

    announcements: list[FeatureSetting[AnnouncementFilters]]
    streams: FeatureSetting[StreamAlertFilters] | None
    src: list[FeatureSetting[SrcAnnouncementFilters]]
    queue: list[FeatureSetting[SrcQueueFilters]]
    recap: FeatureSetting[RecapFilters] | None = None


def followed_name(setting: FeatureSetting[SrcAnnouncementFilters | SrcQueueFilters]) -> str:
    """The name a speedrun.com setting goes by: its game's, or its key if that was not kept."""
    return setting.filters.game or setting.feature


def games_named(games: Iterable[str]) -> str:
    """The games of an announcement setting, as a member may name them: ``Halo 3, Halo 4``."""
    return ", ".join(games)


def _game_set(games: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize(game) for game in games)


def spelled(names: list[str], known: list[str], what: str) -> tuple[str, ...]:
    """Each of ``names`` spelled as HaloRuns spells it; an unknown one is an error with suggestions."""
    chosen = []
    for name in names:
        found = named(known, name)
        if found is None:
            raise UserFacingError(f"HaloRuns has no {what} {quoted(name)}.{did_you_mean(known, name)}")
        chosen.append(found)
    return tuple(chosen)


class ServerSettings:
    def __init__(self, settings: GuildSettings, haloruns: HaloRuns, speedrun: SpeedrunClient) -> None:
        self._settings = settings
        self._haloruns = haloruns
        self._speedrun = speedrun

    async def announcements(
        self,
        guild_id: int,
        channel_id: int,
        role_id: int | None,
        *,
        games: list[str],
        difficulties: list[str],
        extensions: bool,
    ) -> FeatureSetting[AnnouncementFilters]:
        """Turns world-record announcements of ``games`` (every game when empty) on, or changes
        them: one setting per set of games, within ``MAX_ANNOUNCEMENTS``."""
        filters = AnnouncementFilters(
            games=await self._games(games),
            difficulties=spelled(difficulties, list(DIFFICULTIES), "difficulty"),
            extensions=extensions,
        )
        key = await self._announcements_key(guild_id, filters.games)
        return await self._save(FeatureSetting(guild_id, key, channel_id, role_id, filters))

    async def _announcements_key(self, guild_id: int, games: tuple[str, ...]) -> str:
        """The key of the server's announcement setting of these games: the one it has, else
        ``announcements`` while that is free (or off), else one of their own, or at the most
        settings, that of one turned off."""
        settings = _announcements((await self._settings.of_guild(guild_id)).values())
        same = next((s for s in settings if _game_set(s.filters.games) == _game_set(games)), None)
        if same is not None:
            return same.feature
        if len(settings) >= MAX_ANNOUNCEMENTS:
            if off := next((s for s in settings if not s.enabled), None):
                return off.feature  # a setting turned off makes way
            raise UserFacingError(
                f"This server has {len(settings)} announcement settings, the most it can: turn one off "
                "with `/config disable announcements game` first."
            )
        first = next((s for s in settings if s.feature == "announcements"), None)
        if first is None or not first.enabled:
            return "announcements"
        digest = hashlib.sha1("\n".join(sorted(_game_set(games))).encode(), usedforsecurity=False)
        return scoped("announcements", digest.hexdigest()[:16])

    async def streams(
        self,
        guild_id: int,
        channel_id: int,
        role_id: int | None,
        *,
        games: list[str],
        on_end: Literal["edit", "delete"],
    ) -> FeatureSetting[StreamAlertFilters]:
        """Turns stream alerts on (or changes them)."""
        filters = StreamAlertFilters(games=await self._games(games), on_end=on_end)
        return await self._save(FeatureSetting(guild_id, "streams", channel_id, role_id, filters))

    async def src(
        self, guild_id: int, channel_id: int, role_id: int | None, *, game: str, mode: Literal["all", "wr"]
    ) -> FeatureSetting[SrcAnnouncementFilters]:
        """Follows the speedrun.com game ``game`` names (or changes how), within ``MAX_GAMES``."""
        found = await self._game_to_follow(guild_id, "src", game)
        filters = SrcAnnouncementFilters(game=found.name, mode=mode)
        return await self._save(
            FeatureSetting(guild_id, scoped("src", found.id), channel_id, role_id, filters)
        )

    async def queue(
        self, guild_id: int, channel_id: int, role_id: int | None, *, game: str
    ) -> FeatureSetting[SrcQueueFilters]:
        """Posts the verification queue of the speedrun.com game ``game`` names (or moves it),
        within ``MAX_GAMES``."""
        found = await self._game_to_follow(guild_id, "queue", game)
        filters = SrcQueueFilters(game=found.name)
        return await self._save(
            FeatureSetting(guild_id, scoped("queue", found.id), channel_id, role_id, filters)
        )

    async def _game_to_follow(self, guild_id: int, feature: GameFeature, game: str) -> api.Game:
        found = await self._speedrun.game(game)
        followed = await self.followed(guild_id, feature)
        if found.id not in followed and len(followed) >= MAX_GAMES:
            raise UserFacingError(
                f"This server follows {len(followed)} speedrun.com games, the most it can: "
                f"turn one off with `/config disable {feature} game` first."
            )
        return found

    async def recap(
        self, guild_id: int, channel_id: int, role_id: int | None, *, day: int, hour: int, now: datetime
    ) -> FeatureSetting[RecapFilters]:
        """Turns the weekly recap on (or changes when): the first one is due at the first such
        weekday and hour from the start of the current hour on."""
        since = now.replace(minute=0, second=0, microsecond=0)
        filters = RecapFilters(day=day, hour=hour, since=since)
        return await self._save(FeatureSetting(guild_id, "recap", channel_id, role_id, filters))

    async def overview(self, guild_id: int) -> Overview:
        settings = await self._settings.of_guild(guild_id)
        streams = settings.get("streams")
        recap = settings.get("recap")
        announcements = _announcements(settings.values())
        return Overview(
            sorted(
                announcements, key=lambda s: (bool(s.filters.games), games_named(s.filters.games).casefold())
            ),
            streams if streams and has_filters(streams, StreamAlertFilters) else None,
            _followed(settings.values(), "src", SrcAnnouncementFilters),
            _followed(settings.values(), "queue", SrcQueueFilters),
            recap if recap and has_filters(recap, RecapFilters) else None,
        )

    async def followed(self, guild_id: int, feature: GameFeature = "src") -> dict[str, str]:
        """{game id: name} of the speedrun.com games the server follows with ``feature`` (on or off)."""
        settings = (await self._settings.of_guild(guild_id)).values()
        return {s.scope: followed_name(s) for s in _followed(settings, feature, GAME_FILTERS[feature])}

    async def disable(
        self, guild_id: int, feature: Feature, game: str | None, reason: str
    ) -> tuple[bool, str | None]:
        """Turns a feature off in the server (for ``src`` and ``queue``, perhaps only one followed
        game; for ``announcements``, the setting of the games ``game`` names); whether it was on, and
        the name of the game (or games) ``game`` named."""
        if game is not None and feature not in ("announcements", *GAME_FILTERS):
            raise UserFacingError(
                "`game` goes with `announcements`, `src` and `queue` only: "
                "the other features are set per server."
            )
        key: str = feature
        name = None
        if game is not None and feature == "announcements":
            setting = self._announcements_of(
                _announcements((await self._settings.of_guild(guild_id)).values()), game
            )
            key, name = setting.feature, games_named(setting.filters.games) or "every game"
        elif game is not None and (feature == "src" or feature == "queue"):
            followed = await self.followed(guild_id, feature)
            game_id = await self._followed_game(followed, game)
            key, name = scoped(feature, game_id), followed[game_id]
        return await self._settings.disable(guild_id, key, reason, exactly=game is not None), name

    @staticmethod
    def _announcements_of(
        settings: list[FeatureSetting[AnnouncementFilters]], game: str
    ) -> FeatureSetting[AnnouncementFilters]:
        """The announcement setting ``game`` names: by all of its games, comma-separated, or by one
        that only one setting has."""
        games = _game_set(part.strip() for part in game.split(",") if part.strip())
        if not games:
            raise UserFacingError("Name the game (or the games, comma-separated) of the setting to turn off.")
        found = [s for s in settings if _game_set(s.filters.games) == games]
        found = found or [s for s in settings if games <= _game_set(s.filters.games)]
        if len(found) > 1:
            sets = "; ".join(sorted((games_named(s.filters.games) for s in found), key=str.casefold))
            raise UserFacingError(
                f"{quoted(game)} is in more than one announcement setting ({plain(sets, 1000)}): "
                "name one by all of its games, comma-separated."
            )
        if not found:
            raise UserFacingError(f"This server has no announcement setting of {quoted(game)}.")
        return found[0]

    async def _followed_game(self, followed: dict[str, str], game: str) -> str:
        """The id of the followed game ``game`` names: by id or name, else as speedrun.com finds it
        (an abbreviation, say)."""
        found = next((g for g, n in followed.items() if game in (g, n)), None)
        if found is None and (name := named(followed.values(), game)) is not None:
            found = next(g for g, n in followed.items() if n == name)
        if found is None:
            with contextlib.suppress(UserFacingError, ServiceError):
                found = (await self._speedrun.game(game)).id
        if found is None or found not in followed:
            raise UserFacingError(f"This server does not follow {quoted(game)} on speedrun.com.")
        return found

    async def _games(self, names: list[str]) -> tuple[str, ...]:
        if not names:
            return ()
        async with self._haloruns.deadline():
            catalog = await self._haloruns.catalog()
        return spelled(names, [game.name for game in catalog.games], "game")

    async def _save(self, setting: S) -> S:
        await self._settings.save(setting)
        return setting


def _announcements(settings: Iterable[FeatureSetting[Filters]]) -> list[FeatureSetting[AnnouncementFilters]]:
    """The announcement settings among ``settings``."""
    return [s for s in settings if s.family == "announcements" and has_filters(s, AnnouncementFilters)]


G = TypeVar("G", bound=SrcAnnouncementFilters | SrcQueueFilters)


def _followed(
    settings: Iterable[FeatureSetting[Filters]], feature: GameFeature, model: type[G]
) -> list[FeatureSetting[G]]:
    """The settings of the speedrun.com games followed with ``feature`` among ``settings``, by name."""
    found = [s for s in settings if s.family == feature and has_filters(s, model)]
    return sorted(found, key=lambda s: followed_name(s).casefold())
