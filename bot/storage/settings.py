"""Per-server settings of the posting features: channel, role to ping, filters, and health.

A feature is set once per server (``announcements``, ``streams``, ``recap``) or once per thing it
follows (``src:<game id>`` and ``queue:<game id>``, one per speedrun.com game); naming the feature
alone covers all of its settings.
Each feature's filters are typed (bot/models/settings.py) and kept as JSON in the row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeGuard, TypeVar, overload

from bot.models.settings import (
    AnnouncementFilters,
    Filters,
    RecapFilters,
    SrcAnnouncementFilters,
    SrcQueueFilters,
    StreamAlertFilters,
)
from bot.storage.database import Database, Row, upsert

log = logging.getLogger(__name__)

Feature = Literal["announcements", "streams", "src", "queue", "recap"]
GameFeature = Literal["src", "queue"]  # the features set per speedrun.com game
FILTERS: dict[str, type[Filters]] = {
    "announcements": AnnouncementFilters,
    "streams": StreamAlertFilters,
    "src": SrcAnnouncementFilters,
    "queue": SrcQueueFilters,
    "recap": RecapFilters,
}
F = TypeVar("F", bound=Filters, covariant=True)
G = TypeVar("G", bound=Filters)


def scoped(feature: Feature, scope: str) -> str:
    """The setting key of ``feature`` for one thing it follows."""
    return f"{feature}:{scope}"


# The settings of a feature: that key, or every key scoped under it (its arguments: the feature,
# then the length and text of its scoped keys' prefix).
OF_FEATURE = "(feature = ? OR substr(feature, 1, ?) = ?)"
COLUMNS = "guild_id, feature, channel_id, role_id, filters, enabled, disabled_reason, failures"


def _of(feature: str) -> tuple[str, int, str]:
    return feature, len(feature) + 1, f"{feature}:"


@dataclass(frozen=True, slots=True)
class FeatureSetting(Generic[F]):
    guild_id: int
    feature: str  # a Feature, or a scoped() key
    channel_id: int
    role_id: int | None
    filters: F  # the feature's own: AnnouncementFilters for "announcements", and so on
    enabled: bool = True
    disabled_reason: str | None = None
    failures: int = 0

    @property
    def family(self) -> str:
        """The feature this setting is of (``src`` for ``src:<game id>``)."""
        return self.feature.partition(":")[0]

    @property
    def scope(self) -> str:
        """What a scoped setting follows (the game id of ``src:<game id>``); "" if unscoped."""
        return self.feature.partition(":")[2]


def has_filters(setting: FeatureSetting[Filters], model: type[G]) -> TypeGuard[FeatureSetting[G]]:
    """Whether ``setting`` is one whose filters are ``model``'s (read from a row, it is of that
    model's feature)."""
    return isinstance(setting.filters, model)


def _setting(row: Row) -> FeatureSetting[Filters] | None:
    """The row's setting; ``None`` (logged) for a row of no known feature or with filters that do
    not fit its feature's: left out rather than posting what the server did not ask for."""
    model = FILTERS.get(row.feature.partition(":")[0])
    try:
        if model is None:
            raise ValueError("no such feature")
        filters = model.model_validate_json(row.filters)
    except ValueError as error:  # a pydantic ValidationError too
        log.warning("Setting %s of server %s left out: %s", row.feature, row.guild_id, error)
        return None
    return FeatureSetting(
        row.guild_id,
        row.feature,
        row.channel_id,
        row.role_id,
        filters,
        row.enabled,
        row.disabled_reason,
        row.failures,
    )


def _settings(rows: list[Row]) -> list[FeatureSetting[Filters]]:
    return [setting for row in rows if (setting := _setting(row)) is not None]


class GuildSettings:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def save(self, setting: FeatureSetting[Filters]) -> None:
        """Turns the feature on for the server with these values (replacing earlier ones)."""
        model = FILTERS.get(setting.family)
        if model is not None and not isinstance(setting.filters, model):
            raise TypeError(f"{setting.feature} takes {model.__name__}, not {type(setting.filters).__name__}")
        values = {
            "channel_id": setting.channel_id,
            "role_id": setting.role_id,
            "filters": json.dumps(setting.filters.model_dump(mode="json"), sort_keys=True),
            "enabled": True,
            "disabled_reason": None,
            "failures": 0,
            "updated_at": datetime.now(UTC),
        }
        row = {"guild_id": setting.guild_id, "feature": setting.feature, **values}
        await upsert(self._database, "guild_settings", row, ["guild_id", "feature"])

    async def of_guild(self, guild_id: int) -> dict[str, FeatureSetting[Filters]]:
        rows = await self._database.fetch(
            f"SELECT {COLUMNS} FROM guild_settings WHERE guild_id = ?", guild_id
        )
        return {setting.feature: setting for setting in _settings(rows)}

    @overload
    async def enabled(
        self, feature: Literal["announcements"]
    ) -> list[FeatureSetting[AnnouncementFilters]]: ...
    @overload
    async def enabled(self, feature: Literal["streams"]) -> list[FeatureSetting[StreamAlertFilters]]: ...
    @overload
    async def enabled(self, feature: Literal["src"]) -> list[FeatureSetting[SrcAnnouncementFilters]]: ...
    @overload
    async def enabled(self, feature: Literal["queue"]) -> list[FeatureSetting[SrcQueueFilters]]: ...
    @overload
    async def enabled(self, feature: Literal["recap"]) -> list[FeatureSetting[RecapFilters]]: ...
    async def enabled(self, feature: Feature) -> list[FeatureSetting[Any]]:
        """The feature's settings that are on, with its filters, by server and key."""
        rows = await self._database.fetch(
            f"SELECT {COLUMNS} FROM guild_settings WHERE {OF_FEATURE} AND enabled ORDER BY guild_id, feature",
            *_of(feature),
        )
        return _settings(rows)

    async def disable(self, guild_id: int, feature: str, reason: str, *, exactly: bool = False) -> bool:
        """Turns the feature (or one scoped setting) off, keeping why; ``False`` if it was not on.
        ``exactly``: only the setting of that key (``announcements`` without its scoped ones)."""
        chosen, chosen_args = ("feature = ?", (feature,)) if exactly else (OF_FEATURE, _of(feature))
        updated = await self._database.execute(
            "UPDATE guild_settings SET enabled = ?, disabled_reason = ?, updated_at = ? "
            f"WHERE guild_id = ? AND {chosen} AND enabled",
            False,
            reason,
            datetime.now(UTC),
            guild_id,
            *chosen_args,
        )
        return bool(updated)

    async def delivery_failed(self, guild_id: int, feature: str, reason: str, *, limit: int) -> bool:
        """Counts a failure that only the server's admins can fix; at ``limit`` in a row the
        feature is turned off. ``True`` when this call turned it off."""
        failures = await self._database.fetchval(
            "UPDATE guild_settings SET failures = failures + 1, updated_at = ? "
            "WHERE guild_id = ? AND feature = ? AND enabled RETURNING failures",
            datetime.now(UTC),
            guild_id,
            feature,
        )
        if failures is None or failures < limit:
            return False
        return await self.disable(guild_id, feature, f"{reason} ({failures} times in a row)", exactly=True)

    async def delivered(self, guild_id: int, feature: str) -> None:
        await self._database.execute(
            "UPDATE guild_settings SET failures = 0 WHERE guild_id = ? AND feature = ? AND failures > 0",
            guild_id,
            feature,
        )
