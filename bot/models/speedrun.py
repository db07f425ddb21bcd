"""Payloads of speedrun.com's REST API v1 (``docs/apis.md`` §2, fixtures in ``fixtures/speedrun``).

Everything comes in an envelope, ``{"data": ...}``, lists with ``pagination``. An embedded object
(``embed=game,category,level,players``) replaces its id with ``{"data": object}``; the embedded
level of a full-game run is ``{"data": []}``. Both forms parse into the same models here.

A run without video links comes as ``"videos": null`` or as ``"videos": {"text": null, "links":
null}`` (speedruncomorg/api#58): both are a run like any other, with no video.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BeforeValidator, Field, TypeAdapter

from bot.models.deferred import Frozen
from bot.models.lenient import MaybeMoment, Payload, SkipInvalid

T = TypeVar("T")


class Link(Payload):
    rel: str | None = None
    uri: str


class Names(Payload):
    international: str
    japanese: str | None = None


class Category(Payload):
    id: str
    name: str
    type: str = "per-game"  # or "per-level"
    weblink: str | None = None
    miscellaneous: bool = False


class Level(Payload):
    id: str
    name: str
    weblink: str | None = None


Timing = Literal["realtime", "realtime_noloads", "ingame"]
TIMINGS: dict[Timing, str] = {
    "realtime": "Real time",
    "realtime_noloads": "Real time without loads",
    "ingame": "In-game time",
}


class Ruleset(Payload):
    show_milliseconds: bool = Field(False, alias="show-milliseconds")
    require_video: bool = Field(False, alias="require-video")
    run_times: Annotated[list[Timing], SkipInvalid] = Field(["realtime"], alias="run-times")
    default_time: Timing = Field("realtime", alias="default-time")
    emulators_allowed: bool = Field(False, alias="emulators-allowed")


class System(Payload):
    """A platform or a region (``embed=platforms,regions``)."""

    id: str
    name: str


def _unwrap_list(value: Any) -> Any:
    """An embedded ``{"data": [...]}`` list becomes the list."""
    return value["data"] if isinstance(value, dict) and set(value) == {"data"} else value


class Asset(Payload):
    uri: str | None = None


class Game(Payload):
    id: str
    names: Names
    abbreviation: str | None = None
    weblink: str | None = None
    released: int | None = None
    ruleset: Ruleset = Field(default_factory=Ruleset)
    # Ids, or the platforms and regions themselves when embedded.
    platforms: Annotated[list[str | System], BeforeValidator(_unwrap_list), SkipInvalid] = Field(
        default_factory=list
    )
    regions: Annotated[list[str | System], BeforeValidator(_unwrap_list), SkipInvalid] = Field(
        default_factory=list
    )

    # The game's pictures by kind ("cover-medium", "logo", ...); a kind may be null.
    assets: dict[str, Asset | None] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.names.international

    @property
    def cover(self) -> str | None:
        """The link of the game's cover, if speedrun.com has one."""
        covers = (self.assets.get(kind) for kind in ("cover-medium", "cover-small"))
        return next((cover.uri for cover in covers if cover is not None and cover.uri), None)


class VariableValue(Payload):
    label: str


class VariableValues(Payload):
    values: dict[str, VariableValue] = Field(default_factory=dict)
    default: str | None = None


class VariableScope(Payload):
    type: str = "global"  # or "full-game", "all-levels", "single-level"
    level: str | None = None


class Variable(Payload):
    id: str
    name: str
    category: str | None = None
    scope: VariableScope = Field(default_factory=VariableScope)
    mandatory: bool = False
    user_defined: bool = Field(False, alias="user-defined")
    is_subcategory: bool = Field(False, alias="is-subcategory")
    values: VariableValues = Field(default_factory=VariableValues)

    def applies_to(self, level_id: str | None) -> bool:
        """Whether a run of that level (``None``: a full-game run) takes this variable."""
        kind = self.scope.type
        if level_id is None:
            return kind in ("global", "full-game")
        return kind in ("global", "all-levels") or (kind == "single-level" and self.scope.level == level_id)


class Player(Payload):
    """A user (with ``names`` when embedded) or a guest (``name``)."""

    rel: str = "user"
    id: str | None = None
    name: str | None = None
    names: Names | None = None
    weblink: str | None = None

    @property
    def display_name(self) -> str:
        return (self.names.international if self.names else None) or self.name or self.id or "someone"


class Times(Payload):
    primary_t: float = 0
    realtime_t: float | None = 0
    realtime_noloads_t: float | None = 0
    ingame_t: float | None = 0


class Status(Payload):
    status: str
    examiner: str | None = None
    verify_date: MaybeMoment = Field(None, alias="verify-date")
    reason: str | None = None


class RunSystem(Payload):
    platform: str | None = None
    emulated: bool = False
    region: str | None = None


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


class Videos(Payload):
    text: str | None = None
    links: Annotated[list[Link], BeforeValidator(_none_as_empty), SkipInvalid] = Field(default_factory=list)


def _unwrap(value: Any) -> Any:
    """An embedded ``{"data": x}`` becomes ``x``; an empty embedded level (``[]``) becomes ``None``."""
    if isinstance(value, dict) and set(value) == {"data"}:
        value = value["data"]
    return None if value == [] else value


class Run(Payload):
    id: str
    weblink: str | None = None
    game: Annotated[str | Game, BeforeValidator(_unwrap)]
    level: Annotated[str | Level | None, BeforeValidator(_unwrap)] = None
    category: Annotated[str | Category | None, BeforeValidator(_unwrap)] = None
    videos: Videos | None = None
    comment: str | None = None
    status: Status
    players: Annotated[list[Player], BeforeValidator(_unwrap), SkipInvalid] = Field(default_factory=list)
    played: date | None = Field(None, alias="date")
    submitted: MaybeMoment = None
    times: Times
    system: RunSystem = Field(default_factory=RunSystem)
    splits: Link | None = None
    values: dict[str, str] = Field(default_factory=dict)

    @property
    def game_id(self) -> str:
        return self.game if isinstance(self.game, str) else self.game.id

    @property
    def category_id(self) -> str | None:
        return self.category.id if isinstance(self.category, Category) else self.category

    @property
    def level_id(self) -> str | None:
        return self.level.id if isinstance(self.level, Level) else self.level

    @property
    def board_name(self) -> str:
        """Category and level, as far as they are embedded."""
        parts = [
            self.category.name if isinstance(self.category, Category) else None,
            self.level.name if isinstance(self.level, Level) else None,
        ]
        return " — ".join(filter(None, parts))


class Pagination(Payload):
    offset: int = 0
    max: int = 20
    size: int = 0
    links: list[Link] = Field(default_factory=list)

    @property
    def next(self) -> str | None:
        return next((link.uri for link in self.links if link.rel == "next"), None)


class Page(Payload, Generic[T]):
    data: Annotated[list[T], SkipInvalid]
    pagination: Pagination | None = None


class One(Payload, Generic[T]):
    data: T


class Place(Payload):
    place: int
    run: Run


class Leaderboard(Payload):
    weblink: str | None = None
    game: str
    category: str
    level: str | None = None
    runs: Annotated[list[Place], SkipInvalid] = Field(default_factory=list)
    players: Annotated[list[Player], BeforeValidator(_unwrap), SkipInvalid] = Field(default_factory=list)

    def players_of(self, run: Run) -> list[str]:
        """The names of the run's players (users are named in the board's embedded ``players``)."""
        names = {p.id: p.display_name for p in self.players if p.id}
        return [
            names.get(p.id or "", p.display_name) if p.rel == "user" else p.display_name for p in run.players
        ]


class ApiError(Payload):
    status: int | None = None
    message: str = ""
    errors: Annotated[list[str], SkipInvalid] = Field(default_factory=list)  # a refused submission's


# -- what the bot keeps of runs it announces ----------------------------------------------------

SAME_TIME = 0.0005  # seconds: closer than that is a tie


class PreviousRecord(Frozen):
    seconds: float
    players: tuple[str, ...]
    played: date | None = None


class RecordStanding(Frozen):
    """A run that is (or ties) the world record of its board, and the record it beat."""

    tie: bool = False
    previous: PreviousRecord | None = None  # none: the board's first run
    # The run's subcategory values: which board of its category it is the record of.
    board: dict[str, str] = Field(default_factory=dict)

    def margin(self, seconds: float) -> float | None:
        return None if self.previous is None else self.previous.seconds - seconds


class VerifiedRun(Frozen):
    """What the feed keeps of a newly verified run."""

    run: Run
    game: str  # its name
    record: RecordStanding | None = None

    @property
    def key(self) -> str:
        return f"src/{self.run.id}"

    @property
    def fingerprint(self) -> str:
        return self.key


RUN: TypeAdapter[One[Run]] = TypeAdapter(One[Run])
RUNS: TypeAdapter[Page[Run]] = TypeAdapter(Page[Run])
GAME: TypeAdapter[One[Game]] = TypeAdapter(One[Game])
GAMES: TypeAdapter[Page[Game]] = TypeAdapter(Page[Game])
CATEGORIES: TypeAdapter[Page[Category]] = TypeAdapter(Page[Category])
LEVELS: TypeAdapter[Page[Level]] = TypeAdapter(Page[Level])
LEADERBOARD: TypeAdapter[One[Leaderboard]] = TypeAdapter(One[Leaderboard])
VARIABLES: TypeAdapter[Page[Variable]] = TypeAdapter(Page[Variable])
USERS: TypeAdapter[Page[Player]] = TypeAdapter(Page[Player])
PROFILE: TypeAdapter[One[Player]] = TypeAdapter(One[Player])
API_ERROR: TypeAdapter[ApiError] = TypeAdapter(ApiError)
