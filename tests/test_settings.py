"""/config end to end, word for word: what each command answers, what `/config show` lists, and the
rows it stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import HaloBot
from bot.storage.tables import guild_settings
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message

DEAD_CELLS = "nd2ee5ed"


async def run(server: FakeDiscord, command: str, options: dict[str, Any] | None = None) -> Message:
    return await (await server.invoke(command, options or {}, permissions=MANAGE_GUILD)).reply()


async def stored(bot: HaloBot) -> dict[str, str]:
    async with bot.engine.connect() as connection:
        rows = await connection.execute(select(guild_settings.c.feature, guild_settings.c.filters))
        return {row.feature: row.filters for row in rows}


async def test_config_answers_lists_and_stores_each_setting_as_it_always_has(
    discord_server: FakeDiscord, bot: HaloBot
) -> None:
    records = discord_server.channels["world-records"]["id"]
    general = discord_server.channels["general"]["id"]
    runners = discord_server.guilds[0]["roles"][1]["id"]

    nothing = await run(discord_server, "config show")
    announcements = await run(
        discord_server,
        "config announcements",
        {
            "channel": records,
            "role": runners,
            "games": "halo 4, Halo: Reach",
            "difficulties": "legendary",
            "extensions": False,
        },
    )
    unknown_game = await run(discord_server, "config announcements", {"channel": records, "games": "Halo 44"})
    unknown_difficulty = await run(
        discord_server, "config announcements", {"channel": records, "difficulties": "Legendery"}
    )
    streams = await run(
        discord_server, "config streams", {"channel": general, "games": "Halo CE", "on_end": "delete"}
    )
    src = await run(discord_server, "config src", {"channel": records, "game": "deadcells", "mode": "wr"})
    shown = await run(discord_server, "config show")
    wrong_game_option = await run(discord_server, "config disable", {"feature": "streams", "game": "x"})
    streams_off = await run(discord_server, "config disable", {"feature": "streams"})
    streams_again = await run(discord_server, "config disable", {"feature": "streams"})
    src_off = await run(discord_server, "config disable", {"feature": "src", "game": "Dead Cells"})
    shown_after = await run(discord_server, "config show")
    rows = await stored(bot)

    assert [(f["name"], f["value"]) for f in nothing.embeds[0]["fields"]] == [
        ("Announcements", "Off"),
        ("Streams", "Off"),
        ("speedrun.com", "Off"),
    ]
    assert announcements.content == (
        "World-record announcements are on.\n"
        f"Channel: <#{records}>\n"
        f"Role pinged: <@&{runners}>\n"
        "Games: Halo 4, Halo: Reach\n"
        "Difficulties: Legendary\n"
        "Extension categories: left out\n"
        f"Note: <@&{runners}> is not mentionable and the bot may not mention every role, so it will "
        "not be pinged. Make the role mentionable or allow the bot to mention it."
    )
    assert (
        unknown_game.content
        == "HaloRuns has no game “Halo 44”. Did you mean **Halo 4** or **Halo 3: ODST** or **Halo Infinite**?"
    )
    assert (
        unknown_difficulty.content
        == "HaloRuns has no difficulty “Legendery”. Did you mean **Legendary** or **Easy**?"
    )
    assert streams.content == (
        f"Stream alerts are on.\nChannel: <#{general}>\nRole pinged: none\nGames: Halo CE\n"
        "When a stream ends: the alert is deleted"
    )
    assert src.content == (
        "speedrun.com announcements of Dead Cells are on.\n"
        f"Channel: <#{records}>\nRole pinged: none\nPosts: new world records only"
    )
    assert shown.embeds[0]["title"] == "Settings of this server"
    assert [(f["name"], f["value"]) for f in shown.embeds[0]["fields"]] == [
        ("Announcements", announcements.content.split("\n", 1)[1].split("\nNote:")[0]),
        ("Streams", streams.content.split("\n", 1)[1]),
        ("speedrun.com: Dead Cells", src.content.split("\n", 1)[1]),
    ]
    assert wrong_game_option.content == (
        "`game` goes with `src` only: the other features are set per server."
    )
    assert (streams_off.content, streams_again.content) == (
        "Stream alerts are off.",
        "Stream alerts were not on.",
    )
    assert src_off.content == "speedrun.com announcements of Dead Cells are off."
    assert [(f["name"], f["value"].split("\n")[0]) for f in shown_after.embeds[0]["fields"][1:]] == [
        ("Streams", f"**Off**: turned off by {discord_server.member['username']}"),
        ("speedrun.com: Dead Cells", f"**Off**: turned off by {discord_server.member['username']}"),
    ]
    assert rows == {
        "announcements": '{"difficulties": ["Legendary"], "extensions": false, '
        '"games": ["Halo 4", "Halo: Reach"]}',
        "streams": '{"games": ["Halo CE"], "on_end": "delete"}',
        f"src:{DEAD_CELLS}": '{"game": "Dead Cells", "mode": "wr"}',
    }
