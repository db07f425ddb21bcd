"""Halo Infinite end to end: the real bot signed in at a local Microsoft authority (MSAL over https),
through a local Xbox Live token chain, asking a local Halo Waypoint that serves recorded responses."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.app import HaloBot
from bot.clients.waypoint.microsoft_signin import MicrosoftSignIn
from bot.config import Config
from bot.embeds import rank_card
from tests.conftest import running
from tests.fakes.discord import FakeDiscord, Message
from tests.fakes.waypoint_server import (
    PLAYER,
    PLAYER_XUID,
    RANKED_ARENA,
    RANKED_DOUBLES,
    FakeWaypoint,
    asset,
    fixture,
    standing,
)


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


@pytest.fixture
async def infinite_bot(
    discord_server: FakeDiscord, make_config: Callable[..., Config], infinite_settings: dict[str, Any]
) -> AsyncIterator[HaloBot]:
    async with running(make_config(infinite=infinite_settings), discord_server) as bot:
        yield bot


def diamond() -> dict[str, Any]:
    return {
        "Current": standing(1389, "Diamond", 3),
        "SeasonMax": standing(1420, "Diamond", 4),
        "AllTimeMax": standing(1549, "Onyx", 0),
    }


def privately(reply: Message) -> str:
    """The text of an answer only the user who asked sees."""
    assert reply.ephemeral
    return reply.content


async def csr(server: FakeDiscord, options: dict[str, Any] | None = None) -> Message:
    return await (
        await server.invoke("csr", options if options is not None else {"gamertag": PLAYER})
    ).reply()


async def test_csr_shows_tier_progress_highs_and_a_rank_card(
    infinite_bot: HaloBot,
    discord_server: FakeDiscord,
    waypoint_server: FakeWaypoint,
    infinite_settings: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    waypoint_server.csr[(RANKED_ARENA, None)] = diamond()

    reply = await csr(discord_server)

    assert not reply.ephemeral
    assert reply.layout
    assert (reply.title, reply.subtitle) == ("Ranked Arena rank", PLAYER)
    assert reply.texts[1] == "**Diamond 4 · 1389**\n▰▰▰▰▰▰▰▰▱▱ 11 to Diamond 5"
    assert reply.texts[2:4] == ["**Season max**\nDiamond 5 · 1420", "**All-time max**\nOnyx · 1549"]
    picture, image = reply.media()
    assert picture.startswith("https://images-eds-ssl.xboxlive.com/"), "the gamerpic as thumbnail"
    assert image == "attachment://csr.png", "the rank card in a media gallery"
    card = Image.open(io.BytesIO(reply.files["csr.png"]))
    assert (card.format, card.size) == ("PNG", rank_card.SIZE)
    # The chain: the Microsoft token in the Xbox ticket, the player's xuid in the skill request.
    tickets = [f"d={token}" for token in access_tokens(Path(infinite_settings["token_cache"]))]
    assert waypoint_server.rps_tickets == tickets
    assert (
        "GET",
        f"/skill/hi/playlist/{RANKED_ARENA}/csrs?players=xuid({PLAYER_XUID})",
    ) in waypoint_server.requests
    assert not any(secret in caplog.text for secret in ("spartan-", "ms-access", "xsts-", "user-"))


async def test_csr_of_an_unranked_player_counts_placement_matches(
    infinite_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    reply = await csr(discord_server)  # the recorded answer: in placement, Onyx once

    assert reply.texts[1:4] == [
        "**Unranked**\n4 of 10 placement matches left",
        "**Season max**\nUnranked",
        "**All-time max**\nOnyx · 1549",
    ]


async def test_unknown_tiers_and_new_fields_are_shown_as_they_come(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    new = {**standing(1800, "Ascendant", 1), "Prestige": {"Level": 3}}
    waypoint_server.csr[(RANKED_ARENA, None)] = {"Current": new, "Novelty": True}

    reply = await csr(discord_server)

    assert reply.texts[1].startswith("**Ascendant 2 · 1800**")
    assert Image.open(io.BytesIO(reply.files["csr.png"])).size == rank_card.SIZE


@pytest.mark.parametrize(
    ("code", "answer"),
    [
        (1, f"**{PLAYER}** has no rank in Ranked Arena, this season."),
        (4, f"**{PLAYER}**'s privacy settings hide their rank."),
        (
            2,
            "Halo Waypoint is not answering properly right now: it could not look up the rank "
            "(result code 2). Please try again later.",
        ),
    ],
)
async def test_csr_result_codes_are_explained(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint, code: int, answer: str
) -> None:
    waypoint_server.csr_codes[(RANKED_ARENA, None)] = code

    assert privately(await csr(discord_server)) == answer


async def test_season_and_playlist_choices_come_from_the_calendar_and_the_players_playlists(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    seasons = await (
        await discord_server.invoke("csr", {"gamertag": PLAYER, "season": ""}, focused="season")
    ).autocomplete_choices()
    playlists = await (
        await discord_server.invoke("csr", {"gamertag": PLAYER, "playlist": "rank"}, focused="playlist")
    ).autocomplete_choices()
    waypoint_server.csr[(RANKED_ARENA, "CsrSeason5-1")] = diamond()
    reply = await csr(discord_server, {"gamertag": PLAYER, "season": "CsrSeason5-1"})

    assert seasons[0] == {"name": "Season 5-1 (17 Oct 2023 to 30 Jan 2024)", "value": "CsrSeason5-1"}
    assert len(seasons) == 8
    assert {p["name"] for p in playlists} == {"Ranked Arena", "Ranked Doubles"}
    assert reply.footer == "Season 5-1 (17 Oct 2023 to 30 Jan 2024)"
    assert reply.texts[1].startswith("**Diamond 4 · 1389**")


async def test_a_playlist_by_name_or_id_and_one_that_is_not_ranked(
    infinite_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    quick_play = "bdceefb3-1c52-4848-a6b7-d49acd13109d"
    by_id = await csr(discord_server, {"gamertag": PLAYER, "playlist": RANKED_DOUBLES})
    by_name = await csr(discord_server, {"gamertag": PLAYER, "playlist": "ranked doubles"})
    not_ranked = await csr(discord_server, {"gamertag": PLAYER, "playlist": quick_play})

    assert by_id.title == "Ranked Doubles rank"
    assert by_name.title == "Ranked Doubles rank"
    assert privately(not_ranked) == f"“{quick_play}” is not a ranked playlist: pick one from the list."


async def test_a_ranked_playlist_is_named_by_its_public_name_or_else_its_name_hint(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    tactical, version = "c521cb83-8a5b-4d4a-9a6c-0b3d2e1f4a5c", "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
    waypoint_server.playlists[tactical] = asset("Ranked_Tactical", version)
    waypoint_server.playlist_versions[(tactical, version)] = {
        **fixture("get_playlist"),
        "AssetId": tactical,
        "VersionId": version,
        "PublicName": "Ranked Tactical Slayer",
    }
    waypoint_server.fail("/discovery/", 500)
    hint = await csr(discord_server, {"gamertag": PLAYER, "playlist": tactical})
    public = await csr(discord_server, {"gamertag": PLAYER, "playlist": tactical})
    doubles = await csr(discord_server, {"gamertag": PLAYER, "playlist": RANKED_DOUBLES})

    assert hint.title == "Ranked Tactical rank", "discovery failed: the name hint, readable"
    assert public.title == "Ranked Tactical Slayer rank", "discovery asked again"
    assert doubles.title == "Ranked Doubles rank"
    asked = [path for _, path in waypoint_server.requests if path.startswith("/discovery/")]
    assert f"/discovery/hi/playlists/{tactical}/versions/{version}" in asked


async def test_servicerecord_shows_the_figures_and_medals_by_name(
    infinite_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    reply = await (await discord_server.invoke("servicerecord", {"gamertag": PLAYER})).reply()

    embed = reply.embeds[0]
    record = fields(embed)
    assert embed["footer"]["text"] == "All seasons"
    assert record["Matches"] == "2,664 (1,405 W · 1,219 L · 38 T)"
    assert record["Win rate"] == "52.7%"
    assert record["Time played"] == "17d 10h 55m"
    assert record["K / D / A"] == "42,197 / 26,566 / 15,174"
    assert record["K/D · KDA"] == "1.59 · 7.77"
    assert record["Accuracy"] == "47.2%"
    assert record["Damage"] == "12,475,748 dealt · 9,157,476 taken"
    assert record["Top medals"].splitlines()[0] == "Double Kill x3,858"
    assert len(record["Top medals"].splitlines()) == 5
    assert (
        record["Modes"].splitlines()[0]
        == "**Capture the Flag**: 203 captures · 442 returns · 491 carriers killed"
    )
    assert "**Oddball**: 2h 44m holding the skull · 80 grabs" in record["Modes"]


async def test_servicerecord_for_a_season_asks_for_that_season(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    reply = await (
        await discord_server.invoke("servicerecord", {"gamertag": PLAYER, "season": "CsrSeason5-1"})
    ).reply()

    assert reply.embeds[0]["description"] == "No matchmade games in this period."
    assert reply.embeds[0]["footer"]["text"] == "Season 5-1 (17 Oct 2023 to 30 Jan 2024)"
    assert any("seasonId=Csr/Seasons/CsrSeason5-1.json" in path for _, path in waypoint_server.requests)


async def test_servicerecord_of_every_season_offered_asks_the_id_the_record_lists(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    record = fixture("get_service_record")
    for season_id in record["Subqueries"]["SeasonIds"]:  # the recorded answer: the ids it accepts
        waypoint_server.records[season_id] = record
    seasons = await (
        await discord_server.invoke("servicerecord", {"gamertag": PLAYER, "season": ""}, focused="season")
    ).autocomplete_choices()
    replies = [
        await (
            await discord_server.invoke("servicerecord", {"gamertag": PLAYER, "season": season["value"]})
        ).reply()
        for season in seasons
    ]

    assert len(seasons) == 8
    for season, reply in zip(seasons, replies, strict=True):
        assert fields(reply.embeds[0])["Matches"].startswith("2,664 "), season["name"]
    asked = {path for _, path in waypoint_server.requests if "seasonId=" in path}
    assert any("seasonId=Seasons/Season3.json" in path for path in asked), "Season 3's own id"
    assert not any("CsrSeason3-1" in path for path in asked)


async def test_link_makes_the_gamertag_optional_and_feeds_the_member_command(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    member = discord_server.member
    linked = await (await discord_server.invoke("link", {"gamertag": " acurtis x89 "})).reply()
    own = await csr(discord_server, {})
    by_menu = await (await discord_server.invoke_user_command("Halo CSR", member)).reply()
    unlinked = await (await discord_server.invoke("unlink")).reply()
    after = await csr(discord_server, {})
    not_linked = await (await discord_server.invoke_user_command("Halo CSR", member)).reply()

    assert privately(linked).startswith(f"Linked to **{PLAYER}**")
    assert own.subtitle == PLAYER
    assert by_menu.subtitle == PLAYER
    assert "csr.png" in by_menu.files
    assert by_menu.media()[-1] == "attachment://csr.png"
    assert privately(unlinked) == f"Your gamertag **{PLAYER}** is no longer linked."
    assert privately(after) == "Give a gamertag, or link yours with /link."
    assert "has not linked a gamertag" in privately(not_linked)


async def test_unknown_and_invalid_gamertags(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    invalid = await csr(discord_server, {"gamertag": "bad_tag!"})
    asked_before = len(waypoint_server.requests)
    unknown = await csr(discord_server, {"gamertag": "Nobody Here#1234"})

    assert privately(invalid).startswith("“bad\\_tag!” is not an Xbox gamertag")
    assert not any("/profile/" in path for _, path in waypoint_server.requests[:asked_before])
    assert privately(unknown) == "There is no Xbox player with the gamertag **Nobody Here#1234**."
    assert ("GET", "/profile/users/gt(Nobody%20Here%231234)") in waypoint_server.requests


async def test_a_spartan_token_about_to_expire_is_renewed_without_a_new_xbox_sign_in(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    await csr(discord_server)
    waypoint_server.spartan_lifetime = waypoint_server.spartan_lifetime / 60  # 4 minutes: inside the margin
    waypoint_server.revoke_spartan_tokens()
    await csr(discord_server, {"gamertag": PLAYER, "playlist": RANKED_DOUBLES})
    issued = waypoint_server.issued["spartan"]
    reply = await (await discord_server.invoke("servicerecord", {"gamertag": PLAYER})).reply()

    assert "Matches" in fields(reply.embeds[0])
    assert waypoint_server.issued["spartan"] == issued + 1  # renewed ahead of its expiry
    assert (waypoint_server.issued["user"], waypoint_server.issued["xsts"]) == (2, 2)


async def test_a_refused_token_rebuilds_the_chain_once_for_every_request_that_saw_it(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    await csr(discord_server)
    before = dict(waypoint_server.issued)
    waypoint_server.revoke_spartan_tokens()
    interactions = [
        await discord_server.invoke("servicerecord", {"gamertag": PLAYER}),
        await discord_server.invoke("csr", {"gamertag": PLAYER, "season": "CsrSeason4-1"}),
        await discord_server.invoke("servicerecord", {"gamertag": PLAYER, "season": "CsrSeason3-1"}),
    ]
    replies = [await interaction.reply() for interaction in interactions]

    assert not any(reply.ephemeral for reply in replies)
    for step in ("user", "xsts", "spartan", "clearance"):
        assert waypoint_server.issued[step] == before[step] + 1, step


async def test_a_token_refused_again_after_the_rebuild_is_an_error(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    await csr(discord_server)
    spartans = waypoint_server.issued["spartan"]
    waypoint_server.fail("/skill/", 401, times=2)

    reply = await csr(discord_server, {"gamertag": PLAYER, "season": "CsrSeason4-1"})

    assert privately(reply) == (
        "Halo Waypoint is not answering properly right now: it refused the bot's sign-in. "
        "Please try again later."
    )
    assert waypoint_server.issued["spartan"] == spartans + 1


@pytest.mark.parametrize(
    ("status", "headers", "problem"),
    [
        (503, {}, "it answered HTTP 503"),
        (429, {"Retry-After": "30"}, "it asked the bot to wait; try again in 30 seconds"),
    ],
)
async def test_waypoint_failures_are_explained(
    infinite_bot: HaloBot,
    discord_server: FakeDiscord,
    waypoint_server: FakeWaypoint,
    status: int,
    headers: dict[str, str],
    problem: str,
) -> None:
    waypoint_server.fail("/profile/", status, headers=headers)
    reply = await csr(discord_server)
    asked = len(waypoint_server.requests)
    again = await csr(discord_server, {"gamertag": "Someone Else"})

    assert reply.ephemeral
    assert (
        reply.content
        == f"Halo Waypoint is not answering properly right now: {problem}. Please try again later."
    )
    if status == 429:  # nothing is sent before Retry-After has passed
        assert "try again in" in privately(again)
        assert len(waypoint_server.requests) == asked


async def test_a_waypoint_that_does_not_answer_is_reported_in_time(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint
) -> None:
    await csr(discord_server)  # signed in: only the lookup itself is slow
    waypoint_server.delay = 5

    reply = await csr(discord_server, {"gamertag": PLAYER, "season": "CsrSeason4-1"})

    assert reply.ephemeral
    assert reply.content == (
        "Halo Waypoint is not answering properly right now: it did not answer within 2.5 seconds. "
        "Please try again later."
    )


@pytest.mark.parametrize(
    ("step", "answer"),
    [
        (
            "/xsts/",
            "Xbox Live sign-in is not answering properly right now: it refused the sign-in (HTTP 401). "
            "Please try again later.",
        ),
        (
            "/userauth/",
            "Halo Infinite stats are unavailable: the bot is not signed in to Xbox Live. "
            "Its operator has been told how to fix it.",
        ),
    ],
)
async def test_an_xbox_step_that_refuses_makes_the_next_command_start_over(
    infinite_bot: HaloBot, discord_server: FakeDiscord, waypoint_server: FakeWaypoint, step: str, answer: str
) -> None:
    await csr(discord_server)
    waypoint_server.revoke_spartan_tokens()
    waypoint_server.fail(step, 401)

    refused = await csr(discord_server, {"gamertag": PLAYER, "season": "CsrSeason4-1"})
    again = await csr(discord_server, {"gamertag": PLAYER, "season": "CsrSeason3-1"})

    assert privately(refused) == answer
    assert not again.ephemeral
    # The next command signed in to Xbox Live again, rather than reusing what led to the refusal.
    assert waypoint_server.issued["user"] == (3 if step == "/xsts/" else 2)


async def test_signing_in_again_while_the_bot_runs_takes_effect(
    discord_server: FakeDiscord, make_config: Callable[..., Config], infinite_settings: dict[str, Any]
) -> None:
    config = make_config(infinite=infinite_settings)
    expire_sign_in(config.infinite.token_cache)
    async with running(config, discord_server):
        before = await csr(discord_server)
        await asyncio.to_thread(MicrosoftSignIn(config.infinite).sign_in, lambda instructions: None)
        after = await csr(discord_server, {"gamertag": PLAYER, "season": "CsrSeason4-1"})

    assert "not signed in" in privately(before)
    assert not after.ephemeral


async def test_turned_off_the_commands_say_so(bot: HaloBot, discord_server: FakeDiscord) -> None:
    reply = await csr(discord_server)

    assert privately(reply) == "Halo Infinite stats are turned off on this bot."


def access_tokens(cache: Path) -> list[str]:
    """The Microsoft access tokens in a token cache."""
    return [token["secret"] for token in json.loads(cache.read_text())["AccessToken"].values()]


def expire_sign_in(cache: Path) -> None:
    """The cached access token has expired and the refresh token is no longer accepted."""
    data = json.loads(cache.read_text())
    for token in data["AccessToken"].values():
        token["expires_on"] = "1"
    for token in data["RefreshToken"].values():
        token["secret"] = "revoked"
    cache.write_text(json.dumps(data))


@pytest.mark.parametrize("sign_in", ["none", "expired"])
async def test_without_a_working_sign_in_the_user_and_the_operator_are_told(
    discord_server: FakeDiscord,
    make_config: Callable[..., Config],
    infinite_settings: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    sign_in: str,
) -> None:
    (Path.unlink if sign_in == "none" else expire_sign_in)(Path(infinite_settings["token_cache"]))

    async with running(make_config(infinite=infinite_settings), discord_server):
        reply = await csr(discord_server)
        status = await (await discord_server.invoke("status")).reply()

    assert privately(reply) == (
        "Halo Infinite stats are unavailable: the bot is not signed in to Xbox Live. "
        "Its operator has been told how to fix it."
    )
    assert "run `python -m bot infinite-login`" in caplog.text
    assert not status.ephemeral  # the rest of the bot carries on
