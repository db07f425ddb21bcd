"""A local Discord-compatible server: REST under /api/v10 and a gateway websocket, on 127.0.0.1."""

from tests.fakes.discord.spec import DiscordSpec, discord_spec

__all__ = ["DiscordSpec", "discord_spec"]
