"""/status: is the bot healthy, and how are the services it depends on doing."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.app import HaloBot
from bot.runtime.jobs import JobHealth
from bot.runtime.telemetry import ServiceHealth, ShardHealth
from bot.ui.replies import send_reply
from bot.utils.rendering import FIELD_LIMIT, clip, duration, plain, timestamp


def service_line(health: ServiceHealth) -> str:
    if health.last_success is None and health.last_error is None:
        return "not called yet"
    lines = [f"last success {timestamp(health.last_success)}" if health.last_success else "no success yet"]
    if health.last_error:
        lines.append(
            f"last error {timestamp(health.last_error)}: {plain(health.last_error_message or '', 300)}"
        )
    return "\n".join(lines)


def job_line(health: JobHealth) -> str:
    """``name: last good poll … · 2 posts still owed``, and when it last failed if since then."""
    if health.runs == 0:
        return f"**{health.name}**: not run yet"
    parts = [f"last good poll {timestamp(health.last_good)}" if health.last_good else "no good poll yet"]
    if health.last_bad and (health.last_good is None or health.last_bad > health.last_good):
        parts.append(f"last failed {timestamp(health.last_bad)}")
    if health.owed is not None:
        parts.append(f"{health.owed} post{'' if health.owed == 1 else 's'} still owed")
    return f"**{health.name}**: " + " · ".join(parts)


def shard_line(health: ShardHealth) -> str:
    """``shard 1: 42 ms · 1,234 servers``, or that it is not connected."""
    if not health.connected:
        state = "not connected"
    elif health.latency is None:
        state = "latency not measured yet"
    else:
        state = f"{health.latency * 1000:.0f} ms"
    return f"shard {health.shard_id}: {state} · {health.servers:,} server{'' if health.servers == 1 else 's'}"


def poller_line(since: datetime | None) -> str:
    if since is None:
        return "another process runs the pollers; this one takes over if it stops"
    return f"this process, since {timestamp(since, 'f')}"


def status_embed(bot: HaloBot) -> discord.Embed:
    now = datetime.now(UTC)
    telemetry = bot.telemetry
    latency = "not measured yet" if not math.isfinite(bot.latency) else f"{bot.latency * 1000:.0f} ms"
    embed = discord.Embed(title="Halo Speedrun Bot status", colour=discord.Colour.green(), timestamp=now)
    embed.add_field(name="Version", value=__version__)
    embed.add_field(
        name="Uptime",
        value=f"{duration(now - telemetry.started)} (since {timestamp(telemetry.started, 'f')})",
    )
    embed.add_field(name="Gateway latency", value=latency)
    shards = [shard_line(shard) for shard in bot.shard_health()]
    embed.add_field(
        name=f"Shards ({len(shards)} of {bot.shard_count or 0})",
        value=clip("\n".join(shards) or "not connected yet", FIELD_LIMIT),
        inline=False,
    )
    embed.add_field(name="Poller", value=poller_line(bot.poller.since), inline=False)
    for health in telemetry.services.values():
        embed.add_field(name=health.name, value=service_line(health), inline=False)
    jobs = [job_line(job) for job in bot.jobs.health()]
    if jobs:
        embed.add_field(name="Pollers", value=clip("\n".join(jobs), FIELD_LIMIT), inline=False)
    return embed


class StatusCog(commands.Cog, name="Status"):
    """Health of the bot and of its upstream services."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot

    @app_commands.command()
    async def status(self, interaction: discord.Interaction) -> None:
        """Version, uptime, this process's shards and whether it polls, each service and poller."""
        await send_reply(interaction, embed=status_embed(self.bot))


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(StatusCog(bot))
