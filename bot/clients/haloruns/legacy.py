"""HaloRuns through the 2019 query API, ``/api/request?query=...`` (``haloruns.api = "legacy"``)."""

from __future__ import annotations

from bot.clients.haloruns.catalog import legacy_catalog
from bot.clients.haloruns.transport import HaloRunsClient
from bot.models import haloruns as model
from bot.models import haloruns_legacy as api

PATH = "/api/request"


def _run(record: api.LegacyRecord, *, tie: bool = False) -> model.Run:
    previous = _run(record.previous) if record.previous else None
    runners = tuple(model.Runner(r.name, record.vid) for r in record.runners)
    return model.Run(
        record.game_name,
        record.level_name,
        model.COOP if record.is_coop else model.SOLO,
        record.difficulty_name,
        record.seconds,
        runners,
        date=record.timestamp,
        points=record.points,
        board_url=record.board_url,
        tie=tie,
        previous=previous if previous and previous.seconds else None,
        id=record.id,
    )


class LegacySource:
    def __init__(self, client: HaloRunsClient) -> None:
        self._client = client
        self._catalog = legacy_catalog()

    async def _query(
        self, query: str, params: dict[str, str] | None = None, *, fresh: bool = False
    ) -> list[api.LegacyRecord]:
        query_params = {"query": query, "format": "json", **(params or {})}
        return await self._client.get(PATH, api.RECORDS, query_params, fresh=fresh)

    async def catalog(self) -> model.Catalog:
        return self._catalog

    async def records(
        self, level: model.Level, category: model.Option | None, difficulty: model.Option | None
    ) -> list[model.BoardRecord]:
        params = {"level": level.id}
        if category:
            params["isCoop"] = category.id
        if difficulty:
            params["difficulty"] = difficulty.id
        records = await self._query("records", params)
        boards: dict[tuple[str, str], list[api.LegacyRecord]] = {}
        for record in records:
            boards.setdefault(
                (model.COOP if record.is_coop else model.SOLO, record.difficulty_name), []
            ).append(record)
        return [
            model.BoardRecord(
                category_name,
                difficulty_name,
                tuple(_run(record, tie=len(tied) > 1) for record in tied),
                tied[0].board_url,
            )
            for (category_name, difficulty_name), tied in boards.items()
        ]

    async def vod(self, level: model.Level, category: model.Option, difficulty: model.Option) -> str | None:
        params = {
            "query": "wrVods",
            "format": "json",
            "level": level.id,
            "isCoop": category.id,
            "difficulty": difficulty.id,
        }
        vods = await self._client.get(PATH, api.VODS, params)
        return vods[0].link if vods else None  # the query API cannot tell "no video" from "no record"

    async def recent_records(self, limit: int, *, fresh: bool = False) -> list[model.Run]:
        records = await self._query("recentRecords", {"limit": str(limit)}, fresh=fresh)
        return [_run(record) for record in records][:limit]

    async def recent_runs(self, limit: int, country: str | None) -> model.RunFeed:
        params = {"limit": str(limit)} | ({"country": country} if country else {})
        return model.RunFeed(
            tuple(_run(record) for record in await self._query("recentRuns", params))[:limit]
        )

    async def runner(self, name: str, catalog: model.Catalog) -> model.RunnerProfile | None:
        user = await self._client.get_optional(
            PATH, api.USER, {"query": "user", "format": "json", "user": name}
        )
        if user is None:
            return None
        latest = _run(user.latest_run) if user.latest_run else None
        return model.RunnerProfile(user.name, user.points, user.world_records, latest)

    async def holders(self) -> model.Holders:
        holders = await self._client.get(PATH, api.HOLDERS, {"query": "wrHolders", "format": "json"})
        return model.Holders.of(holder.name for holder in holders)

    async def streams(self, *, fresh: bool = False) -> list[model.Stream]:
        params = {"query": "streams", "format": "json"}
        streams = await self._client.get(PATH, api.STREAMS, params, fresh=fresh)
        return [model.Stream(s.name, s.title, s.viewers, s.started_at, s.url, s.game) for s in streams]
