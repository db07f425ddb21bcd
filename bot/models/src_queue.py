"""A speedrun.com submission awaiting verification, as the queue feature keeps and shows it.

The run is speedrun.com's (bot/models/speedrun.py); the rest is what the bot found out about it:
names of its platform and variables, the problems a moderator should see at once (``flags``), and
what became of it (``state``), which its post shows.
"""

from __future__ import annotations

from typing import Literal

from bot.models.deferred import Frozen
from bot.models.speedrun import Run

# What a moderator is told about a run, without judging it.
Flag = Literal[
    "no video",  # no video link at all
    "not a web video",  # a video link that is not http(s)
    "faster than the record",  # a new world record claim: faster than the board's current one
    "second submission",  # the same player has an earlier submission waiting on the same board
    "waiting long",  # in the queue for more than a week
]
State = Literal["waiting", "verified", "rejected", "withdrawn"]


class QueuedRun(Frozen):
    run: Run
    game: str  # its name
    platform: str | None = None  # the platform's name
    variables: tuple[str, ...] = ()  # "Name: label" for each of the run's variables
    flags: tuple[Flag, ...] = ()
    record: float | None = None  # the board's record (seconds) when the run claims to beat it
    state: State = "waiting"
    examiner: str | None = None  # who verified or rejected it, by name

    @property
    def key(self) -> str:
        return f"src-queue/{self.run.id}"

    @property
    def fingerprint(self) -> str:
        return self.key
