"""FeedDelivery on its own: a feed's pending posts, delivered through a post callable that records
what it posts or fails the way Discord can, over a real ledger and real settings on SQLite."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from bot.embeds.announcements import succession_text
from bot.models.settings import SrcAnnouncementFilters
from bot.services.delivery import (
    ATTEMPTS_LIMIT,
    FAILURE_LIMIT,
    DeliveryRefused,
    FeedDelivery,
    PostRejected,
    ServerUnavailable,
    SlowDown,
    Succession,
    Target,
    nonce,
    succession,
)
from bot.storage.database import Database, open_database
from bot.storage.ledger import Posted, RunLedger
from bot.storage.settings import FeatureSetting, GuildSettings, scoped

FEED = "test-feed"


@dataclass(frozen=True, slots=True)
class Run:
    """What the feed keeps; ``game`` picks the setting (``src:<game>``) it is posted by."""

    key: str
    game: str = "halo3"

    @property
    def fingerprint(self) -> str:
        return f"fingerprint/{self.key}"


@dataclass
class Discord:
    """The post callable: records each post it accepts; ``faults[server]`` are raised, in turn,
    instead of posting in that server."""

    faults: dict[int, list[Exception]] = field(default_factory=dict)
    posted: list[tuple[int, str, str]] = field(default_factory=list)  # (server, settings, run key)
    attempts: list[tuple[float, str, str]] = field(default_factory=list)  # (when, run key, nonce)
    after_post: Callable[[], None] = lambda: None

    async def post(self, target: Target, run: Run, previous: Posted[Run] | None, run_nonce: str) -> int:
        self.attempts.append((time.monotonic(), run.key, run_nonce))
        if faults := self.faults.get(target.guild_id):
            raise faults.pop(0)
        self.posted.append((target.guild_id, " ".join(s.feature for s in target.settings), run.key))
        self.after_post()
        return len(self.posted)

    async def follow(self, target: Target, earlier: Posted[Run], succession: Succession) -> None:
        raise AssertionError("these runs are no records")


@pytest.fixture
async def database(database_copy: str) -> AsyncIterator[Database]:
    database = await open_database(database_copy)
    yield database
    await database.close()


def ledger(database: Database) -> RunLedger[Run]:
    return RunLedger(database, FEED, TypeAdapter(Run))


def delivery(
    database: Database,
    discord: Discord,
    stopping: Callable[[], bool] = lambda: False,
    claimant: str | None = None,
) -> FeedDelivery[Run]:
    return FeedDelivery(
        ledger(database),
        GuildSettings(database),
        feature="src",
        wanted=lambda setting, run: setting.scope == run.game,
        post=discord.post,
        follow=discord.follow,
        succession=lambda earlier, later: None,
        stopping=stopping,
        claimant=claimant,
    )


async def follow(database: Database, *settings: tuple[int, str]) -> None:
    for guild_id, game in settings:
        await GuildSettings(database).save(
            FeatureSetting(guild_id, scoped("src", game), channel(guild_id), None, SrcAnnouncementFilters())
        )


def channel(guild_id: int) -> int:
    return guild_id * 10


async def add(database: Database, runs: list[Run], servers: list[int]) -> None:
    await ledger(database).add(runs, lambda run: [(g, channel(g)) for g in servers])


async def last_errors(database: Database) -> list[tuple[str, str | None]]:
    rows = await database.fetch("SELECT status, last_error FROM feed_deliveries ORDER BY record_id")
    return [(row.status, row.last_error) for row in rows]


async def test_each_pending_post_is_made_once_oldest_first_in_each_setting(database: Database) -> None:
    await follow(database, (1, "halo3"), (1, "reach"), (2, "halo3"))
    runs = [Run("a"), Run("b", "reach"), Run("c"), Run("d", "reach"), Run("e")]
    await add(database, runs, [1, 2])
    discord = Discord()

    assert await delivery(database, discord).deliver() == (8, 0, 0)

    def posted_by(guild_id: int, game: str) -> list[str]:
        return [key for g, setting, key in discord.posted if (g, setting) == (guild_id, f"src:{game}")]

    assert posted_by(1, "halo3") == ["a", "c", "e"]
    assert posted_by(1, "reach") == ["b", "d"]
    assert posted_by(2, "halo3") == ["a", "c", "e"]
    assert len(discord.posted) == 8, "server 2 does not follow reach: those two are dropped, not posted"
    assert await ledger(database).pending() == []
    assert ("dropped", "src is off in this channel") in await last_errors(database)


async def test_nothing_is_posted_twice_by_a_second_poll_or_after_a_restart(database_copy: str) -> None:
    discord = Discord()
    stopping = False

    def stop_after_two() -> None:
        nonlocal stopping
        stopping = len(discord.posted) == 2

    discord.after_post = stop_after_two
    first = await open_database(database_copy)
    try:
        await follow(first, (1, "halo3"))
        await add(first, [Run("a"), Run("b"), Run("c"), Run("d")], [1])
        before_restart = delivery(first, discord, lambda: stopping)
        assert await before_restart.deliver() == (2, 0, 0), "the bot stopped: the rest stays pending"
        stopping = False
        assert await before_restart.deliver() == (2, 0, 0)
        assert await before_restart.deliver() == (0, 0, 0)
    finally:
        await first.close()

    restarted = await open_database(database_copy)
    try:
        await add(restarted, [Run("d"), Run("e")], [1])  # the feed still lists d
        assert await delivery(restarted, discord).deliver() == (1, 0, 0)
        assert await delivery(restarted, discord).deliver() == (0, 0, 0)
    finally:
        await restarted.close()

    assert [key for _, _, key in discord.posted] == ["a", "b", "c", "d", "e"]


async def test_refusals_in_a_row_turn_the_setting_off_and_drop_its_posts(database: Database) -> None:
    await follow(database, (1, "halo3"), (2, "halo3"))
    await add(database, [Run("a"), Run("b")], [1])
    discord = Discord(faults={1: [DeliveryRefused("Missing Access")] * (FAILURE_LIMIT - 1)})
    feed = delivery(database, discord)

    for _ in range(FAILURE_LIMIT - 1):
        assert await feed.deliver() == (0, 1, 0)
    assert await feed.deliver() == (2, 0, 0), "a post that goes through ends the run of refusals"
    settings = GuildSettings(database)
    assert (await settings.of_guild(1))["src:halo3"].failures == 0

    await add(database, [Run("c"), Run("d")], [1, 2])
    discord.faults[1] = [DeliveryRefused("Missing Access")] * FAILURE_LIMIT
    # Server 2's posts go out meanwhile: one server's refusals hold up no other server.
    assert await feed.deliver() == (2, 1, 0)
    for _ in range(FAILURE_LIMIT - 1):
        assert await feed.deliver() == (0, 1, 0)

    turned_off = (await settings.of_guild(1))["src:halo3"]
    assert not turned_off.enabled
    assert turned_off.disabled_reason == f"Missing Access ({FAILURE_LIMIT} times in a row)"
    assert (await settings.of_guild(2))["src:halo3"].enabled
    assert await ledger(database).pending() == []
    assert await feed.deliver() == (0, 0, 0)
    assert [(g, key) for g, _, key in discord.posted] == [(1, "a"), (1, "b"), (2, "c"), (2, "d")]


async def test_a_failed_post_is_tried_again_in_order_until_it_is_given_up(database: Database) -> None:
    await follow(database, (1, "halo3"))
    await add(database, [Run("a"), Run("b")], [1])
    discord = Discord(faults={1: [ServerUnavailable("Discord is down")] * ATTEMPTS_LIMIT})
    feed = delivery(database, discord)

    for _ in range(ATTEMPTS_LIMIT - 1):
        assert await feed.deliver() == (0, 1, 0)
    assert discord.posted == [], "b waits behind a: the order of posts is kept"
    assert await feed.deliver() == (1, 1, 0), "a is given up, and b goes out at once"

    assert [key for _, _, key in discord.posted] == ["b"]
    tries = {n for _, key, n in discord.attempts if key == "a"}
    assert tries == {nonce("a", channel(1))}, "one nonce for every try"
    assert await last_errors(database) == [
        ("dropped", f"given up after {ATTEMPTS_LIMIT} attempts: ServerUnavailable: Discord is down"),
        ("posted", None),
    ]
    assert (await GuildSettings(database).of_guild(1))["src:halo3"].enabled, "only refusals count"


async def test_a_rejected_post_is_given_up_at_once_and_the_next_one_made(database: Database) -> None:
    await follow(database, (1, "halo3"))
    await add(database, [Run("a"), Run("b")], [1])
    discord = Discord(faults={1: [PostRejected("Invalid Form Body")]})

    assert await delivery(database, discord).deliver() == (1, 1, 0)

    assert [key for _, _, key in discord.posted] == ["b"]
    assert await last_errors(database) == [("dropped", "Invalid Form Body"), ("posted", None)]


async def test_a_slow_down_is_waited_out_and_the_post_made_once(database: Database) -> None:
    await follow(database, (1, "halo3"))
    await add(database, [Run("a")], [1])
    discord = Discord(faults={1: [SlowDown(0.2), SlowDown(0.1)]})

    assert await delivery(database, discord).deliver() == (1, 0, 0)

    assert [key for _, _, key in discord.posted] == ["a"]
    first, second, third = (when for when, _, _ in discord.attempts)
    assert second - first >= 0.2, "each try waits as long as Discord said"
    assert third - second >= 0.1


def test_a_later_record_ties_beats_or_supersedes_the_earlier_one() -> None:
    on = datetime(2024, 6, 1, tzinfo=UTC)
    told = {
        later: succession_text(succession(180.0, later, by="Sable *", on=on, link="https://discord.com/x"))
        for later in (180.0004, 177.0, 185.0)
    }
    assert told == {
        180.0004: "Tied by Sable \\* on <t:1717200000:D>: [new record](https://discord.com/x)",
        177.0: "Beaten by Sable \\* by 0:03 on <t:1717200000:D>: [new record](https://discord.com/x)",
        185.0: "Superseded by Sable \\* on <t:1717200000:D>: [new record](https://discord.com/x)",
    }, "a slower record follows one taken off the board"


async def test_a_post_under_way_when_its_process_died_is_made_once_by_the_next_poller(
    database: Database,
) -> None:
    await follow(database, (1, "halo3"), (2, "halo3"))
    await add(database, [Run("a")], [1, 2])
    # The poller that died had claimed both posts (and made the first, unmarked).
    [made, _] = await ledger(database).claim("dead-host:1", seconds=60)
    discord = Discord()
    next_poller = delivery(database, discord, claimant="next-host:2")

    while_claimed = await next_poller.deliver()
    await database.execute(
        "UPDATE feed_deliveries SET claimed_until = ?", datetime.now(UTC)
    )  # the claim runs out
    after = await next_poller.deliver()
    again = await next_poller.deliver()

    assert while_claimed == (0, 0, 0)
    assert after == (2, 0, 0)
    assert again == (0, 0, 0)
    assert [(server, key) for server, _, key in discord.posted] == [(1, "a"), (2, "a")]
    # The same nonce the dead poller posted with: Discord matches it to the message it made.
    assert discord.attempts[0][2] == nonce("a", made.channel_id)
