"""/src submit: how quickly a member sees the preview and the submitted run, and what many clicks
on one form cost.

Run from the repository root: ``.venv/bin/python -m bench.submission``. It prints figures; it checks
nothing. The real bot runs against the local Discord server and the local speedrun.com
(``tests/fakes/``), SQLite in a temporary folder.

- preview: ``/src submit`` sent until its preview is shown (first form: cold caches; then warm);
- submit: Submit pressed until the preview shows the submitted run;
- clicks: 20 Submit clicks on one form at the same moment: POSTs sent, and when the last was answered.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from bench.figures import print_figures
from bench.speedrun_budget import servers
from bot.config import Config
from bot.runtime.logging_setup import setup_logging
from tests.conftest import running, speedrun_cog
from tests.fakes.discord import FakeDiscord, Message, discord_spec
from tests.fakes.local_config import local_settings

FORMS = 20
CLICKS = 20
KEY = "bench-key-0123456789"
OPTIONS = {
    "game": "halo2",
    "category": "wk6pexd1",
    "time": "1:23:45.678",
    "video": "https://youtu.be/halo2run",
    "platform": "8gej2n93",
}


async def ready_form(discord: FakeDiscord) -> tuple[Message, float]:
    """A form with its mandatory variable chosen, and how long its preview took."""
    opened = await discord.invoke("src submit", OPTIONS)
    preview = await opened.reply()
    shown = time.perf_counter() - opened.sent_at
    chosen = await discord.choose(preview, "Players (required)", ["Solo"])
    await chosen.wait_for(lambda i: bool(i.callbacks))
    return preview, shown


def submitted(message: Message) -> bool:
    return message.title == "Submitted to speedrun.com"


async def submit(discord: FakeDiscord, preview: Message) -> float:
    """How long Submit takes to show the submitted run."""
    clicked = await discord.click(preview, "Submit")
    await clicked.wait_for(lambda _: submitted(preview), timeout=30)
    return time.perf_counter() - clicked.sent_at


async def measure(data_dir: Path) -> list[tuple[str, str]]:
    discord, haloruns, speedrun = await servers()
    settings = local_settings(discord, data_dir, haloruns, speedrun)
    speedrun.api_keys[KEY] = "48g10dr8"
    try:
        async with running(Config(**settings, logging={"level": "WARNING"}), discord) as bot:
            await bot.wait_until_ready()
            await speedrun_cog(bot).keys.link(int(discord.member["id"]), SecretStr(KEY), "48g10dr8", "Zeta")
            previews, submits = [], []
            for _ in range(FORMS):
                preview, shown = await ready_form(discord)
                previews.append(shown)
                submits.append(await submit(discord, preview))
            preview, _ = await ready_form(discord)
            posts_before = len(speedrun.submitted)
            clicks = await asyncio.gather(*(discord.click(preview, "Submit") for _ in range(CLICKS)))
            for click in clicks:
                await click.wait_for(lambda i: bool(i.callbacks) and submitted(preview), timeout=30)
            last = max(time.perf_counter() - click.sent_at for click in clicks)
            posts = len(speedrun.submitted) - posts_before
    finally:
        for server in (speedrun, haloruns, discord):
            await server.stop()
    return [
        ("preview shown, first form (cold caches)", f"{previews[0] * 1000:.0f} ms"),
        (
            f"preview shown, median of the next {FORMS - 1}",
            f"{statistics.median(previews[1:]) * 1000:.0f} ms",
        ),
        (f"Submit to submitted run shown, median of {FORMS}", f"{statistics.median(submits) * 1000:.0f} ms"),
        (f"{CLICKS} simultaneous Submit clicks: POSTs sent", f"{posts}"),
        (f"{CLICKS} simultaneous Submit clicks: last one answered", f"{last * 1000:.0f} ms"),
    ]


async def main() -> None:
    setup_logging("WARNING", [])
    discord_spec()  # loaded once, outside the timings
    with tempfile.TemporaryDirectory() as data_dir:
        rows = await measure(Path(data_dir))
    print_figures(rows)


if __name__ == "__main__":
    asyncio.run(main())
