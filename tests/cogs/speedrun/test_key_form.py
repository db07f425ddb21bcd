"""/src key set and /src key remove: a member's speedrun.com API key, linked through a private form
and kept sealed."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import HaloBot
from bot.config import SpeedrunConfig
from bot.errors import SET_AGAIN, KeyUnreadable, user_message
from bot.storage.database import open_database
from bot.storage.speedrun_keys import SpeedrunKeys
from tests.conftest import speedrun_cog
from tests.fakes.discord import FakeDiscord
from tests.fakes.speedrun_server import FakeSpeedrun

KEY = "r0hbq2qq84hf9t47jdvmeh4gl"
ZETA = "48g10dr8"


async def link(discord_server: FakeDiscord, key: str) -> str:
    opened = await discord_server.invoke("src key set")
    submitted = await discord_server.submit(opened, {"API key": key})
    reply = await submitted.reply()
    assert reply.ephemeral
    return reply.content


async def test_a_key_is_linked_through_the_form_and_never_shown_or_stored_in_plaintext(
    bot: HaloBot,
    discord_server: FakeDiscord,
    speedrun_server: FakeSpeedrun,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    speedrun_server.api_keys[KEY] = ZETA

    opened = await discord_server.invoke("src key set")
    answer = await link(discord_server, f"  {KEY} ")

    assert opened.modal is not None
    assert opened.modal["title"] == "Link your speedrun.com API key"
    assert answer.startswith("Linked as **Zeta** on speedrun.com")
    linked = await speedrun_cog(bot).keys.of(int(discord_server.member["id"]))
    assert linked is not None
    assert (linked.api_key.get_secret_value(), linked.speedrun_user_id, linked.speedrun_name) == (
        KEY,
        ZETA,
        "Zeta",
    )
    config = bot.config
    database = Path(config.database.url.removeprefix("sqlite+aiosqlite:///"))
    assert KEY.encode() not in await asyncio.to_thread(database.read_bytes)
    assert all(KEY not in r.getMessage() for r in caplog.records if r.name != "discord.gateway"), (
        "only discord.py's gateway DEBUG lines carry the form, and the bot's logging keeps them out"
    )
    assert all(KEY not in json.dumps(request.body) for request in discord_server.requests)
    secret_file = config.speedrun.key_secret_file
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600, "the secret made on first use is private"


async def test_a_key_speedrun_com_refuses_is_not_kept(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    answer = await link(discord_server, "not-a-real-key")

    assert answer.startswith("speedrun.com does not accept that API key.")
    assert await speedrun_cog(bot).keys.of(int(discord_server.member["id"])) is None


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        (f"{KEY[:10]}\n{KEY[10:]}", "it holds a line break"),
        (f"{KEY[:10]}\t{KEY[10:]}", "it holds a control character"),
        (f"\x1b[31m{KEY}", "it holds a control character"),
        (f"{KEY[:10]} {KEY[10:]}", "it holds a space"),
        (f"{KEY}é", "it holds characters a key does not have"),
        (" " * 10, "it is blank"),
    ],
)
async def test_a_key_of_the_wrong_form_is_refused_saying_why_before_any_request(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun, typed: str, problem: str
) -> None:
    speedrun_server.api_keys[typed] = ZETA
    answer = await link(discord_server, typed)

    assert answer.startswith(f"That is not a speedrun.com API key: {problem}"), answer
    assert answer.endswith("run `/src key set` again.")
    assert KEY not in answer
    assert not any("/profile" in path for path in speedrun_server.requests)
    assert await speedrun_cog(bot).keys.of(int(discord_server.member["id"])) is None


async def test_set_again_replaces_and_remove_forgets(
    bot: HaloBot, discord_server: FakeDiscord, speedrun_server: FakeSpeedrun
) -> None:
    speedrun_server.api_keys |= {KEY: ZETA, "another-key-1234": "dx39g5ex"}
    await link(discord_server, KEY)
    replaced = await link(discord_server, "another-key-1234")
    removed = await (await discord_server.invoke("src key remove")).reply()
    again = await (await discord_server.invoke("src key remove")).reply()

    assert replaced.startswith("Linked as **@\u200beveryone \\*\\*bold\\*\\*** on speedrun.com"), (
        "the new key's user, their name escaped"
    )
    assert (removed.ephemeral, removed.content) == (True, "Your speedrun.com API key is forgotten.")
    assert again.content == "You had no speedrun.com API key linked."
    assert await speedrun_cog(bot).keys.of(int(discord_server.member["id"])) is None


async def test_a_key_sealed_under_a_lost_secret_asks_to_set_it_again(tmp_path: Path) -> None:
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}")
    try:
        before = SpeedrunKeys(database, SpeedrunConfig(key_secret=SecretStr("the first secret")))
        await before.link(7, SecretStr(KEY), ZETA, "Zeta")
        after = SpeedrunKeys(database, SpeedrunConfig(key_secret=SecretStr("a new secret")))
        with pytest.raises(KeyUnreadable) as unreadable:
            await after.of(7)
    finally:
        await database.close()

    assert user_message(unreadable.value) == SET_AGAIN, "the words are chosen where they are shown"
