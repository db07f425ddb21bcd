"""HaloRuns slash commands end to end: local Discord, the real bot, a local HaloRuns of each generation."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.app import HaloBot
from bot.config import Config
from tests.conftest import running
from tests.fakes.discord import FakeDiscord, user_payload
from tests.fakes.haloruns_server import FakeHaloRuns

TOTS = "Halo: Reach — Tip of the Spear (0504)"


@pytest.fixture(params=["content", "legacy"])
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def halobot(
    api: str, discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> AsyncIterator[HaloBot]:
    async with running(make_config(haloruns={"api": api}), discord_server) as bot:
        yield bot


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_wr_shows_every_record_of_a_level(
    halobot: HaloBot, discord_server: FakeDiscord, api: str
) -> None:
    reply = await (await discord_server.invoke("wr", {"level": "0504"})).reply()

    assert reply.layout
    assert reply.title == f"World records: {TOTS}"
    records = reply.blocks
    expected_boards = ["Solo Easy", "Solo Legendary", "Coop Easy"] + (
        ["Coop Legendary"] if api == "legacy" else ["Acrophobia Any Difficulty"]
    )
    assert list(records) == expected_boards
    assert re.match(
        r"\*\*12:34\*\* by Sleepless · <t:\d+:D> · \[vod\]\(https://www\.youtube\.com/watch\?v=",
        records["Solo Easy"],
    )
    assert "100.0 points" in records["Solo Easy"]
    assert records["Solo Legendary"].startswith("Tied by 2 runs:\n**15:02** by Sleepless")
    assert "\n**15:02** by Mythic Vex" in records["Solo Legendary"]
    assert "**10:00** by Sleepless & Kat\\_B320" in records["Coop Easy"]
    assert not reply.ephemeral


@pytest.mark.parametrize(
    "level", ["0504", "tip of the spear", "TIP OF THE SPEAR", "Halo: Reach Tip of the Spear", TOTS]
)
async def test_wr_of_one_board_accepts_an_id_or_a_name(
    halobot: HaloBot, discord_server: FakeDiscord, level: str
) -> None:
    options = {"level": level, "difficulty": "easy", "category": "solo"}
    reply = await (await discord_server.invoke("wr", options)).reply()

    assert list(reply.blocks) == ["Solo Easy"]
    assert reply.title == f"World records: {TOTS}"
    assert re.match(r"https?://[^ ]+(TipoftheSpear|tipofthespear)", reply.links()["Board"])
    assert reply.links()["Watch"].startswith("https://www.youtube.com/watch?v=")


async def test_a_full_game_board_is_a_level(halobot: HaloBot, discord_server: FakeDiscord, api: str) -> None:
    level = "Halo CE Full Game" if api == "content" else "Halo: Combat Evolved Full Game"
    reply = await (await discord_server.invoke("wr", {"level": level, "category": "solo"})).reply()

    assert reply.title.endswith("Full Game (0100)")


async def test_content_levels_map_onto_level_ids_by_game_and_name(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(), discord_server):
        kizingo = await (
            await discord_server.invoke("wr", {"level": "kizingo"}, focused="level")
        ).autocomplete_choices()
        sword_base = await (
            await discord_server.invoke("wr", {"level": "sword base"}, focused="level")
        ).autocomplete_choices()
        infinite = await (
            await discord_server.invoke("wr", {"level": "foundation"}, focused="level")
        ).autocomplete_choices()

    assert kizingo[0] == {"name": "Halo 3: ODST — Kizingo Boulevard (0404)", "value": "0404"}
    assert sword_base[0] == {"name": "Halo: Reach — ONI Sword Base (0502)", "value": "0502"}
    assert infinite[0]["name"] == "Halo Infinite — Foundation"  # no level ID: the value is HaloRuns' own id


async def test_level_autocomplete_ranks_prefixes_first_and_stays_within_25(
    halobot: HaloBot, discord_server: FakeDiscord
) -> None:
    tip = await (await discord_server.invoke("wr", {"level": "tip"}, focused="level")).autocomplete_choices()
    everything = await (
        await discord_server.invoke("wr", {"level": ""}, focused="level")
    ).autocomplete_choices()
    by_id = await (
        await discord_server.invoke("vod", {"level": "050"}, focused="level")
    ).autocomplete_choices()

    assert tip[0] == {"name": TOTS, "value": "0504"}
    assert len(everything) == 25
    assert [choice["value"] for choice in by_id[:3]] == ["0500", "0501", "0502"]


async def test_category_autocomplete_offers_the_levels_categories(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(), discord_server):
        interaction = await discord_server.invoke("wr", {"level": "0504", "category": ""}, focused="category")
        choices = await interaction.autocomplete_choices()

    assert [choice["name"] for choice in choices] == ["Solo", "Coop", "Acrophobia"]


async def test_an_extension_category_shows_its_boards(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(), discord_server):
        reply = await (await discord_server.invoke("wr", {"level": "0504", "category": "acrophobia"})).reply()

    assert list(reply.blocks) == ["Acrophobia Any Difficulty"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"level": "Tip of the Spaer"}, f"HaloRuns has no level “Tip of the Spaer”. Did you mean **{TOTS}**"),
        (
            {"level": "Cairo Station"},
            "“Cairo Station” is a level of more than one game: **Halo 2 — Cairo Station (0201)**",
        ),
        (
            {"level": "0504", "category": "sollo"},
            "Halo: Reach has no category “sollo” on HaloRuns. Did you mean **Solo**?",
        ),
    ],
)
async def test_unknown_input_gets_an_ephemeral_did_you_mean(
    halobot: HaloBot, discord_server: FakeDiscord, options: dict[str, str], message: str
) -> None:
    reply = await (await discord_server.invoke("wr", options)).reply()

    assert reply.ephemeral
    assert reply.content.startswith(message)


async def test_the_legacy_api_has_only_easy_and_legendary(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(haloruns={"api": "legacy"}), discord_server):
        reply = await (await discord_server.invoke("wr", {"level": "0504", "difficulty": "heroic"})).reply()

    assert reply.ephemeral
    assert "has no difficulty “heroic” on HaloRuns" in reply.content
    assert reply.content.endswith("It has: Easy, Legendary.")


async def test_upstream_text_is_shown_as_text_and_never_pings(
    halobot: HaloBot, discord_server: FakeDiscord
) -> None:
    options = {"level": "Pillar of Autumn", "difficulty": "easy", "category": "solo"}
    reply = await (await discord_server.invoke("wr", options)).reply()

    value = reply.blocks["Solo Easy"]
    assert "by @\u200beveryone \\*\\*bold\\*\\* <@\u200b&123456789012345678>" in value
    assert "javascript" not in value, "only http(s) links are shown"
    assert "[vod]" not in value
    assert reply.allowed_mentions == {"parse": []}
    assert (reply.data["mention_roles"], reply.data["mention_everyone"]) == ([], False)
    assert "Watch" not in reply.links(), "only http(s) links are buttons"


async def test_vod_links_the_world_record_video(
    halobot: HaloBot, discord_server: FakeDiscord, api: str
) -> None:
    easy = await (await discord_server.invoke("vod", {"level": "0504"})).reply()
    coop = await (await discord_server.invoke("vod", {"level": "0504", "category": "coop"})).reply()

    video = "tots-easy" if api == "content" else "legacy1"
    assert (
        easy.content == f"World record video of {TOTS}, Solo Easy:\nhttps://www.youtube.com/watch?v={video}"
    )
    assert coop.content.startswith(f"World record video of {TOTS}, Coop Easy:\nhttps://")


async def test_recent_records_show_what_each_record_replaced(
    halobot: HaloBot, discord_server: FakeDiscord, api: str
) -> None:
    reply = await (await discord_server.invoke("recent records", {"limit": 5})).reply()

    assert reply.title == "Recent world records"
    shutdown = next(line for line in reply.body.split("\n**") if "Shutdown" in line)
    assert "Shutdown — Solo Legendary**: **3:51** by " in shutdown
    assert re.search(r"-# was 4:00 by Old Timer", shutdown)
    assert "Next" not in str(reply.data["components"]), "one page needs no buttons"


async def test_recent_runs_turn_pages_with_buttons(halobot: HaloBot, discord_server: FakeDiscord) -> None:
    interaction = await discord_server.invoke("recent runs", {"limit": 12})
    reply = await interaction.reply()

    assert reply.body.count("\n") == 9
    assert reply.footer == "Page 1/2"
    await discord_server.click(reply, "Next")
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        while reply.footer != "Page 2/2":
            await asyncio.sleep(0.02)
    assert reply.body.count("\n") == 1
    assert reply.layout, "the page buttons are inside the card"


async def test_only_the_person_who_asked_turns_the_pages(
    halobot: HaloBot, discord_server: FakeDiscord
) -> None:
    reply = await (await discord_server.invoke("recent runs", {"limit": 12})).reply()

    other = await discord_server.click(reply, "Next", user=user_payload(12345, "someone else"))
    answer = await other.reply()

    assert answer.ephemeral
    assert answer.content.startswith("Only the person who ran the command can turn its pages")
    assert reply.footer == "Page 1/2"


async def test_recent_runs_by_country(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(haloruns={"api": "legacy"}), discord_server):
        legacy = await (await discord_server.invoke("recent runs", {"country": "MX"})).reply()
    async with running(make_config(), discord_server):
        content = await (await discord_server.invoke("recent runs", {"country": "mx"})).reply()
        wrong = await (await discord_server.invoke("recent runs", {"country": "mexico"})).reply()

    assert legacy.title == "Recent runs (MX)"
    assert legacy.body.count("Sierra 117") == 5
    assert content.title == "Recent runs (MX)"
    assert re.findall(r"by (Runner\d+)", content.body) == ["Runner01", "Runner04"]
    assert content.footer.startswith("Countries from each runner's HaloRuns profile")
    assert wrong.ephemeral
    assert wrong.content.startswith("“mexico” is not a country code")


async def test_runner_profile(halobot: HaloBot, discord_server: FakeDiscord, api: str) -> None:
    reply = await (await discord_server.invoke("runner", {"name": "Sleepless"})).reply()

    embed = reply.embeds[0]
    profile = fields(embed)
    assert embed["title"] == "Sleepless"
    assert profile["Points"] == "1,345.5"
    assert profile["World records"] == "4"
    assert "Tip of the Spear — Coop Easy**: **10:00** by Sleepless & Kat\\_B320" in profile["Most recent run"]


async def test_unknown_runner(halobot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (await discord_server.invoke("runner", {"name": "nobody-at-all"})).reply()

    assert reply.ephemeral
    assert reply.content.startswith("HaloRuns has no runner called “nobody-at-all”")


async def test_holders(halobot: HaloBot, discord_server: FakeDiscord, api: str) -> None:
    reply = await (await discord_server.invoke("holders")).reply()

    if api == "content":
        assert reply.title == "World record holders (5)"
        assert reply.body == "Kat\\_B320, Mythic Vex, Old Timer, Sleepless, Zombie343"
        assert reply.footer.startswith("Taken from the world records in HaloRuns' latest-records feed")
    else:
        assert reply.title == "World record holders (75)"
        assert reply.footer == "Page 1/2"


async def test_streams(halobot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (await discord_server.invoke("streams")).reply()

    live = reply.blocks
    sleepless = next(value for name, value in live.items() if name.startswith("Sleepless"))
    assert sleepless.startswith("WR attempts on \\*\\*Tip of the Spear\\*\\* @\u200beveryone\n123 watching")
    assert "[watch](https://www.twitch.tv/sleepless_tv)" in sleepless
    assert len(live) == 2


@pytest.mark.parametrize(
    ("options", "title"),
    [
        ({"wr": "12:34", "pb": "12:34"}, "100.0 points"),
        ({"wr": "754", "pb": "0:13:00.5"}, "84.9 points"),
        ({"wr": "1:45:12", "pb": "1:50:00", "full_game": True}, "810.1 points"),
    ],
)
async def test_points(bot: HaloBot, discord_server: FakeDiscord, options: dict[str, Any], title: str) -> None:
    reply = await (await discord_server.invoke("points", options)).reply()

    assert reply.embeds[0]["title"] == title


async def test_points_explains_a_time_it_cannot_read(bot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (await discord_server.invoke("points", {"wr": "12:34", "pb": "twelve minutes"})).reply()

    assert reply.ephemeral
    assert reply.content == (
        "“twelve minutes” is not a time like `1:23:45.678`, `23:45`, `23:45.5`, `1h 23m 45s` or `5025.678`."
    )


@pytest.mark.parametrize(
    ("mode", "problem"),
    [
        ("500", "it answered HTTP 503"),
        ("html", "it sent an error page instead of data"),
        ("not-json", "it sent data that is not valid JSON"),
        ("wrong-shape", "it sent data in a shape the bot does not understand"),
    ],
)
async def test_upstream_failures_are_ephemeral_and_the_bot_keeps_serving(
    api: str,
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    make_config: Callable[..., Config],
    mode: Any,
    problem: str,
) -> None:
    # Uncached: the record feed's poll at start would otherwise answer the command from the cache.
    async with running(make_config(haloruns={"api": api, "cache_seconds": 0}), discord_server):
        haloruns_server.fail(r"recent|Records", mode)
        failed = await (await discord_server.invoke("recent records")).reply()
        after = await (await discord_server.invoke("recent records")).reply()

    assert failed.ephemeral
    assert (
        failed.content == f"HaloRuns is not answering properly right now: {problem}. Please try again later."
    )
    assert after.title == "Recent world records"


async def test_a_hung_upstream_is_answered_within_ten_seconds(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    # Uncached: the stream alerts' poll at start would otherwise answer the command from the cache.
    async with running(make_config(haloruns={"cache_seconds": 0}), discord_server):
        haloruns_server.fail("streamList", "timeout")
        interaction = await discord_server.invoke("streams")
        reply = await interaction.reply(timeout=12)

    assert interaction.acknowledged_at is not None
    assert interaction.acknowledged_at - interaction.sent_at < 3
    assert time.perf_counter() - interaction.sent_at < 10
    assert reply.ephemeral, "the error stays ephemeral although the command had deferred"
    assert "HaloRuns is not answering properly right now: it did not answer within" in reply.content
    assert [m for m in interaction.messages if not m.ephemeral] == [], (
        "the public “thinking…” message is gone"
    )


async def test_identical_commands_share_one_upstream_request(
    bot: HaloBot, discord_server: FakeDiscord, haloruns_server: FakeHaloRuns
) -> None:
    haloruns_server.delay = 0.3
    options = {"level": "0504", "difficulty": "legendary", "category": "solo"}
    interactions = await asyncio.gather(*(discord_server.invoke("wr", options) for _ in range(5)))
    replies = await asyncio.gather(*(i.reply() for i in interactions))
    again = await (await discord_server.invoke("wr", options)).reply()

    assert all(r.texts == replies[0].texts for r in [*replies, again])
    assert haloruns_server.count(r"/leaderboard/") == 1


async def test_without_a_cache_every_command_asks_haloruns(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(haloruns={"cache_seconds": 0}), discord_server):
        before = haloruns_server.count("streamList")  # the stream alerts' first poll
        for _ in range(2):
            await (await discord_server.invoke("streams")).reply()
        asked = haloruns_server.count("streamList") - before

    assert asked == 2
    assert haloruns_server.count("global.json") == 1, "the catalog is not fetched per command"


async def test_a_malformed_entry_is_skipped_and_the_rest_shown(
    bot: HaloBot, discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, caplog: pytest.LogCaptureFixture
) -> None:
    good = {"GameName": "Halo 3", "LevelName": "The Ark", "Difficulty": "Easy", "Duration": "0:04:05"}
    haloruns_server.overrides["/content/boards/recent.json"] = {
        "Entries": [good, {"GameName": "Halo 3", "LevelName": "Cortana"}, {**good, "Surprise": [1, 2]}],
        "NewTopLevelField": True,
    }
    reply = await (await discord_server.invoke("recent runs")).reply()

    assert reply.body.count("The Ark — Easy**: **4:05** by an unknown runner") == 2
    assert "Cortana" not in reply.body
    assert "Skipped 1 of 3 upstream items" in caplog.text


async def test_slow_answers_defer_and_still_turn_pages(
    bot: HaloBot, discord_server: FakeDiscord, haloruns_server: FakeHaloRuns
) -> None:
    haloruns_server.delay = 1.5
    interaction = await discord_server.invoke("recent runs", {"limit": 12})
    reply = await interaction.reply()

    assert interaction.callbacks[0]["type"] == 5, "a slow answer is deferred first"
    assert interaction.acknowledged_at is not None
    assert interaction.acknowledged_at - interaction.sent_at < 3
    await discord_server.click(reply, "Next")
    async with asyncio.timeout(5):
        while reply.footer != "Page 2/2":
            await asyncio.sleep(0.02)


async def test_autocomplete_answers_in_time_while_haloruns_is_down(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    haloruns_server.fail("global.json", "500", times=10)
    async with running(make_config(), discord_server):
        interaction = await discord_server.invoke("wr", {"level": "tip"}, focused="level")
        choices = await interaction.autocomplete_choices()
        failed = await (await discord_server.invoke("wr", {"level": "0504"})).reply()

    assert choices == []
    assert failed.ephemeral
    assert failed.content.startswith("HaloRuns is not answering properly right now: it answered HTTP 503")


async def test_long_upstream_text_stays_within_discords_limits(
    bot: HaloBot, discord_server: FakeDiscord, haloruns_server: FakeHaloRuns
) -> None:
    name = "_*" * 40  # every character escaped: twice as long once shown
    vod = "https://www.youtube.com/watch?v=" + "x" * 400
    entry = {"Points": 100.0, "Duration": 754, "Participants": [{"Username": name, "EvidenceLink": vod}] * 4}
    catalog = bot.get_cog("HaloRuns").haloruns  # type: ignore[union-attr]
    level = await catalog.level("0504")
    for category in level.game.categories:
        for difficulty in level.game.difficulties:
            path = (
                f"/content/boards/{level.game.id}/{category.id}/leaderboard/{level.id}/{difficulty.id}.json"
            )
            haloruns_server.overrides[path] = {"Entries": [entry] * 30}
    run = {"GameName": name, "LevelName": name, "Difficulty": name, "Duration": 5, "LeaderboardUrl": vod}
    haloruns_server.overrides["/content/boards/recent.json"] = {
        "Entries": [{**run, "Participants": entry["Participants"]}] * 50
    }

    records = await (await discord_server.invoke("wr", {"level": "0504"})).reply()
    runs = await (await discord_server.invoke("recent runs", {"limit": 50})).reply()

    assert next(iter(records.blocks.values())).startswith("Tied by 30 runs:")
    assert "more boards: choose a category or difficulty" in records.footer
    assert sum(map(len, records.texts)) <= 4000
    assert runs.footer.startswith("Page 1/")
    assert sum(map(len, runs.texts)) <= 4000
    assert discord_server.violations == []


async def test_a_legacy_stream_item_links_its_stream(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    # The shape of the site's REST stream items, as MendicantBias read them.
    haloruns_server.overrides["streams"] = [
        {
            "stream": "https://www.twitch.tv/mythic_vex",
            "game_name": "Halo 3",
            "title": "Sierra 117 resets",
            "viewers": 12,
            "username": "Mythic Vex",
        }
    ]
    async with running(make_config(haloruns={"api": "legacy"}), discord_server):
        reply = await (await discord_server.invoke("streams")).reply()

    [(name, value)] = reply.blocks.items()
    assert name.startswith("Mythic Vex")
    assert value.startswith("Sierra 117 resets\n12 watching")
    assert "[watch](https://www.twitch.tv/mythic_vex)" in value


async def test_feed_runs_are_named_and_linked_as_on_the_site(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    haloruns_server.overrides["/content/feeds/latestRecords.json"] = {
        "UpdatedAt": "2024-05-20T12:05:00Z",
        "Entries": [
            {
                "RunId": "0d7f6a52-3b8e-5c1d-9e2f-4a5b6c7d8e9f",
                "GameName": "Halo: Reach",
                "CategoryName": "Acrophobia",
                "LevelName": "Tip of the Spear",
                "Difficulty": "Any Difficulty",
                "IsCoop": True,
                "IsExtension": True,
                "Tie": False,
                "LeaderboardUrl": "/leaderboards/Halo: Reach/Acrophobia/Tip of the Spear",
                "Duration": 600,
                "Participants": [{"Username": "Sleepless"}, {"Username": "Kat_B320"}],
                "OccuredAt": "2024-05-19T12:00:00Z",
                "PreviousRecordId": "00000000-0000-0000-0000-000000000000",
            }
        ],
    }
    async with running(make_config(), discord_server):
        records = await (await discord_server.invoke("recent records", {"limit": 5})).reply()
        runs = await (await discord_server.invoke("recent runs", {"limit": 1})).reply()

    record = records.body
    assert record.startswith("**Halo: Reach Tip of the Spear — Acrophobia Co-op Any Difficulty**: **10:00**")
    assert "[board](https://haloruns.com/leaderboards/Halo:Reach/Acrophobia/TipoftheSpear)" in record
    assert "[board](https://haloruns.com/leaderboards/HaloCE/Solo/" in runs.body, (
        "a relative LeaderboardUrl with spaces opens the website's page"
    )
