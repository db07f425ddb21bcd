"""``python -m bot doctor``: one call to each service the configuration uses, each answer checked
with the bot's own models, one line per check.

A line names the service, what was called (no secret in it), how long it took, and ``OK`` or what
is wrong, the items of a list the bot would leave out for their shape included. Nothing is posted
and nothing is written to the database (a SQLite file that does not exist is not made); the
Microsoft sign-in, when renewed, is kept as the bot keeps it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import discord
import discord.http
from pydantic import TypeAdapter

from bot.clients.haloruns.transport import SERVICE as HALORUNS
from bot.clients.haloruns.transport import HaloRunsClient
from bot.clients.speedrun import SERVICE as SPEEDRUN
from bot.clients.speedrun import SpeedrunClient
from bot.clients.waypoint.client import SERVICE as WAYPOINT
from bot.clients.waypoint.client import WaypointClient
from bot.clients.waypoint.microsoft_signin import MicrosoftSignIn
from bot.clients.waypoint.signin_errors import SignedOut, SignInUnreachable
from bot.clients.waypoint.tokens import WaypointTokens
from bot.config import Config
from bot.errors import ServiceError, UpstreamError, UserFacingError
from bot.models import haloruns_content as feeds
from bot.models import haloruns_legacy as legacy
from bot.models.lenient import noting_skips
from bot.models.settings import Filters
from bot.runtime.discord_endpoints import use_discord_endpoints
from bot.runtime.telemetry import Telemetry
from bot.services.halo_infinite import RANKED_ARENA
from bot.storage.database import DatabaseError, DatabaseUrl, connect
from bot.storage.settings import Feature, FeatureSetting, GuildSettings

CHECK_SECONDS = 20.0  # no check waits longer (the clients' own limits are shorter)
LEGACY_PATH = "/api/request"
# What a post needs: View Channel, Send Messages, Embed Links.
POST_PERMISSIONS = {1 << 10: "View Channel", 1 << 11: "Send Messages", 1 << 14: "Embed Links"}
ADMINISTRATOR = 1 << 3
FEATURES: tuple[Feature, ...] = ("announcements", "streams", "src", "queue", "recap")
FEATURE_NAMES = {
    "announcements": "announcements",
    "streams": "stream alerts",
    "src": "speedrun.com",
    "queue": "speedrun.com queue",
    "recap": "weekly recap",
}

Probe = Callable[[], Awaitable[str | None]]  # an optional note after OK


@dataclass(frozen=True, slots=True)
class Line:
    """One check: the service, what was called, how long it took, and what is wrong (``None``: OK)."""

    service: str
    what: str  # the method and the URL, never a secret
    milliseconds: int
    problem: str | None = None
    note: str | None = None  # what an OK answer said, where worth saying

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        outcome = self.problem or (f"OK: {self.note}" if self.note else "OK")
        return f"{self.service}: {self.what} ({self.milliseconds} ms): {outcome}"


class Refusal(Exception):
    """A check found something wrong that is no error of a client; the message says what."""


def problem_of(error: BaseException) -> str:
    """What went wrong, in a few words, for the operator."""
    if isinstance(error, UpstreamError):
        return f"{error.problem}: {error.detail}" if error.detail else error.problem
    if isinstance(error, discord.LoginFailure):
        return "Discord does not accept the bot token (HTTP 401)"
    if isinstance(error, discord.HTTPException):
        return f"HTTP {error.status}" + (f": {error.text}" if error.text else "")
    if isinstance(error, TimeoutError):
        return f"no answer within {CHECK_SECONDS:g} seconds"
    if isinstance(error, aiohttp.ClientError):
        return f"could not be reached ({type(error).__name__})"
    if isinstance(
        error,
        (Refusal, UserFacingError, ServiceError, SignedOut, SignInUnreachable, DatabaseError, OSError),
    ):
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"unexpected {type(error).__name__}: {error}"


@dataclass
class Checkup:
    """The lines so far, each shown once done; a failed step makes those that need it "not checked"."""

    show: Callable[[Line], None] = lambda line: None
    lines: list[Line] = field(default_factory=list)

    async def check(self, service: str, what: str, probe: Probe, *, needs: Line | None = None) -> Line:
        if needs is not None and not needs.ok:
            line = Line(service, what, 0, f"not checked: “{needs.what}” failed")
        else:
            line = await _timed(service, what, probe)
        self.lines.append(line)
        self.show(line)
        return line

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)


async def _timed(service: str, what: str, probe: Probe) -> Line:
    started = time.perf_counter()
    problem = note = None
    try:
        with noting_skips() as skipped:
            async with asyncio.timeout(CHECK_SECONDS):
                note = await probe()
        if skipped:
            problem = "; ".join(str(skip) for skip in skipped)
    except Exception as error:  # every failure is a line, never a traceback
        problem = problem_of(error)
    return Line(service, what, round((time.perf_counter() - started) * 1000), problem, note)


@dataclass(frozen=True, slots=True)
class Configured:
    """What the database says the servers use: posting channels, followed speedrun.com games."""

    settings: tuple[FeatureSetting[Filters], ...] = ()

    @property
    def games(self) -> list[str]:
        return list(dict.fromkeys(s.scope for s in self.settings if s.family in ("src", "queue") and s.scope))


async def run_doctor(config: Config, user_agent: str, show: Callable[[Line], None]) -> bool:
    """Runs every check, showing each line; whether all were OK."""
    use_discord_endpoints(config.discord)
    async with aiohttp.ClientSession(headers={"User-Agent": user_agent}) as session:
        checkup = await run_checks(config, session, Checkup(show))
    return checkup.ok


async def run_checks(config: Config, session: aiohttp.ClientSession, checkup: Checkup) -> Checkup:
    """Every check the configuration calls for, in order: database, HaloRuns, speedrun.com, Halo
    Waypoint (when on), Discord."""
    telemetry = Telemetry([HALORUNS, SPEEDRUN, WAYPOINT])
    configured = Configured()

    async def database() -> str:
        nonlocal configured
        configured = await read_settings(config.database.url)
        channels = len({s.channel_id for s in configured.settings})
        return f"{channels} posting channel(s), {len(configured.games)} followed speedrun.com game(s)"

    where = DatabaseUrl.parse(config.database.url).shown
    await checkup.check("Database", f"read the servers' settings at {where}", database)
    await check_haloruns(checkup, config, HaloRunsClient(session, config.haloruns, telemetry))
    await check_speedrun(checkup, config, SpeedrunClient(session, config.speedrun, telemetry), configured)
    if config.infinite.enabled:
        await check_waypoint(checkup, config, session, telemetry)
    await check_discord(checkup, config, configured)
    return checkup


def _not_made_yet(url: str) -> bool:
    """A SQLite database whose file is not there yet (the bot makes it at its first start)."""
    parsed = DatabaseUrl.parse(url)
    return parsed.backend == "sqlite" and not Path(parsed.path).is_file()


async def read_settings(url: str) -> Configured:
    """The enabled posting settings, read without writing (a SQLite file that is not there yet
    holds none, and is not made)."""
    if _not_made_yet(url):
        return Configured()
    database = await connect(url)
    try:
        settings = GuildSettings(database)
        found = [s for feature in FEATURES for s in await settings.enabled(feature)]
    finally:
        await database.close()
    return Configured(tuple(found))


def _url(base: str, path: str, params: dict[str, str] | None = None) -> str:
    return f"{base}{path}" + (f"?{urlencode(params)}" if params else "")


def _reading(
    client: HaloRunsClient, path: str, shape: TypeAdapter[Any], params: dict[str, str] | None = None
) -> Probe:
    async def probe() -> None:
        await client.get(path, shape, params, fresh=True)

    return probe


async def check_haloruns(checkup: Checkup, config: Config, client: HaloRunsClient) -> None:
    """The catalog and both feeds (world records, streams), in the configured API generation."""
    base = config.haloruns.base_url
    if config.haloruns.api == "content":
        for path, shape in (
            ("/content/metadata/global.json", feeds.GLOBAL_METADATA),
            ("/content/feeds/latestRecords.json", feeds.LATEST_RECORDS),
            ("/content/feeds/streamList.json", feeds.STREAM_LIST),
        ):
            await checkup.check(HALORUNS, f"GET {_url(base, path)}", _reading(client, path, shape))
        return
    # The legacy catalog is the seed's tables: nothing to read.
    queries: tuple[tuple[dict[str, str], TypeAdapter[Any]], ...] = (
        ({"query": "recentRecords", "format": "json", "limit": "10"}, legacy.RECORDS),
        ({"query": "streams", "format": "json"}, legacy.STREAMS),
    )
    for params, answer in queries:
        what = f"GET {_url(base, LEGACY_PATH, params)}"
        await checkup.check(HALORUNS, what, _reading(client, LEGACY_PATH, answer, params))


async def check_speedrun(
    checkup: Checkup, config: Config, client: SpeedrunClient, configured: Configured
) -> None:
    """One lookup of each configured or followed game, and the bot-wide key's profile."""
    base = config.speedrun.base_url
    for ref in dict.fromkeys([*config.speedrun.games, *configured.games]):

        async def game(ref: str = ref) -> str:
            return (await client.game(ref)).name

        await checkup.check(SPEEDRUN, f"GET {base}/games/{quote(ref, safe='')}", game)
    key = config.speedrun.api_key
    if key.get_secret_value():

        async def profile() -> str:
            return f"the key is {(await client.profile(key)).display_name}'s"

        await checkup.check(SPEEDRUN, f"GET {base}/profile (with speedrun.api_key)", profile)


async def check_waypoint(
    checkup: Checkup, config: Config, session: aiohttp.ClientSession, telemetry: Telemetry
) -> None:
    """The sign-in renews, a Spartan token is issued, the signed-in player's profile and CSR parse."""
    settings = config.infinite
    signin = MicrosoftSignIn(settings)
    tokens = WaypointTokens(session, settings, signin)
    client = WaypointClient(session, settings, tokens, telemetry)
    player: list[Any] = []

    async def renew() -> None:
        await asyncio.to_thread(signin.access_token)

    async def spartan() -> None:
        await tokens.credentials()

    async def me() -> str:
        player.append(await client.me())
        return str(player[0].gamertag)

    async def csr() -> None:
        await client.csr(player[0].xuid, RANKED_ARENA, None)

    signed_in = await checkup.check(
        "Microsoft sign-in", f"renew the sign-in kept at {settings.token_cache} ({settings.authority})", renew
    )
    token = await checkup.check(
        WAYPOINT, f"POST {settings.settings_url}/spartan-token (through Xbox Live)", spartan, needs=signed_in
    )
    profile = await checkup.check(WAYPOINT, f"GET {settings.profile_url}/users/me", me, needs=token)
    await checkup.check(
        WAYPOINT,
        f"GET {settings.skill_url}/hi/playlist/{RANKED_ARENA}/csrs (the signed-in player)",
        csr,
        needs=profile,
    )


async def check_discord(checkup: Checkup, config: Config, configured: Configured) -> None:
    """The token is valid, and the bot can still post in every configured channel."""
    base = config.discord.api_base
    async with _discord_rest() as rest:
        bot_id: list[int] = []

        async def login() -> str:
            if not config.discord.token.get_secret_value():
                raise Refusal("no token: set DISCORD_TOKEN (or discord.token in the config)")
            me = await rest.static_login(config.discord.token.get_secret_value())
            bot_id.append(int(me["id"]))
            return f"the bot is {me['username']}"

        token = await checkup.check("Discord", f"GET {base}/users/@me (the bot token)", login)
        by_channel: dict[int, list[FeatureSetting[Filters]]] = {}
        for setting in configured.settings:
            by_channel.setdefault(setting.channel_id, []).append(setting)
        for channel_id, settings in by_channel.items():
            uses = ", ".join(dict.fromkeys(FEATURE_NAMES.get(s.family, s.family) for s in settings))

            async def can_post(channel_id: int = channel_id) -> None:
                await _check_channel(rest, channel_id, bot_id[0])

            await checkup.check(
                "Discord",
                f"GET {base}/channels/{channel_id} ({uses}, server {settings[0].guild_id}): may the bot post",
                can_post,
                needs=token,
            )


@asynccontextmanager
async def _discord_rest() -> AsyncIterator[discord.http.HTTPClient]:
    rest = discord.http.HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=CHECK_SECONDS)
    try:
        yield rest
    finally:
        await rest.close()


async def _check_channel(rest: discord.http.HTTPClient, channel_id: int, bot_id: int) -> None:
    try:
        channel: Any = await rest.get_channel(channel_id)
    except discord.NotFound:
        raise Refusal("the channel is gone (HTTP 404)") from None
    except discord.Forbidden:
        raise Refusal("the bot cannot see the channel (HTTP 403)") from None
    guild_id = int(channel["guild_id"])
    roles: Any = await rest.get_roles(guild_id)
    member: Any = await rest.get_member(guild_id, bot_id)
    allowed = channel_permissions(guild_id, roles, member, channel.get("permission_overwrites") or [], bot_id)
    missing = [name for bit, name in POST_PERMISSIONS.items() if not allowed & bit]
    if missing:
        raise Refusal(f"the bot lacks {', '.join(missing)} there")


def channel_permissions(
    guild_id: int,
    roles: Iterable[dict[str, Any]],
    member: dict[str, Any],
    overwrites: Iterable[dict[str, Any]],
    member_id: int,
) -> int:
    """The member's permissions in a channel, as Discord computes them: the @everyone role and the
    member's roles, then the channel's overwrites for @everyone, for the roles, for the member."""
    by_id = {int(role["id"]): int(role["permissions"]) for role in roles}
    mine = {int(role) for role in member.get("roles", [])}
    allowed = by_id.get(guild_id, 0)
    for role_id in mine:
        allowed |= by_id.get(role_id, 0)
    if allowed & ADMINISTRATOR:
        return ~0
    kept = [(int(o["id"]), int(o.get("type", 0)), int(o["allow"]), int(o["deny"])) for o in overwrites]
    for target, kind, allow, deny in kept:
        if kind == 0 and target == guild_id:
            allowed = (allowed & ~deny) | allow
    role_allow = role_deny = 0
    for target, kind, allow, deny in kept:
        if kind == 0 and target in mine:
            role_allow, role_deny = role_allow | allow, role_deny | deny
    allowed = (allowed & ~role_deny) | role_allow
    for target, kind, allow, deny in kept:
        if kind == 1 and target == member_id:
            allowed = (allowed & ~deny) | allow
    return allowed
