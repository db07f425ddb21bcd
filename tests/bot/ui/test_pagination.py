"""Pages turn inside their card, only for the member who asked, and also after a restart (here in
a group DM, from the member's own install: no bot there, only the interactions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.app import OLD_PAGES
from bot.config import Config
from bot.ui.pagination import GONE, ONLY_THE_ASKER, PAGE_DAYS
from tests.conftest import poll, running
from tests.fakes.discord import FakeDiscord, component, user_payload


async def test_pages_turn_for_the_asker_also_after_a_restart(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    config = make_config()
    async with running(config, discord_server):
        asked = await discord_server.invoke("recent runs", {"limit": 12}, place="group_dm")
        reply = await asked.reply()
        first = reply.body
        await (await discord_server.click(reply, "Next")).wait_for(lambda i: bool(i.callbacks))
        assert (reply.footer, component(reply, "Next").get("disabled")) == ("Page 2/2", True)
    async with running(config, discord_server):
        refused = await (
            await discord_server.click(reply, "Previous", user=user_payload(12345, "someone else"))
        ).reply()
        await (await discord_server.click(reply, "Previous")).wait_for(lambda i: bool(i.callbacks))

    assert (refused.ephemeral, refused.content) == (True, ONLY_THE_ASKER)
    assert reply.layout
    assert (reply.footer, reply.body) == ("Page 1/2", first)
    assert component(reply, "Previous").get("disabled")
    assert "guild_id" not in asked.payload
    assert not [r for r in discord_server.requests if r.path.startswith("/channels/")]


async def test_pages_kept_longer_than_a_week_are_forgotten_and_their_buttons_say_so(
    discord_server: FakeDiscord, make_config: Callable[..., Config]
) -> None:
    async with running(make_config(), discord_server) as bot:
        reply = await (await discord_server.invoke("recent runs", {"limit": 12})).reply()
        await bot.database.execute(  # as if asked eight days ago
            "UPDATE bot_state SET updated_at = ? WHERE key LIKE 'pages:%'",
            datetime.now(UTC) - timedelta(days=PAGE_DAYS + 1),
        )
        await poll(bot, OLD_PAGES)
        gone = await (await discord_server.click(reply, "Next")).reply()

    assert (gone.ephemeral, gone.content) == (True, GONE)
    assert reply.footer == "Page 1/2"
