"""Payloads of the current HaloRuns site: the static JSON feeds under ``/content/``.

The shapes follow ``docs/apis.md`` §1c. Assumed beyond what was seen (kept here, in one place):
leaderboard and recent-run entries may carry ``OccuredAt`` and career runs ``Points`` and
``OccuredAt``; a profile may carry ``Username`` and ``Country`` (ISO 3166). Everything else that is
not listed is ignored, and every field the bot can do without is optional.

As HaloRuns writes them: an extension category run in co-op (``IsExtension`` and ``IsCoop``) is
"<CategoryName> Co-op", as the official bot shows it; ``LeaderboardUrl`` is a path of the website
(or a whole address), and may contain spaces, which the site's own links do not have.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field, TypeAdapter

from bot.models.lenient import (
    MaybeCount,
    MaybeMoment,
    MaybeNumber,
    MaybeRunTime,
    Payload,
    RunTime,
    SkipInvalid,
)

NO_PREVIOUS_RECORD = "00000000-0000-0000-0000-000000000000"

Text = Annotated[str, BeforeValidator(lambda value: "" if value is None else str(value))]


class Named(Payload):
    name: str = Field(alias="Name")
    id: str = Field(alias="Id")


class GameMetadata(Named):
    categories: Annotated[list[Named], SkipInvalid] = Field([], alias="Categories")
    segments: Annotated[list[Named], SkipInvalid] = Field([], alias="RunnableSegments")
    difficulties: Annotated[list[Named], SkipInvalid] = Field([], alias="Difficulties")


class GlobalMetadata(Payload):
    games: Annotated[list[GameMetadata], SkipInvalid] = Field(alias="Games")


class Participant(Payload):
    username: str = Field(alias="Username")
    user_id: str | None = Field(None, alias="UserId")
    evidence_link: str | None = Field(None, alias="EvidenceLink")


class BoardEntry(Payload):
    points: MaybeNumber = Field(None, alias="Points")
    duration: RunTime = Field(alias="Duration")
    participants: Annotated[list[Participant], SkipInvalid] = Field([], alias="Participants")
    occurred_at: MaybeMoment = Field(None, alias="OccuredAt")


class Leaderboard(Payload):
    entries: Annotated[list[BoardEntry], SkipInvalid] = Field([], alias="Entries")


class FeedRun(Payload):
    """One entry of the recent-runs feed; the latest-records feed adds the record's history."""

    run_id: str | None = Field(None, alias="RunId")
    game_name: str = Field(alias="GameName")
    category_name: Text = Field("", alias="CategoryName")
    level_name: str = Field(alias="LevelName")
    difficulty: Text = Field("", alias="Difficulty")
    is_coop: bool | None = Field(None, alias="IsCoop")
    is_extension: bool | None = Field(None, alias="IsExtension")
    duration: RunTime = Field(alias="Duration")
    participants: Annotated[list[Participant], SkipInvalid] = Field([], alias="Participants")
    occurred_at: MaybeMoment = Field(None, alias="OccuredAt")
    points: MaybeNumber = Field(None, alias="Points")
    leaderboard_url: str | None = Field(None, alias="LeaderboardUrl")


class LatestRecord(FeedRun):
    tie: bool = Field(False, alias="Tie")
    previous_record_id: str | None = Field(None, alias="PreviousRecordId")
    previous_duration: MaybeRunTime = Field(None, alias="PreviousRecordDuration")
    previous_participants: Annotated[list[Participant], SkipInvalid] = Field(
        [], alias="PreviousRecordParticipants"
    )
    previous_occurred_at: MaybeMoment = Field(None, alias="PreviousRecordOccuredAt")

    @property
    def has_previous(self) -> bool:
        return (
            self.previous_record_id not in (None, "", NO_PREVIOUS_RECORD)
            and self.previous_duration is not None
        )


class RecentRuns(Payload):
    entries: Annotated[list[FeedRun], SkipInvalid] = Field([], alias="Entries")


class LatestRecords(Payload):
    updated_at: MaybeMoment = Field(None, alias="UpdatedAt")
    entries: Annotated[list[LatestRecord], SkipInvalid] = Field([], alias="Entries")


class LiveStream(Payload):
    username: str | None = Field(None, alias="Username")
    twitch_username: str | None = Field(None, alias="TwitchUsername")
    game_name: str | None = Field(None, alias="GameName")
    title: Text = Field("", alias="Title")
    viewers: MaybeCount = Field(None, alias="Viewers")
    started_at: MaybeMoment = Field(None, alias="StartedAt")
    stream_url: str | None = Field(None, alias="StreamUrl")
    profile_image_url: str | None = Field(None, alias="ProfileImageUrl")


class StreamList(Payload):
    # When HaloRuns regenerated the list: an empty list newer than the last one with streams is news.
    updated_at: MaybeMoment = Field(None, alias="UpdatedAt")
    # Required: a document without the list is a failure, not "nobody is live".
    entries: Annotated[list[LiveStream], SkipInvalid] = Field(alias="Entries")


class Profile(Payload):
    user_id: str = Field(alias="UserId")
    username: str | None = Field(None, alias="Username")
    country: str | None = Field(None, validation_alias=AliasChoices("Country", "CountryCode"))


class RankInfo(Payload):
    rank: int | None = Field(None, alias="Rank")


class CareerRun(Payload):
    game_id: str = Field(alias="GameId")
    segment_id: str = Field(alias="RunnableSegmentId")
    difficulty_id: str = Field(alias="DifficultyId")
    duration: RunTime = Field(alias="Duration")
    participants: Annotated[list[Participant], SkipInvalid] = Field([], alias="Participants")
    rank_info: RankInfo = Field(default_factory=RankInfo, alias="RankInfo")
    points: MaybeNumber = Field(None, alias="Points")
    occurred_at: MaybeMoment = Field(None, alias="OccuredAt")


class Career(Payload):
    runs_by_category: dict[str, Annotated[list[CareerRun], SkipInvalid]] = Field({}, alias="RunsByCategory")


GLOBAL_METADATA: TypeAdapter[GlobalMetadata] = TypeAdapter(GlobalMetadata)
LEADERBOARD: TypeAdapter[Leaderboard] = TypeAdapter(Leaderboard)
RECENT_RUNS: TypeAdapter[RecentRuns] = TypeAdapter(RecentRuns)
LATEST_RECORDS: TypeAdapter[LatestRecords] = TypeAdapter(LatestRecords)
STREAM_LIST: TypeAdapter[StreamList] = TypeAdapter(StreamList)
PROFILE: TypeAdapter[Profile] = TypeAdapter(Profile)
CAREER: TypeAdapter[Career] = TypeAdapter(Career)
