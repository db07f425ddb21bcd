"""The chart of a world-record progression: the record time over the years as a step line, a PNG.

Drawn with matplotlib's Agg backend (no display, no global figure state), in a thread: it is CPU
work. matplotlib is needed for nothing else, and is large: bot/embeds/history.py imports this
module with the first chart, so that a bot that never draws one never loads it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.models.history import Progression
from bot.utils.run_times import format_run_time

SIZE_INCHES = (8.0, 4.0)
DPI = 100  # 800 x 400 pixels
BACKGROUND = "#18191f"
TEXT = "#eef0f3"
MUTED = "#969ca6"
LINE = "#f1c40f"
TITLE_LIMIT = 80


def render(progression: Progression, now: datetime | None = None) -> bytes:
    """The step line of the dated records (each holds until the next one, the last until ``now``)."""
    dated = [record for record in progression.records if record.date]
    now = now or datetime.now(UTC)
    moments = [record.date for record in dated if record.date] + ([now] if dated else [])
    times = [record.seconds for record in dated] + ([dated[-1].seconds] if dated else [])
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_facecolor(BACKGROUND)
    title = progression.board if len(progression.board) <= TITLE_LIMIT else progression.board[:79] + "…"
    axes.set_title(f"World record — {title}", color=TEXT, fontsize=11)
    if moments:
        days = date2num(moments)  # type: ignore[no-untyped-call]
        axes.step(days, times, where="post", color=LINE, linewidth=2)
        axes.plot(days[:-1], times[:-1], "o", color=LINE, markersize=4)
        axes.xaxis_date(UTC)
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    else:
        axes.text(
            0.5, 0.5, "No dated records", color=MUTED, ha="center", va="center", transform=axes.transAxes
        )
    axes.yaxis.set_major_locator(MaxNLocator(6))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_run_time(max(value, 0))))
    axes.set_ylabel("record time", color=MUTED)
    axes.tick_params(colors=MUTED)
    axes.grid(color="#2c2f38", linewidth=0.6)
    for spine in axes.spines.values():
        spine.set_color("#2c2f38")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor=BACKGROUND)
    return out.getvalue()
