"""/src submit end to end: the checked form, its preview with menus, and exactly one POST /runs."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import HaloBot
from bot.config import Config
from tests.conftest import running, speedrun_cog
from tests.fakes.discord import FakeDiscord, Interaction, Message, component
from tests.fakes.speedrun_server import FakeSpeedrun

KEY = "r0hbq2qq84hf9t47jdvmeh4gl"
ZETA = "48g10dr8"
HALO_2 = "kdkmr7d1"
SUBMITTED = "Submitted to speedrun.com"
PLAYED = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
FULL_GAME = {
    "game": "halo2",
    "category": "wk6pexd1",
    "time": "1:23:45.678",
    "video": "https://youtu.be/halo2run",
    "platform": "8gej2n93",
    "region": "pr184lqn",
    "date": PLAYED,
    "comment": "GG @everyone",
}


async def link_key(bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun) -> None:
    speedrun_server.api_keys[KEY] = ZETA
    await speedrun_cog(bot).keys.link(int(discord_server.member["id"]), SecretStr(KEY), ZETA, "Zeta")


@pytest.fixture
async def linked_bot(bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun) -> HaloBot:
    """The bot, the member's speedrun.com key (Zeta's) linked."""
    await link_key(bot, discord_server, speedrun_server)
    return bot


async def open_form(discord_server: FakeDiscord, **options: Any) -> Message:
    preview = await (await discord_server.invoke("src submit", options)).reply()
    assert preview.ephemeral
    return preview


async def ready_form(discord_server: FakeDiscord, **changes: Any) -> Message:
    """A full-game form (``FULL_GAME`` with ``changes``) with every mandatory variable chosen."""
    preview = await open_form(discord_server, **{**FULL_GAME, **changes})
    await choose(discord_server, preview, "Players", "Solo")
    return preview


async def choose(discord_server: FakeDiscord, preview: Message, variable: str, value: str) -> None:
    """Picks ``value`` in the menu of the mandatory ``variable`` and waits until the form shows it."""
    picked = await discord_server.choose(preview, f"{variable} (required)", [value])
    await settled(picked, lambda: fields(preview)[variable] == value)


async def press_submit(discord_server: FakeDiscord, preview: Message) -> None:
    """Presses Submit and waits until the form shows the run submitted."""
    clicked = await discord_server.click(preview, "Submit")
    await settled(clicked, lambda: title(preview) == SUBMITTED)


async def press_submit_refused(discord_server: FakeDiscord, preview: Message) -> str:
    """Presses Submit and waits until the form says why the run is not submitted: that."""
    clicked = await discord_server.click(preview, "Submit")
    await settled(clicked, lambda: "Not submitted" in fields(preview))
    return fields(preview)["Not submitted"]


def halo_2_runs(speedrun_server: FakeSpeedrun) -> list[dict[str, Any]]:
    """The Halo 2 runs speedrun.com has (none before a test submits one)."""
    return [run for run in speedrun_server.runs.values() if run["game"] == HALO_2]


async def settled(interaction: Interaction, check: Callable[[], bool]) -> None:
    """Waits until the bot has answered ``interaction`` and ``check`` holds."""
    await interaction.wait_for(lambda i: bool(i.callbacks) and check())


def finished(interaction: Interaction) -> bool:
    """The bot has answered, and after a deferred update it has also shown the outcome (on the
    form, or privately)."""
    deferred = any(callback["type"] == 6 for callback in interaction.callbacks)
    shown = interaction.edits > 0 or bool(interaction.followups)
    return bool(interaction.callbacks) and (not deferred or shown)


async def all_settled(interactions: Sequence[Interaction], check: Callable[[], bool]) -> None:
    """Waits until the bot has finished with every one of ``interactions`` and ``check`` holds,
    whichever of them changed the message: of simultaneous clicks, any one may be the one that
    submits, and only the one that does changes what the form shows."""
    async with asyncio.timeout(10):
        while not (all(finished(i) for i in interactions) and check()):
            for interaction in interactions:
                interaction.changed.clear()
            waits = [asyncio.create_task(i.changed.wait()) for i in interactions]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()


def fields(message: Message) -> dict[str, str]:
    return message.blocks


def title(message: Message) -> str:
    return message.title


async def test_a_full_game_run_is_previewed_completed_and_submitted_once(
    linked_bot: HaloBot,
    discord_server: FakeDiscord,
    speedrun_server: FakeSpeedrun,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    preview = await open_form(discord_server, **FULL_GAME)
    shown = fields(preview)
    assert title(preview) == "Your run, ready to submit"
    assert "Halo 2 — Easy" in preview.subtitle
    assert "Submitted as **Zeta**" in preview.subtitle
    assert shown["Time"] == "**1:23:45.678** Real time"
    assert (shown["Players"], shown["Version"], shown["Seed"]) == ("*choose one below*", "MCC", "none")
    assert (shown["Platform"], shown["Region"], shown["Emulated"]) == ("PC", "USA / NTSC", "no")
    assert shown["Comment"] == "GG @\u200beveryone", "member text never pings"
    assert component(preview, "Submit").get("disabled"), "Players is mandatory and not chosen yet"

    await choose(discord_server, preview, "Players", "Solo")
    assert not component(preview, "Submit").get("disabled")

    asked = await discord_server.click(preview, "Seed…")
    typed = await discord_server.submit(asked, {"Seed": " 12345 "})
    await settled(typed, lambda: fields(preview)["Seed"] == "12345")

    first = await discord_server.click(preview, "Submit")
    second = await discord_server.click(preview, "Submit")  # a double click
    await all_settled([first, second], lambda: title(preview) == SUBMITTED)

    assert speedrun_server.submitted == [
        {
            "run": {
                "category": "wk6pexd1",
                "date": PLAYED,
                "platform": "8gej2n93",
                "region": "pr184lqn",
                "times": {"realtime": 5025.678},
                "emulated": False,
                "verified": False,
                "video": "https://youtu.be/halo2run",
                "comment": "GG @everyone",
                "variables": {
                    "2lgz978p": {"type": "pre-defined", "value": "21d4zvp1"},
                    "ylq9qkv8": {"type": "pre-defined", "value": "gq7zo9p1"},
                    "p854r2vl": {"type": "user-defined", "value": "12345"},
                },
            }
        }
    ]
    assert fields(preview)["Status"] == "Awaiting verification"
    assert "https://www.speedrun.com/run/n0000001" in fields(preview)["Run"]
    assert preview.controls() == [], "nothing left to press"
    assert preview.links()["Run"] == "https://www.speedrun.com/run/n0000001"
    assert all(KEY not in json.dumps(request.body) for request in discord_server.requests)
    assert all(KEY not in record.getMessage() for record in caplog.records)


async def test_a_level_run_offers_only_that_levels_variables(
    linked_bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    options = {
        **FULL_GAME,
        "category": "n2y1y72o",
        "level": "rdnyx4dm",
        "time": "1h 2m 3.5s",
        "timing": "ingame",
    }
    del options["region"], options["comment"]

    preview = await open_form(discord_server, **options)
    assert "Halo 2 — Level Legendary — Cairo Station" in preview.subtitle
    assert "Full-game only" not in fields(preview), "a full-game variable is not asked for a level run"
    await choose(discord_server, preview, "Players", "Co-op")
    await choose(discord_server, preview, "Skull", "Iron")
    await press_submit(discord_server, preview)

    assert speedrun_server.submitted == [
        {
            "run": {
                "category": "n2y1y72o",
                "level": "rdnyx4dm",
                "date": PLAYED,
                "platform": "8gej2n93",
                "times": {"ingame": 3723.5},
                "emulated": False,
                "verified": False,
                "video": "https://youtu.be/halo2run",
                "variables": {
                    "2lgz978p": {"type": "pre-defined", "value": "5q8e7y3q"},
                    "68km3w4l": {"type": "pre-defined", "value": "4qye4731"},
                },
            }
        }
    ]


@pytest.mark.parametrize(
    ("changes", "answer"),
    [
        ({"time": "an hour"}, "“an hour” is not a run time. Write it like `1:23:45.678`"),
        ({"time": "0"}, "“0” is not a run time."),
        ({"date": "23/11/2026"}, "“23/11/2026” is not a date: write it as YYYY-MM-DD"),
        ({"date": "2999-01-01"}, "2999-01-01 is in the future"),
        ({"video": "youtube.com/watch"}, "The video must be an http(s) link"),
        ({"video": None}, "Halo 2 requires a video"),
        ({"category": "7kjp314k"}, "Halo 2 has no category “7kjp314k” on speedrun.com."),
        ({"level": "rdnyx4dm"}, "“Easy” is a full-game category: leave `level` out"),
        ({"category": "n2y1y72o"}, "“Level Legendary” is a level category: pick the `level` too."),
        (
            {"timing": "realtime_noloads"},
            "Halo 2 times runs by `realtime` or `ingame`, not by `realtime_noloads`.",
        ),
        ({"platform": None}, "Pick the platform you played on: **PC**, **Xbox**."),
        ({"emulated": True}, "Halo 2 does not allow runs on emulators."),
    ],
)
async def test_each_local_check_answers_privately_and_submits_nothing(
    linked_bot: HaloBot,
    discord_server: FakeDiscord,
    speedrun_server: FakeSpeedrun,
    changes: dict[str, Any],
    answer: str,
) -> None:
    options = {key: value for key, value in {**FULL_GAME, **changes}.items() if value is not None}

    reply = await (await discord_server.invoke("src submit", options)).reply()

    assert reply.ephemeral
    assert answer in reply.content
    assert speedrun_server.submitted == []


async def test_without_a_linked_key_nothing_is_asked_of_speedrun_com(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    reply = await (await discord_server.invoke("src submit", FULL_GAME)).reply()

    assert (reply.ephemeral, reply.content) == (
        True,
        "Link your speedrun.com API key first with `/src key set`: runs are submitted in your name.",
    )
    assert speedrun_server.requests == []


async def test_speedrun_coms_errors_are_shown_and_the_form_kept(
    linked_bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    preview = await ready_form(discord_server)
    halo_2 = next(g for g in speedrun_server.games if g["id"] == HALO_2)
    halo_2["platforms"] = ["o7e2mx6w"]  # the moderators changed the rules meanwhile

    problems = await press_submit_refused(discord_server, preview)
    assert problems == "• [platform] is not a platform of this game"
    assert not component(preview, "Submit").get("disabled"), "the form stays, to be fixed or sent again"

    halo_2["platforms"] = ["8gej2n93", "o7e2mx6w"]
    await press_submit(discord_server, preview)
    assert len(speedrun_server.submitted) == 2
    assert len(halo_2_runs(speedrun_server)) == 1


async def test_a_refused_key_asks_to_set_it_again(
    linked_bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    preview = await ready_form(discord_server, category="Easy")
    del speedrun_server.api_keys[KEY]  # revoked on speedrun.com

    problems = await press_submit_refused(discord_server, preview)

    assert "speedrun.com refused your API key" in problems
    assert "`/src key set`" in problems


async def test_a_post_without_an_answer_is_found_and_never_sent_twice(
    linked_bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    preview = await ready_form(discord_server)
    speedrun_server.submit_faults.append("lost answer")  # the run is made, the answer lost

    await press_submit(discord_server, preview)

    assert len(speedrun_server.submitted) == 1
    assert "https://www.speedrun.com/run/n0000001" in fields(preview)["Run"]


async def test_when_speedrun_com_is_down_the_member_tries_again_and_it_is_sent_once(
    linked_bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    preview = await ready_form(discord_server)
    speedrun_server.submit_faults.append("down")

    problems = await press_submit_refused(discord_server, preview)
    assert "speedrun.com did not answer, so the run may or may not be there" in problems
    assert component(preview, "Players (required)").get("disabled"), "what was sent can no longer change"
    await press_submit(discord_server, preview)

    assert len(speedrun_server.submitted) == 2
    assert len(halo_2_runs(speedrun_server)) == 1


async def test_a_form_left_sending_by_a_stopped_bot_is_resolved_by_the_next_click(
    linked_bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    preview = await ready_form(discord_server)
    form_id = component(preview, "Submit")["custom_id"].split(":")[1]
    form = await speedrun_cog(linked_bot).submissions.forms.get(form_id)
    assert form is not None
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    await linked_bot.database.execute(  # the bot stopped right after its POST went out
        "UPDATE submission_forms SET state = 'sending', claimed_at = ?, claimed_by = 'gone', sent_at = ? "
        "WHERE id = ?",
        long_ago,
        long_ago,
        form_id,
    )
    made = speedrun_server.add_submitted({"run": form.draft.body()}, ZETA)

    await press_submit(discord_server, preview)

    assert speedrun_server.submitted == [], "found among the member's runs, not sent again"
    assert made["weblink"] in fields(preview)["Run"]


async def test_concurrent_clicks_and_a_click_after_a_restart_submit_once(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, make_config: Callable[..., Config]
) -> None:
    config = make_config()
    async with running(config, discord_server) as bot:
        await link_key(bot, discord_server, speedrun_server)
        preview = await ready_form(discord_server)
    stale = Message(copy.deepcopy(preview.data))

    async with running(config, discord_server):
        clicks = await asyncio.gather(*(discord_server.click(stale, "Submit") for _ in range(3)))
        await all_settled(clicks, lambda: title(preview) == SUBMITTED)
        late = await discord_server.click(stale, "Submit")
        await settled(late, lambda: True)

    assert len(speedrun_server.submitted) == 1


async def test_only_the_member_who_opened_a_form_can_use_it(
    linked_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    preview = await open_form(discord_server, **FULL_GAME)
    someone = {**discord_server.member, "id": "1234567890123", "username": "someone"}

    clicked = await discord_server.choose(preview, "Players (required)", ["Solo"], user=someone)
    reply = await clicked.reply()

    assert (reply.ephemeral, reply.content) == (True, "Only the member who opened this form can use it.")
    assert fields(preview)["Players"] == "*choose one below*"


async def test_a_form_closes_when_it_expires(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(speedrun={"submit_form_minutes": 0.02}), discord_server) as bot:
        await link_key(bot, discord_server, speedrun_server)
        opened = await discord_server.invoke("src submit", FULL_GAME)
        preview = await opened.reply()
        stale = Message(copy.deepcopy(preview.data))
        await settled(opened, lambda: title(preview) == "Not submitted")
        assert "This form has expired" in preview.subtitle
        assert preview.controls()
        assert all(c.get("disabled") for c in preview.controls())

        late = await discord_server.choose(stale, "Players (required)", ["Solo"])
        await settled(late, lambda: True)

    assert fields(preview)["Players"] == "*choose one below*"
    assert speedrun_server.submitted == []


@pytest.mark.parametrize(
    ("option", "typed", "choices"),
    [
        (
            "category",
            "",
            [
                {"name": "Easy", "value": "wk6pexd1"},
                {"name": "Level Legendary (levels)", "value": "n2y1y72o"},
            ],
        ),
        ("level", "out", [{"name": "Outskirts", "value": "ldyz6zd3"}]),
        ("platform", "", [{"name": "PC", "value": "8gej2n93"}, {"name": "Xbox", "value": "o7e2mx6w"}]),
        ("region", "pal", [{"name": "EUR / PAL", "value": "e6lxy1dz"}]),
    ],
)
async def test_choices_show_names_and_send_ids(
    bot: HaloBot, discord_server: FakeDiscord, option: str, typed: str, choices: list[dict[str, str]]
) -> None:
    options = {"game": "Halo 2", "category": "", "time": "", option: typed}
    found = await (await discord_server.invoke("src submit", options, focused=option)).autocomplete_choices()

    assert found == choices
