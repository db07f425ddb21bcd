"""The speedrun.com queue: the polling job, its posts in each server that asked for them
(/config queue), and /src queue, a subcommand of the speedrun cog's /src group."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.src_queue import queue_pages, queued_run_card
from bot.models.src_queue import QueuedRun
from bot.services.delivery import Target
from bot.services.src_queue import FEATURE, SrcQueue
from bot.storage.settings import scoped
from bot.storage.src_queue import QueuePost
from bot.ui.autocomplete import speedrun_games
from bot.ui.pagination import send_pages
from bot.ui.posting import configured_channel, edit_post, post, role_ping
from bot.ui.replies import thinking_if_slow

JOB = "speedrun-queue"
GROUP = "src"  # the speedrun cog's group, which /src queue joins


async def _games(interaction: discord.Interaction[HaloBot], current: str) -> list[app_commands.Choice[str]]:
    return await speedrun_games(interaction.client, current)


class SrcQueueCog(commands.Cog, name="SrcQueue"):
    """speedrun.com submissions awaiting verification, for each game's moderators."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.queue = SrcQueue(
            bot.speedrun, bot.database, bot.settings, bot.state, self, stopping=lambda: bot.jobs.halted
        )
        self.command: app_commands.Command[SrcQueueCog, ..., None] = app_commands.Command(
            name="queue",
            description="A speedrun.com game's runs awaiting verification, oldest first.",
            callback=self.show_queue,
        )

    async def cog_load(self) -> None:
        src = self.bot.tree.get_command(GROUP)
        if not isinstance(src, app_commands.Group):
            raise RuntimeError(f"/{GROUP} is not loaded: load cogs.speedrun before cogs.src_queue")
        src.add_command(self.command)
        self.bot.jobs.every(self.bot.config.speedrun.poll_seconds, self.queue.poll, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.jobs.remove(JOB)
        src = self.bot.tree.get_command(GROUP)
        if isinstance(src, app_commands.Group):
            src.remove_command(self.command.name)

    @app_commands.describe(game="A speedrun.com game: its name, abbreviation or id")
    @app_commands.autocomplete(game=_games)
    async def show_queue(self, interaction: discord.Interaction[HaloBot], game: str) -> None:
        """A speedrun.com game's runs awaiting verification, oldest first."""
        async with thinking_if_slow(interaction):
            queue = await self.queue.queue(game)
        await send_pages(interaction, queue_pages(queue, datetime.now(UTC)))

    async def post(self, target: Target, entry: QueuedRun, nonce: str) -> int:
        channel = await configured_channel(self.bot, target.guild_id, target.channel_id)
        message = await post(channel, queued_run_card(entry), role_ids=target.role_ids, nonce=nonce)
        return message.id

    async def show(self, queued: QueuePost) -> None:
        """Edits the post, keeping the configured role above the card (an edit pings no one)."""
        channel = await configured_channel(self.bot, queued.guild_id, queued.channel_id)
        setting = (await self.bot.settings.of_guild(queued.guild_id)).get(
            scoped(FEATURE, queued.shown.run.game_id)
        )
        ping, mentions = role_ping(channel, [setting.role_id] if setting else [])
        card = queued_run_card(queued.shown)
        await edit_post(channel, queued.message_id, card, ping=ping, mentions=mentions)


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(SrcQueueCog(bot))
