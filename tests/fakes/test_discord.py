"""The local Discord server carries what later features need: resolved options, autocomplete,
channel messages with nonces, and a refusal of bodies Discord would reject."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.app import HaloBot
from tests.fakes.discord import FakeDiscord, make_guild, snowflake_on_shard

AUTH = {"Authorization": "Bot test-bot-token"}
LEVELS = ["Tip of the Spear", "The Pillar of Autumn", "Tsavo Highway", "Truth and Reconciliation"]


class Probe(app_commands.Group):
    """Commands that echo what discord.py parsed."""

    @app_commands.command()
    async def target(
        self, interaction: discord.Interaction, channel: discord.TextChannel, role: discord.Role | None = None
    ) -> None:
        """Echoes a channel and a role."""
        await interaction.response.send_message(f"{channel.name} / {role.name if role else '-'}")

    @app_commands.command()
    async def level(self, interaction: discord.Interaction, name: str) -> None:
        """Echoes a level."""
        await interaction.response.send_message(name)

    @level.autocomplete("name")
    async def level_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in LEVELS if n.lower().startswith(current.lower())]

    @app_commands.command()
    async def card(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Answers with a Components V2 layout that names a role, a member and everyone."""
        layout = discord.ui.LayoutView()
        header: discord.ui.Section[discord.ui.LayoutView] = discord.ui.Section(
            f"**New record** {role.mention} <@{interaction.user.id}> @everyone",
            accessory=discord.ui.Thumbnail("https://example.com/halo.png"),
        )
        row: discord.ui.ActionRow[discord.ui.LayoutView] = discord.ui.ActionRow(
            discord.ui.Button(label="Watch", url="https://youtu.be/x")
        )
        layout.add_item(discord.ui.Container(header, discord.ui.Separator(), row, accent_colour=0x3366FF))
        await interaction.response.send_message(
            view=layout, allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=[role])
        )

    @app_commands.command()
    async def many(self, interaction: discord.Interaction) -> None:
        """Sends followups until Discord refuses one."""
        await interaction.response.send_message("first")
        sent = 0
        for number in range(1, 10):
            try:
                await interaction.followup.send(f"followup {number}")
            except discord.HTTPException:
                break
            sent = number
        await interaction.edit_original_response(content=f"{sent} followups")

    @app_commands.command()
    async def post(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Posts into a channel twice with the same nonce."""
        for _ in range(2):
            await channel.send(
                "@everyone new record", nonce="record-42", allowed_mentions=discord.AllowedMentions.none()
            )
        await interaction.response.send_message("posted", ephemeral=True)


@pytest.fixture
async def probe_bot(bot: HaloBot, discord_server: FakeDiscord) -> HaloBot:
    bot.tree.add_command(Probe(name="probe"))
    await bot.sync_commands(force=True)
    return bot


async def test_channel_and_role_options_are_resolved(probe_bot: HaloBot, discord_server: FakeDiscord) -> None:
    guild = discord_server.guilds[0]
    channel, role = guild["channels"][1], guild["roles"][1]

    reply = await (
        await discord_server.invoke("probe target", {"channel": channel["id"], "role": role["id"]})
    ).reply()

    assert reply.content == f"{channel['name']} / {role['name']}"


async def test_autocomplete_answers_with_choices(probe_bot: HaloBot, discord_server: FakeDiscord) -> None:
    interaction = await discord_server.invoke("probe level", {"name": "ts"}, focused="name")

    choices = await interaction.autocomplete_choices()

    assert choices == [{"name": "Tsavo Highway", "value": "Tsavo Highway"}]


async def test_a_repeated_nonce_creates_one_message(probe_bot: HaloBot, discord_server: FakeDiscord) -> None:
    channel = discord_server.channels["world-records"]

    await (await discord_server.invoke("probe post", {"channel": channel["id"]})).reply()

    [message] = discord_server.channel_messages(channel["id"])
    assert message.content == "@everyone new record"
    assert message.allowed_mentions == {"parse": []}


async def test_bodies_discord_would_reject_are_refused_and_reported(
    bot: HaloBot, discord_server: FakeDiscord
) -> None:
    channel_id = int(discord_server.channels["general"]["id"])

    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.send_message(
            channel_id, params=discord.http.MultipartParameters({"tts": "yes"}, None, None)
        )

    assert refused.value.status == 400
    assert any("tts" in v for v in discord_server.violations)
    discord_server.violations.clear()


async def test_a_layout_is_kept_and_pings_only_what_it_allows(
    probe_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    role = discord_server.guilds[0]["roles"][1]

    reply = await (await discord_server.invoke("probe card", {"role": role["id"]})).reply()

    assert reply.layout
    assert reply.content == ""
    assert reply.embeds == []
    assert reply.texts == [f"**New record** <@&{role['id']}> <@{discord_server.member['id']}> @everyone"]
    assert reply.links() == {"Watch": "https://youtu.be/x"}
    [container] = reply.data["components"]
    assert (container["type"], container["accent_color"]) == (17, 0x3366FF)
    assert (reply.data["mention_roles"], reply.data["mentions"], reply.data["mention_everyone"]) == (
        [role["id"]],
        [],
        False,
    )


def _text(content: str) -> dict[str, Any]:
    return {"type": 10, "content": content}


def _section(*texts: str) -> dict[str, Any]:
    thumbnail = {"type": 11, "media": {"url": "https://example.com/a.png"}}
    return {"type": 9, "components": [_text(t) for t in texts], "accessory": thumbnail}


V2 = 1 << 15
REFUSED: dict[str, dict[str, Any]] = {
    "content beside a layout": {"flags": V2, "content": "hi", "components": [_text("a")]},
    "embeds beside a layout": {"flags": V2, "embeds": [{"title": "t"}], "components": [_text("a")]},
    "a layout without the flag": {"components": [_text("a")]},
    "41 components": {"flags": V2, "components": [{"type": 17, "components": [_text("a")] * 40}]},
    "4001 characters of text": {"flags": V2, "components": [_text("a" * 2000), _text("a" * 2001)]},
    "4 texts in a section": {"flags": V2, "components": [_section("a", "b", "c", "d")]},
    "a container in a container": {
        "flags": V2,
        "components": [{"type": 17, "components": [{"type": 17, "components": [_text("a")]}]}],
    },
    "a link button with a custom_id": {
        "flags": V2,
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 5, "url": "https://a.b", "custom_id": "x", "label": "L"}],
            }
        ],
    },
    "a gallery of a file not sent": {
        "flags": V2,
        "components": [{"type": 12, "items": [{"media": {"url": "attachment://card.png"}}]}],
    },
}


async def test_layouts_discord_refuses_are_refused(bot: HaloBot, discord_server: FakeDiscord) -> None:
    channel_id = int(discord_server.channels["general"]["id"])
    fine = {
        "flags": V2,
        "components": [{"type": 17, "components": [_section("a", "b", "c"), *[_text("x")] * 34]}],
    }

    message = await bot.http.send_message(
        channel_id, params=discord.http.MultipartParameters(fine, None, None)
    )
    assert discord_server.violations == []
    assert message["flags"] == V2
    for what, body in REFUSED.items():
        with pytest.raises(discord.HTTPException) as refused:
            await bot.http.send_message(channel_id, params=discord.http.MultipartParameters(body, None, None))
        assert refused.value.status == 400, what
        assert discord_server.violations, what
        discord_server.violations.clear()
    # An edit is judged on the message it makes: a layout keeps its flag and takes no content.
    with pytest.raises(discord.HTTPException):
        await bot.http.edit_message(
            channel_id,
            int(message["id"]),
            params=discord.http.MultipartParameters({"content": "x"}, None, None),
        )
    discord_server.violations.clear()


async def test_a_members_own_install_gets_five_followups_where_the_app_is_not(
    probe_bot: HaloBot, discord_server: FakeDiscord
) -> None:
    elsewhere = make_guild("Another server", channels=("chat",))
    here = await discord_server.invoke("probe many")
    there = await discord_server.invoke("probe many", guild=elsewhere, channel="chat", place="user")

    await here.wait_for(lambda i: i.original is not None and i.original.content == "9 followups")
    await there.wait_for(lambda i: i.original is not None and i.original.content == "5 followups")

    assert [m.content for m in there.followups] == [f"followup {n}" for n in range(1, 6)]


async def test_a_webhook_posts_a_layout_only_with_components_asked_for(
    bot: HaloBot, discord_server: FakeDiscord
) -> None:
    webhook_id, token = discord_server.create_webhook("general")
    layout = discord.ui.LayoutView()
    layout.add_item(discord.ui.TextDisplay("A layout through a webhook"))
    webhook = discord.Webhook.partial(webhook_id, token, session=bot.session, client=bot)

    sent = await webhook.send(view=layout, wait=True)  # discord.py asks for with_components
    url = f"{discord_server.api_base}/webhooks/{webhook_id}/{token}?wait=1"
    async with bot.session.post(
        url, json={"flags": V2, "components": [_text("A layout through a webhook")]}
    ) as plain:
        refused = await plain.json()

    assert [m.texts for m in discord_server.channel_messages(sent.channel.id)] == [
        ["A layout through a webhook"]
    ]
    assert (plain.status, refused["code"]) == (400, 50006), "without with_components the layout is left out"


async def identify(server: FakeDiscord, shard: list[int]) -> tuple[aiohttp.WSMessage, list[dict[str, Any]]]:
    """Identifies a raw session as ``shard``; the close frame (or READY) and the events that came."""
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http, http.ws_connect(server.gateway_url) as ws:
        await ws.receive_json()  # hello
        await ws.send_json({"op": 2, "d": {"token": server.token, "intents": 1, "shard": shard}})
        while (frame := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            events.append(json.loads(frame.data))
            if events[-1]["t"] == "GUILD_CREATE" or not server.guilds_of(*shard):
                break
        return frame, events


async def test_sessions_are_sharded_as_discord_shards_them(discord_server: FakeDiscord) -> None:
    discord_server.guilds = [{"id": str(snowflake_on_shard(shard, 3))} for shard in (0, 1, 1, 2)]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{discord_server.api_base}/gateway/bot", headers=AUTH) as answer:
            gateway = await answer.json()
        discord_server.guilds *= 700  # 2,800 in all, 1,400 on shard 1
        async with http.get(f"{discord_server.api_base}/gateway/bot", headers=AUTH) as answer:
            recommended = (await answer.json())["shards"]

    _, [ready, *_] = await identify(discord_server, [1, 3])
    invalid, _ = await identify(discord_server, [3, 3])
    too_big, _ = await identify(discord_server, [0, 1])

    assert gateway["shards"] == 1
    assert gateway["session_start_limit"]["max_concurrency"] == 16
    assert recommended == 3
    assert ready["t"] == "READY"
    assert ready["d"]["shard"] == [1, 3]
    assert len(ready["d"]["guilds"]) == 1400
    assert (invalid.type, invalid.data) == (aiohttp.WSMsgType.CLOSE, 4010)
    assert (too_big.type, too_big.data) == (aiohttp.WSMsgType.CLOSE, 4011)
