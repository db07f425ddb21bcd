"""What the bot has done and how its upstream services behave: for /status and /metrics."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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


class Telemetry:
    """Counters and service health for one bot; clients report every upstream call into it."""

    def __init__(self, services: Iterable[str]) -> None:
        self.started = datetime.now(UTC)
        self.services = {name: ServiceHealth(name) for name in services}
        self.registry = CollectorRegistry()
        self._commands = Counter(
            "halobot_commands", "Slash commands served.", ["command", "shard"], registry=self.registry
        )
        self._command_errors = Counter(
            "halobot_command_errors",
            "Slash commands that ended in an error.",
            ["command", "kind", "shard"],
            registry=self.registry,
        )
        self._shard_latency = Gauge(
            "halobot_shard_latency_seconds",
            "Gateway heartbeat latency of each shard of this process.",
            ["shard"],
            registry=self.registry,
        )
        self._shard_servers = Gauge(
            "halobot_shard_servers",
            "Servers on each shard of this process.",
            ["shard"],
            registry=self.registry,
        )
        self._shard_connected = Gauge(
            "halobot_shard_connected",
            "1 while the shard's gateway session is connected.",
            ["shard"],
            registry=self.registry,
        )
        self._poller = Gauge(
            "halobot_poller", "1 while this process runs the background jobs.", registry=self.registry
        )
        self._shards: Callable[[], list[ShardHealth]] = list
        self._is_poller: Callable[[], bool] = lambda: False
        self._upstream_calls = Counter(
            "halobot_upstream_requests",
            "Requests to upstream services.",
            ["service", "outcome"],
            registry=self.registry,
        )
        self._upstream_latency = Histogram(
            "halobot_upstream_request_seconds",
            "Latency of upstream requests.",
            ["service"],
            registry=self.registry,
        )

    def watch(self, shards: Callable[[], list[ShardHealth]], is_poller: Callable[[], bool]) -> None:
        """Where the shard and poller gauges are read, at each scrape."""
        self._shards = shards
        self._is_poller = is_poller

    def command_served(self, command: str, shard: int) -> None:
        self._commands.labels(command, str(shard)).inc()

    def command_failed(self, command: str, kind: str, shard: int) -> None:
        self._command_errors.labels(command, kind, str(shard)).inc()

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
            self._upstream_calls.labels(service, "error").inc()
            raise
        else:
            health.last_success = datetime.now(UTC)
            self._upstream_calls.labels(service, "ok").inc()
        finally:
            self._upstream_latency.labels(service).observe(time.perf_counter() - started)

    def metrics_text(self) -> bytes:
        for shard in self._shards():
            label = str(shard.shard_id)
            self._shard_latency.labels(label).set(math.nan if shard.latency is None else shard.latency)
            self._shard_servers.labels(label).set(shard.servers)
            self._shard_connected.labels(label).set(int(shard.connected))
        self._poller.set(int(self._is_poller()))
        return generate_latest(self.registry)
