"""The small HTTP endpoint for orchestrators: ``/healthz`` and Prometheus ``/metrics``."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.config import HealthConfig
from bot.errors import StartupError
from bot.runtime.telemetry import Telemetry

log = logging.getLogger(__name__)


def health_app(is_healthy: Callable[[], bool], telemetry: Telemetry) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        if is_healthy():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="not connected to the Discord gateway\n")

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=telemetry.metrics_text(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


@asynccontextmanager
async def health_server(
    config: HealthConfig, is_healthy: Callable[[], bool], telemetry: Telemetry
) -> AsyncIterator[None]:
    """Serves the endpoint for the duration of the block."""
    runner = web.AppRunner(health_app(is_healthy, telemetry), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, config.host, config.port).start()
        except OSError as error:
            reason = os.strerror(error.errno) if error.errno else str(error)
            raise StartupError(
                f"cannot serve health on {config.host}:{config.port}: {reason}; "
                "set health.port to a free port, or to 0 to turn the endpoint off"
            ) from None
        log.info("Health endpoint on http://%s:%s/healthz", config.host, config.port)
        yield
    finally:
        await runner.cleanup()
