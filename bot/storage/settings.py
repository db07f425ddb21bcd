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

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.settings import (
    AnnouncementFilters,
    Filters,
    RecapFilters,
    SrcAnnouncementFilters,
    SrcQueueFilters,
    StreamAlertFilters,
)
from bot.storage.database import upsert
from bot.storage.tables import guild_settings

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


def _of(feature: str) -> ColumnElement[bool]:
    """The settings of ``feature``: that key, or every key scoped under it."""
    column = guild_settings.c.feature
    return (column == feature) | column.startswith(f"{feature}:", autoescape=True)


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


def _setting(row: Any) -> FeatureSetting[Filters] | None:
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


def _settings(rows: Any) -> list[FeatureSetting[Filters]]:
    return [setting for row in rows if (setting := _setting(row)) is not None]


class GuildSettings:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

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
        async with self._engine.begin() as connection:
            await upsert(connection, guild_settings, row, ["guild_id", "feature"])

    async def of_guild(self, guild_id: int) -> dict[str, FeatureSetting[Filters]]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(guild_settings).where(guild_settings.c.guild_id == guild_id)
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
        query = select(guild_settings).where(_of(feature) & guild_settings.c.enabled)
        async with self._engine.connect() as connection:
            return _settings(
                await connection.execute(query.order_by(guild_settings.c.guild_id, guild_settings.c.feature))
            )

    async def disable(self, guild_id: int, feature: str, reason: str, *, exactly: bool = False) -> bool:
        """Turns the feature (or one scoped setting) off, keeping why; ``False`` if it was not on.
        ``exactly``: only the setting of that key (``announcements`` without its scoped ones)."""
        chosen = guild_settings.c.feature == feature if exactly else _of(feature)
        key = (guild_settings.c.guild_id == guild_id) & chosen
        async with self._engine.begin() as connection:
            updated = await connection.execute(
                guild_settings.update()
                .where(key & guild_settings.c.enabled)
                .values(enabled=False, disabled_reason=reason, updated_at=datetime.now(UTC))
            )
        return bool(updated.rowcount)

    async def delivery_failed(self, guild_id: int, feature: str, reason: str, *, limit: int) -> bool:
        """Counts a failure that only the server's admins can fix; at ``limit`` in a row the
        feature is turned off. ``True`` when this call turned it off."""
        key = (guild_settings.c.guild_id == guild_id) & (guild_settings.c.feature == feature)
        async with self._engine.begin() as connection:
            failures = await connection.scalar(
                guild_settings.update()
                .where(key & guild_settings.c.enabled)
                .values(failures=guild_settings.c.failures + 1, updated_at=datetime.now(UTC))
                .returning(guild_settings.c.failures)
            )
        if failures is None or failures < limit:
            return False
        return await self.disable(guild_id, feature, f"{reason} ({failures} times in a row)", exactly=True)

    async def delivered(self, guild_id: int, feature: str) -> None:
        key = (guild_settings.c.guild_id == guild_id) & (guild_settings.c.feature == feature)
        async with self._engine.begin() as connection:
            await connection.execute(
                guild_settings.update().where(key & (guild_settings.c.failures > 0)).values(failures=0)
            )
