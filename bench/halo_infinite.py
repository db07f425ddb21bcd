"""Halo Infinite: how quickly /csr and /servicerecord answer, what the rank card costs, and what a
refused token costs when many commands see it at once.

Run from the repository root: ``.venv/bin/python -m bench.halo_infinite``. It prints figures; it
checks nothing. The real bot is signed in (device code, MSAL over https) at the local Microsoft
authority and asks the local Xbox Live and Waypoint hosts (``tests/fakes/``).

- uncached: a player looked up for the first time (gamertag → xuid, then the CSR or the record);
- cached: the same command again within the minute answers are kept;
- card: drawing the rank card PNG, in the process;
- refused: every Spartan token revoked, then 20 /csr at once: chains rebuilt, last answer.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.figures import print_figures
from bench.speedrun_budget import servers
from bot.clients.waypoint.microsoft_signin import MicrosoftSignIn
from bot.config import Config, InfiniteConfig
from bot.embeds import rank_card
from bot.models.waypoint import CsrResult
from bot.runtime.logging_setup import setup_logging
from tests.conftest import AZURE_CLIENT_ID, running
from tests.fakes.discord import FakeDiscord, Interaction, discord_spec
from tests.fakes.local_config import local_settings
from tests.fakes.microsoft_authority import MicrosoftAuthority, certificate_authority
from tests.fakes.waypoint_server import FakeWaypoint, standing

PLAYERS = 20
CARDS = 50


async def answered(interaction: Interaction) -> float:
    reply = await interaction.reply(timeout=30)
    assert not reply.ephemeral, reply.content
    return time.perf_counter() - interaction.sent_at


async def timed(discord: FakeDiscord, command: str, gamertag: str) -> float:
    return await answered(await discord.invoke(command, {"gamertag": gamertag}))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def measure(data_dir: Path, authority: MicrosoftAuthority) -> list[tuple[str, str]]:
    discord, haloruns, speedrun = await servers()
    waypoint = FakeWaypoint()
    await waypoint.start()
    names = [f"Spartan {n}" for n in range(PLAYERS)]
    for n, name in enumerate(names):
        waypoint.players[name.casefold()] = {"xuid": str(2535400000000000 + n), "gamertag": name}
    infinite = {
        "enabled": True,
        "client_id": AZURE_CLIENT_ID,
        "authority": authority.authority,
        "token_cache": str(data_dir / "msal_cache.json"),
        **waypoint.settings(),
    }
    MicrosoftSignIn(InfiniteConfig(**infinite)).sign_in(lambda _: None)
    settings = local_settings(discord, data_dir, haloruns, speedrun)
    try:
        async with running(Config(**settings, infinite=infinite, logging={"level": "WARNING"}), discord):
            csr_uncached = [await timed(discord, "csr", name) for name in names]
            csr_cached = [await timed(discord, "csr", name) for name in names]
            record_uncached = [await timed(discord, "servicerecord", name) for name in names]
            waypoint.revoke_spartan_tokens()
            spartans = waypoint.issued["spartan"]
            sent = [
                await discord.invoke("csr", {"gamertag": name, "season": "CsrSeason4-1"}) for name in names
            ]
            last = max(await asyncio.gather(*(answered(interaction) for interaction in sent)))
            rebuilt = waypoint.issued["spartan"] - spartans
    finally:
        for server in (waypoint, speedrun, haloruns, discord):
            await server.stop()

    result = CsrResult.model_validate(
        {
            "Current": standing(1389, "Diamond", 3),
            "SeasonMax": standing(1420, "Diamond", 4),
            "AllTimeMax": standing(1549, "Onyx", 0),
        }
    )
    cards = []
    for _ in range(CARDS):
        started = time.perf_counter()
        png = rank_card.render("Spartan 0", "Ranked Arena", result)
        cards.append(time.perf_counter() - started)
    return [
        (f"/csr, player not cached, median of {PLAYERS}", ms(statistics.median(csr_uncached))),
        (f"/csr, player cached, median of {PLAYERS}", ms(statistics.median(csr_cached))),
        (f"/servicerecord, not cached, median of {PLAYERS}", ms(statistics.median(record_uncached))),
        (f"rank card drawn, median of {CARDS}", ms(statistics.median(cards))),
        ("rank card size", f"{len(png) / 1024:.1f} KiB"),
        (f"{PLAYERS} /csr at once after a refused token: chains rebuilt", str(rebuilt)),
        (f"{PLAYERS} /csr at once after a refused token: last answered", ms(last)),
    ]


async def main() -> None:
    setup_logging("WARNING", [])
    discord_spec()  # loaded once, outside the timings
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        ca_file, context = certificate_authority(data_dir)
        os.environ["REQUESTS_CA_BUNDLE"] = str(ca_file)
        authority = MicrosoftAuthority(context, AZURE_CLIENT_ID)
        authority.start()
        try:
            rows = await measure(data_dir, authority)
        finally:
            authority.stop()
    print_figures(rows)


if __name__ == "__main__":
    asyncio.run(main())
