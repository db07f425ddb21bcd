"""Per-server settings of the posting features: channel, role to ping, filters, and health.

A feature is set once per server (``announcements``, ``streams``) or once per thing it follows
(``src:<game id>``, one per speedrun.com game); naming the feature alone covers all of its settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import upsert
from bot.storage.tables import guild_settings

Feature = Literal["announcements", "streams", "src"]


def scoped(feature: Feature, scope: str) -> str:
    """The setting key of ``feature`` for one thing it follows."""
    return f"{feature}:{scope}"


def _of(feature: str) -> ColumnElement[bool]:
    """The settings of ``feature``: that key, or every key scoped under it."""
    column = guild_settings.c.feature
    return (column == feature) | column.startswith(f"{feature}:", autoescape=True)


@dataclass(frozen=True, slots=True)
class FeatureSetting:
    guild_id: int
    feature: str  # a Feature, or a scoped() key
    channel_id: int
    role_id: int | None
    filters: dict[str, Any] = field(default_factory=dict)
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


def _setting(row: Any) -> FeatureSetting:
    return FeatureSetting(
        row.guild_id,
        row.feature,
        row.channel_id,
        row.role_id,
        json.loads(row.filters),
        row.enabled,
        row.disabled_reason,
        row.failures,
    )


class GuildSettings:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, setting: FeatureSetting) -> None:
        """Turns the feature on for the server with these values (replacing earlier ones)."""
        values = {
            "channel_id": setting.channel_id,
            "role_id": setting.role_id,
            "filters": json.dumps(setting.filters, sort_keys=True),
            "enabled": True,
            "disabled_reason": None,
            "failures": 0,
            "updated_at": datetime.now(UTC),
        }
        row = {"guild_id": setting.guild_id, "feature": setting.feature, **values}
        async with self._engine.begin() as connection:
            await upsert(connection, guild_settings, row, ["guild_id", "feature"])

    async def of_guild(self, guild_id: int) -> dict[str, FeatureSetting]:
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(guild_settings).where(guild_settings.c.guild_id == guild_id)
            )
            return {row.feature: _setting(row) for row in rows}

    async def enabled(self, feature: Feature) -> list[FeatureSetting]:
        query = select(guild_settings).where(_of(feature) & guild_settings.c.enabled)
        async with self._engine.connect() as connection:
            return [
                _setting(row)
                for row in await connection.execute(
                    query.order_by(guild_settings.c.guild_id, guild_settings.c.feature)
                )
            ]

    async def disable(self, guild_id: int, feature: str, reason: str) -> bool:
        """Turns the feature (or one scoped setting) off, keeping why; ``False`` if it was not on."""
        key = (guild_settings.c.guild_id == guild_id) & _of(feature)
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
        return await self.disable(guild_id, feature, f"{reason} ({failures} times in a row)")

    async def delivered(self, guild_id: int, feature: str) -> None:
        key = (guild_settings.c.guild_id == guild_id) & (guild_settings.c.feature == feature)
        async with self._engine.begin() as connection:
            await connection.execute(
                guild_settings.update().where(key & (guild_settings.c.failures > 0)).values(failures=0)
            )
