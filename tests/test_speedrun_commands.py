"""/src game and /src run end to end, against a local speedrun.com serving the recorded fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import HaloBot
from tests.fakes.discord_server import FakeDiscord
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

    embed = reply.embeds[0]
    run = fields(embed)
    assert embed["url"] == f"https://www.speedrun.com/deadcells/run/{RUN}"
    assert run["Players"] == "user-0jm7knj1"
    assert run["Time"] == "**12:54**\nReal time: 19:34\nIn-game: 12:54"
    assert run["Status"].startswith("Verified by `zx7weqv8` <t:")
    assert run["Videos"] == "[video 1](https://www.twitch.tv/videos/297962611)"
    assert run["Comment"].startswith("This was done in a race.")
    assert run["Splits"] == "[splits](https://splits.io/api/v3/runs/2yp6)"


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
