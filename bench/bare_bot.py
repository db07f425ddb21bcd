"""The floor ``bench.startup`` measures the bot against: a bare discord.py bot.

``commands.AutoShardedBot`` with the same intents as the bot (guilds only) and one slash command,
``/status``, that answers at once. ``bench.startup`` runs it as ``python -m bench.bare_bot`` with
the local Discord's addresses and token in ``BARE_API_BASE``, ``BARE_GATEWAY_URL`` and
``BARE_TOKEN``, and ``BARE_SHARD_COUNT`` (0, the default: as many as Discord recommends); it
prints ``Ready as ...`` once discord.py says it is ready, as the bot logs it. Its shards identify
one after the other without discord.py's five seconds between them, as the local Discord's
``max_concurrency`` allows and as the bot paces them.
"""

from __future__ import annotations

import logging
import os

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands


class BareBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass

    async def on_ready(self) -> None:
        print(f"Ready as {self.user} in {len(self.guilds)} servers", flush=True)


def main() -> None:
    discord.http.Route.BASE = os.environ["BARE_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BARE_GATEWAY_URL"])
    intents = discord.Intents.none()
    intents.guilds = True
    shard_count = int(os.environ.get("BARE_SHARD_COUNT", "0")) or None
    bot = BareBot(command_prefix=commands.when_mentioned, intents=intents, shard_count=shard_count)

    @bot.tree.command()
    async def status(interaction: discord.Interaction) -> None:
        """Answers at once."""
        await interaction.response.send_message("ok")

    bot.run(os.environ["BARE_TOKEN"], log_level=logging.WARNING)


if __name__ == "__main__":
    main()
