"""Payloads of the Xbox Live and Halo Waypoint APIs (``docs/apis.md`` §3, fixtures in
``fixtures/waypoint``).

Assumptions beyond the recorded responses, all in this one place:
- Every field the bot does not need is optional or ignored; counts that are missing are 0.
- A CSR ``Tier`` is free text: tiers the bot does not know are shown as they come.
- A gamecms playlist asset (``/hi/Multiplayer/file/playlists/assets/{id}.json``) carries
  ``HasCsr``, ``NameHint`` and ``UgcPlaylistVersion``, and no name (HaloFunTime hft-backend's
  ``api/playlist.py`` reads it so). The name players know is ``PublicName`` of the UGC discovery
  document ``/hi/playlists/{id}/versions/{UgcPlaylistVersion}`` (recorded: ``get_playlist.json``);
  when that cannot be read, ``NameHint`` made readable ("RankedDoubles" → "Ranked Doubles").
- The CSR calendar's ``CsrSeasonFilePath`` (``Csr/Seasons/CsrSeason5-1.json``) is, as
  ``CsrSeason5-1``, the skill service's ``season``. The service record's ``seasonId`` is one of
  the ids its own all-seasons answer lists in ``Subqueries.SeasonIds``: from Season 5 on the same
  path, before it the season files of ``SERVICE_RECORD_SEASONS`` (the recorded answer lists
  exactly those; HaloFunTime hft-backend's constants map them the same way).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, TypeVar

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel, to_pascal

from bot.models.lenient import Moment, NoneIfInvalid, Payload, SkipInvalid


class _Pascal(Payload):
    """Halo Waypoint's own documents name their fields in PascalCase."""

    model_config = ConfigDict(alias_generator=to_pascal)


class When(_Pascal):
    iso_date: Moment = Field(alias="ISO8601Date")


# -- sign-in ----------------------------------------------------------------------------------------


class XboxToken(_Pascal):
    """An Xbox user token or an XSTS token."""

    token: str
    not_after: Moment


class SpartanToken(_Pascal):
    spartan_token: str
    expires_utc: When


class Clearance(_Pascal):
    flight_configuration_id: str


# -- players ----------------------------------------------------------------------------------------


class Gamerpic(Payload):
    small: str | None = None
    medium: str | None = None


class Player(Payload):
    """``profile.svc/users/gt(...)``."""

    xuid: str
    gamertag: str
    gamerpic: Gamerpic | None = None


class CsrStanding(_Pascal):
    value: int  # -1 while unranked (placement matches)
    measurement_matches_remaining: int = 0
    initial_measurement_matches: int = 0
    tier: str = ""
    tier_start: int = 0
    sub_tier: int = 0  # 0-based
    next_tier: str = ""
    next_tier_start: int = 0
    next_sub_tier: int = 0

    @property
    def ranked(self) -> bool:
        return self.value >= 0 and bool(self.tier)


class CsrResult(_Pascal):
    current: CsrStanding
    season_max: CsrStanding | None = None
    all_time_max: CsrStanding | None = None


class PlayerCsr(_Pascal):
    id: str
    result_code: int  # 0 ok, 1 not found, 2/3 service failure, 4 forbidden
    result: CsrResult | None = None


class CsrResults(_Pascal):
    value: Annotated[list[PlayerCsr], SkipInvalid]


class NamedCount(_Pascal):
    name_id: int
    count: int = 0


class CoreStats(_Pascal):
    kills: int = 0
    deaths: int = 0
    assists: int = 0
    average_kda: float = Field(0.0, alias="AverageKDA")
    accuracy: float = 0.0
    shots_fired: int = 0
    shots_hit: int = 0
    damage_dealt: int = 0
    damage_taken: int = 0
    headshot_kills: int = 0
    max_killing_spree: int = 0
    medals: Annotated[list[NamedCount], SkipInvalid] = Field(default_factory=list)


class Subqueries(_Pascal):
    season_ids: list[str] | None = None
    playlist_asset_ids: list[str] | None = None


# Per mode, the figures the bot highlights (a mode the player never played is all zeros).
class FlagStats(_Pascal):
    flag_captures: int = 0
    flag_returns: int = 0
    flag_carriers_killed: int = 0


class OddballStats(_Pascal):
    skull_grabs: int = 0
    time_as_skull_carrier: timedelta = timedelta()
    skull_carriers_killed: int = 0


class ZoneStats(_Pascal):
    zone_captures: int = 0
    zone_secures: int = 0
    total_zone_occupation_time: timedelta = timedelta()


class EliminationStats(_Pascal):
    eliminations: int = 0
    allies_revived: int = 0
    rounds_survived: int = 0


class ExtractionStats(_Pascal):
    successful_extractions: int = 0
    extraction_conversions_completed: int = 0


class InfectionStats(_Pascal):
    spartans_infected: int = 0
    infected_killed: int = 0
    rounds_survived_as_spartan: int = 0


class StockpileStats(_Pascal):
    power_seeds_deposited: int = 0
    power_seeds_stolen: int = 0
    power_seed_carriers_killed: int = 0


M = TypeVar("M", bound=Payload)
# A mode's figures in a shape the bot does not know are left out rather than failing the record.
Mode = Annotated[M | None, NoneIfInvalid]


class ServiceRecord(_Pascal):
    subqueries: Subqueries = Field(default_factory=Subqueries)
    time_played: timedelta = timedelta()
    matches_completed: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0
    core_stats: CoreStats = Field(default_factory=CoreStats)
    capture_the_flag_stats: Mode[FlagStats] = None
    oddball_stats: Mode[OddballStats] = None
    zones_stats: Mode[ZoneStats] = None
    elimination_stats: Mode[EliminationStats] = None
    extraction_stats: Mode[ExtractionStats] = None
    infection_stats: Mode[InfectionStats] = None
    stockpile_stats: Mode[StockpileStats] = None


# -- gamecms documents --------------------------------------------------------------------------------


class Text(Payload):
    value: str


class Medal(Payload):
    model_config = ConfigDict(alias_generator=to_camel)

    name_id: int
    name: Text
    sorting_weight: int = 0


class MedalMetadata(Payload):
    medals: Annotated[list[Medal], SkipInvalid]


class CsrSeason(_Pascal):
    csr_season_file_path: str
    start_date: When
    end_date: When


class CsrCalendar(_Pascal):
    seasons: Annotated[list[CsrSeason], SkipInvalid]


class PlaylistAsset(_Pascal):
    """A gamecms playlist asset: whether it is ranked, and which UGC version names it."""

    has_csr: bool = False
    name_hint: str | None = None
    ugc_playlist_version: str | None = None


class PlaylistVersion(_Pascal):
    """A UGC discovery playlist document: the playlist's public name."""

    public_name: str


# The service record's seasonId of each CSR season before Season 5 (Season 1 and its reset, the
# two halves of Season 2, the Winter Update, Seasons 3 and 4); later seasons use the CSR path.
SERVICE_RECORD_SEASONS = {
    "Csr/Seasons/CsrSeason1.json": "Seasons/Season6.json",
    "Csr/Seasons/CsrSeason1-2.json": "Seasons/Season6-2.json",
    "Csr/Seasons/CsrSeason2.json": "Seasons/Season7.json",
    "Csr/Seasons/CsrSeason2-2.json": "Seasons/Season7.json",
    "Csr/Seasons/CsrSeason2-3.json": "Seasons/Season-Winter-Break-22.json",
    "Csr/Seasons/CsrSeason3-1.json": "Seasons/Season3.json",
    "Csr/Seasons/CsrSeason4-1.json": "Seasons/Season4.json",
}


def service_record_season(csr_season_path: str) -> str:
    """The service record's ``seasonId`` for the CSR season at ``csr_season_path``."""
    return SERVICE_RECORD_SEASONS.get(csr_season_path, csr_season_path)


def readable_name_hint(hint: str) -> str:
    """``RankedDoubles``, ``Ranked_Doubles`` or ``ranked-doubles`` as words: ``Ranked Doubles``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", re.sub(r"[_\-]+", " ", hint)).split()
    return " ".join(word[:1].upper() + word[1:] for word in words)


XBOX_TOKEN = TypeAdapter(XboxToken)
SPARTAN_TOKEN = TypeAdapter(SpartanToken)
CLEARANCE = TypeAdapter(Clearance)
PLAYER = TypeAdapter(Player)
CSR_RESULTS = TypeAdapter(CsrResults)
SERVICE_RECORD = TypeAdapter(ServiceRecord)
MEDAL_METADATA = TypeAdapter(MedalMetadata)
CSR_CALENDAR = TypeAdapter(CsrCalendar)
PLAYLIST_ASSET = TypeAdapter(PlaylistAsset)
PLAYLIST_VERSION = TypeAdapter(PlaylistVersion)
