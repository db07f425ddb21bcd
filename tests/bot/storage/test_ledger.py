"""The settings and the ledger of the announcement feeds on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from bot.models.haloruns import Run, Runner
from bot.models.settings import AnnouncementFilters, SrcAnnouncementFilters
from bot.storage.database import Database, open_database
from bot.storage.ledger import Posted, RunLedger
from bot.storage.settings import FeatureSetting, GuildSettings


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    yield database
    await database.close()


def records(database: Database, feed: str = "haloruns") -> RunLedger[Run]:
    return RunLedger(database, feed, TypeAdapter(Run))


def record(level: str, seconds: float, run_id: str | None = None) -> Run:
    return Run(
        "Halo: Reach", level, "Solo", "Easy", seconds, (Runner("Sleepless", "https://youtu.be/x"),), id=run_id
    )


async def test_each_feed_keeps_its_own_runs(database: Database) -> None:
    haloruns, other = records(database), records(database, "other")
    nightfall = record("Nightfall", 600, "a")
    await haloruns.add([nightfall], lambda run: [(1, 10)])

    exodus = record("Exodus", 700, "b")
    assert await other.unseen([nightfall, exodus]) == [exodus], "keys are unique across feeds"
    assert await other.pending() == []
    assert [d.run for d in await haloruns.pending()] == [nightfall]


async def test_a_scoped_setting_is_one_of_its_feature(database: Database) -> None:
    settings = GuildSettings(database)
    await settings.save(FeatureSetting(1, "src:o1y9wo6q", 10, None, SrcAnnouncementFilters(mode="wr")))
    await settings.save(FeatureSetting(1, "src:nd2ee5ed", 11, None, SrcAnnouncementFilters()))
    await settings.save(FeatureSetting(1, "srcery", 12, None, SrcAnnouncementFilters()))

    assert [s.feature for s in await settings.enabled("src")] == ["src:nd2ee5ed", "src:o1y9wo6q"]
    assert await settings.disable(1, "src:nd2ee5ed", "test")
    assert [s.feature for s in await settings.enabled("src")] == ["src:o1y9wo6q"]
    assert await settings.disable(1, "src", "test")
    assert await settings.enabled("src") == []


async def test_settings_are_saved_replaced_and_disabled_after_repeated_failures(database: Database) -> None:
    settings = GuildSettings(database)
    await settings.save(FeatureSetting(1, "announcements", 10, None, AnnouncementFilters(games=("Halo 3",))))
    await settings.save(FeatureSetting(1, "announcements", 11, 99, AnnouncementFilters()))
    await settings.save(FeatureSetting(2, "announcements", 20, None, AnnouncementFilters()))

    assert [(s.guild_id, s.channel_id, s.role_id) for s in await settings.enabled("announcements")] == [
        (1, 11, 99),
        (2, 20, None),
    ]
    assert not await settings.delivery_failed(2, "announcements", "Missing Access", limit=2)
    assert await settings.delivery_failed(2, "announcements", "Missing Access", limit=2)
    assert [s.guild_id for s in await settings.enabled("announcements")] == [1]
    disabled = (await settings.of_guild(2))["announcements"]
    assert disabled.disabled_reason == "Missing Access (2 times in a row)"


async def test_the_ledger_keeps_each_record_once_and_its_deliveries_until_posted(database: Database) -> None:
    ledger = records(database)
    older, newer = record("Nightfall", 600, "a"), record("Tip of the Spear", 754)

    assert await ledger.add([older, newer], lambda run: [(1, 10), (2, 20)]) == [older, newer]
    assert await ledger.add([older, newer], lambda run: [(1, 10), (2, 20)]) == []
    pending = await ledger.pending()
    assert [(d.run, d.guild_id) for d in pending] == [(older, 1), (older, 2), (newer, 1), (newer, 2)]

    await ledger.posted(pending[0], message_id=555)
    await ledger.failed(pending[1], "503 Service Unavailable")
    await ledger.drop([pending[1], pending[3]], "announcements turned off")

    assert [(d.run.level, d.guild_id, d.attempts) for d in await ledger.pending()] == [
        ("Tip of the Spear", 1, 0)
    ]


async def test_a_record_seen_again_under_another_key_is_not_new(database: Database) -> None:
    ledger = records(database)
    without_id = record("Nightfall", 600)
    await ledger.add([without_id], lambda run: [(1, 10)])

    again = await ledger.add([record("Nightfall", 600, "run-17")], lambda run: [(1, 10)])
    assert again == [], "the id came later"


async def test_old_finished_deliveries_are_pruned_and_pending_ones_kept(database: Database) -> None:
    ledger = records(database)
    await ledger.add([record("Nightfall", 600, "a"), record("Exodus", 700, "b")], lambda run: [(1, 10)])
    first, _ = await ledger.pending()
    await ledger.posted(first, message_id=1)
    await ledger.drop([first], "gone")

    assert await ledger.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert [d.run.level for d in await ledger.pending()] == ["Exodus"]


async def test_a_superseded_post_is_claimed_once_by_the_new_post_in_its_own_channel(
    database: Database,
) -> None:
    ledger = RunLedger(database, "haloruns", TypeAdapter(Run), lambda run: run.level)
    old, new = record("Nightfall", 600, "a"), record("Nightfall", 590, "b")
    await ledger.add([old], lambda run: [(1, 10)])
    [first] = await ledger.pending()
    await ledger.posted(first, message_id=100)
    await ledger.add([new], lambda run: [(1, 10), (1, 20)])
    in_own_channel, elsewhere = await ledger.pending()
    [standing] = await ledger.standing([new])

    await ledger.posted(elsewhere, message_id=201, supersedes=standing)  # first, from another channel
    await ledger.posted(in_own_channel, message_id=200, supersedes=standing)
    [(earlier, later)] = await ledger.follow_ups()
    await ledger.followed(earlier, "edited")

    assert standing == Posted(first.record_id, 1, 10, 100, old)
    assert (earlier, later) == (standing, Posted(in_own_channel.record_id, 1, 10, 200, new))
    assert await ledger.follow_ups() == []
    assert await ledger.standing([new]) == [
        Posted(in_own_channel.record_id, 1, 10, 200, new, (10, 100)),
        Posted(in_own_channel.record_id, 1, 20, 201, new, (10, 100)),
    ], "both new posts stand, each linking back"


async def test_a_delivery_claimed_by_one_process_is_not_made_by_another_until_released(
    database: Database,
) -> None:
    ledger = records(database)
    await ledger.add([record("Nightfall", 600, "a")], lambda run: [(1, 10), (2, 20)])

    mine = await ledger.claim("one:1", seconds=60)
    theirs = await ledger.claim("two:2", seconds=60)
    await ledger.posted(mine[0], message_id=9)
    await ledger.release("one:1")
    after_release = await ledger.claim("two:2", seconds=60)

    assert [d.guild_id for d in mine] == [1, 2]
    assert theirs == []
    assert [d.guild_id for d in after_release] == [2]


async def test_a_stored_run_that_no_longer_reads_is_left_out_and_the_rest_delivered(
    database: Database,
) -> None:
    haloruns = records(database)
    broken, fine = record("Nightfall", 600, "a"), record("Exodus", 700, "b")
    await haloruns.add([broken, fine], lambda run: [(1, 10)])
    await database.execute(  # as if the model had changed since it was stored
        """UPDATE feed_runs SET run = '{"game": 1}' WHERE run LIKE '%Nightfall%'"""
    )

    assert [d.run for d in await haloruns.pending()] == [fine]
    assert [run for _, run in await haloruns.seen()] == [fine]
    await haloruns.work_out_boards()  # the unreadable row gets no board, and stops nothing
