"""The speedrun.com queue end to end: /config queue, the poller's posts and their edits, /src queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.config import Config
from cogs.src_queue import JOB
from tests.conftest import poll, running, until
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Message
from tests.fakes.speedrun_server import FakeSpeedrun

DEAD_CELLS = "nd2ee5ed"
ZETA = "48g10dr8"  # a user the fake names "Zeta"
MOD = "dx39g5ex"  # a user the fake names "@everyone **bold**"
RUNNER = "runner01"


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def player(user_id: str) -> list[dict[str, str]]:
    return [{"rel": "user", "id": user_id}]


def posts(server: FakeDiscord) -> list[Message]:
    channel = server.channels["world-records"]["id"]
    return [m for m in server.channel_messages(channel) if m.data["type"] == 0]


async def configure(server: FakeDiscord, options: dict[str, Any]) -> Message:
    channel = server.channels["world-records"]["id"]
    interaction = await server.invoke(
        "config queue", {"channel": channel, **options}, permissions=MANAGE_GUILD
    )
    return await interaction.reply()


@pytest.fixture
def config(make_config: Callable[..., Config], speedrun_server: FakeSpeedrun) -> Callable[..., Config]:
    """The bot's config (with ``speedrun`` values added): the tests run each poll; six times
    speedrun.com's budget on both sides keeps them quick."""
    speedrun_server.limit_per_minute = 600
    dead_cells = next(game for game in speedrun_server.games if game["id"] == DEAD_CELLS)
    dead_cells["platforms"] = ["8gej2n93"]  # PC

    def make(**speedrun: Any) -> Config:
        return make_config(speedrun={"poll_seconds": 3600, "requests_per_minute": 600, **speedrun})

    return make


async def test_each_submission_is_posted_once_with_its_details_and_flags_and_edited_once_at_its_end(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Callable[..., Config]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    speedrun_server.hidden_queues[DEAD_CELLS] = "bot-key"  # a queue only the bot's key may see
    speedrun_server.add_submission("before01", 500, now - timedelta(days=2), players=player(RUNNER))
    role = discord_server.guilds[0]["roles"][1]
    async with running(config(api_key="bot-key"), discord_server) as bot:
        saved = await configure(discord_server, {"game": "Dead Cells", "role": role["id"]})
        await poll(bot, JOB)  # the first look: remembered, nothing posted
        speedrun_server.add_submission(
            "longwait",
            400,
            now - timedelta(days=8),
            players=player(RUNNER),
            videos={"links": [{"uri": "ftp://example.com/run.mp4"}]},
            comment="@everyone look **here** <@123>",
        )
        speedrun_server.add_submission(
            "wrclaim1", 170.5, now - timedelta(hours=2), players=player(ZETA), videos=None
        )
        speedrun_server.add_submission("second01", 300, now - timedelta(hours=1), players=player(ZETA))
        await poll(bot, JOB, 2)
        first_posts = [(m.id, m.edits) for m in posts(discord_server)]

        speedrun_server.verify("wrclaim1", MOD)
        speedrun_server.reject("second01", ZETA, "Video does not show the **timer**")
        del speedrun_server.runs["longwait"]
        await poll(bot, JOB, 2)

    assert saved.ephemeral
    assert saved.content.startswith("The speedrun.com queue of Dead Cells is posted.\nChannel: <#")
    assert [m.id for m in posts(discord_server)] == [i for i, _ in first_posts], "nothing posted twice"
    assert [edits for _, edits in first_posts] == [0, 0, 0]
    waited, claim, second = posts(discord_server)
    assert [m.edits for m in (waited, claim, second)] == [1, 1, 1], "each end is shown once"
    assert waited.ping == f"<@&{role['id']}>"
    assert waited.allowed_mentions == {"parse": [], "roles": [int(role["id"])]}, "only the role pings"

    assert waited.title == "Withdrawn: Dead Cells — Any%"
    assert waited.subtitle == "Withdrawn: speedrun.com has this run no more"
    details = waited.blocks
    assert details["Game"] == "Dead Cells"
    assert details["Variables"] == "Version: 1.0"
    assert details["Time"].startswith("**6:40**")
    assert details["Platform"] == "PC"
    played = datetime.combine((now - timedelta(days=8)).date(), time(12), UTC)
    assert details["Played"] == f"<t:{int(played.timestamp())}:D>"
    assert details["Submitted"] == f"<t:{int((now - timedelta(days=8)).timestamp())}:f>"
    assert details["Videos"] == "video 1: ftp://example.com/run.mp4"
    assert details["Comment"] == "@\u200beveryone look \\*\\*here\\*\\* <@\u200b123>"
    assert details["Flags"] == (
        "⚠️ A video link that is not a web (http or https) link\n⚠️ Waiting for more than a week"
    )

    assert claim.title == "✅ Verified: Dead Cells — Any%"
    assert claim.links()["Run"] == "https://www.speedrun.com/deadcells/run/wrclaim1"
    assert claim.subtitle.startswith("✅ Verified by @\u200beveryone \\*\\*bold\\*\\* on <t:")
    assert claim.blocks["Players"] == "Zeta"
    assert claim.blocks["Flags"] == "⚠️ No video link\n⚠️ Faster than the board's world record (2:56.990)"
    assert "Videos" not in claim.blocks

    assert second.title == "❌ Rejected: Dead Cells — Any%"
    assert second.subtitle == "❌ Rejected by Zeta: Video does not show the \\*\\*timer\\*\\*"
    assert second.blocks["Flags"] == "⚠️ The player has an earlier submission waiting on this board"
    assert speedrun_server.rate_limited == 0
    queue_reads = [r for r in speedrun_server.requests if "status=new" in r]
    assert queue_reads
    assert all("orderby=submitted" in r and "direction=asc" in r for r in queue_reads)


async def test_a_restart_posts_what_came_meanwhile_once_and_a_deleted_post_is_left_alone(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Callable[..., Config]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    discord_server.nonce_seconds = 0  # a second post would show, not be matched to the first
    async with running(config(), discord_server) as bot:
        await configure(discord_server, {"game": DEAD_CELLS})
        await poll(bot, JOB)
        speedrun_server.add_submission("early001", 200, now - timedelta(hours=3), players=player(ZETA))
        await poll(bot, JOB)
    speedrun_server.add_submission("downtime", 250, now - timedelta(hours=1), players=player(RUNNER))
    async with running(config(), discord_server) as bot:
        await poll(bot, JOB)
        early, down = posts(discord_server)
        early.deleted = True  # a moderator deleted it
        speedrun_server.verify("early001", ZETA)
        speedrun_server.verify("downtime", ZETA)
        await poll(bot, JOB, 2)
        shown = await (await discord_server.invoke("config show", permissions=MANAGE_GUILD)).reply()
        choices = await (
            await discord_server.invoke(
                "config disable",
                {"feature": "queue", "game": "dead"},
                permissions=MANAGE_GUILD,
                focused="game",
            )
        ).autocomplete_choices()
        off = await (
            await discord_server.invoke(
                "config disable", {"feature": "queue", "game": "deadcells"}, permissions=MANAGE_GUILD
            )
        ).reply()

    listed = fields(shown.embeds[0])
    assert listed["speedrun.com queue: Dead Cells"].startswith("Channel: <#")
    assert listed["speedrun.com"] == "Off", "the queue is not the verified-run announcements"
    assert choices == [{"name": "Dead Cells", "value": DEAD_CELLS}]
    assert off.content == "speedrun.com queue posts of Dead Cells are off."
    [down_now] = posts(discord_server)
    assert down_now.id == down.id
    assert down_now.title == "✅ Verified: Dead Cells — Any%"
    assert early.edits == 0, "a deleted post is left alone"
    assert speedrun_server.rate_limited == 0


async def test_src_queue_shows_the_whole_queue_oldest_first_in_pages(
    discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, config: Callable[..., Config]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(205):  # two pages of speedrun.com's answer
        speedrun_server.add_submission(
            f"q{n:07d}", 300 + n, now - timedelta(days=3, minutes=n), players=player(RUNNER), videos=None
        )
    async with running(config(), discord_server):
        reply = await (await discord_server.invoke("src queue", {"game": "deadcells"})).reply()
        await discord_server.click(reply, "Next")
        await until(lambda: reply.footer == "Page 2/21", timeout=5)

    assert reply.title == "Dead Cells: verification queue"
    assert reply.subtitle == "**205 runs waiting**, the oldest for 3d 3h 24m"
    lines = reply.card[1].split("\n")
    assert lines[0].startswith("`11.` **8:14** · Any% · by user-runner01 · waiting 3d 3h 14m · [run](")
    assert lines[0].endswith(" · ⚠️ no video, second submission")
    assert len(lines) == 10
    assert speedrun_server.rate_limited == 0
