"""A board's world-record progression, whichever site it comes from: what /history and
/src history show, as text and as a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models.speedrun import SAME_TIME


@dataclass(frozen=True, slots=True)
class Record:
    """One world record (or a tie of one) as it was set."""

    seconds: float
    holders: tuple[str, ...]
    date: datetime | None
    link: str | None = None  # its video, or its page


@dataclass(frozen=True, slots=True)
class Progression:
    """A board's records, oldest first, and how far back they are known."""

    board: str  # "Halo: Reach Tip of the Spear — Solo Easy"
    records: tuple[Record, ...]
    known: str  # how far back the bot knows, said to the user
    url: str | None = None
    source: str = ""  # the site: "HaloRuns", "speedrun.com"
    complete: bool = False  # the oldest record is the board's first

    def standing(self, index: int) -> tuple[Record | None, Record | None]:
        """The record ``index`` replaced (or tied), and the first one faster than it (``None``
        while it stands)."""
        record = self.records[index]
        before = self.records[index - 1] if index else None
        after = next((r for r in self.records[index + 1 :] if r.seconds < record.seconds - SAME_TIME), None)
        return before, after
