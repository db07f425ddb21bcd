"""The /csr rank card: a PNG in the tier's colours with the emblem, sub-tier, CSR, progress to the
next sub-tier, and the season and all-time highs. Drawn with Pillow (in a thread: it is CPU work).

Pillow is needed for nothing else: the Halo Infinite cog imports this module with the first card.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from bot.embeds import csr_tiers
from bot.models.waypoint import CsrResult, CsrStanding

SIZE = (800, 260)
BACKGROUND = (24, 26, 31)
TEXT = (238, 240, 243)
MUTED = (150, 156, 166)


def _rgb(colour: int) -> tuple[int, int, int]:
    return (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _emblem(draw: ImageDraw.ImageDraw, standing: CsrStanding, centre: tuple[int, int], radius: int) -> None:
    """A hexagon in the tier's colours, with one pip per sub-tier reached (none for Onyx)."""
    main, accent = (_rgb(c) for c in csr_tiers.colours(standing))
    x, y = centre
    corners = [
        (x + radius * math.cos(math.radians(60 * i - 90)), y + radius * math.sin(math.radians(60 * i - 90)))
        for i in range(6)
    ]
    draw.polygon(corners, fill=main, outline=accent, width=6)
    inner = radius * 0.55
    draw.polygon([(x, y - inner), (x + inner * 0.8, y), (x, y + inner), (x - inner * 0.8, y)], fill=accent)
    if standing.ranked and standing.tier != "Onyx":
        pips = standing.sub_tier + 1
        spacing = 16
        start = x - spacing * (pips - 1) / 2
        for i in range(pips):
            px, py = start + i * spacing, y + radius + 18
            draw.ellipse((px - 5, py - 5, px + 5, py + 5), fill=accent)


def render(gamertag: str, playlist: str, result: CsrResult) -> bytes:
    """The card as PNG bytes, ``SIZE`` pixels."""
    current = result.current
    main, accent = (_rgb(c) for c in csr_tiers.colours(current))
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 10, SIZE[1]), fill=main)
    _emblem(draw, current, (130, 115), 80)

    left = 260
    draw.text((left, 22), gamertag, font=_font(30), fill=TEXT)
    draw.text((left, 60), playlist, font=_font(20), fill=MUTED)
    if current.ranked:
        title = csr_tiers.tier_name(current.tier, current.sub_tier)
        draw.text((left, 92), title, font=_font(40), fill=accent)
        draw.text((SIZE[0] - 30, 92), str(current.value), font=_font(40), fill=TEXT, anchor="ra")
    else:
        draw.text((left, 92), "Unranked", font=_font(40), fill=accent)
        draw.text((left, 140), csr_tiers.placement(current), font=_font(20), fill=MUTED)

    step = csr_tiers.progress(current)
    if step is not None:
        bar = (left, 148, SIZE[0] - 30, 166)
        draw.rounded_rectangle(bar, radius=9, fill=(52, 56, 64))
        filled = bar[0] + (bar[2] - bar[0]) * step.fraction
        if filled > bar[0] + 9:
            draw.rounded_rectangle((bar[0], bar[1], filled, bar[3]), radius=9, fill=main)
        draw.text((left, 174), f"{step.to_go} to {step.next_rank}", font=_font(18), fill=MUTED)

    highs = [
        f"{label}: {csr_tiers.rank(standing)}"
        for label, standing in (("Season max", result.season_max), ("All-time max", result.all_time_max))
        if standing is not None
    ]
    draw.text((left, 212), "    ".join(highs), font=_font(18), fill=TEXT)

    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
