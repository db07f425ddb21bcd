"""Payloads of HaloRuns' 2019 query API (``/api/request?query=...&format=json``).

Its documentation gives no JSON shapes. Assumed, here and only here (``docs/apis.md`` §1b): records,
recent records and recent runs are lists of the record object of the site's 2021 REST API; a
single object or a list wrapped in ``records``/``runs``/``data`` is accepted too; runners, holders
and streams may be plain usernames or objects; a vod may be a bare link or an object holding one;
a user is an object with the username, points and the most recent run under any of a few names.
A stream item of the site's REST API was ``{"stream": "<url>", "game_name", "title", "viewers",
"username"}`` (as MendicantBias read them): ``stream`` is its link.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, TypeAdapter

from bot.models.deferred import DEFERRED
from bot.models.lenient import (
    MaybeCount,
    MaybeMoment,
    MaybeNumber,
    NoneIfInvalid,
    Payload,
    RunTime,
    SkipInvalid,
)

_WRAPPERS = ("records", "runs", "streams", "holders", "users", "data", "results")


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        wrapped = next((value[key] for key in _WRAPPERS if isinstance(value.get(key), list)), None)
        return wrapped if wrapped is not None else [value]
    return value


def _as_object(key: str) -> BeforeValidator:
    """A bare string stands for an object holding that string under ``key``."""
    return BeforeValidator(lambda value: {key: value} if isinstance(value, str) else value)


class Named(Payload):
    name: str = Field(validation_alias=AliasChoices("username", "name", "user", "runner"))


Runner = Annotated[Named, _as_object("name")]


class LegacyRecord(Payload):
    id: Annotated[str | None, BeforeValidator(lambda value: None if value is None else str(value))] = None
    game_name: str = ""
    level_name: str = ""
    difficulty_name: str = Field("", validation_alias=AliasChoices("difficulty_name", "difficulty"))
    is_coop: bool = False
    seconds: RunTime = Field(validation_alias=AliasChoices("run_time", "time"))
    runners: Annotated[list[Runner], SkipInvalid] = Field(default_factory=list)
    timestamp: MaybeMoment = None
    vid: str | None = None
    points: MaybeNumber = None
    board_url: str | None = Field(None, validation_alias=AliasChoices("il_board_url", "board_url", "url"))
    previous: Annotated[LegacyRecord | None, NoneIfInvalid] = Field(
        None, validation_alias=AliasChoices("prev_record", "previous")
    )


Records = Annotated[list[LegacyRecord], SkipInvalid, BeforeValidator(_as_list)]


class Vod(Payload):
    link: str = Field(validation_alias=AliasChoices("vid", "vod", "url", "link", "video"))


class User(Payload):
    name: str = Field(validation_alias=AliasChoices("username", "name", "user"))
    points: MaybeNumber = Field(None, validation_alias=AliasChoices("points", "total_points", "totalPoints"))
    world_records: MaybeCount = Field(None, validation_alias=AliasChoices("world_records", "records", "wrs"))
    latest_run: Annotated[LegacyRecord | None, NoneIfInvalid] = Field(
        None, validation_alias=AliasChoices("recent_run", "latest_run", "last_run", "run")
    )


class Stream(Payload):
    name: str = Field(validation_alias=AliasChoices("username", "name", "user", "channel"))
    title: str = ""
    viewers: MaybeCount = None
    url: str | None = Field(None, validation_alias=AliasChoices("url", "stream_url", "link", "stream"))
    game: str | None = Field(None, validation_alias=AliasChoices("game", "game_name"))
    started_at: MaybeMoment = Field(None, validation_alias=AliasChoices("started_at", "start_time", "since"))


RECORDS: TypeAdapter[list[LegacyRecord]] = TypeAdapter(Records, config=DEFERRED)
VODS: TypeAdapter[list[Vod]] = TypeAdapter(
    Annotated[list[Annotated[Vod, _as_object("vid")]], SkipInvalid, BeforeValidator(_as_list)],
    config=DEFERRED,
)
# An unknown user may come back as null or as an empty object.
USER: TypeAdapter[User | None] = TypeAdapter(
    Annotated[User | None, BeforeValidator(lambda value: value or None)], config=DEFERRED
)
STREAMS: TypeAdapter[list[Stream]] = TypeAdapter(
    Annotated[list[Annotated[Stream, _as_object("name")]], SkipInvalid, BeforeValidator(_as_list)],
    config=DEFERRED,
)
HOLDERS: TypeAdapter[list[Named]] = TypeAdapter(
    Annotated[list[Runner], SkipInvalid, BeforeValidator(_as_list)], config=DEFERRED
)
