"""Server settings: /config end to end, word for word (what each command answers, what `/config show`
lists, the rows it stores); each feature's typed filters against old rows; and the rules of /config
(bot/services/settings.py) asked of the service directly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import HaloBot
from bot.clients.speedrun import SpeedrunClient
from bot.config import HaloRunsConfig, SpeedrunConfig
from bot.errors import UserFacingError
from bot.models.settings import AnnouncementFilters, Filters, SrcAnnouncementFilters, StreamAlertFilters
from bot.runtime.telemetry import Telemetry
from bot.services.haloruns.service import HaloRuns
from bot.services.settings import MAX_ANNOUNCEMENTS, MAX_GAMES, ServerSettings, followed_name
from bot.storage.database import Database, marks, open_database
from bot.storage.settings import FeatureSetting, GuildSettings
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message
from tests.fakes.haloruns_server import FakeHaloRuns
from tests.fakes.speedrun_server import FakeSpeedrun

DEAD_CELLS = "nd2ee5ed"


async def run(server: FakeDiscord, command: str, options: dict[str, Any] | None = None) -> Message:
    return await (await server.invoke(command, options or {}, permissions=MANAGE_GUILD)).reply()


async def stored(bot: HaloBot) -> dict[str, str]:
    rows = await bot.database.fetch("SELECT feature, filters FROM guild_settings")
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
        ("Weekly recap", "Off"),
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
        ("Weekly recap", "Off"),
        ("speedrun.com: Dead Cells", src.content.split("\n", 1)[1]),
    ]
    assert wrong_game_option.content == (
        "`game` goes with `announcements`, `src` and `queue` only: the other features are set per server."
    )
    assert (streams_off.content, streams_again.content) == (
        "Stream alerts are off.",
        "Stream alerts were not on.",
    )
    assert src_off.content == "speedrun.com announcements of Dead Cells are off."
    assert [(f["name"], f["value"].split("\n")[0]) for f in shown_after.embeds[0]["fields"][1:]] == [
        ("Streams", f"**Off**: turned off by {discord_server.member['username']}"),
        ("Weekly recap", "Off"),
        ("speedrun.com: Dead Cells", f"**Off**: turned off by {discord_server.member['username']}"),
    ]
    assert rows == {
        "announcements": '{"difficulties": ["Legendary"], "extensions": false, '
        '"games": ["Halo 4", "Halo: Reach"]}',
        "streams": '{"games": ["Halo CE"], "on_end": "delete"}',
        f"src:{DEAD_CELLS}": '{"game": "Dead Cells", "mode": "wr"}',
    }


# The filters as stored: old rows, written before a key existed, read with today's defaults.


@pytest.mark.parametrize(
    ("model", "row", "read"),
    [
        (AnnouncementFilters, "{}", AnnouncementFilters(games=(), difficulties=(), extensions=True)),
        (AnnouncementFilters, '{"games": ["Halo 3"]}', AnnouncementFilters(games=("Halo 3",))),
        (StreamAlertFilters, '{"games": ["Halo 3"]}', StreamAlertFilters(games=("Halo 3",), on_end="edit")),
        (SrcAnnouncementFilters, '{"mode": "wr"}', SrcAnnouncementFilters(game="", mode="wr")),
        (
            SrcAnnouncementFilters,
            '{"game": "Dead Cells", "colour": "red"}',
            SrcAnnouncementFilters(game="Dead Cells"),
        ),
    ],
)
def test_a_row_missing_a_key_reads_with_its_default_and_an_unknown_key_is_ignored(
    model: type[Filters], row: str, read: Filters
) -> None:
    assert model.model_validate_json(row) == read


async def old_rows(database: Database, rows: dict[str, str]) -> None:
    values = dict(
        guild_id=1, channel_id=10, role_id=None, enabled=True, failures=0, updated_at=datetime.now(UTC)
    )
    await database.executemany(
        f"INSERT INTO guild_settings ({', '.join(values)}, feature, filters) "
        f"VALUES ({marks(len(values) + 2)})",
        [(*values.values(), feature, text) for feature, text in rows.items()],
    )


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'halobot.db'}")
    yield database
    await database.close()


async def test_old_rows_read_typed_and_a_row_that_fits_no_feature_is_left_out_with_a_warning(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await old_rows(
        database,
        {
            "announcements": "{}",
            "streams": '{"games": ["Halo CE"]}',
            "src:nd2ee5ed": '{"game": "Dead Cells", "mode": "sometimes"}',
            "src:kdkmr7d1": '{"game": "Halo 2", "mode": "wr"}',
        },
    )
    settings = GuildSettings(database)

    [announcements] = await settings.enabled("announcements")
    [streams] = await settings.enabled("streams")
    [halo_2] = await settings.enabled("src")

    assert announcements.filters == AnnouncementFilters()
    assert streams.filters == StreamAlertFilters(games=("Halo CE",), on_end="edit")
    assert (halo_2.scope, halo_2.filters) == ("kdkmr7d1", SrcAnnouncementFilters(game="Halo 2", mode="wr"))
    assert "Setting src:nd2ee5ed of server 1 left out" in caplog.text


async def test_saved_filters_are_the_json_rows_always_held_and_read_back_equal(database: Database) -> None:
    settings = GuildSettings(database)
    saved = [
        FeatureSetting(1, "announcements", 10, 5, AnnouncementFilters(games=("Halo 3",), extensions=False)),
        FeatureSetting(1, "streams", 11, None, StreamAlertFilters()),
        FeatureSetting(1, "src:nd2ee5ed", 12, None, SrcAnnouncementFilters(game="Dead Cells")),
    ]
    for setting in saved:
        await settings.save(setting)
    rows = dict(tuple(row) for row in await database.fetch("SELECT feature, filters FROM guild_settings"))

    assert rows == {
        "announcements": '{"difficulties": [], "extensions": false, "games": ["Halo 3"]}',
        "streams": '{"games": [], "on_end": "edit"}',
        "src:nd2ee5ed": '{"game": "Dead Cells", "mode": "all"}',
    }
    assert await settings.of_guild(1) == {setting.feature: setting for setting in saved}
    with pytest.raises(TypeError, match="streams takes StreamAlertFilters, not AnnouncementFilters"):
        await settings.save(FeatureSetting(1, "streams", 11, None, AnnouncementFilters()))


# The rules of /config, asked of the service directly.


@pytest.fixture
async def service(
    database: Database, haloruns_server: FakeHaloRuns, speedrun_server: FakeSpeedrun
) -> AsyncIterator[ServerSettings]:
    telemetry = Telemetry(["HaloRuns", "speedrun.com"])
    async with aiohttp.ClientSession() as session:
        haloruns = HaloRuns.from_config(session, HaloRunsConfig(base_url=haloruns_server.base_url), telemetry)
        speedrun = SpeedrunClient(session, SpeedrunConfig(base_url=speedrun_server.base_url), telemetry)
        yield ServerSettings(GuildSettings(database), haloruns, speedrun)


async def test_games_and_difficulties_are_kept_as_haloruns_spells_them(service: ServerSettings) -> None:
    setting = await service.announcements(
        1, 10, None, games=["halo ce", "HALO: REACH"], difficulties=["legendary"], extensions=True
    )
    with pytest.raises(UserFacingError, match="HaloRuns has no difficulty “Mythic”"):
        await service.announcements(1, 10, None, games=[], difficulties=["Mythic"], extensions=True)
    streams = await service.streams(1, 11, None, games=[], on_end="delete")

    assert setting.filters == AnnouncementFilters(
        games=("Halo CE", "Halo: Reach"), difficulties=("Legendary",)
    )
    overview = await service.overview(1)
    assert (overview.announcements, overview.streams, overview.src) == ([setting], streams, [])


async def test_a_server_follows_at_most_twenty_games_and_may_change_one_it_follows(
    database: Database, service: ServerSettings
) -> None:
    settings = GuildSettings(database)
    for number in range(MAX_GAMES - 1):
        await settings.save(
            FeatureSetting(1, f"src:game{number:04}", 10, None, SrcAnnouncementFilters(game=f"Game {number}"))
        )
    dead_cells = await service.src(1, 10, None, game="deadcells", mode="all")

    changed = await service.src(1, 12, None, game="Dead Cells", mode="wr")
    with pytest.raises(UserFacingError) as refused:
        await service.src(1, 10, None, game="halo2", mode="all")
    other_server = await service.src(2, 20, None, game="halo2", mode="all")

    assert dead_cells.feature == changed.feature == f"src:{DEAD_CELLS}"
    assert changed.filters == SrcAnnouncementFilters(game="Dead Cells", mode="wr")
    assert str(refused.value) == (
        "This server follows 20 speedrun.com games, the most it can: "
        "turn one off with `/config disable src game` first."
    )
    assert other_server.filters.game == "Halo 2"
    assert len(await service.followed(1)) == MAX_GAMES


async def test_a_followed_game_is_named_by_id_name_spelling_or_abbreviation(service: ServerSettings) -> None:
    await service.src(1, 10, None, game="halo2", mode="all")
    await service.src(1, 10, None, game=DEAD_CELLS, mode="all")

    by_id = await service.disable(1, "src", DEAD_CELLS, "test")
    by_spelling = await service.disable(1, "src", "dead  CELLS!", "test")
    by_abbreviation = await service.disable(1, "src", "halo2", "test")
    with pytest.raises(UserFacingError, match="This server does not follow “Celeste” on speedrun"):
        await service.disable(1, "src", "Celeste", "test")
    with pytest.raises(UserFacingError, match="`game` goes with `announcements`, `src` and `queue` only"):
        await service.disable(1, "streams", "Halo 2", "test")
    overview = await service.overview(1)

    assert (by_id, by_spelling, by_abbreviation) == (
        (True, "Dead Cells"),
        (False, "Dead Cells"),
        (True, "Halo 2"),
    )
    assert [(followed_name(s), s.enabled, s.disabled_reason) for s in overview.src] == [
        ("Dead Cells", False, "test"),
        ("Halo 2", False, "test"),
    ]
    assert await service.followed(1) == {DEAD_CELLS: "Dead Cells", "kdkmr7d1": "Halo 2"}


async def test_announcements_are_set_once_per_set_of_games_and_turned_off_by_naming_them(
    service: ServerSettings,
) -> None:
    async def announce(*games: str, channel: int = 10) -> str:
        setting = await service.announcements(
            1, channel, None, games=list(games), difficulties=[], extensions=True
        )
        return setting.feature

    first = await announce("Halo 2 MCC", "Halo 4")
    every_game = await announce()
    same = await announce("halo 4", "HALO 2 mcc", channel=11)
    mcc = await announce("Halo 2 MCC")
    others = ["Halo 2", "Halo: Reach", "Halo Infinite", "Halo 3: ODST", "Halo 4", "Halo 2 MCC"]
    for number in range(MAX_ANNOUNCEMENTS - 3):
        await announce("Halo CE", *others[:number])
    with pytest.raises(UserFacingError) as too_many:
        await announce("Halo 2")
    with pytest.raises(UserFacingError) as ambiguous:
        await service.disable(1, "announcements", "Halo 2", "test")
    with pytest.raises(UserFacingError) as none:
        await service.disable(1, "announcements", "Halo 5", "test")
    with pytest.raises(UserFacingError, match="Name the game"):  # blank names no setting, not every game's
        await service.disable(1, "announcements", " , ", "test")
    by_its_games = await service.disable(1, "announcements", "Halo 4, halo 2 mcc", "test")
    by_one_game = await service.disable(1, "announcements", "Halo 2 MCC", "test")
    overview = await service.overview(1)
    in_place_of_one_off = await announce("Halo 2")

    assert (first, same) == ("announcements", "announcements"), "the first is kept as it always was"
    assert {every_game[:14], mcc[:14]} == {"announcements:"}
    assert mcc != every_game
    assert len(mcc) <= 32
    assert str(too_many.value).startswith(
        f"This server has {MAX_ANNOUNCEMENTS} announcement settings, the most"
    )
    assert str(ambiguous.value).startswith(
        "“Halo 2” is in more than one announcement setting (Halo CE, Halo 2; "
    )
    assert str(none.value) == "This server has no announcement setting of “Halo 5”."
    assert (by_its_games, by_one_game) == ((True, "Halo 4, Halo 2 MCC"), (True, "Halo 2 MCC"))
    assert in_place_of_one_off in (first, mcc), "at the most settings, one turned off makes way"
    assert len((await service.overview(1)).announcements) == MAX_ANNOUNCEMENTS
    assert [(s.filters.games, s.channel_id, s.enabled) for s in overview.announcements][:4] == [
        ((), 10, True),
        (("Halo 2 MCC",), 10, False),
        (("Halo 4", "Halo 2 MCC"), 11, False),
        (("Halo CE",), 10, True),
    ]
