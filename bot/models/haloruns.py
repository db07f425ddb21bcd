"""The bot's own view of HaloRuns, the same whichever API generation the data came from."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import with_config

from bot.models.deferred import DEFERRED

FULL_GAME = "Full Game"
SOLO = "Solo"
COOP = "Coop"


@dataclass(frozen=True, slots=True)
class Option:
    """A category or difficulty of a game: its name and the id the API knows it by."""

    name: str
    id: str


@dataclass(frozen=True, slots=True)
class Game:
    name: str
    id: str
    number: str | None  # the 2-digit game number of the level IDs, where the game has one
    categories: tuple[Option, ...]
    difficulties: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class Level:
    game: Game
    name: str
    id: str  # what the API knows the level by: a segment id (content) or the level ID (legacy)
    code: str | None  # the 4-character level ID (game number + level number), where there is one

    @property
    def full_game(self) -> bool:
        return self.name == FULL_GAME

    @property
    def label(self) -> str:
        """``Halo: Reach — Tip of the Spear (0504)``."""
        suffix = f" ({self.code})" if self.code else ""
        return f"{self.game.name} — {self.name}{suffix}"

    @property
    def key(self) -> str:
        """What an autocomplete choice stands for: the level ID, else the API's id."""
        return self.code or self.id


@dataclass(frozen=True, slots=True)
class Runner:
    name: str
    vod: str | None = None


@with_config(DEFERRED)  # kept in the database through pydantic
@dataclass(frozen=True, slots=True)
class Run:
    """A verified run, or a world record with what it replaced."""

    game: str
    level: str
    category: str
    difficulty: str
    seconds: float
    runners: tuple[Runner, ...]
    date: datetime | None = None
    points: float | None = None
    board_url: str | None = None
    tie: bool = False
    previous: Run | None = None
    id: str | None = None  # HaloRuns' id of the run, where the API gives one

    @property
    def board(self) -> str:
        """``Halo 4 Shutdown — Solo Legendary``."""
        return f"{self.game} {self.level} — {' '.join(filter(None, [self.category, self.difficulty]))}"

    @property
    def vod(self) -> str | None:
        return next((runner.vod for runner in self.runners if runner.vod), None)

    @property
    def extension(self) -> bool:
        """In an extension category (neither Solo nor Coop)."""
        return self.category not in (SOLO, COOP, "")

    @property
    def key(self) -> str:
        """Identity of the run: HaloRuns' id, else its fingerprint."""
        return f"id:{self.id}" if self.id else self.fingerprint

    @property
    def fingerprint(self) -> str:
        """A digest of what makes the run (board, time, runners), whatever else the feed adds or drops."""
        parts = [self.game, self.level, self.category, self.difficulty, f"{self.seconds:.3f}"]
        parts += sorted(runner.name.casefold() for runner in self.runners)
        text = "\x1f".join(part.casefold() for part in parts)
        return "sha1:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class BoardRecord:
    """The world record of one board; more than one run when it is tied."""

    category: str
    difficulty: str
    runs: tuple[Run, ...]
    board_url: str | None = None


@dataclass(frozen=True, slots=True)
class RunFeed:
    runs: tuple[Run, ...]
    how: str | None = None  # how the list was derived, where HaloRuns does not give it directly


@dataclass(frozen=True, slots=True)
class RunnerProfile:
    name: str
    points: float | None
    world_records: int | None
    latest_run: Run | None
    url: str | None = None


@with_config(DEFERRED)  # kept in the database through pydantic
@dataclass(frozen=True, slots=True)
class Stream:
    runner: str
    title: str
    viewers: int | None
    started_at: datetime | None
    url: str | None
    game: str | None = None
    image: str | None = None  # the runner's picture

    @property
    def key(self) -> str:
        """Who is streaming: the runner's name, which both API generations give every time."""
        return f"name:{self.runner.casefold()}"


@dataclass(frozen=True, slots=True)
class StreamList:
    """Who is live, and when HaloRuns regenerated the list (``None``: the list does not say)."""

    streams: list[Stream]
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Holders:
    names: tuple[str, ...]
    how: str | None = None  # how the list was derived, where HaloRuns does not give it directly

    @classmethod
    def of(cls, names: Iterable[str], how: str | None = None) -> Holders:
        """Each name once (the first spelling seen), in alphabetical order."""
        unique: dict[str, str] = {}
        for name in names:
            unique.setdefault(name.casefold(), name)
        return cls(tuple(sorted(unique.values(), key=str.casefold)), how)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every game and level (full-game boards included) the bot can look up."""

    games: tuple[Game, ...]
    levels: tuple[Level, ...]
    by_key: dict[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {level.id: level for level in self.levels} | {
            level.code: level for level in self.levels if level.code
        }
        object.__setattr__(self, "by_key", keys)
