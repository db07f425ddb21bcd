"""What a server's setting of each posting feature filters by: the ``filters`` JSON of its row.

Rows keep the JSON they always had (no migration): a key an older row lacks reads as its default
here, and a key no model knows is ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from bot.models.deferred import Frozen


class Filters(Frozen):
    model_config = ConfigDict(extra="ignore")


class AnnouncementFilters(Filters):
    """World-record announcements: only these games and difficulties (all when empty), as HaloRuns
    spells them, and whether runs of extension categories are posted."""

    games: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    extensions: bool = True


class StreamAlertFilters(Filters):
    """Stream alerts: only streams of these games (all when empty), and what becomes of an alert
    once its stream has ended: edited to say so, or deleted."""

    games: tuple[str, ...] = ()
    on_end: Literal["edit", "delete"] = "edit"


class SrcAnnouncementFilters(Filters):
    """speedrun.com announcements of one game (its id is the setting's scope): the game's name when
    it was followed, and whether every verified run is posted or only new world records."""

    game: str = ""
    mode: Literal["all", "wr"] = "all"


class SrcQueueFilters(Filters):
    """The verification queue of one speedrun.com game (its id is the setting's scope): the game's
    name when it was set."""

    game: str = ""


class RecapFilters(Filters):
    """The weekly recap: the weekday (0 Monday … 6 Sunday) and hour (UTC) it is posted, and the
    start of the hour it was set (no recap is due before)."""

    day: int = Field(0, ge=0, le=6)
    hour: int = Field(18, ge=0, le=23)
    since: datetime | None = None
