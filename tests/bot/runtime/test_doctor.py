"""``python -m bot doctor`` against the local servers: a line per check, exit 0 only when all are OK,
the failing service named, no secret shown, nothing changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.models.settings import AnnouncementFilters, Filters, SrcAnnouncementFilters, StreamAlertFilters
from bot.storage.database import open_database
from bot.storage.settings import FeatureSetting, GuildSettings
from tests.fakes.discord import FakeDiscord, make_channel
from tests.fakes.discord.payloads import SEND_MESSAGES
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings
from tests.fakes.speedrun_server import FakeSpeedrun
from tests.fakes.waypoint_server import FakeWaypoint

SPEEDRUN_KEY = "doctorkey0123456789"
DEAD_CELLS = "nd2ee5ed"
LINE = re.compile(r"^(?P<service>[^:]+): (?P<what>.+) \((?P<ms>\d+) ms\): (?P<outcome>.+)$")

Doctor = Callable[[dict[str, dict[str, Any]]], Awaitable[subprocess.CompletedProcess[str]]]


def toml(settings: dict[str, dict[str, Any]]) -> str:
    """The config file of ``settings`` (JSON values are TOML values for these)."""
    return "".join(
        f"[{section}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
        for section, values in settings.items()
    )


@pytest.fixture
def settings(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, speedrun_server: FakeSpeedrun, tmp_path: Path
) -> dict[str, dict[str, Any]]:
    values = local_settings(discord_server, tmp_path, haloruns_server, speedrun_server)
    speedrun_server.api_keys[SPEEDRUN_KEY] = "48g10dr8"
    values["speedrun"] |= {"api_key": SPEEDRUN_KEY, "games": ["deadcells"]}
    return values


@pytest.fixture
def doctor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Doctor]:
    """``python -m bot doctor --config FILE`` through the entry point, in this process (in a
    thread of its own, with its own event loop, while the local servers serve in the test's)."""
    # The doctor sets up the process's logging: put back what the other tests log with.
    touched = [
        logging.getLogger(name) for name in ("", "discord.gateway", "aiosqlite", "alembic", "discord.client")
    ]
    kept = [(logger, logger.handlers[:], logger.level, logger.filters[:]) for logger in touched]

    async def run(settings: dict[str, dict[str, Any]]) -> subprocess.CompletedProcess[str]:
        config = tmp_path / "doctor.toml"
        config.write_text(toml(settings), encoding="utf-8")
        for name in list(os.environ):
            if name.upper().startswith("HALOBOT_") or name == "DISCORD_TOKEN":
                monkeypatch.delenv(name)
        monkeypatch.chdir(tmp_path)
        code = await asyncio.to_thread(main, ["doctor", "--config", str(config)])
        printed = capsys.readouterr()
        return subprocess.CompletedProcess(["doctor"], code, printed.out, printed.err)

    yield run
    for logger, handlers, level, filters in kept:
        logger.handlers[:], logger.filters[:] = handlers, filters
        logger.setLevel(level)


def lines(result: subprocess.CompletedProcess[str]) -> list[re.Match[str]]:
    found = [LINE.match(line) for line in result.stdout.splitlines()]
    assert all(found), result.stdout
    return [line for line in found if line]


async def configure(path: Path, *settings: FeatureSetting[Filters]) -> None:
    database = await open_database(f"sqlite+aiosqlite:///{path}")
    try:
        for setting in settings:
            await GuildSettings(database).save(setting)
    finally:
        await database.close()


async def test_every_service_gets_a_line_and_all_ok_exits_0(
    doctor: Doctor,
    settings: dict[str, dict[str, Any]],
    discord_server: FakeDiscord,
    waypoint_server: FakeWaypoint,
    infinite_settings: dict[str, Any],
    tmp_path: Path,
) -> None:
    guild = discord_server.guilds[0]
    channel = int(discord_server.channels["world-records"]["id"])
    database = tmp_path / "halobot.db"
    await configure(
        database,
        FeatureSetting(int(guild["id"]), "announcements", channel, None, AnnouncementFilters()),
        FeatureSetting(int(guild["id"]), f"src:{DEAD_CELLS}", channel, None, SrcAnnouncementFilters()),
    )
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    settings["infinite"] = infinite_settings

    result = await doctor(settings)

    assert result.returncode == 0, result.stdout + result.stderr
    checks = lines(result)
    assert all(line["outcome"].startswith("OK") for line in checks), result.stdout
    assert [line["service"] for line in checks] == [
        "Database",
        *["HaloRuns"] * 3,
        *["speedrun.com"] * 3,
        "Microsoft sign-in",
        *["Halo Waypoint"] * 3,
        "Discord",
        "Discord",
    ]
    what = [line["what"] for line in checks]
    assert what[1] == f"GET {settings['haloruns']['base_url']}/content/metadata/global.json"
    assert what[4:7] == [
        f"GET {settings['speedrun']['base_url']}/games/deadcells",
        f"GET {settings['speedrun']['base_url']}/games/{DEAD_CELLS}",
        f"GET {settings['speedrun']['base_url']}/profile (with speedrun.api_key)",
    ]
    assert checks[0]["outcome"] == "OK: 1 posting channel(s), 1 followed speedrun.com game(s)"
    assert checks[-1]["what"].startswith(f"GET {settings['discord']['api_base']}/channels/{channel} ")
    assert ("GET", "/profile/users/me") in waypoint_server.requests
    output = result.stdout + result.stderr
    for secret in (discord_server.token, SPEEDRUN_KEY):
        assert secret not in output
    assert "Traceback" not in output
    assert {request.method for request in discord_server.requests} == {"GET"}, "nothing posted"
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before, "nothing written"


def with_bad_entries(haloruns: FakeHaloRuns) -> None:
    path = "/content/feeds/latestRecords.json"
    feed = json.loads((Path(__file__).parents[2] / "fakes" / "haloruns" / path.lstrip("/")).read_text())
    for entry in feed["Entries"][:2]:
        entry["Duration"] = "a while"
    haloruns.overrides[path] = feed


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (lambda h: h.fail("latestRecords", "500"), "it answered HTTP 503"),
        (
            lambda h: h.fail("latestRecords", "wrong-shape"),
            "it sent data in a shape the bot does not understand: Entries: Input should be a valid array",
        ),
        (with_bad_entries, "2 of 4 entries not understood: Duration: "),
    ],
    ids=["500", "wrong shape", "bad entries"],
)
async def test_a_service_that_fails_is_named_and_exits_1(
    doctor: Doctor,
    settings: dict[str, dict[str, Any]],
    haloruns_server: FakeHaloRuns,
    fault: Callable[[FakeHaloRuns], None],
    outcome: str,
) -> None:
    fault(haloruns_server)

    result = await doctor(settings)

    assert result.returncode == 1
    [failed] = [line for line in lines(result) if not line["outcome"].startswith("OK")]
    assert failed["service"] == "HaloRuns"
    assert failed["what"].endswith("/content/feeds/latestRecords.json")
    assert failed["outcome"].startswith(outcome)
    assert "Traceback" not in result.stdout + result.stderr


async def test_a_failed_sign_in_step_leaves_the_steps_after_it_unchecked(
    doctor: Doctor,
    settings: dict[str, dict[str, Any]],
    waypoint_server: FakeWaypoint,
    infinite_settings: dict[str, Any],
) -> None:
    settings["infinite"] = infinite_settings
    waypoint_server.fail("/profile/users/me", 500)

    result = await doctor(settings)

    assert result.returncode == 1
    waypoint = {line["what"].split(" ")[1]: line["outcome"] for line in lines(result)[-4:-1]}
    assert waypoint == {
        f"{infinite_settings['settings_url']}/spartan-token": "OK",
        f"{infinite_settings['profile_url']}/users/me": "it answered HTTP 500",
        f"{infinite_settings['skill_url']}/hi/playlist/edfef3ac-9cbe-4fa2-b949-8f29deafd483/csrs": (
            f"not checked: “GET {infinite_settings['profile_url']}/users/me” failed"
        ),
    }


async def test_channels_the_bot_can_no_longer_post_in_are_named(
    doctor: Doctor, settings: dict[str, dict[str, Any]], discord_server: FakeDiscord, tmp_path: Path
) -> None:
    guild = discord_server.guilds[0]
    closed = make_channel(guild["id"], "closed", deny_everyone=SEND_MESSAGES)
    guild["channels"].append(closed)
    gone = 1234567890123
    await configure(
        tmp_path / "halobot.db",
        FeatureSetting(int(guild["id"]), "announcements", int(closed["id"]), None, AnnouncementFilters()),
        FeatureSetting(int(guild["id"]), "streams", gone, None, StreamAlertFilters()),
    )

    result = await doctor(settings)

    assert result.returncode == 1
    outcomes = {
        line["what"].split(" ")[1]: line["outcome"] for line in lines(result) if line["service"] == "Discord"
    }
    base = settings["discord"]["api_base"]
    assert outcomes == {
        f"{base}/users/@me": "OK: the bot is HaloBot",
        f"{base}/channels/{closed['id']}": "the bot lacks Send Messages there",
        f"{base}/channels/{gone}": "the channel is gone (HTTP 404)",
    }


async def test_without_a_database_nothing_is_made(
    doctor: Doctor, settings: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    result = await doctor(settings)

    assert result.returncode == 0, result.stdout
    assert lines(result)[0]["outcome"] == "OK: 0 posting channel(s), 0 followed speedrun.com game(s)"
    assert not (tmp_path / "halobot.db").exists()


async def test_a_token_discord_refuses_is_named_and_not_shown(
    doctor: Doctor, settings: dict[str, dict[str, Any]], discord_server: FakeDiscord, tmp_path: Path
) -> None:
    guild = discord_server.guilds[0]
    channel = int(discord_server.channels["world-records"]["id"])
    await configure(
        tmp_path / "halobot.db",
        FeatureSetting(int(guild["id"]), "streams", channel, None, StreamAlertFilters()),
    )
    settings["discord"]["token"] = "not-the-token-of-this-bot"

    result = await doctor(settings)

    assert result.returncode == 1
    login, channel_line = [line for line in lines(result) if line["service"] == "Discord"]
    assert login["outcome"] == "Discord does not accept the bot token (HTTP 401)"
    assert channel_line["outcome"].startswith("not checked: ")
    assert "not-the-token-of-this-bot" not in result.stdout + result.stderr


async def test_the_legacy_api_is_checked_in_its_own_queries(
    doctor: Doctor, settings: dict[str, dict[str, Any]]
) -> None:
    settings["haloruns"]["api"] = "legacy"

    result = await doctor(settings)

    assert result.returncode == 0, result.stdout
    base = settings["haloruns"]["base_url"]
    assert [line["what"] for line in lines(result) if line["service"] == "HaloRuns"] == [
        f"GET {base}/api/request?query=recentRecords&format=json&limit=10",
        f"GET {base}/api/request?query=streams&format=json",
    ]
