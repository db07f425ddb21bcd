"""The bot's figures (``Telemetry``) in Prometheus' text format, for ``/metrics``.

The one module that loads prometheus_client (2 MiB): ``Telemetry.metrics_text`` imports it at the
first scrape, so a bot whose metrics are not served never loads it. The text is what
prometheus_client's own Counter, Gauge and Histogram would give for the same figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from bot.runtime.telemetry import LATENCY_BUCKETS, Count, Telemetry


def prometheus_text(telemetry: Telemetry) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(telemetry))
    return bytes(generate_latest(registry))


def _created() -> bool:
    """Whether ``_created`` series are shown (``PROMETHEUS_DISABLE_CREATED_SERIES`` says not)."""
    return bool(getattr(prometheus_metrics, "_use_created", True))


class _Figures:
    """A collector of one bot's figures, in the order and with the names they always had."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    def collect(self) -> Iterator[Any]:
        t = self._telemetry
        yield _counter("halobot_commands", "Slash commands served.", ["command", "shard"], t.commands)
        yield _counter(
            "halobot_command_errors",
            "Slash commands that ended in an error.",
            ["command", "kind", "shard"],
            t.command_errors,
        )
        yield _gauge(
            "halobot_shard_latency_seconds",
            "Gateway heartbeat latency of each shard of this process.",
            t.shard_latency,
        )
        yield _gauge("halobot_shard_servers", "Servers on each shard of this process.", t.shard_servers)
        yield _gauge(
            "halobot_shard_connected", "1 while the shard's gateway session is connected.", t.shard_connected
        )
        yield GaugeMetricFamily("halobot_poller", "1 while this process runs the background jobs.", t.poller)
        yield _counter(
            "halobot_upstream_requests",
            "Requests to upstream services.",
            ["service", "outcome"],
            t.upstream_calls,
        )
        latency = HistogramMetricFamily(
            "halobot_upstream_request_seconds", "Latency of upstream requests.", labels=["service"]
        )
        for service, latencies in t.upstream_latency.items():
            total = 0
            buckets = []
            for bound, count in zip(LATENCY_BUCKETS, latencies.buckets, strict=True):
                total += count
                buckets.append((floatToGoString(bound), float(total)))  # type: ignore[no-untyped-call]
            latency.add_metric([service], buckets, latencies.sum)
            if _created():
                latency.samples.append(
                    Sample(f"{latency.name}_created", {"service": service}, latencies.created, None, None)
                )
        yield latency


def _counter(name: str, documentation: str, labels: list[str], counts: dict[Any, Count]) -> Any:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for values, count in counts.items():
        family.add_metric(list(values), count.value, created=count.created if _created() else None)
    return family


def _gauge(name: str, documentation: str, values: dict[str, float]) -> Any:
    family = GaugeMetricFamily(name, documentation, labels=["shard"])
    for shard, value in values.items():
        family.add_metric([shard], value)
    return family
