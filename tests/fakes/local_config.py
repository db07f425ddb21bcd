"""Bot configuration that points at the local servers: used by the tests and by bench/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.discord import FakeDiscord
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.speedrun_server import FakeSpeedrun


def local_settings(
    server: FakeDiscord, data_dir: Path, haloruns: FakeHaloRuns, speedrun: FakeSpeedrun | None = None
) -> dict[str, Any]:
    """Config values that point the bot at the local servers and keep its data in ``data_dir``."""
    return {
        "discord": {
            "token": server.token,
            "api_base": server.api_base,
            "gateway_url": server.gateway_url,
            # The local server sends every server at once: no need to wait for stragglers.
            "guild_ready_seconds": 0.05,
        },
        "database": {"url": f"sqlite+aiosqlite:///{data_dir / 'halobot.db'}"},
        "haloruns": {"base_url": haloruns.base_url},
        # Without a local speedrun.com, an address nothing listens on: a call fails at once.
        "speedrun": {
            "base_url": speedrun.base_url if speedrun else "http://127.0.0.1:9/api/v1",
            "key_secret_file": str(data_dir / "secret.key"),
        },
        "health": {"port": 0},
    }
