"""Bot configuration that points at the local servers: used by the tests and by bench/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.discord_server import FakeDiscord
from tests.fakes.haloruns_server import FakeHaloRuns


def local_settings(server: FakeDiscord, data_dir: Path, haloruns: FakeHaloRuns) -> dict[str, Any]:
    """Config values that point the bot at the local servers and keep its data in ``data_dir``."""
    return {
        "discord": {"token": server.token, "api_base": server.api_base, "gateway_url": server.gateway_url},
        "database": {"url": f"sqlite+aiosqlite:///{data_dir / 'halobot.db'}"},
        "haloruns": {"base_url": haloruns.base_url},
        "health": {"port": 0},
    }
