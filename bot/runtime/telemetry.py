"""What the bot has done and how its upstream services behave: for /status and /metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


@dataclass
class ServiceHealth:
    """The last successful call to one upstream service and the last failure, if any."""

    name: str
    last_success: datetime | None = None
    last_error: datetime | None = None
    last_error_message: str | None = None


class Telemetry:
    """Counters and service health for one bot; clients report every upstream call into it."""

    def __init__(self, services: Iterable[str]) -> None:
        self.started = datetime.now(UTC)
        self.services = {name: ServiceHealth(name) for name in services}
        self.registry = CollectorRegistry()
        self._commands = Counter(
            "halobot_commands", "Slash commands served.", ["command"], registry=self.registry
        )
        self._command_errors = Counter(
            "halobot_command_errors",
            "Slash commands that ended in an error.",
            ["command", "kind"],
            registry=self.registry,
        )
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

    def command_served(self, command: str) -> None:
        self._commands.labels(command).inc()

    def command_failed(self, command: str, kind: str) -> None:
        self._command_errors.labels(command, kind).inc()

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
        return generate_latest(self.registry)
