"""Command line: ``python -m bot [run | check-config | sync | infinite-login | doctor] [--config PATH]``.

main() owns the process's resources (HTTP session, database, health endpoint) and hands
them to the bot; it turns the failures an operator can fix into one line and an exit code.
"""

from __future__ import annotations

import gc

if __name__ == "__main__":  # the process starting, not an import: see collect_garbage_from_now()
    gc.disable()

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path

import aiohttp
import discord

from bot import __version__
from bot.app import HaloBot
from bot.clients.waypoint.signin_errors import SignedOut, SignInUnreachable
from bot.config import Config, ConfigError, HealthConfig, config_path, load_config
from bot.errors import StartupError
from bot.runtime.discord_endpoints import use_discord_endpoints
from bot.runtime.leader import single_process
from bot.runtime.logging_setup import masked, setup_logging
from bot.storage.database import DatabaseError, open_database

log = logging.getLogger("bot")

USER_AGENT = f"halo-speedrun-bot/{__version__} (+https://github.com/halo-speedrun-bot)"
EXIT_FAILURE = 1
EXIT_BAD_CONFIG = 2
SHUTDOWN_GRACE_SECONDS = 1.0
HOW_TO_LOG_IN = "set DISCORD_TOKEN (or discord.token in the config)"
# Gateway closes that no reconnect can mend: the shards configured are not ones Discord accepts.
SHARDING_CLOSES = {
    4010: "the shard is not valid for discord.shard_count (Invalid shard)",
    4011: "the bot is in too many servers for that many shards (Sharding required); "
    "set discord.shard_count to 0 (Discord's recommendation) or higher",
}


@asynccontextmanager
async def open_bot(config: Config, *, sync_on_start: bool = True) -> AsyncIterator[HaloBot]:
    """The bot with its resources opened; everything is closed again when the block ends."""
    use_discord_endpoints(config.discord)
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        try:
            database = await open_database(config.database.url)
        except DatabaseError as error:
            raise StartupError(f"cannot open the database: {error}") from None
        try:
            async with HaloBot(
                config=config, session=session, database=database, sync_on_start=sync_on_start
            ) as bot:
                yield bot
        finally:
            await database.close()


async def serve_until(bot: HaloBot, stop: asyncio.Event) -> None:
    """Runs the bot until ``stop`` is set or the bot fails, then closes the gateway."""
    runner = asyncio.create_task(_login_and_connect(bot), name="discord")
    stopper = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if runner.done():
            await runner  # the bot failed: let its error out
        else:
            log.info("Shutting down")
            await bot.close()
            done, _ = await asyncio.wait({runner}, timeout=SHUTDOWN_GRACE_SECONDS)
            if not done:  # a reconnect attempt sleeping in its backoff: don't wait it out
                runner.cancel()
                await asyncio.wait({runner})
            if not runner.cancelled() and (error := runner.exception()) is not None:
                log.debug("The gateway task ended with %r while shutting down", error)


async def _login(bot: HaloBot) -> None:
    discord_config = bot.config.discord
    try:
        async with asyncio.timeout(discord_config.connect_timeout_seconds):
            await bot.login(discord_config.token.get_secret_value())
    except discord.LoginFailure:
        raise StartupError("Discord rejected the bot token (401 Unauthorized); check DISCORD_TOKEN") from None
    except aiohttp.ClientError as error:
        raise StartupError(f"cannot reach Discord at {discord_config.api_base}: {error}") from None
    except TimeoutError:
        raise StartupError(_no_answer(bot, discord_config.api_base)) from None


async def _connect(bot: HaloBot) -> None:
    """The gateway, reconnecting after outages as discord.py does; only the first connection
    (up to READY) is bounded, by ``discord.connect_timeout_seconds``."""
    discord_config = bot.config.discord
    first_connection = asyncio.timeout(discord_config.connect_timeout_seconds)

    async def connected() -> None:
        first_connection.reschedule(None)

    bot.add_listener(connected, "on_connect")
    try:
        async with first_connection:
            await bot.connect(reconnect=True)
    except TimeoutError:
        if first_connection.expired():
            raise StartupError(_no_answer(bot, discord_config.gateway_url)) from None
        raise
    except discord.ConnectionClosed as closed:
        if closed.code in SHARDING_CLOSES:
            raise StartupError(
                f"Discord closed shard {closed.shard_id}: {SHARDING_CLOSES[closed.code]}"
            ) from None
        raise
    finally:
        bot.remove_listener(connected, "on_connect")


def _no_answer(bot: HaloBot, url: str) -> str:
    seconds = bot.config.discord.connect_timeout_seconds
    return f"Discord did not answer within {seconds:g} s at {url}; check the address and the network"


async def _login_and_connect(bot: HaloBot) -> None:
    await _login(bot)
    collect_garbage_from_now()
    await _connect(bot)


def collect_garbage_from_now() -> None:
    """Start-up (the modules, the configuration, the cogs) makes some 200,000 objects that live as
    long as the process does. Collecting garbage while they are made cost a fifth of the start-up's
    CPU (0.25 s in 268 collections), and each later full collection would walk them all again.
    So the process starts with the collector off, and here, logged in with every cog loaded (and
    before the servers arrive), turns it on with what exists frozen (``gc.freeze``): later
    collections walk only what came since. The start-up's own garbage (under 1 MiB) stays; the
    other verbs, short, run with the collector off."""
    if gc.isenabled():  # not started as ``python -m bot``
        return
    gc.freeze()
    gc.enable()


async def run(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    with single_process(config.database.url):
        async with open_bot(config) as bot, _health(config.health, bot):
            await serve_until(bot, stop)


def _health(config: HealthConfig, bot: HaloBot) -> AbstractAsyncContextManager[None]:
    """The health endpoint, unless port 0 turns it off."""
    if config.port == 0:
        return nullcontext()
    from bot.runtime import health  # the one place aiohttp's server (2 MiB) is loaded: with the endpoint

    return health.health_server(config, bot.is_healthy, bot.telemetry)


async def sync(config: Config) -> list[str]:
    async with open_bot(config, sync_on_start=False) as bot:
        await _login(bot)
        return await bot.sync_commands(force=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", help="config file (default: $HALOBOT_CONFIG or ./config.toml)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot", parents=[common], description="Halo speedrunning Discord bot."
    )
    parser.add_argument("--version", action="version", version=__version__)
    verbs = parser.add_subparsers(dest="verb", metavar="{run,check-config,sync,infinite-login,doctor}")
    verbs.add_parser("run", parents=[common], help="run the bot (the default)")
    verbs.add_parser("check-config", parents=[common], help="validate the configuration and exit")
    verbs.add_parser("sync", parents=[common], help="push the slash-command definitions to Discord and exit")
    verbs.add_parser(
        "infinite-login", parents=[common], help="sign in to Xbox Live for the Halo Infinite commands, once"
    )
    verbs.add_parser(
        "doctor",
        parents=[common],
        help="call each configured service once and say what works; changes nothing",
    )
    return parser.parse_args(argv)


def say(line: str) -> None:
    """One line on stderr in a single write: a log line from another thread cannot split it."""
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()


def infinite_login(config: Config) -> int:
    """The device-code sign-in: prints where to go and the code, waits, keeps the token cache."""
    from bot.clients.waypoint.microsoft_signin import (
        MicrosoftSignIn,  # MSAL, for this verb only (and Halo Infinite)
    )

    try:
        account = MicrosoftSignIn(config.infinite).sign_in(
            lambda instructions: print(instructions, flush=True)
        )
    except (SignedOut, SignInUnreachable) as error:
        say(f"error: {error}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        say("error: the sign-in was interrupted")
        return EXIT_FAILURE
    print(f"Signed in as {account}; the sign-in is kept at {config.infinite.token_cache}")
    if not config.infinite.enabled:
        print("Set infinite.enabled = true for the Halo Infinite commands to use it.")
    return 0


def doctor(config: Config) -> int:
    """One line per check on stdout (secrets masked); exit 0 when every check is OK, 1 otherwise."""
    # For this verb only: the checks load every client (MSAL among them), which a start does not.
    from bot.runtime.doctor import problem_of, run_doctor

    secrets = config.secrets()
    try:
        ok = asyncio.run(
            run_doctor(config, USER_AGENT, lambda line: print(masked(str(line), secrets), flush=True))
        )
    except Exception as error:  # the checks catch their own failures: this is the doctor's own
        say(masked(f"error: the checks could not run: {problem_of(error)}", secrets))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        say("error: the checks were interrupted")
        return EXIT_FAILURE
    return 0 if ok else EXIT_FAILURE


def check_config(path: Path, config: Config) -> int:
    """What the bot cannot start without, on top of the validation that loading did."""
    if not config.discord.token.get_secret_value():
        say(f"discord.token: not set: {HOW_TO_LOG_IN}")
        return EXIT_BAD_CONFIG
    read = f"{path}" if path.exists() else f"no {path}, so defaults plus environment"
    print(f"{read}: configuration is valid")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path, named_by = config_path(args.config)
    try:
        config = load_config(path, named_by=named_by)
    except ConfigError as error:
        for problem in error.problems:
            say(problem)
        return EXIT_BAD_CONFIG
    if args.verb == "check-config":
        return check_config(path, config)

    if args.verb == "doctor":  # its lines say everything; the log only what is worse, or all at DEBUG
        setup_logging("DEBUG" if config.logging.level == "DEBUG" else "ERROR", config.secrets())
        return doctor(config)
    setup_logging(config.logging.level, config.secrets())
    if args.verb == "infinite-login":
        return infinite_login(config)
    if not config.discord.token.get_secret_value():
        say(f"error: no Discord bot token: {HOW_TO_LOG_IN}")
        return EXIT_FAILURE
    try:
        if args.verb == "sync":
            scopes = asyncio.run(sync(config))
            print(f"Slash commands pushed ({', '.join(scopes)})")
        else:
            asyncio.run(run(config))
    except StartupError as error:
        say(f"error: {error}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
