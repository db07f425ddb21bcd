"""/config: where this server gets world-record announcements, stream alerts, speedrun.com
announcements, speedrun.com verification queues and the weekly recap (Manage Server)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.errors import UserFacingError
from bot.models.settings import (
    AnnouncementFilters,
    Filters,
    RecapFilters,
    SrcAnnouncementFilters,
    SrcQueueFilters,
    StreamAlertFilters,
)
from bot.services.settings import ServerSettings, followed_name, games_named
from bot.storage.settings import Feature, FeatureSetting, GameFeature
from bot.ui.autocomplete import speedrun_games
from bot.ui.reach import require_bot_in_server
from bot.ui.replies import send_reply, thinking_if_slow
from bot.utils.rendering import EMBED_BUDGET, MAX_FIELDS, plain, quoted

# What the bot needs in a channel to post there, as Discord names it.
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


IN_A_SERVER = "Use this command in a server."
FEATURE_NAMES: dict[Feature, str] = {
    "announcements": "World-record announcements",
    "streams": "Stream alerts",
    "src": "speedrun.com announcements",
    "queue": "speedrun.com queue posts",
    "recap": "Weekly recaps",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserFacingError(IN_A_SERVER)
    return interaction.guild_id


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _games(games: tuple[str, ...]) -> list[str]:
    return [f"Games: {', '.join(plain(g, 100) for g in games)}"] if games else []


def describe(setting: FeatureSetting[Filters]) -> str:
    lines = [
        f"Channel: <#{setting.channel_id}>",
        f"Role pinged: {f'<@&{setting.role_id}>' if setting.role_id else 'none'}",
    ]
    match setting.filters:
        case AnnouncementFilters(games=games, difficulties=difficulties, extensions=extensions):
            lines += _games(games)
            if difficulties:
                lines.append(f"Difficulties: {', '.join(difficulties)}")
            lines.append(f"Extension categories: {'included' if extensions else 'left out'}")
        case StreamAlertFilters(games=games, on_end=on_end):
            lines += _games(games)
            ending = "the alert is deleted" if on_end == "delete" else "the alert says so"
            lines.append(f"When a stream ends: {ending}")
        case SrcAnnouncementFilters(mode=mode):
            lines.append(f"Posts: {'new world records only' if mode == 'wr' else 'every verified run'}")
        case RecapFilters(day=day, hour=hour):
            lines.append(f"Posted: every {WEEKDAYS[day]} at {hour:02}:00 UTC")
    if not setting.enabled:
        lines.insert(0, f"**Off**: {plain(setting.disabled_reason or 'turned off', 300)}")
    return "\n".join(lines)


@app_commands.guild_only()
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.default_permissions(manage_guild=True)
class ConfigCog(
    commands.GroupCog,
    name="Config",
    group_name="config",
    group_description="Where this server gets world records and stream alerts.",
):
    """Server settings for announcements and stream alerts."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        self.settings = ServerSettings(bot.settings, bot.haloruns, bot.speedrun)
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Settings say where the bot posts: a server that added only the app's commands, not the
        bot, is told to invite it first."""
        require_bot_in_server(interaction)
        return True

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

    async def _saved(
        self, interaction: discord.Interaction, setting: FeatureSetting[Filters], summary: str, warning: str
    ) -> None:
        await send_reply(interaction, f"{summary}\n{describe(setting)}{warning}", ephemeral=True)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where new world records are posted",
        role="A role to ping with each record (none unless given)",
        games="A setting of its own for these games, comma-separated (all games unless given)",
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
        """Post new HaloRuns world records (of every game, or of some) in a channel."""
        warning = await self._check_channel(interaction, channel, role)
        setting = await self.settings.announcements(
            _guild_id(interaction),
            channel.id,
            role.id if role else None,
            games=_listed(games),
            difficulties=_listed(difficulties),
            extensions=extensions,
        )
        await self._saved(interaction, setting, "World-record announcements are on.", warning)

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
        setting = await self.settings.streams(
            _guild_id(interaction), channel.id, role.id if role else None, games=_listed(games), on_end=on_end
        )
        await self._saved(interaction, setting, "Stream alerts are on.", warning)

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
        setting = await self.settings.src(
            _guild_id(interaction),
            channel.id,
            role.id if role else None,
            game=game,
            mode="wr" if mode == "wr" else "all",
        )
        summary = f"speedrun.com announcements of {plain(setting.filters.game, 100)} are on."
        await self._saved(interaction, setting, summary, warning)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where the game's submissions awaiting verification are posted",
        game="A speedrun.com game: its name, abbreviation or id",
        role="A role to ping with each new submission (none unless given)",
    )
    async def queue(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        game: str,
        role: discord.Role | None = None,
    ) -> None:
        """Post a speedrun.com game's new submissions awaiting verification, kept up to date."""
        warning = await self._check_channel(interaction, channel, role)
        setting = await self.settings.queue(
            _guild_id(interaction), channel.id, role.id if role else None, game=game
        )
        summary = f"The speedrun.com queue of {plain(setting.filters.game, 100)} is posted."
        await self._saved(interaction, setting, summary, warning)

    @src.autocomplete("game")
    @queue.autocomplete("game")
    async def _src_games(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await speedrun_games(self.bot, current)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where the weekly recap is posted",
        role="A role to ping with each recap (none unless given)",
        day="The weekday it is posted (Monday unless given)",
        hour="The hour it is posted, 0 to 23 UTC (18 unless given)",
    )
    @app_commands.choices(
        day=[app_commands.Choice(name=name, value=number) for number, name in enumerate(WEEKDAYS)]
    )
    async def recap(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        day: int = 0,
        hour: app_commands.Range[int, 0, 23] = 18,
    ) -> None:
        """Post a weekly recap: the week's world records, runners and streams."""
        warning = await self._check_channel(interaction, channel, role)
        setting = await self.settings.recap(
            _guild_id(interaction),
            channel.id,
            role.id if role else None,
            day=day,
            hour=hour,
            now=datetime.now(UTC),
        )
        await self._saved(interaction, setting, "The weekly recap is on.", warning)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    async def show(self, interaction: discord.Interaction) -> None:
        """This server's settings for announcements and stream alerts."""
        overview = await self.settings.overview(_guild_id(interaction))
        embed = discord.Embed(title="Settings of this server", colour=discord.Colour.blurple())
        announcements: list[FeatureSetting[Filters] | None] = [*overview.announcements] or [None]
        per_server: list[tuple[str, FeatureSetting[Filters] | None]] = [
            *(("Announcements", setting) for setting in announcements),
            ("Streams", overview.streams),
            ("Weekly recap", overview.recap),
        ]
        for title, setting in per_server:
            embed.add_field(name=title, value=describe(setting) if setting else "Off", inline=False)
        followed: list[tuple[str, FeatureSetting[SrcAnnouncementFilters | SrcQueueFilters]]] = [
            *((f"speedrun.com: {followed_name(s)}", s) for s in overview.src),
            *((f"speedrun.com queue: {followed_name(s)}", s) for s in overview.queue),
        ]
        shown = 0
        for title, setting in followed:
            name = plain(title, 256)
            value = describe(setting)
            if len(embed) + len(name) + len(value) > EMBED_BUDGET or len(embed.fields) >= MAX_FIELDS:
                break
            embed.add_field(name=name, value=value, inline=False)
            shown += 1
        if not overview.src:
            embed.add_field(name="speedrun.com", value="Off", inline=False)
        elif shown < len(followed):
            embed.set_footer(text=f"…and {len(followed) - shown} more speedrun.com settings")
        await send_reply(interaction, embed=embed, ephemeral=True)

    @app_commands.command()
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        feature="What to turn off",
        game="Only the setting of this game (for announcements: its games, comma-separated)",
    )
    async def disable(
        self,
        interaction: discord.Interaction,
        feature: Feature,
        game: str | None = None,
    ) -> None:
        """Turn off announcements, stream alerts, speedrun.com posts, queue posts or the weekly recap."""
        guild_id = _guild_id(interaction)
        async with thinking_if_slow(interaction, ephemeral=True):  # a game may be looked up
            turned_off, followed = await self.settings.disable(
                guild_id, feature, game, f"turned off by {interaction.user}"
            )
        name = FEATURE_NAMES[feature] + (f" of {plain(followed, 100)}" if followed is not None else "")
        message = f"{name} are off." if turned_off else f"{name} were not on."
        await send_reply(interaction, message, ephemeral=True)

    @disable.autocomplete("game")
    async def _followed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        if interaction.namespace.feature == "announcements":
            overview = await self.settings.overview(interaction.guild_id)
            names = [games_named(s.filters.games) for s in overview.announcements if s.filters.games]
            return [
                app_commands.Choice(name=name[:100], value=name[:100])
                for name in names
                if current.casefold() in name.casefold()
            ][:25]
        feature: GameFeature = "queue" if interaction.namespace.feature == "queue" else "src"
        followed = await self.settings.followed(interaction.guild_id, feature)
        return [
            app_commands.Choice(name=name[:100], value=game_id)
            for game_id, name in sorted(followed.items(), key=lambda item: item[1].casefold())
            if current.casefold() in name.casefold()
        ][:25]


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(ConfigCog(bot))
