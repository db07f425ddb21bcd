"""/history and /src history end to end: local Discord, the real bot, local HaloRuns and speedrun.com."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from typing import Any

from PIL import Image

from bot.config import Config
from tests.conftest import poll, running
from tests.fakes.discord import FakeDiscord
from tests.fakes.haloruns_server import DATA, FakeHaloRuns

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

    embed = reply.embeds[0]
    assert embed["title"] == "World-record history: Halo: Reach Tip of the Spear — Solo Easy"
    lines = embed["description"].split("\n")
    assert len(lines) == 3, "the current record, the one it replaced, and the one the bot saw before"
    assert lines[0].startswith("[**12:34**](https://www.youtube.com/watch?v=")
    assert " by Sleepless · <t:" in lines[0]
    assert "beat the last by 0:16 · standing for " in lines[0]
    assert lines[1].startswith(
        "[**12:50**](https://www.youtube.com/watch?v=vex) by Mythic Vex · <t:1672531200:D>"
    )
    assert "beat the last by 0:30 · stood 1y 139d" in lines[1]
    assert lines[2] == "**13:20** by Old Guard · <t:1622505600:D> · first known record · stood 1y 214d"
    known = embed["fields"][0]
    assert known["name"] == "How far back"
    assert known["value"].startswith("Known back to <t:1622505600:D>: HaloRuns' feeds name only")
    assert "the bot has recorded the feed since <t:" in known["value"]
    assert embed["image"]["url"] == "attachment://history.png"
    assert embed["footer"]["text"] == "HaloRuns · 3 records"
    assert _chart(reply.files).size == (800, 400)
    assert not reply.ephemeral

    coop_embed = coop.embeds[0]
    assert coop_embed["description"].startswith(
        "[**10:00**](https://www.youtube.com/watch?v=run4) by Sleepless & Kat\\_B320"
    )
    assert " · first record · standing for " in coop_embed["description"]
    assert coop_embed["fields"][0]["value"] == "Complete: from the board's first record on."
    assert "history.png" in coop.files
