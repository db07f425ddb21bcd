"""The floor ``bench.startup`` measures the bot against: a bare discord.py bot.

``commands.Bot`` with the same intents as the bot (guilds only) and one slash command, ``/status``,
that answers at once. ``bench.startup`` runs it as ``python -m bench.bare_bot`` with the local
Discord's addresses and token in ``BARE_API_BASE``, ``BARE_GATEWAY_URL`` and ``BARE_TOKEN``; it
prints ``Ready as ...`` once discord.py says it is ready, as the bot logs it.
"""

from __future__ import annotations

import logging
import os

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands


class BareBot(commands.Bot):
    async def on_ready(self) -> None:
        print(f"Ready as {self.user} in {len(self.guilds)} servers", flush=True)


def main() -> None:
    discord.http.Route.BASE = os.environ["BARE_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["BARE_GATEWAY_URL"])
    intents = discord.Intents.none()
    intents.guilds = True
    bot = BareBot(command_prefix=commands.when_mentioned, intents=intents)

    @bot.tree.command()
    async def status(interaction: discord.Interaction) -> None:
        """Answers at once."""
        await interaction.response.send_message("ok")

    bot.run(os.environ["BARE_TOKEN"], log_level=logging.WARNING)


if __name__ == "__main__":
    main()
