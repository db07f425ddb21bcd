"""/src game and /src run end to end, against a local speedrun.com serving the recorded fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot.app import HaloBot
from bot.config import Config
from tests.conftest import running, until
from tests.fakes.discord import FakeDiscord
from tests.fakes.speedrun_server import FakeSpeedrun

SUNSHINE = "v1pxjz68"
RUN = "y43enp3z"


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


@pytest.mark.parametrize("name", [SUNSHINE, "sms", "Super Mario Sunshine", "super mario"])
async def test_a_game_by_id_abbreviation_or_name(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, name: str
) -> None:
    speedrun_server.games[0]["abbreviation"] = "sms"
    reply = await (await discord_server.invoke("src game", {"name": name})).reply()

    embed = reply.embeds[0]
    assert embed["title"] == "Super Mario Sunshine"
    assert embed["url"] == "https://www.speedrun.com/sms"
    assert fields(embed)["Full-game categories"].startswith("Any%")


async def test_game_autocomplete_searches_by_name(bot: HaloBot, discord_server: FakeDiscord) -> None:
    choices = await (
        await discord_server.invoke("src game", {"name": "sun"}, focused="name")
    ).autocomplete_choices()

    assert choices == [{"name": "Super Mario Sunshine", "value": SUNSHINE}]


async def test_a_run_in_full(bot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (await discord_server.invoke("src run", {"id": RUN})).reply()

    run = reply.blocks
    assert reply.links()["Run"] == f"https://www.speedrun.com/deadcells/run/{RUN}"
    assert reply.links()["Watch"] == "https://www.twitch.tv/videos/297962611"
    assert run["Players"] == "user-0jm7knj1"
    assert run["Time"] == "**12:54**\nReal time: 19:34\nIn-game: 12:54"
    assert run["Status"].startswith("Verified by `zx7weqv8` <t:")
    assert run["Videos"] == "[video 1](https://www.twitch.tv/videos/297962611)"
    assert run["Comment"].startswith("This was done in a race.")
    assert run["Splits"] == "[splits](https://splits.io/api/v3/runs/2yp6)"
    assert run["Dates"].startswith("Played <t:")
    assert reply.footer == f"speedrun.com run {RUN}"
    assert reply.media() == ["https://www.speedrun.com/themes/deadcells/cover-128.png"], "the game's cover"


@pytest.mark.parametrize(
    ("command", "options", "message"),
    [
        ("src run", {"id": "nosuchrun"}, "speedrun.com has no run “nosuchrun”."),
        (
            "src game",
            {"name": "Halo 9"},
            "speedrun.com has no game “Halo 9”: try its name, abbreviation or id.",
        ),
    ],
)
async def test_what_speedrun_com_does_not_have_is_said_plainly(
    bot: HaloBot, discord_server: FakeDiscord, command: str, options: dict[str, str], message: str
) -> None:
    reply = await (await discord_server.invoke(command, options)).reply()

    assert reply.ephemeral
    assert reply.content == message


async def test_runs_of_a_game_page_with_buttons(bot: HaloBot, discord_server: FakeDiscord) -> None:
    options = {
        "game": "Dead Cells",
        "category": "any%",
        "status": "verified",
        "orderby": "submitted",
        "direction": "desc",
    }
    interaction = await discord_server.invoke("src runs", options)
    reply = await interaction.reply()

    assert reply.title == "Dead Cells: runs"
    assert reply.body.count("\n") == 9
    assert reply.footer == "The first 50 runs; narrow the search to see others. · Page 1/5"
    assert "**" in reply.body.split("\n")[0]
    await discord_server.click(reply, "Next")
    await until(lambda: reply.footer.endswith("Page 2/5"), timeout=5)


async def test_runs_of_one_user(bot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (await discord_server.invoke("src runs", {"game": "deadcells", "user": "zeta"})).reply()

    lines = reply.body.split("\n")
    assert all(" by Zeta · Any% · verified" in line for line in lines)


async def test_a_user_speedrun_com_does_not_know(bot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (await discord_server.invoke("src runs", {"game": "deadcells", "user": "nobody"})).reply()

    assert reply.ephemeral
    assert reply.content == "speedrun.com has no user “nobody”."


async def test_a_leaderboard_shares_places_between_ties(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    board = [run for run in speedrun_server.runs.values() if run["values"].get("e8m661ql") == "z19e788q"]
    fastest = min(board, key=lambda run: run["times"]["primary_t"])
    speedrun_server.runs["tiedrun1"] = {
        **fastest,
        "id": "tiedrun1",
        "players": [{"rel": "user", "id": "48g10dr8"}],
    }
    options = {"game": "Dead Cells", "category": "Any%", "top": 5, "subcategory": "e8m661ql=z19e788q"}
    reply = await (await discord_server.invoke("src leaderboard", options)).reply()

    assert reply.title == "Dead Cells — Any%"
    assert reply.links()["Board"].startswith("https://www.speedrun.com/")
    lines = reply.body.split("\n")
    assert [line.split(".**")[0].removeprefix("**") for line in lines[:3]] == ["1", "1", "3"]
    assert any(line.startswith("**1.** 2:56.990 by Zeta") for line in lines)


async def test_subcategories_are_offered_for_the_category(bot: HaloBot, discord_server: FakeDiscord) -> None:
    interaction = await discord_server.invoke(
        "src leaderboard", {"game": "deadcells", "category": "Any%", "subcategory": ""}, focused="subcategory"
    )
    choices = await interaction.autocomplete_choices()

    assert choices == [
        {"name": "Version: 1.0", "value": "e8m661ql=z19e788q"},
        {"name": "Version: Daily", "value": "e8m661ql=p12vx6ql"},
    ]


async def test_an_unknown_category_gets_a_did_you_mean(bot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await (
        await discord_server.invoke("src leaderboard", {"game": "deadcells", "category": "anny"})
    ).reply()

    assert reply.ephemeral
    assert reply.content == "Dead Cells has no category “anny” on speedrun.com. Did you mean **Any%**?"


async def test_a_burst_of_150_lookups_is_answered_without_tripping_the_limit(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, make_config: Callable[..., Config]
) -> None:
    # Six times speedrun.com's budget on both sides, so that the burst outruns the bot's first fifth
    # of it (120 requests) and waits for the rest within seconds rather than a minute.
    speedrun_server.limit_per_minute = 600
    config = make_config(speedrun={"requests_per_minute": 600})
    run_ids = list(speedrun_server.runs)[:150]
    async with running(config, discord_server):
        interactions = [await discord_server.invoke("src run", {"id": run_id}) for run_id in run_ids]
        replies = await asyncio.gather(*(interaction.reply(timeout=30) for interaction in interactions))

    assert [reply.footer for reply in replies] == [f"speedrun.com run {i}" for i in run_ids]
    assert speedrun_server.rate_limited == 0
    assert len(speedrun_server.requests) >= 150


NO_VIDEO = [{"text": None, "links": None}, None]  # both shapes speedrun.com sends (api#58)


@pytest.mark.parametrize("videos", NO_VIDEO)
async def test_a_run_without_video_links_is_shown_in_full(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, videos: Any
) -> None:
    speedrun_server.add_run("novideo1", 170, date(2026, 11, 21), videos=videos)
    reply = await (await discord_server.invoke("src run", {"id": "novideo1"})).reply()

    run = reply.blocks
    assert not reply.ephemeral
    assert reply.links()["Run"] == "https://www.speedrun.com/deadcells/run/novideo1"
    assert "Watch" not in reply.links()
    assert run["Time"].startswith("**2:50**")
    assert "Videos" not in run


@pytest.mark.parametrize("videos", NO_VIDEO)
async def test_a_run_without_video_links_keeps_its_place_on_the_board(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, videos: Any
) -> None:
    speedrun_server.add_run(
        "novideo1", 170, date(2026, 11, 21), videos=videos, players=[{"rel": "user", "id": "48g10dr8"}]
    )
    options = {"game": "Dead Cells", "category": "Any%", "top": 3, "subcategory": "e8m661ql=z19e788q"}
    reply = await (await discord_server.invoke("src leaderboard", options)).reply()

    lines = reply.body.split("\n")
    assert lines[0] == "**1.** 2:50 by Zeta"
    assert lines[1].startswith("**2.** 2:56.990 by ")
