"""/config: where this server gets world-record announcements, stream alerts and speedrun.com
announcements (Manage Server)."""

from __future__ import annotations

import contextlib
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.errors import ServiceError, UserFacingError
from bot.storage.settings import Feature, FeatureSetting, scoped
from bot.ui.autocomplete import speedrun_games
from bot.ui.replies import send_reply, thinking_if_slow
from bot.utils.matching import did_you_mean, normalize
from bot.utils.rendering import EMBED_BUDGET, plain, quoted

DIFFICULTIES = ("Easy", "Normal", "Heroic", "Legendary", "Any Difficulty")
# What the bot needs in a channel to post there, as Discord names it.
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


IN_A_SERVER = "Use this command in a server."
MAX_GAMES = 20  # speedrun.com games one server may follow: each costs requests at every poll
PER_SERVER: tuple[Feature, ...] = ("announcements", "streams")  # "src" is set per game
FEATURE_NAMES: dict[Feature, str] = {
    "announcements": "World-record announcements",
    "streams": "Stream alerts",
    "src": "speedrun.com announcements",
}


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserFacingError(IN_A_SERVER)
    return interaction.guild_id


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _match(names: list[str], known: list[str], what: str) -> list[str]:
    """Each of ``names`` spelled as HaloRuns spells it; an unknown one is an error with suggestions."""
    by_key = {normalize(name): name for name in known}
    chosen = []
    for name in names:
        if normalize(name) not in by_key:
            raise UserFacingError(f"HaloRuns has no {what} {quoted(name)}.{did_you_mean(known, name)}")
        chosen.append(by_key[normalize(name)])
    return chosen


def describe(setting: FeatureSetting) -> str:
    lines = [
        f"Channel: <#{setting.channel_id}>",
        f"Role pinged: {f'<@&{setting.role_id}>' if setting.role_id else 'none'}",
    ]
    filters = setting.filters
    if filters.get("games"):
        lines.append(f"Games: {', '.join(plain(g, 100) for g in filters['games'])}")
    if filters.get("difficulties"):
        lines.append(f"Difficulties: {', '.join(filters['difficulties'])}")
    if "on_end" in filters:
        ending = "the alert is deleted" if filters["on_end"] == "delete" else "the alert says so"
        lines.append(f"When a stream ends: {ending}")
    if filters.get("mode"):
        lines.append(
            f"Posts: {'new world records only' if filters['mode'] == 'wr' else 'every verified run'}"
        )
    if "extensions" in filters:
        lines.append(f"Extension categories: {'included' if filters['extensions'] else 'left out'}")
    if not setting.enabled:
        lines.insert(0, f"**Off**: {plain(setting.disabled_reason or 'turned off', 300)}")
    return "\n".join(lines)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Config(
    commands.GroupCog,
    group_name="config",
    group_description="Where this server gets world records and stream alerts.",
):
    """Server settings for announcements and stream alerts."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        super().__init__()

    async def _games(self, text: str | None) -> list[str]:
        if not _listed(text):
            return []
        async with self.bot.haloruns.deadline():
            catalog = await self.bot.haloruns.catalog()
        return _match(_listed(text), [game.name for game in catalog.games], "game")

    async def _check_channel(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None,
    ) -> str:
        """Refuses a channel the bot cannot post in, or a role it cannot ping; returns a warning
        about the role, if any. Answers "thinking…" first: fetching the bot's member takes a call."""
        guild = interaction.guild
        if guild is None or self.bot.user is None:
            raise UserFacingError(IN_A_SERVER)
        if role is not None and (role.is_default() or role.managed):
            raise UserFacingError(
                f"{quoted(role.name)} cannot be pinged by the bot: pick a role members can have."
            )
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        target = guild.get_channel(channel.id)
        if not isinstance(target, discord.TextChannel):
            raise UserFacingError("Pick a text or announcement channel.")
        me = guild.me or await guild.fetch_member(self.bot.user.id)
        permissions = target.permissions_for(me)
        missing = [name for flag, name in NEEDED if not getattr(permissions, flag)]
        if missing:
            raise UserFacingError(
                f"The bot cannot post in {target.mention}: it needs {', '.join(missing)} there. "
                "Give it those permissions (or pick another channel) and run the command again."
            )
        if role and not role.mentionable and not permissions.mention_everyone:
            return (
                f"\nNote: {role.mention} is not mentionable and the bot may not mention every role, "
                "so it will not be pinged. Make the role mentionable or allow the bot to mention it."
            )
        return ""

    async def _save(
        self, interaction: discord.Interaction, setting: FeatureSetting, summary: str, warning: str
    ) -> None:
        await self.bot.settings.save(setting)
        await send_reply(interaction, f"{summary}\n{describe(setting)}{warning}", ephemeral=True)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where new world records are posted",
        role="A role to ping with each record (none unless given)",
        games="Only these games, comma-separated (all unless given)",
        difficulties="Only these difficulties, comma-separated (all unless given)",
        extensions="Include extension categories (yes unless given)",
    )
    async def announcements(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        games: str | None = None,
        difficulties: str | None = None,
        extensions: bool = True,
    ) -> None:
        """Post every new HaloRuns world record in a channel."""
        warning = await self._check_channel(interaction, channel, role)
        filters = {
            "games": await self._games(games),
            "difficulties": _match(_listed(difficulties), list(DIFFICULTIES), "difficulty"),
            "extensions": extensions,
        }
        setting = FeatureSetting(
            _guild_id(interaction), "announcements", channel.id, role.id if role else None, filters
        )
        await self._save(interaction, setting, "World-record announcements are on.", warning)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where stream alerts are posted",
        role="A role to ping when someone goes live (none unless given)",
        games="Only these games, comma-separated (all unless given)",
        on_end="When a stream ends: edit the alert to say so (unless given), or delete it",
    )
    async def streams(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        games: str | None = None,
        on_end: Literal["edit", "delete"] = "edit",
    ) -> None:
        """Post an alert when a runner goes live on HaloRuns."""
        warning = await self._check_channel(interaction, channel, role)
        filters = {"games": await self._games(games), "on_end": on_end}
        setting = FeatureSetting(
            _guild_id(interaction), "streams", channel.id, role.id if role else None, filters
        )
        await self._save(interaction, setting, "Stream alerts are on.", warning)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where the game's newly verified runs are posted",
        game="A speedrun.com game: its name, abbreviation or id",
        mode="Every verified run (unless given), or only new world records",
        role="A role to ping with each post (none unless given)",
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="Every verified run", value="all"),
            app_commands.Choice(name="New world records only", value="wr"),
        ]
    )
    async def src(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        game: str,
        mode: str = "all",
        role: discord.Role | None = None,
    ) -> None:
        """Post a speedrun.com game's newly verified runs (or only its new world records)."""
        warning = await self._check_channel(interaction, channel, role)
        found = await self.bot.speedrun.game(game)
        followed = await self._followed_games(_guild_id(interaction))
        if found.id not in followed and len(followed) >= MAX_GAMES:
            raise UserFacingError(
                f"This server follows {len(followed)} speedrun.com games, the most it can: "
                "turn one off with `/config disable src game` first."
            )
        setting = FeatureSetting(
            _guild_id(interaction),
            scoped("src", found.id),
            channel.id,
            role.id if role else None,
            {"game": found.name, "mode": "wr" if mode == "wr" else "all"},
        )
        await self._save(
            interaction, setting, f"speedrun.com announcements of {plain(found.name, 100)} are on.", warning
        )

    @src.autocomplete("game")
    async def _src_games(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await speedrun_games(self.bot, current)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    async def show(self, interaction: discord.Interaction) -> None:
        """This server's settings for announcements and stream alerts."""
        settings = await self.bot.settings.of_guild(_guild_id(interaction))
        embed = discord.Embed(title="Settings of this server", colour=discord.Colour.blurple())
        for feature in PER_SERVER:
            setting = settings.get(feature)
            embed.add_field(
                name=feature.capitalize(), value=describe(setting) if setting else "Off", inline=False
            )
        followed = sorted(
            (s for s in settings.values() if s.family == "src"),
            key=lambda s: str(s.filters.get("game", s.feature)).casefold(),
        )
        shown = 0
        for setting in followed:
            name = plain(f"speedrun.com: {setting.filters.get('game') or setting.feature}", 256)
            value = describe(setting)
            if len(embed) + len(name) + len(value) > EMBED_BUDGET:
                break
            embed.add_field(name=name, value=value, inline=False)
            shown += 1
        if not followed:
            embed.add_field(name="speedrun.com", value="Off", inline=False)
        elif shown < len(followed):
            embed.set_footer(text=f"…and {len(followed) - shown} more speedrun.com games")
        await send_reply(interaction, embed=embed, ephemeral=True)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        feature="What to turn off",
        game="For speedrun.com: only this game (all of them unless given)",
    )
    async def disable(
        self,
        interaction: discord.Interaction,
        feature: Feature,
        game: str | None = None,
    ) -> None:
        """Turn off world-record announcements, stream alerts or speedrun.com announcements here."""
        guild_id = _guild_id(interaction)
        key: str = feature
        name = FEATURE_NAMES[feature]
        if game is not None and feature != "src":
            raise UserFacingError("`game` goes with `src` only: the other features are set per server.")
        async with thinking_if_slow(interaction, ephemeral=True):  # a game may be looked up
            if game is not None:
                followed = await self._followed_games(guild_id)
                game_id = await self._followed_game(followed, game)
                key, name = scoped("src", game_id), f"{name} of {plain(followed[game_id], 100)}"
            turned_off = await self.bot.settings.disable(guild_id, key, f"turned off by {interaction.user}")
        message = f"{name} are off." if turned_off else f"{name} were not on."
        await send_reply(interaction, message, ephemeral=True)

    @disable.autocomplete("game")
    async def _followed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        followed = await self._followed_games(interaction.guild_id)
        return [
            app_commands.Choice(name=name[:100], value=game_id)
            for game_id, name in sorted(followed.items(), key=lambda item: item[1].casefold())
            if current.casefold() in name.casefold()
        ][:25]

    async def _followed_game(self, followed: dict[str, str], game: str) -> str:
        """The id of the followed game ``game`` names: by id or name, else as speedrun.com finds it
        (an abbreviation, say)."""
        wanted = normalize(game)
        found = next(
            (g for g, n in followed.items() if game in (g, n) or (wanted and normalize(n) == wanted)), None
        )
        if found is None:
            with contextlib.suppress(UserFacingError, ServiceError):
                found = (await self.bot.speedrun.game(game)).id
        if found is None or found not in followed:
            raise UserFacingError(f"This server does not follow {quoted(game)} on speedrun.com.")
        return found

    async def _followed_games(self, guild_id: int) -> dict[str, str]:
        """{game id: name} of the speedrun.com games the server follows (on or off)."""
        settings = await self.bot.settings.of_guild(guild_id)
        return {
            s.scope: str(s.filters.get("game", s.feature)) for s in settings.values() if s.family == "src"
        }


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(Config(bot))
