"""World-record announcements end to end: /config, the polling job, the posts, restarts, failures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import app
from bot.config import Config
from bot.models.settings import AnnouncementFilters
from bot.storage.settings import FeatureSetting
from cogs.announcements import JOB
from tests.conftest import poll, running
from tests.fakes.discord import (
    MANAGE_GUILD,
    NEWS_CHANNEL,
    SEND_MESSAGES,
    FakeDiscord,
    Message,
    make_channel,
    make_guild,
)
from tests.fakes.haloruns_server import DATA, FakeHaloRuns
from tests.fakes.local_config import local_settings

FEED = "/content/feeds/latestRecords.json"
POLL = {"haloruns": {"records_poll_seconds": 3600}}  # the tests run each poll


def feed_entries() -> list[dict[str, Any]]:
    return list(json.loads((DATA / FEED.lstrip("/")).read_text())["Entries"])


def new_record(number: int, **changes: Any) -> dict[str, Any]:
    entry = {
        **feed_entries()[0],
        "RunId": f"new-record-{number}",
        "LevelName": "Nightfall",
        "Duration": 500 - number,
        "OccuredAt": (datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=number)).isoformat(),
        "Participants": [
            {"Username": f"Fast Runner {number}", "EvidenceLink": f"https://youtu.be/new{number}"}
        ],
    }
    return {**entry, **changes}


def publish(haloruns: FakeHaloRuns, *records: dict[str, Any]) -> None:
    """Puts ``records`` at the top of the latest-records feed, newest first."""
    haloruns.overrides[FEED] = {
        "UpdatedAt": "2024-06-30T00:00:00Z",
        "Entries": [*reversed(records), *feed_entries()],
    }


async def configure(
    server: FakeDiscord, options: dict[str, Any], guild: dict[str, Any] | None = None
) -> Message:
    interaction = await server.invoke("config announcements", options, permissions=MANAGE_GUILD, guild=guild)
    return await interaction.reply()


def posts(server: FakeDiscord, channel: str = "world-records") -> list[Message]:
    """The bot's own posts in ``channel`` (not its answers to commands)."""
    return [m for m in server.channel_messages(server.channels[channel]["id"]) if m.data["type"] == 0]


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return make_config(**POLL)


async def test_configuring_needs_manage_server(discord_server: FakeDiscord, config: Config) -> None:
    async with running(config, discord_server):
        channel = discord_server.channels["world-records"]["id"]
        refused = await (await discord_server.invoke("config announcements", {"channel": channel})).reply()
        shown = await (await discord_server.invoke("config show", permissions=MANAGE_GUILD)).reply()

    assert refused.ephemeral
    assert refused.content == "You are missing Manage Server permission(s) to run this command."
    assert shown.embeds[0]["fields"][0] == {"name": "Announcements", "value": "Off", "inline": False}
    definition = next(c for c in discord_server.commands[None] if c["name"] == "config")
    assert str(definition["default_member_permissions"]) == str(MANAGE_GUILD), (
        "hidden from members by default"
    )


async def test_a_channel_the_bot_cannot_post_in_is_refused(
    discord_server: FakeDiscord, config: Config
) -> None:
    guild = discord_server.guilds[0]
    guild["channels"].append(make_channel(guild["id"], "read-only", deny_everyone=SEND_MESSAGES))
    async with running(config, discord_server):
        reply = await configure(discord_server, {"channel": discord_server.channels["read-only"]["id"]})

    assert reply.ephemeral
    assert "The bot cannot post in <#" in reply.content
    assert "it needs Send Messages" in reply.content


async def test_a_new_record_is_posted_once_and_not_again_after_a_restart(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    role = discord_server.guilds[0]["roles"][1]
    async with running(config, discord_server) as bot:
        saved = await configure(
            discord_server, {"channel": discord_server.channels["world-records"]["id"], "role": role["id"]}
        )
        await poll(bot, JOB)
        publish(haloruns_server, new_record(1))
        await poll(bot, JOB)
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)

    assert saved.content.startswith("World-record announcements are on.")
    [post] = posts(discord_server)
    assert post.layout
    assert post.ping == f"<@&{role['id']}>"
    assert post.allowed_mentions == {"parse": [], "roles": [int(role["id"])]}, "only the role may be pinged"
    assert (post.data["mention_roles"], post.data["mentions"], post.data["mention_everyone"]) == (
        [role["id"]],
        [],
        False,
    ), "the card pings exactly the configured role"
    assert post.title == "New world record: Halo: Reach — Nightfall"
    assert post.subtitle == "[**8:19**](https://youtu.be/new1) by Fast Runner 1"
    assert post.links()["Watch"] == "https://youtu.be/new1"
    fields = post.blocks
    assert fields["Board"] == "Solo Easy"
    assert fields["Previous record"].startswith("12:50 by Mythic Vex, beaten by 4:31\nset <t:")
    assert "(stood 1y 5d" in fields["Previous record"] or "(stood " in fields["Previous record"]
    assert posts(discord_server, "general") == []


async def test_records_that_appear_while_the_bot_is_down_are_posted_once_oldest_first(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": discord_server.channels["world-records"]["id"]})
        await poll(bot, JOB)
    publish(haloruns_server, new_record(1), new_record(2))
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)

    assert [p.subtitle.split(" by ")[1] for p in posts(discord_server)] == [
        "Fast Runner 1",
        "Fast Runner 2",
    ]
    assert all(p.ping == "" and p.allowed_mentions == {"parse": []} for p in posts(discord_server)), (
        "no role configured: no ping"
    )


async def test_the_first_start_remembers_a_full_feed_without_posting(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    publish(haloruns_server, *(new_record(n) for n in range(1, 51)))
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": discord_server.channels["world-records"]["id"]})
        await poll(bot, JOB, 2)

    assert posts(discord_server) == []


async def test_one_servers_refusal_does_not_stop_the_others_and_turns_it_off(
    haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    server = FakeDiscord(guilds=[make_guild("First"), make_guild("Second")])
    await server.start()
    first, second = server.guilds
    channel_of = {
        g["id"]: next(c for c in g["channels"] if c["name"] == "world-records")["id"] for g in server.guilds
    }
    try:
        settings = local_settings(server, tmp_path, haloruns_server)
        config = Config(**settings | {"haloruns": settings["haloruns"] | POLL["haloruns"]})
        async with running(config, server) as bot:
            await configure(server, {"channel": channel_of[first["id"]]}, guild=first)
            await configure(server, {"channel": channel_of[second["id"]]}, guild=second)
            server.fail("POST", f"/channels/{channel_of[second['id']]}/messages", 403, times=100)
            await poll(bot, JOB)
            publish(haloruns_server, new_record(1))
            await poll(bot, JOB, 3)
            shown = await (await server.invoke("config show", permissions=MANAGE_GUILD, guild=second)).reply()
    finally:
        await server.stop()

    assert len(server.channel_messages(channel_of[first["id"]])) == 1
    assert server.channel_messages(channel_of[second["id"]]) == []
    assert shown.embeds[0]["fields"][0]["value"].startswith(
        "**Off**: the bot may not post in #world-records (Missing Permissions) (3 times in a row)"
    )


@pytest.mark.parametrize(
    ("status", "after_processing"), [(429, False), (500, False), (500, True), (503, True)]
)
async def test_a_failed_post_is_retried_and_still_posted_exactly_once(
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    config: Config,
    status: int,
    after_processing: bool,
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": channel})
        await poll(bot, JOB)
        discord_server.fail(
            "POST", f"/channels/{channel}/messages", status, after_processing=after_processing
        )
        publish(haloruns_server, new_record(1))
        await poll(bot, JOB, 2)

    assert len(posts(discord_server)) == 1


async def test_posts_in_an_announcement_channel_are_published(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    guild = discord_server.guilds[0]
    guild["channels"].append(make_channel(guild["id"], "wr-news", kind=NEWS_CHANNEL))
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": discord_server.channels["wr-news"]["id"]})
        await poll(bot, JOB)
        publish(haloruns_server, new_record(1))
        await poll(bot, JOB)

    [post] = posts(discord_server, "wr-news")
    assert int(post.data["flags"]) & 1, "crossposted to following servers"
    assert post.layout, "as a card"


async def test_filters_leave_out_other_games(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    async with running(config, discord_server) as bot:
        reply = await configure(
            discord_server,
            {"channel": discord_server.channels["world-records"]["id"], "games": "halo 4, Halo CE"},
        )
        await poll(bot, JOB)
        publish(haloruns_server, new_record(1), new_record(2, GameName="Halo 4", LevelName="Dawn"))
        await poll(bot, JOB)

    assert "Games: Halo 4, Halo CE" in reply.content
    assert [p.title for p in posts(discord_server)] == ["New world record: Halo 4 — Dawn"]


async def test_a_failed_feed_skips_the_poll_and_shows_in_status(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": discord_server.channels["world-records"]["id"]})
        await poll(bot, JOB)
        haloruns_server.fail("latestRecords", "html")
        publish(haloruns_server, new_record(1))
        await poll(bot, JOB, 2)
        status = await (await discord_server.invoke("status")).reply()

    assert len(posts(discord_server)) == 1, "the next good poll caught up"
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert "last error" in fields["HaloRuns"]
    assert "it sent an error page instead of data" in fields["HaloRuns"]


async def test_the_everyone_role_is_refused_as_a_ping(discord_server: FakeDiscord, config: Config) -> None:
    everyone = discord_server.guilds[0]["roles"][0]
    async with running(config, discord_server):
        channel = discord_server.channels["world-records"]["id"]
        reply = await configure(discord_server, {"channel": channel, "role": everyone["id"]})

    assert reply.ephemeral
    assert reply.content.startswith("“@\u200beveryone” cannot be pinged by the bot")


async def test_a_post_discord_rejects_is_given_up_and_the_next_records_still_come(
    discord_server: FakeDiscord, haloruns_server: FakeHaloRuns, config: Config
) -> None:
    channel = discord_server.channels["world-records"]["id"]
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": channel})
        await poll(bot, JOB)
        discord_server.fail("POST", f"/channels/{channel}/messages", 400)
        publish(haloruns_server, new_record(1), new_record(2))
        await poll(bot, JOB, 2)

    assert [p.subtitle.split(" by ")[1] for p in posts(discord_server)] == ["Fast Runner 2"]


async def test_a_poll_cut_off_by_the_shutdown_ends_without_a_traceback(
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(app, "JOB_GRACE_SECONDS", 0.1)
    caplog.set_level(logging.INFO)
    async with running(config, discord_server) as bot:
        haloruns_server.delay = 5.0  # the poll is still waiting for HaloRuns when the bot stops
        asked = haloruns_server.count("latestRecords")
        polling = asyncio.create_task(bot.jobs.run_now(JOB))
        async with asyncio.timeout(5):
            while haloruns_server.count("latestRecords") == asked:
                await asyncio.sleep(0.01)
    await polling

    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert f"Background job {JOB} was stopped by the shutdown" in caplog.messages


async def test_a_record_for_many_servers_keeps_discords_global_limit_and_commands_are_answered(
    haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    servers = 70  # more than Discord's global limit lets through in a second
    server = FakeDiscord(guilds=[make_guild(f"Guild {i}") for i in range(servers)])
    await server.start()
    channel_of = {
        g["id"]: next(c for c in g["channels"] if c["name"] == "world-records")["id"] for g in server.guilds
    }

    def posted() -> int:
        return sum(1 for m in server.messages.values() if m.data["type"] == 0)

    try:
        settings = local_settings(server, tmp_path, haloruns_server)
        config = Config(**settings | {"haloruns": settings["haloruns"] | POLL["haloruns"]})
        async with running(config, server) as bot:
            for guild_id, channel_id in channel_of.items():  # as /config announcements saves it
                await bot.settings.save(
                    FeatureSetting(
                        int(guild_id), "announcements", int(channel_id), None, AnnouncementFilters()
                    )
                )
            await poll(bot, JOB)
            server.global_rate_limit = 50.0
            publish(haloruns_server, new_record(1))
            posting = asyncio.create_task(poll(bot, JOB))
            async with asyncio.timeout(10):
                while posted() < 20:  # the first posts are out
                    await asyncio.sleep(0.01)
            status = await (await server.invoke("status")).reply()
            posted_by_then = posted()
            await posting
    finally:
        await server.stop()

    assert status.embeds[0]["title"] == "Halo Speedrun Bot status"
    assert posted_by_then < servers, "/status was answered while the record was going out"
    assert [len(server.channel_messages(c)) for c in channel_of.values()] == [1] * servers
    assert server.rate_limited == 0


def jump_url(server: FakeDiscord, message: Message) -> str:
    guild = server.guilds[0]["id"]
    return f"https://discord.com/channels/{guild}/{message.data['channel_id']}/{message.id}"


async def test_a_beaten_then_tied_record_edits_its_post_once_also_after_a_restart_and_a_deleted_one_not(
    discord_server: FakeDiscord,
    haloruns_server: FakeHaloRuns,
    config: Config,
    caplog: pytest.LogCaptureFixture,
) -> None:
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    first, beaten, tied = new_record(1), new_record(2), new_record(3, Duration=498, Tie=True)
    elsewhere, beaten_elsewhere = (new_record(n, LevelName="Exodus") for n in (4, 5))
    async with running(config, discord_server) as bot:
        await configure(discord_server, {"channel": discord_server.channels["world-records"]["id"]})
        await poll(bot, JOB)
        publish(haloruns_server, first, elsewhere)
        await poll(bot, JOB)
    deleted = posts(discord_server)[1]
    deleted.deleted = True  # by a moderator
    async with running(config, discord_server) as bot:  # the first posts are known from the ledger
        publish(haloruns_server, first, elsewhere, beaten, beaten_elsewhere)
        await poll(bot, JOB)
        publish(haloruns_server, first, elsewhere, beaten, beaten_elsewhere, tied)
        await poll(bot, JOB)
    async with running(config, discord_server) as bot:
        await poll(bot, JOB)

    one, two, two_elsewhere, three = posts(discord_server)
    assert [p.edits for p in (one, two, two_elsewhere, three)] == [1, 1, 0, 0], "each superseded post once"
    beaten_on, tied_on = (int(datetime.fromisoformat(r["OccuredAt"]).timestamp()) for r in (beaten, tied))
    assert one.blocks["No longer the record"] == (
        f"Beaten by Fast Runner 2 by 0:01 on <t:{beaten_on}:D>: [new record]({jump_url(discord_server, two)})"
    )
    assert one.blocks["Game"] == "Halo: Reach", "the rest of the post is as it was"
    assert two.blocks["Previous post"] == f"[previous record]({jump_url(discord_server, one)})"
    assert two.blocks["Record tied"] == (
        f"Tied by Fast Runner 3 on <t:{tied_on}:D>: [new record]({jump_url(discord_server, three)})"
    )
    assert three.title == "World record tied: Halo: Reach — Nightfall", "ties are posted as ties"
    assert three.blocks["Previous post"] == f"[previous record]({jump_url(discord_server, two)})"
    assert two_elsewhere.title == "New world record: Halo: Reach — Exodus"
    edits_of_deleted = [
        r for r in discord_server.requests if r.method == "PATCH" and str(deleted.id) in r.path
    ]
    assert (len(edits_of_deleted), deleted.edits) == (1, 0), "tried once, then left alone: no repost"
    assert [
        r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot")
    ] == []


async def test_settings_per_game_route_each_record_to_their_channels_and_roles_once_each(
    haloruns_server: FakeHaloRuns, tmp_path: Path
) -> None:
    server = FakeDiscord(
        guilds=[make_guild(channels=("general", "world-records", "h4"), roles=("Runners", "H4", "Reach"))]
    )
    await server.start()
    _, everyone_role, h4_role, reach_role = (r["id"] for r in server.guilds[0]["roles"])
    records, h4 = server.channels["world-records"]["id"], server.channels["h4"]["id"]
    try:
        settings = local_settings(server, tmp_path, haloruns_server)
        config = Config(**settings | {"haloruns": settings["haloruns"] | POLL["haloruns"]})
        reach, halo_4, beaten = (
            new_record(1),
            new_record(2, GameName="Halo 4"),
            new_record(3, GameName="Halo 4"),
        )
        async with running(config, server) as bot:
            await configure(server, {"channel": records, "role": everyone_role})
            await configure(server, {"channel": records, "role": reach_role, "games": "Halo: Reach"})
            await poll(bot, JOB)
            publish(haloruns_server, reach, halo_4)
            await poll(bot, JOB)
            await configure(server, {"channel": h4, "role": h4_role, "games": "halo 4"})
            changed = await configure(server, {"channel": h4, "role": h4_role, "games": "Halo 4, Halo CE"})
            await configure(server, {"channel": h4, "role": h4_role, "games": "Halo 4"})  # changes the first
            publish(haloruns_server, reach, halo_4, beaten)
            await poll(bot, JOB, 2)
            shown = await (await server.invoke("config show", permissions=MANAGE_GUILD)).reply()
            choices = await (
                await server.invoke(
                    "config disable",
                    {"feature": "announcements", "game": "halo"},
                    permissions=MANAGE_GUILD,
                    focused="game",
                )
            ).autocomplete_choices()
            just_halo_4, halo_4_and_ce = [
                await (
                    await server.invoke(
                        "config disable", {"feature": "announcements", "game": game}, permissions=MANAGE_GUILD
                    )
                ).reply()
                for game in ("Halo 4", "halo 4, halo ce")
            ]
    finally:
        await server.stop()

    assert server.violations == [], "the bot sent requests that Discord would reject"
    reach_post, halo_4_post, beaten_post = posts(server)
    assert reach_post.title == "New world record: Halo: Reach — Nightfall"
    assert reach_post.ping == f"<@&{everyone_role}> <@&{reach_role}>", "two settings on one channel: one post"
    assert reach_post.allowed_mentions == {"parse": [], "roles": [int(everyone_role), int(reach_role)]}
    assert (halo_4_post.ping, beaten_post.ping) == (f"<@&{everyone_role}>", f"<@&{everyone_role}>")
    [in_h4] = posts(server, "h4")
    assert in_h4.subtitle.endswith("by Fast Runner 3")
    assert in_h4.ping == f"<@&{h4_role}>", "the Halo 4 + CE setting pings the same role in the same post"
    assert halo_4_post.edits == 1, "the earlier post is edited once"
    assert halo_4_post.blocks["No longer the record"].endswith(
        f"[new record]({jump_url(server, beaten_post)})"
    ), "it links to the new post in its own channel"
    assert (
        in_h4.blocks["Previous post"]
        == beaten_post.blocks["Previous post"]
        == (f"[previous record]({jump_url(server, halo_4_post)})")
    ), "both new posts link back to it"
    assert "Games: Halo 4, Halo CE" in changed.content
    assert [(f["name"], f["value"].split("\n")[-2]) for f in shown.embeds[0]["fields"][:4]] == [
        ("Announcements", f"Role pinged: <@&{everyone_role}>"),
        ("Announcements", "Games: Halo 4"),
        ("Announcements", "Games: Halo 4, Halo CE"),
        ("Announcements", "Games: Halo: Reach"),
    ]
    assert [c["name"] for c in choices] == ["Halo 4", "Halo 4, Halo CE", "Halo: Reach"]
    assert just_halo_4.content == "World-record announcements of Halo 4 are off."
    assert halo_4_and_ce.content == "World-record announcements of Halo 4, Halo CE are off."
