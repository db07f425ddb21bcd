"""Posting's edits, through the local Discord."""

from __future__ import annotations

import discord

from bot.app import HaloBot
from bot.embeds.cards import Card
from bot.ui.posting import configured_channel, edit_post
from tests.fakes.discord import FakeDiscord


async def test_a_post_from_before_cards_is_edited_into_a_card(
    bot: HaloBot, discord_server: FakeDiscord
) -> None:
    guild = discord_server.guilds[0]
    role = guild["roles"][1]["id"]
    channel = await configured_channel(
        bot, int(guild["id"]), int(discord_server.channels["world-records"]["id"])
    )
    old = await channel.send(f"<@&{role}>", embed=discord.Embed(title="New world record"))

    card = Card(title="No longer the record", accent=0xFFD700, blocks=["**Beaten by**\nSable"])
    await edit_post(channel, old.id, card, ping=f"<@&{role}>", mentions=discord.AllowedMentions.none())

    [post] = discord_server.channel_messages(channel.id)
    assert (post.edits, post.layout, post.content, post.embeds) == (1, True, "", [])
    assert (post.ping, post.title, post.blocks) == (
        f"<@&{role}>",
        "No longer the record",
        {"Beaten by": "Sable"},
    )
    assert discord_server.violations == []
