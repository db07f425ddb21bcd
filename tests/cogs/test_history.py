"""/history and /src history end to end: local Discord, the real bot, local HaloRuns and speedrun.com."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from bot.app import HaloBot
from bot.config import Config
from bot.services import history
from tests.conftest import poll, running, until
from tests.fakes.discord import FakeDiscord
from tests.fakes.haloruns_server import DATA, FakeHaloRuns
from tests.fakes.speedrun_server import FakeSpeedrun

FEED_PATH = "/content/feeds/latestRecords.json"
PNG = b"\x89PNG\r\n\x1a\n"


def _feed() -> dict[str, Any]:
    feed: dict[str, Any] = json.loads((DATA / "content/feeds/latestRecords.json").read_text(encoding="utf-8"))
    return feed


def _older_feed() -> dict[str, Any]:
    """The feed as it was before the Solo Easy record of Tip of the Spear: Mythic Vex's 12:50,
    which replaced Old Guard's 13:20."""
    feed = _feed()
    entry = copy.deepcopy(feed["Entries"][0])
    entry |= {
        "RunId": "e38c2edc-0f94-5089-8e85-8f20d0f82faa",
        "Duration": 770,
        "Participants": [{"Username": "Mythic Vex", "EvidenceLink": "https://www.youtube.com/watch?v=vex"}],
        "OccuredAt": "2023-01-01T00:00:00Z",
        "PreviousRecordId": "11111111-2222-3333-4444-555555555555",
        "PreviousRecordDuration": 800,
        "PreviousRecordParticipants": [{"Username": "Old Guard"}],
        "PreviousRecordOccuredAt": "2021-06-01T00:00:00Z",
    }
    feed["Entries"] = [entry, *feed["Entries"][1:]]
    return feed


def _chart(files: dict[str, bytes]) -> Image.Image:
    png = files["history.png"]
    assert png.startswith(PNG)
    return Image.open(io.BytesIO(png))


async def test_history_of_a_haloruns_board_joins_the_feeds_and_what_the_bot_recorded(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, make_config: Callable[..., Config]
) -> None:
    haloruns_server.overrides[FEED_PATH] = _older_feed()  # what the bot saw first
    async with running(make_config(), discord_server) as bot:
        del haloruns_server.overrides[FEED_PATH]
        await poll(bot, "world-record-announcements")  # the newer record, recorded in the ledger
        reply = await (await discord_server.invoke("history", {"level": "0504"})).reply()
        coop = await (await discord_server.invoke("history", {"level": "0504", "category": "coop"})).reply()

    assert reply.title == "World-record history: Halo: Reach Tip of the Spear — Solo Easy"
    lines = reply.card[1].split("\n")
    assert len(lines) == 3, "the current record, the one it replaced, and the one the bot saw before"
    assert lines[0].startswith("[**12:34**](https://www.youtube.com/watch?v=")
    assert " by Sleepless · <t:" in lines[0]
    assert "beat the last by 0:16 · standing for " in lines[0]
    assert lines[1].startswith(
        "[**12:50**](https://www.youtube.com/watch?v=vex) by Mythic Vex · <t:1672531200:D>"
    )
    assert "beat the last by 0:30 · stood 1y 139d" in lines[1]
    assert lines[2] == "**13:20** by Old Guard · <t:1622505600:D> · first known record · stood 1y 214d"
    known = reply.blocks["How far back"]
    assert known.startswith("Known back to <t:1622505600:D>: HaloRuns' feeds name only")
    assert "the bot has recorded the feed since <t:" in known
    assert reply.media() == ["attachment://history.png"]
    assert reply.footer == "HaloRuns · 3 records"
    assert _chart(reply.files).size == (800, 400)
    assert not reply.ephemeral

    assert coop.card[1].startswith(
        "[**10:00**](https://www.youtube.com/watch?v=run4) by Sleepless & Kat\\_B320"
    )
    assert " · first record · standing for " in coop.card[1]
    assert coop.blocks["How far back"] == "Complete: from the board's first record on."
    assert "history.png" in coop.files


async def test_src_history_computes_the_progression_from_every_verified_run(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    options = {"game": "deadcells", "category": "Any%"}
    reply = await (await discord_server.invoke("src history", options)).reply()
    again = await (await discord_server.invoke("src history", options)).reply()

    assert reply.title == "World-record history: Dead Cells Any% (1.0)"
    lines = reply.card[1].split("\n")
    assert len(lines) == 8
    assert lines[0].startswith(
        "[**2:56.990**](https://www.speedrun.com/deadcells/run/m7w3499z) by user-zxz5690x · <t:1644494400:D>"
        " · beat the last by 0:09.098 · standing for "
    )
    assert lines[1].endswith("beat the last by 0:01.818 · stood 2d")
    assert reply.blocks["How far back"] == "Complete: from all 286 verified runs of the board, in date order."
    assert reply.footer == "speedrun.com · 31 records · Page 1/4"
    assert _chart(reply.files).size == (800, 400)
    assert again.card[1] == reply.card[1]
    pages = [r for r in speedrun_server.requests if r.startswith("/api/v1/runs?")]
    assert len(pages) == 2, "two pages of 200 runs, read once: the second answer is the kept one"
    assert all("orderby=date" in page and "status=verified" in page for page in pages)


async def test_src_history_of_a_board_past_the_apis_offset_limit_says_so(
    bot: HaloBot,
    discord_server: FakeDiscord,
    speedrun_server: FakeSpeedrun,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The API lists 10,000 runs at most: a board of 286 runs is read as one of more than 200.
    speedrun_server.offset_limit = 200
    monkeypatch.setattr(history, "OFFSET_LIMIT", 200)
    reply = await (
        await discord_server.invoke("src history", {"game": "deadcells", "category": "Any%"})
    ).reply()

    assert reply.blocks["How far back"] == (
        "The board has more than 200 verified runs, the most speedrun.com's API lists: shown from the"
        " record that stood on <t:1566907200:D> on; older records are not known."
    )
    assert reply.footer == "speedrun.com · 19 records · Page 1/3"
    assert reply.card[1].startswith("[**2:56.990**]")
    assert "history.png" in reply.files
    for page in (2, 3):
        await discord_server.click(reply, "Next")
        await until(lambda: reply.footer.endswith(f"Page {page}/3"), timeout=5)  # noqa: B023 (awaited at once)
    oldest = reply.card[1].split("\n")[-1]
    assert oldest.startswith("[**6:58**](https://www.speedrun.com/deadcells/run/zxkggp8m) by Zeta")
    assert " · first known record · stood " in oldest
    assert reply.media() == ["attachment://history.png"]
    assert "history.png" in reply.files, "the chart stays with every page"
