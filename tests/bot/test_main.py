"""The real entry point, ``python -m bot``, run as a process the way an operator runs it."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from alembic.script import ScriptDirectory

from bot.__main__ import collect_garbage_from_now, main
from bot.storage.database import open_database
from bot.storage.migrations import MIGRATIONS
from tests.conftest import AZURE_CLIENT_ID, free_port
from tests.fakes.discord import FakeDiscord
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.microsoft_authority import USER_CODE, MicrosoftAuthority

ROOT = Path(__file__).resolve().parents[2]
HALORUNS_METADATA = ROOT / "tests" / "fakes" / "haloruns" / "content" / "metadata" / "global.json"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALOBOT_") and k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def run_until_exit(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` run to its end while the test's local servers go on serving."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=clean_env(**env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return subprocess.CompletedProcess(list(args), process.returncode, stdout.decode(), stderr.decode())


CheckConfig = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def check_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> CheckConfig:
    """``python -m bot check-config ARGS`` through the entry point, in ``tmp_path`` with only
    ``env`` set, in this process: it reads a file and the environment and starts nothing, so the
    variants need no interpreter of their own (one test below runs it as a process)."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        with monkeypatch.context() as patch:
            for name in list(os.environ):
                if name.upper().startswith("HALOBOT_") or name == "DISCORD_TOKEN":
                    patch.delenv(name)
            for name, value in env.items():
                patch.setenv(name, value)
            patch.chdir(tmp_path)
            code = main(["check-config", *args])
        printed = capsys.readouterr()
        return subprocess.CompletedProcess(["check-config", *args], code, printed.out, printed.err)

    return run


def local_config(
    server: FakeDiscord, haloruns: FakeHaloRuns, path: Path, *, health_port: int = 0, token: bool = True
) -> Path:
    token_line = f'token = "{server.token}"\n' if token else ""
    path.write_text(
        "[discord]\n"
        f"{token_line}"
        f'api_base = "{server.api_base}"\n'
        f'gateway_url = "{server.gateway_url}"\n'
        "[database]\n"
        'url = "sqlite+aiosqlite:///state/db/halobot.db"\n'
        "[haloruns]\n"
        f'base_url = "{haloruns.base_url}"\n'
        "[health]\n"
        f"port = {health_port}\n"
        "[logging]\n"
        'level = "DEBUG"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[health]\nport = 'eighty'\n", "health.port:"),
        ("[haloruns]\napi = 'v3'\n", "haloruns.api:"),
        ("[speedrun]\nbase_url = 'www.speedrun.com/api/v1'\n", "speedrun.base_url:"),
        ("[discord]\ngateway_url = 'https://gateway.discord.gg'\n", "discord.gateway_url:"),
        ("[haloruns]\nrecords_poll_seconds = 0\n", "haloruns.records_poll_seconds:"),
        ("[database]\nurl = 'mysql://localhost/db'\n", "database.url:"),
        ("[discord]\nshard_count = 2\nshard_ids = [1, 2]\n", "discord.shard_ids: must be below"),
        (
            "[infinite]\nauthority = 'http://login.example'\n",
            "infinite.authority: must be an absolute https://",
        ),
        ("[haloruns]\nbase_urll = 'https://haloruns.com'\n", "haloruns.base_urll: unknown key"),
    ],
)
def test_check_config_names_the_bad_key(
    check_config: CheckConfig, tmp_path: Path, toml: str, key: str
) -> None:
    (tmp_path / "config.toml").write_text(toml, encoding="utf-8")

    result = check_config()

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(key), result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_reports_every_bad_key_one_per_line(check_config: CheckConfig, tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text("[health]\nport = 70000\n[haloruns]\napi = 'v3'\n", encoding="utf-8")

    result = check_config("--config", str(config))

    assert result.returncode == 2
    assert sorted(line.split(":")[0] for line in result.stderr.strip().splitlines()) == [
        "haloruns.api",
        "health.port",
    ]


def test_check_config_reads_environment_overrides(check_config: CheckConfig, tmp_path: Path) -> None:
    (tmp_path / "custom.toml").write_text("[haloruns]\napi = 'legacy'\n", encoding="utf-8")

    ok = check_config(HALOBOT_CONFIG="custom.toml", DISCORD_TOKEN="t")
    bad = check_config(HALOBOT_CONFIG="custom.toml", HALOBOT_HALORUNS__BASE_URL="ftp://x")

    assert ok.returncode == 0, ok.stderr
    assert bad.returncode == 2
    assert bad.stderr.startswith("haloruns.base_url:")


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "HALOBOT_DISCORD__COMMAND_GUILD_IDS",
            "123,456",
            "discord.command_guild_ids: HALOBOT_DISCORD__COMMAND_GUILD_IDS must be a JSON list, e.g. [1, 2]",
        ),
        (
            "halobot_speedrun__games",
            "halo3",
            'speedrun.games: HALOBOT_SPEEDRUN__GAMES must be a JSON list, e.g. ["halo3", "hr"]',
        ),
        (
            "HALOBOT_HEALTH",
            "port=0",
            "health: HALOBOT_HEALTH must be a JSON object of its keys (or set HALOBOT_HEALTH__<KEY> instead)",
        ),
    ],
)
def test_check_config_names_an_override_that_is_not_json(
    check_config: CheckConfig, tmp_path: Path, variable: str, value: str, line: str
) -> None:
    result = check_config(**{variable: value})

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [line]


def test_check_config_accepts_the_example_and_a_missing_default_file_given_a_token(tmp_path: Path) -> None:
    example = cli(
        "check-config", "--config", str(ROOT / "config.example.toml"), cwd=tmp_path, DISCORD_TOKEN="t"
    )
    missing = cli("check-config", cwd=tmp_path, DISCORD_TOKEN="t")

    assert example.returncode == 0, example.stderr
    assert missing.returncode == 0, missing.stderr
    assert missing.stdout == "no config.toml, so defaults plus environment: configuration is valid\n"


def test_check_config_refuses_a_configuration_without_a_token(
    check_config: CheckConfig, tmp_path: Path
) -> None:
    result = check_config("--config", str(ROOT / "config.example.toml"))

    assert result.returncode == 2
    assert result.stderr == ("discord.token: not set: set DISCORD_TOKEN (or discord.token in the config)\n")


@pytest.mark.parametrize("named_by", ["--config", "HALOBOT_CONFIG"])
def test_check_config_refuses_a_named_file_that_does_not_exist(
    check_config: CheckConfig, tmp_path: Path, named_by: str
) -> None:
    (tmp_path / "config.toml").write_text("[haloruns]\napi = 'legacy'\n", encoding="utf-8")
    if named_by == "--config":
        result = check_config("--config", "nope.toml", DISCORD_TOKEN="t")
    else:
        result = check_config(DISCORD_TOKEN="t", HALOBOT_CONFIG="nope.toml")

    assert result.returncode == 2
    assert result.stderr == (
        f"nope.toml: no such file (named by {named_by}); "
        "name an existing file, or copy config.example.toml there\n"
    )


def test_start_without_token_ends_with_one_line(tmp_path: Path) -> None:
    result = cli(cwd=tmp_path)  # no config.toml either: defaults plus environment

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: no Discord bot token")
    assert "Traceback" not in result.stderr


async def test_start_with_a_rejected_token_ends_with_one_line(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    config = local_config(discord_server, haloruns_server, tmp_path / "config.toml", token=False)

    result = await run_until_exit("run", "--config", str(config), cwd=tmp_path, DISCORD_TOKEN="not-the-token")

    text = result.stderr
    assert result.returncode == 1
    assert text.strip().splitlines()[-1] == (
        "error: Discord rejected the bot token (401 Unauthorized); check DISCORD_TOKEN"
    )
    assert "Traceback" not in text
    assert "not-the-token" not in text


async def test_the_first_start_says_in_one_line_that_it_made_the_database(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    config = local_config(discord_server, haloruns_server, tmp_path / "config.toml", token=False)
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()

    start = await run_until_exit(
        "--config", str(config), cwd=tmp_path, DISCORD_TOKEN="rejected", HALOBOT_LOGGING__LEVEL="INFO"
    )

    assert database_lines(start.stderr) == [  # Alembic's nine lines show only at DEBUG
        f"INFO    bot.storage.database: Database upgraded from empty to {head} "
        "(sqlite+aiosqlite:///state/db/halobot.db)"
    ]


def database_lines(log: str) -> list[str]:
    """The lines about the database, without their time."""
    lines = [line.split(" ", 2)[2] for line in log.splitlines() if line[:2] == "20"]
    return [line for line in lines if "alembic" in line or "database" in line]


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A local address that accepts connections and never answers: ``127.0.0.1:port``."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("silent", "url", "seconds"),
    [
        ("API_BASE", "http://{}/api/v10", "0.5"),
        # the login goes to the local Discord, and must be done within the bound
        ("GATEWAY_URL", "ws://{}/", "2"),
    ],
)
async def test_start_against_a_discord_that_never_answers_ends_with_one_line(
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    tmp_path: Path,
    silent: str,
    url: str,
    seconds: str,
) -> None:
    config = local_config(discord_server, haloruns_server, tmp_path / "config.toml")
    async with silent_server() as address:
        overrides = {f"HALOBOT_DISCORD__{silent}": url.format(address)}
        result = await run_until_exit(
            "--config",
            str(config),
            cwd=tmp_path,
            HALOBOT_DISCORD__CONNECT_TIMEOUT_SECONDS=seconds,
            **overrides,
        )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: Discord did not answer within {seconds} s at {url.format(address)}; "
        "check the address and the network"
    )
    assert "Traceback" not in result.stderr


async def test_run_serves_status_and_stops_on_sigterm(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    port = free_port()
    config = local_config(discord_server, haloruns_server, tmp_path / "config.toml", health_port=port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert config.exists()
    output = asyncio.create_task(process.communicate())
    try:
        async with aiohttp.ClientSession() as http:
            status = await wait_for_health(http, port, 200)
            assert status == 200

            reply = await (await discord_server.invoke("status")).reply()
            assert reply.embeds[0]["title"] == "Halo Speedrun Bot status"

            metrics = await (await http.get(f"http://127.0.0.1:{port}/metrics")).text()
            assert 'halobot_commands_total{command="status",shard="0"} 1.0' in metrics
    finally:
        stopped_at = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(output, 10)

    assert time.perf_counter() - stopped_at < 5
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert "Traceback" not in log
    assert discord_server.token not in log
    assert "itoken-" not in log, "interaction tokens must be masked in logs"
    assert (tmp_path / "state" / "db" / "halobot.db").exists()


async def test_start_with_the_health_port_taken_says_how_to_change_it(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = local_config(discord_server, haloruns_server, tmp_path / "config.toml", health_port=port)

        result = await run_until_exit("--config", str(config), cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot serve health on 127.0.0.1:{port}: Address already in use; "
        "set health.port to a free port, or to 0 to turn the endpoint off"
    )
    assert "Traceback" not in result.stderr


async def wait_for_health(http: aiohttp.ClientSession, port: int, want: int) -> int:
    status = 0
    async with asyncio.timeout(20):
        while status != want:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    status = response.status
            except aiohttp.ClientConnectionError:
                pass
            if status != want:
                await asyncio.sleep(0.1)
    return status


async def test_sync_pushes_commands_to_each_configured_guild(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    config = local_config(discord_server, haloruns_server, tmp_path / "config.toml")
    guild_id = discord_server.guilds[0]["id"]

    result = await run_until_exit(
        "sync", "--config", str(config), cwd=tmp_path, HALOBOT_DISCORD__COMMAND_GUILD_IDS=f"[{guild_id}]"
    )

    assert result.returncode == 0, result.stderr
    assert f"guild {guild_id}" in result.stdout
    assert {"status", "wr", "recent"} <= {c["name"] for c in discord_server.commands[int(guild_id)]}
    assert None not in discord_server.commands


def test_infinite_login_signs_in_with_a_device_code_and_keeps_a_private_cache(
    tmp_path: Path, microsoft_authority: MicrosoftAuthority
) -> None:
    cache = tmp_path / "data" / "msal_cache.json"
    (tmp_path / "config.toml").write_text(
        f'[infinite]\nclient_id = "{AZURE_CLIENT_ID}"\nauthority = "{microsoft_authority.authority}"\n'
        f'token_cache = "{cache}"\n'
    )

    done = cli("infinite-login", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert f"enter the code {USER_CODE}" in done.stdout
    assert "Signed in as operator@example.com" in done.stdout
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert "RefreshToken" in json.loads(cache.read_text())
    assert [p.name for p in cache.parent.iterdir()] == [cache.name]  # nothing half-written left behind


def test_infinite_login_refused_ends_with_one_line(
    tmp_path: Path, microsoft_authority: MicrosoftAuthority
) -> None:
    (tmp_path / "config.toml").write_text(
        f'[infinite]\nclient_id = "not-registered"\nauthority = "{microsoft_authority.authority}"\n'
    )

    done = cli("infinite-login", cwd=tmp_path)

    assert done.returncode == 1
    assert done.stderr == "error: the sign-in could not start: unauthorized_client: test authority\n"
    assert not (tmp_path / "data" / "msal_cache.json").exists()


IDLE_SCRIPT = f"""
import asyncio, importlib, sys
from bot.app import COGS
from bot.clients.haloruns.catalog import content_catalog
from bot.models.haloruns_content import GlobalMetadata
from bot.storage.database import open_database
import bot.__main__
for cog in COGS:
    importlib.import_module(cog)
async def start():
    await (await open_database(sys.argv[1])).close()
asyncio.run(start())
with open({str(HALORUNS_METADATA)!r}, encoding="utf-8") as metadata:  # the catalog, loaded at start
    content_catalog(GlobalMetadata.model_validate_json(metadata.read()))
print(" ".join(sorted(m for m in sys.argv[2:] if m in sys.modules)))
"""


def test_a_restart_loads_no_library_only_a_feature_in_use_or_a_migration_needs(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'halobot.db'}"

    async def migrate() -> None:  # this start is then a restart
        await (await open_database(url)).close()

    asyncio.run(migrate())
    deferred = [
        "alembic",
        "PIL",
        "matplotlib",
        "msal",
        "requests",
        "cryptography",
        "sqlalchemy",
        "asyncpg",
        "aiohttp.web",
        "rapidfuzz",
        "apscheduler",
        "prometheus_client",
    ]

    loaded = subprocess.run(
        [sys.executable, "-c", IDLE_SCRIPT, url, *deferred],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert loaded.stdout.split() == []


def test_the_collector_off_at_start_comes_on_with_the_start_up_frozen() -> None:
    gc.disable()
    try:
        collect_garbage_from_now()

        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
