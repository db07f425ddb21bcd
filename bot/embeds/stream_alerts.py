"""The stream alert: who is live (or was), what they stream, since when; titles are text."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.models.haloruns import Stream
from bot.utils.rendering import duration, plain, safe_link, timestamp

LIVE = discord.Colour.purple()
ENDED = discord.Colour.dark_grey()


def stream_embed(stream: Stream, live_since: datetime, ended_at: datetime | None = None) -> discord.Embed:
    runner = plain(stream.runner, 100)
    embed = discord.Embed(
        title=f"{runner} is live" if ended_at is None else f"{runner} was live",
        url=safe_link(stream.url),
        description=plain(stream.title, 1000) or None,
        colour=LIVE if ended_at is None else ENDED,
    )
    embed.add_field(name="Game", value=plain(stream.game or "not given", 200))
    if ended_at is None:
        embed.add_field(name="Live since", value=f"{timestamp(live_since, 't')} ({timestamp(live_since)})")
        if stream.viewers is not None:
            embed.add_field(name="Viewers", value=f"{stream.viewers:,}")
    else:
        embed.add_field(
            name="Streamed", value=f"{duration(ended_at - live_since)}, ended {timestamp(ended_at)}"
        )
    image = safe_link(stream.image)
    if image:
        embed.set_thumbnail(url=image)
    embed.set_footer(text="HaloRuns streams")
    return embed
