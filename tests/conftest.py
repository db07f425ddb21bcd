from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

from bot.__main__ import open_bot, serve_until
from bot.app import HaloBot
from bot.clients.waypoint.microsoft_signin import MicrosoftSignIn
from bot.config import Config, InfiniteConfig
from bot.storage.database import DatabaseError, connect, open_database
from cogs.speedrun import SpeedrunCog
from cogs.speedrun.submission_view import COG
from tests.fakes.discord import FakeDiscord
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.local_config import local_settings
from tests.fakes.local_http import LocalServer
from tests.fakes.microsoft_authority import MicrosoftAuthority, certificate_authority
from tests.fakes.speedrun_server import FakeSpeedrun
from tests.fakes.waypoint_server import FakeWaypoint

AZURE_CLIENT_ID = "00000000-0000-0000-0000-00000000b07e"
Server = TypeVar("Server", bound=LocalServer)


@pytest.fixture
async def discord_server() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], "the bot sent requests that Discord would reject"


def served(kind: type[Server], name: str) -> Callable[[], AsyncIterator[Server]]:
    """A fixture ``name``: a local ``kind`` server, running for one test."""

    async def server() -> AsyncIterator[Server]:
        """A local server of the upstream's, started for this test and stopped after it."""
        async with kind() as started:
            yield started

    return pytest.fixture(server, name=name)


speedrun_server = served(FakeSpeedrun, "speedrun_server")
haloruns_server = served(FakeHaloRuns, "haloruns_server")
waypoint_server = served(FakeWaypoint, "waypoint_server")


@pytest.fixture(scope="session")
def microsoft_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicrosoftAuthority]:
    """The test sign-in authority, over https with a CA of the tests' own, trusted the way MSAL's
    HTTP client (requests) trusts a CA: through ``REQUESTS_CA_BUNDLE``."""
    ca_file, context = certificate_authority(tmp_path_factory.mktemp("authority"))
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
        authority = MicrosoftAuthority(context, AZURE_CLIENT_ID)
        authority.start()
        yield authority
        authority.stop()


@pytest.fixture(scope="session")
def signed_in_cache(microsoft_authority: MicrosoftAuthority, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A token cache after the device-code sign-in, made once per test session."""
    path = tmp_path_factory.mktemp("signin") / "msal_cache.json"
    config = InfiniteConfig(
        client_id=AZURE_CLIENT_ID, authority=microsoft_authority.authority, token_cache=path
    )
    MicrosoftSignIn(config).sign_in(lambda instructions: None)
    return path.read_text(encoding="utf-8")


@pytest.fixture
def infinite_settings(
    waypoint_server: FakeWaypoint,
    microsoft_authority: MicrosoftAuthority,
    signed_in_cache: str,
    tmp_path: Path,
) -> dict[str, Any]:
    """``infinite`` config values for a bot signed in at the test authority, using the local Waypoint."""
    cache = tmp_path / "msal_cache.json"
    cache.write_text(signed_in_cache, encoding="utf-8")
    return {
        "enabled": True,
        "client_id": AZURE_CLIENT_ID,
        "authority": microsoft_authority.authority,
        "token_cache": str(cache),
        **waypoint_server.settings(),
    }


def free_port() -> int:
    """A port nothing listens on, for a server whose port a test must name. It is taken below the
    range the system hands out for port 0 and for outgoing connections, in a band of this test
    worker's own: no other socket, of this worker or another, can take it before the server binds."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    band = list(range(low - PORT_BAND * (worker + 1), low - PORT_BAND * worker))
    for port in random.sample(band, len(band)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {band[0]}-{band[-1]}")


PORT_BAND = 500


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A SQLite database at the newest revision, made once: each test's bot starts from a copy
    rather than migrating an empty file (the migrations' own tests start from empty files)."""
    path = tmp_path_factory.mktemp("template") / "halobot.db"

    async def migrate() -> None:
        database = await open_database(f"sqlite+aiosqlite:///{path}")
        await database.close()

    asyncio.run(migrate())
    return path.read_bytes()


@pytest.fixture
def database_copy(tmp_path: Path, migrated_database: bytes) -> str:
    """The URL of this test's own SQLite database (the bot's, in ``make_config``), a copy of the
    migrated one."""
    database = tmp_path / "halobot.db"
    database.write_bytes(migrated_database)
    return f"sqlite+aiosqlite:///{database}"


@pytest.fixture
def make_config(
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    speedrun_server: FakeSpeedrun,
    tmp_path: Path,
    database_copy: str,
) -> Callable[..., Config]:
    def make(**sections: dict[str, Any]) -> Config:
        settings = local_settings(discord_server, tmp_path, haloruns_server, speedrun_server)
        for name, values in sections.items():
            settings[name] = {**settings.get(name, {}), **values}
        return Config(**settings)

    return make


@contextlib.asynccontextmanager
async def running(config: Config, server: FakeDiscord) -> AsyncIterator[HaloBot]:
    """The bot, started the way ``python -m bot`` starts it, connected to ``server``, ready, and done
    with the first run of its background jobs, so that a test's upstream faults and counts are its
    own (and a bot stopped before discord.py's ready would have it fire on a closed client)."""
    stop = asyncio.Event()
    server.ready.clear()
    async with open_bot(config) as bot:
        task = asyncio.create_task(serve_until(bot, stop))

        def started() -> bool:
            jobs_ran = all(bot.jobs.runs(name) > 0 for name in bot.jobs.names)
            return server.ready.is_set() and bot.is_ready() and jobs_ran

        async with asyncio.timeout(10):
            while not (started() or task.done()):
                await asyncio.sleep(0.01)
        try:
            yield bot
        finally:
            stop.set()
            await task


async def until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    """Returns once ``predicate()`` holds (checked every 10 ms), or fails after ``timeout`` seconds:
    a test waits for what it waits for, not for a fixed time."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def speedrun_cog(bot: HaloBot) -> SpeedrunCog:
    """The loaded speedrun cog, for a test that sets up or reads the keys and forms it owns (by name:
    discord.py loads an extension as a module object of its own, so the class is not this one)."""
    found = bot.get_cog(COG)
    assert found is not None, f"the {COG} cog is not loaded"
    return cast(SpeedrunCog, found)


async def poll(bot: HaloBot, job: str, times: int = 1) -> None:
    """Runs the background job ``job`` ``times`` more times, each to its end: a test drives the
    pollers instead of waiting for their intervals."""
    for _ in range(times):
        await bot.jobs.run_now(job)


@pytest.fixture
async def bot(discord_server: FakeDiscord, make_config: Callable[..., Config]) -> AsyncIterator[HaloBot]:
    async with running(make_config(), discord_server) as bot:
        yield bot


POSTGRES_URL = os.environ.get(
    "HALOBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://halobot:halobot@127.0.0.1:5432/halobot_test"
)


async def fresh_postgres() -> str:
    """An emptied test database (each pytest-xdist worker its own, made on first use); skipped when
    no server is reachable, unless on CI or when a server was named explicitly."""
    url = POSTGRES_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is not None:
        base, _, name = POSTGRES_URL.rpartition("/")
        url = f"{base}/{name}_{worker}"
    try:
        if worker is not None:
            await _create_database(POSTGRES_URL, url.rpartition("/")[2])
        database = await connect(url)
        try:
            async with database.transaction() as session:
                await session.execute("DROP SCHEMA public CASCADE")
                await session.execute("CREATE SCHEMA public")
        finally:
            await database.close()
    except DatabaseError as error:
        if os.environ.get("CI") or "HALOBOT_TEST_POSTGRES_URL" in os.environ:
            pytest.fail(f"the PostgreSQL server at {POSTGRES_URL} is required here: {error}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL} ({error}); .ci/postgres.sh starts one")
    return url


async def _create_database(server: str, name: str) -> None:
    """Creates the database ``name`` on ``server`` (through its named database) unless it exists."""
    database = await connect(server)
    try:
        if not await database.fetchval("SELECT 1 FROM pg_database WHERE datname = ?", name):
            await database.execute(f'CREATE DATABASE "{name}"')
    finally:
        await database.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'halobot.db'}"
    else:
        yield await fresh_postgres()
