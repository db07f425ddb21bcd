"""Halo Infinite: /csr, /servicerecord, /link, /unlink and the "Halo CSR" member command."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import HaloBot
from bot.embeds.cards import card_view
from bot.embeds.halo_infinite import CARD_FILENAME, csr_card, service_record_embed
from bot.errors import ServiceError, UserFacingError
from bot.models.waypoint import Player
from bot.services.halo_infinite import CsrReport, HaloInfinite
from bot.storage.gamertag_links import GamertagLinks
from bot.ui.autocomplete import AUTOCOMPLETE_SECONDS
from bot.ui.replies import send_ephemeral, send_reply, thinking_if_slow
from bot.utils.rendering import plain

JOB = "waypoint-sign-in"
RENEW_SECONDS = 60


class NoGamertag(UserFacingError):
    """No gamertag given, and none linked."""


class HaloInfiniteCog(commands.Cog, name="HaloInfinite"):
    """Halo Infinite ranks and service records from Halo Waypoint."""

    def __init__(self, bot: HaloBot) -> None:
        self.bot = bot
        # This feature's own: the Halo Waypoint service, and the gamertags of /link and /unlink.
        self.halo_infinite = HaloInfinite.from_config(bot.session, bot.config.infinite, bot.telemetry)
        self.gamertag_links = GamertagLinks(bot.database)
        # On a server's members: for servers that installed the bot, never in DMs.
        self.member_csr = app_commands.ContextMenu(
            name="Halo CSR",
            callback=self.csr_of_member,
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=False, private_channel=False
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.member_csr)
        if self.bot.config.infinite.enabled:
            self.bot.jobs.every(RENEW_SECONDS, self.halo_infinite.keep_signed_in, name=JOB)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.member_csr.name, type=self.member_csr.type)
        self.bot.jobs.remove(JOB)

    # -- autocomplete -----------------------------------------------------------------------------

    async def _playlist_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The ranked playlists, discovering those of the player typed (or linked) first."""
        typed = str(interaction.namespace.gamertag or "")
        linked = None if typed else await self.gamertag_links.of(interaction.user.id)
        playlists = await self.halo_infinite.ranked_playlists(typed or (linked.gamertag if linked else None))
        matching = [p for p in playlists if current.casefold() in p.name.casefold()]
        return [app_commands.Choice(name=p.name[:100], value=p.id) for p in matching[:25]]

    async def _season_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The CSR seasons, newest first."""
        try:
            async with asyncio.timeout(AUTOCOMPLETE_SECONDS):
                seasons = await self.halo_infinite.seasons()
        except (TimeoutError, UserFacingError, ServiceError):
            return []
        matching = [s for s in seasons if current.casefold() in s.label.casefold()]
        return [app_commands.Choice(name=s.label[:100], value=s.key) for s in matching[:25]]

    # -- commands ---------------------------------------------------------------------------------

    @app_commands.command()
    @app_commands.describe(
        gamertag="The Xbox gamertag (yours, if you linked it with /link)",
        playlist="The ranked playlist (Ranked Arena unless chosen)",
        season="The CSR season (the current one unless chosen)",
    )
    @app_commands.autocomplete(playlist=_playlist_choices, season=_season_choices)
    async def csr(
        self,
        interaction: discord.Interaction[HaloBot],
        gamertag: app_commands.Range[str, 1, 20] | None = None,
        playlist: str | None = None,
        season: str | None = None,
    ) -> None:
        """A player's Halo Infinite rank (CSR), with a rank card."""
        async with thinking_if_slow(interaction):
            who = await self._who(interaction, gamertag)
            report = await self.halo_infinite.csr(who, playlist, season)
            card = await self._card(report)
        await send_reply(interaction, view=card_view(csr_card(report)), file=card)

    @app_commands.command()
    @app_commands.describe(
        gamertag="The Xbox gamertag (yours, if you linked it with /link)",
        season="A CSR season (every season unless chosen)",
    )
    @app_commands.autocomplete(season=_season_choices)
    async def servicerecord(
        self,
        interaction: discord.Interaction[HaloBot],
        gamertag: app_commands.Range[str, 1, 20] | None = None,
        season: str | None = None,
    ) -> None:
        """A player's Halo Infinite matchmaking service record."""
        async with thinking_if_slow(interaction):
            who = await self._who(interaction, gamertag)
            report = await self.halo_infinite.service_record(who, season)
        await send_reply(interaction, embed=service_record_embed(report))

    @app_commands.command()
    @app_commands.describe(gamertag="Your Xbox gamertag")
    async def link(
        self, interaction: discord.Interaction[HaloBot], gamertag: app_commands.Range[str, 1, 20]
    ) -> None:
        """Link your Xbox gamertag, so that /csr and /servicerecord show yours without typing it."""
        async with thinking_if_slow(interaction, ephemeral=True):
            player = await self.halo_infinite.player(gamertag)
            await self.gamertag_links.link(interaction.user.id, player)
        await send_reply(
            interaction,
            f"Linked to **{plain(player.gamertag, 40)}**: /csr and /servicerecord now show yours "
            "when you give no gamertag.",
            ephemeral=True,
        )

    @app_commands.command()
    async def unlink(self, interaction: discord.Interaction[HaloBot]) -> None:
        """Forget your linked Xbox gamertag."""
        player = await self.gamertag_links.unlink(interaction.user.id)
        message = (
            f"Your gamertag **{plain(player.gamertag, 40)}** is no longer linked."
            if player
            else "You had no gamertag linked."
        )
        await send_ephemeral(interaction, message)

    async def csr_of_member(
        self, interaction: discord.Interaction[HaloBot], member: discord.Member | discord.User
    ) -> None:
        """The "Halo CSR" member command: the member's rank, if they linked their gamertag."""
        player = await self.gamertag_links.of(member.id)
        if player is None:
            raise NoGamertag(f"{member.mention} has not linked a gamertag (they can, with /link).")
        async with thinking_if_slow(interaction):
            report = await self.halo_infinite.csr(player, None, None)
            card = await self._card(report)
        await send_reply(interaction, view=card_view(csr_card(report)), file=card)

    async def _who(self, interaction: discord.Interaction[HaloBot], gamertag: str | None) -> str | Player:
        """The gamertag given, else the member's linked player."""
        if gamertag:
            return gamertag
        linked = await self.gamertag_links.of(interaction.user.id)
        if linked is None:
            raise NoGamertag("Give a gamertag, or link yours with /link.")
        return linked

    @staticmethod
    async def _card(report: CsrReport) -> discord.File:
        png = await asyncio.to_thread(_draw_card, report)
        return discord.File(io.BytesIO(png), filename=CARD_FILENAME)


def _draw_card(report: CsrReport) -> bytes:
    """The rank card's PNG (blocking: in a thread)."""
    from bot.embeds import rank_card  # the one place Pillow (4 MiB) is loaded: with the first rank card

    return rank_card.render(report.player.gamertag, report.playlist.name, report.result)


async def setup(bot: HaloBot) -> None:
    await bot.add_cog(HaloInfiniteCog(bot))
