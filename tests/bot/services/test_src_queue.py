"""SrcQueue on its own, polled directly with a clock of the test's: a run that comes to wait long is
flagged once, and an edit Discord cannot make now is made later, or never for a post that is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.clients.speedrun import SpeedrunClient
from bot.config import SpeedrunConfig
from bot.models.settings import SrcQueueFilters
from bot.models.src_queue import QueuedRun
from bot.runtime.telemetry import Telemetry
from bot.services.delivery import MessageGone, ServerUnavailable, Target
from bot.services.src_queue import LONG_WAIT, SrcQueue
from bot.storage.database import Database, open_database
from bot.storage.settings import FeatureSetting, GuildSettings, scoped
from bot.storage.src_queue import QueuePost
from bot.storage.state import BotState
from tests.fakes.speedrun_server import FakeSpeedrun

DEAD_CELLS = "nd2ee5ed"
SERVERS = (1, 2)


@dataclass
class Desk:
    """Discord, as the queue sees it: records posts and edits; ``faults[server]`` are raised, in
    turn, instead of editing in that server."""

    posted: list[tuple[int, str]] = field(default_factory=list)  # (server, run id)
    shown: list[tuple[int, QueuedRun]] = field(default_factory=list)
    faults: dict[int, list[Exception]] = field(default_factory=dict)

    async def post(self, target: Target, entry: QueuedRun, nonce: str) -> int:
        self.posted.append((target.guild_id, entry.run.id))
        return len(self.posted)

    async def show(self, post: QueuePost) -> None:
        if faults := self.faults.get(post.guild_id):
            raise faults.pop(0)
        self.shown.append((post.guild_id, post.shown))


@pytest.fixture
async def database(database_copy: str) -> AsyncIterator[Database]:
    database = await open_database(database_copy)
    yield database
    await database.close()


@pytest.fixture
async def client(speedrun_server: FakeSpeedrun) -> AsyncIterator[SpeedrunClient]:
    async with aiohttp.ClientSession() as session:
        config = SpeedrunConfig(base_url=speedrun_server.base_url)
        yield SpeedrunClient(session, config, Telemetry(["speedrun.com"]))


async def test_a_run_that_comes_to_wait_long_is_flagged_once_and_failed_edits_are_made_later_or_never(
    database: Database, client: SpeedrunClient, speedrun_server: FakeSpeedrun
) -> None:
    now = datetime.now(UTC)
    clock: list[datetime] = [now]
    settings = GuildSettings(database)
    for server in SERVERS:
        filters = SrcQueueFilters(game="Dead Cells")
        await settings.save(FeatureSetting(server, scoped("queue", DEAD_CELLS), 10 + server, None, filters))
    desk = Desk()
    queue = SrcQueue(
        client, database, settings, BotState(database), desk, stopping=lambda: False, clock=lambda: clock[0]
    )
    await queue.poll()  # the first look
    speedrun_server.add_submission("soonlong", 300, now - LONG_WAIT + timedelta(hours=1))
    await queue.poll()
    desk.faults = {1: [ServerUnavailable("reconnecting")], 2: [MessageGone("deleted by a moderator")]}
    clock[0] = now + timedelta(hours=2)
    await queue.poll()  # server 1 cannot be reached; server 2's post is gone
    await queue.poll()
    await queue.poll()

    assert desk.posted == [(1, "soonlong"), (2, "soonlong")]
    [(server, shown)] = desk.shown
    assert server == 1, "the post that is gone is left alone"
    assert shown.flags == ("waiting long",)
    assert shown.state == "waiting"
    assert speedrun_server.rate_limited == 0


async def test_a_server_that_ended_its_queue_gets_no_more_edits(
    database: Database, client: SpeedrunClient, speedrun_server: FakeSpeedrun
) -> None:
    settings = GuildSettings(database)
    await settings.save(FeatureSetting(1, scoped("queue", DEAD_CELLS), 11, None, SrcQueueFilters()))
    desk = Desk()
    queue = SrcQueue(client, database, settings, BotState(database), desk, stopping=lambda: False)
    await queue.poll()
    speedrun_server.add_submission("ended001", 300, datetime.now(UTC))
    await queue.poll()
    await settings.disable(1, "queue", "turned off by a test")
    del speedrun_server.runs["ended001"]
    polled: Any = await queue.poll()

    assert desk.posted == [(1, "ended001")]
    assert desk.shown == []
    assert polled.good
