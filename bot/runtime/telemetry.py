"""What the bot has done and how its upstream services behave: for /status and /metrics."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The upper bounds of the latency histogram's buckets, in seconds: prometheus_client's defaults.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, math.inf)


@dataclass
class ServiceHealth:
    """The last successful call to one upstream service and the last failure, if any."""

    name: str
    last_success: datetime | None = None
    last_error: datetime | None = None
    last_error_message: str | None = None


@dataclass(frozen=True, slots=True)
class ShardHealth:
    """One shard of this process: its gateway latency (``None`` before the first heartbeat), how many
    servers it holds, and whether its session is connected."""

    shard_id: int
    latency: float | None
    servers: int
    connected: bool

    @classmethod
    def of(cls, shard_id: int, latency: float, servers: int, *, connected: bool) -> ShardHealth:
        measured = latency if math.isfinite(latency) else None
        return cls(shard_id, measured, servers, connected)


@dataclass(slots=True)
class Count:
    """A counter of one set of labels, and when it was first counted (Prometheus' ``_created``)."""

    value: float = 0.0
    created: float = field(default_factory=time.time)


@dataclass(slots=True)
class Latencies:
    """A histogram of one service's request times: per bucket of ``LATENCY_BUCKETS``, not summed."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    sum: float = 0.0
    created: float = field(default_factory=time.time)

    def observe(self, seconds: float) -> None:
        self.sum += seconds
        self.buckets[next(i for i, bound in enumerate(LATENCY_BUCKETS) if seconds <= bound)] += 1


class Telemetry:
    """Counters and service health for one bot; clients report every upstream call into it.

    The figures are kept here in plain dictionaries; ``metrics_text`` renders them in Prometheus'
    text format through ``bot.runtime.metrics``, the one module that loads prometheus_client, so
    a bot whose metrics are not served never loads it.
    """

    def __init__(self, services: Iterable[str]) -> None:
        self.started = datetime.now(UTC)
        self.services = {name: ServiceHealth(name) for name in services}
        self.commands: dict[tuple[str, str], Count] = {}  # by command, shard
        self.command_errors: dict[tuple[str, str, str], Count] = {}  # by command, kind, shard
        self.upstream_calls: dict[tuple[str, str], Count] = {}  # by service, outcome
        self.upstream_latency: dict[str, Latencies] = {}  # by service
        # Read from the bot at each scrape (``watch``); a shard once seen stays in the figures.
        self.shard_latency: dict[str, float] = {}
        self.shard_servers: dict[str, float] = {}
        self.shard_connected: dict[str, float] = {}
        self.poller = 0.0
        self._shards: Callable[[], list[ShardHealth]] = list
        self._is_poller: Callable[[], bool] = lambda: False

    def watch(self, shards: Callable[[], list[ShardHealth]], is_poller: Callable[[], bool]) -> None:
        """Where the shard and poller gauges are read, at each scrape."""
        self._shards = shards
        self._is_poller = is_poller

    def command_served(self, command: str, shard: int) -> None:
        _count(self.commands, (command, str(shard)))

    def command_failed(self, command: str, kind: str, shard: int) -> None:
        _count(self.command_errors, (command, kind, str(shard)))

    @asynccontextmanager
    async def upstream_call(self, service: str) -> AsyncIterator[None]:
        """Times the block and records it as a success, or as a failure if it raises."""
        health = self.services.setdefault(service, ServiceHealth(service))
        started = time.perf_counter()
        try:
            yield
        except Exception as error:
            health.last_error = datetime.now(UTC)
            health.last_error_message = str(error) or type(error).__name__
            _count(self.upstream_calls, (service, "error"))
            raise
        else:
            health.last_success = datetime.now(UTC)
            _count(self.upstream_calls, (service, "ok"))
        finally:
            latencies = self.upstream_latency.get(service) or self.upstream_latency.setdefault(
                service, Latencies()
            )
            latencies.observe(time.perf_counter() - started)

    def metrics_text(self) -> bytes:
        """The figures in Prometheus' text format, the shard and poller gauges read now."""
        for shard in self._shards():
            label = str(shard.shard_id)
            self.shard_latency[label] = math.nan if shard.latency is None else shard.latency
            self.shard_servers[label] = shard.servers
            self.shard_connected[label] = int(shard.connected)
        self.poller = int(self._is_poller())
        from bot.runtime import metrics  # the one place prometheus_client (2 MiB) is loaded: at a scrape

        return metrics.prometheus_text(self)


def _count(counts: dict[Any, Count], labels: tuple[str, ...]) -> None:
    count = counts.get(labels) or counts.setdefault(labels, Count())
    count.value += 1
