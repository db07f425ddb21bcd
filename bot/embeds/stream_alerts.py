"""The stream alert: who is live (or was), what they stream, since when; titles are text."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.embeds.cards import Card
from bot.models.haloruns import Stream
from bot.utils.rendering import duration, plain, timestamp

LIVE = discord.Colour.purple()
ENDED = discord.Colour.dark_grey()


def stream_card(stream: Stream, live_since: datetime, ended_at: datetime | None = None) -> Card:
    """Who is live (or was), the title, the game, since when (or for how long), a Watch button."""
    runner = plain(stream.runner, 100)
    blocks = [f"**Game**\n{plain(stream.game or 'not given', 200)}"]
    if ended_at is None:
        blocks.append(f"**Live since**\n{timestamp(live_since, 't')} ({timestamp(live_since)})")
        if stream.viewers is not None:
            blocks.append(f"**Viewers**\n{stream.viewers:,}")
    else:
        blocks.append(f"**Streamed**\n{duration(ended_at - live_since)}, ended {timestamp(ended_at)}")
    return Card(
        title=f"{runner} is live" if ended_at is None else f"{runner} was live",
        subtitle=plain(stream.title, 1000) or None,
        accent=(LIVE if ended_at is None else ENDED).value,
        thumbnail=stream.image,
        blocks=blocks,
        links=[("Watch", stream.url)],
        footer="HaloRuns streams",
    )
