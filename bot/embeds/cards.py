"""Cards: the Components V2 layout every answer and post of the bot is shown as.

One ``Card`` is a ``Container`` in the accent colour of its game: a header (a ``Section`` with the
game's or the runner's picture as ``Thumbnail`` when there is one), the text blocks
(``TextDisplay``s), an image (a ``MediaGallery`` item), link buttons, a footer. ``card_view`` fits
any card within Discord's limits of a message (40 components, 4,000 characters of text displays):
blocks that do not fit are left out and the footer says how many. Every text given must already
be escaped (``plain``); links are kept only when they are http(s), or attachments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.utils.rendering import clip, safe_link

COMPONENT_LIMIT = 40  # components in a message, nested ones counted
TEXT_LIMIT = 4000  # characters of all the text displays of a message
TITLE_LIMIT = 256
SUBTITLE_LIMIT = 1000
FOOTER_LIMIT = 500
BUTTON_LABEL_LIMIT = 80
BUTTONS_IN_A_ROW = 5
# What the blocks of a card may hold in all, whatever its title and footer: pages are cut to it.
BLOCKS_BUDGET = TEXT_LIMIT - TITLE_LIMIT - 2 * FOOTER_LIMIT - 200

# Accent colours of the games, by a word of their names (the first that matches), else the
# feature's own colour.
GAME_COLOURS: tuple[tuple[str, int], ...] = (
    ("infinite", 0x4C7A34),
    ("halo 5", 0x1F6FB2),
    ("halo 4", 0x2B9FD8),
    ("reach", 0xA8412A),
    ("odst", 0x6B6B2A),
    ("halo 3", 0x3D6E3A),
    ("halo 2", 0x4E6A8D),
    ("halo ce", 0x6E8B3D),
    ("combat evolved", 0x6E8B3D),
)


def game_colour(game: str | None, default: int) -> int:
    """The accent colour of ``game`` (a name as HaloRuns or speedrun.com writes it)."""
    name = (game or "").casefold()
    return next((colour for word, colour in GAME_COLOURS if word in name), default)


@dataclass(frozen=True)
class Card:
    """What one card shows; every text already escaped."""

    title: str
    accent: int
    subtitle: str | None = None
    thumbnail: str | None = None
    blocks: Sequence[str] = ()
    image: str | None = None  # an http(s) link or an attachment ("attachment://card.png")
    links: Sequence[tuple[str, str | None]] = ()  # (label, link) buttons; links that are not http(s) go
    footer: str | None = None
    more: str = "…and {count} more not shown"  # the footer's note when blocks are left out
    extra: Sequence[str] = field(default=())  # texts after the blocks (kept whatever the blocks take)


def block(heading: str, text: str) -> str:
    """One text block of a card: ``heading`` in bold above ``text`` (both already escaped)."""
    return f"**{heading}**\n{text}"


def _media(url: str | None) -> str | None:
    if url and url.startswith("attachment://"):
        return url
    return safe_link(url)


def card_view(
    card: Card,
    *,
    rows: Sequence[discord.ui.ActionRow[Any]] = (),
    ping: str | None = None,
) -> discord.ui.LayoutView:
    """``card`` as a layout, with ``rows`` (e.g. page buttons) inside its container, and ``ping``
    (a post's role mention) above it, fitted to Discord's limits; it never times out (its buttons
    are dynamic items or link buttons)."""
    view = discord.ui.LayoutView(timeout=None)
    if ping:
        view.add_item(discord.ui.TextDisplay(ping))
    view.add_item(card_container(card, rows=rows, reserved=(1, len(ping)) if ping else (0, 0)))
    return view


def card_container(
    card: Card, *, rows: Sequence[discord.ui.ActionRow[Any]] = (), reserved: tuple[int, int] = (0, 0)
) -> discord.ui.Container[discord.ui.LayoutView]:
    """``card`` as a container fitted to Discord's limits, leaving ``reserved`` (components,
    characters) to what the message shows beside it."""
    header = f"### {clip(card.title, TITLE_LIMIT)}"
    if card.subtitle:
        header += "\n" + clip(card.subtitle, SUBTITLE_LIMIT)
    thumbnail = safe_link(card.thumbnail)
    links = [(clip(label, BUTTON_LABEL_LIMIT), url) for label, url in card.links]
    buttons = [(label, safe) for label, url in links if (safe := safe_link(url))][:BUTTONS_IN_A_ROW]
    image = _media(card.image)
    extra = [clip(text, SUBTITLE_LIMIT) for text in card.extra if text]
    given = [block for block in card.blocks if block]

    # What is shown whatever the blocks take: the container, the header, the separator, the
    # texts after the blocks, the image, the buttons, the rows and the footer.
    components = 1 + (3 if thumbnail else 1) + (1 if given else 0) + len(extra)
    components += (1 if image else 0) + (1 + len(buttons) if buttons else 0) + 1
    components += sum(1 + len(row.children) for row in rows) + reserved[0]
    text = len(header) + sum(map(len, extra)) + FOOTER_LIMIT + reserved[1]
    blocks: list[str] = []
    for block in given:
        room = TEXT_LIMIT - text
        if components + 1 > COMPONENT_LIMIT or room < min(len(block), 100):
            break
        blocks.append(clip(block, room))
        text += len(blocks[-1])
        components += 1
    left_out = len(given) - len(blocks)
    note = card.more.format(count=left_out) if left_out else ""
    room = FOOTER_LIMIT - len("-#  · ") - len(note)
    footer = [clip(card.footer, room)] if card.footer else []
    footer += [note] if note else []

    container: discord.ui.Container[discord.ui.LayoutView] = discord.ui.Container(accent_colour=card.accent)
    if thumbnail:
        container.add_item(discord.ui.Section(header, accessory=discord.ui.Thumbnail(thumbnail)))
    else:
        container.add_item(discord.ui.TextDisplay(header))
    if blocks:
        container.add_item(discord.ui.Separator())
        for block in blocks:
            container.add_item(discord.ui.TextDisplay(block))
    for text_after in extra:
        container.add_item(discord.ui.TextDisplay(text_after))
    if image:
        container.add_item(discord.ui.MediaGallery(discord.MediaGalleryItem(image)))
    if buttons:
        container.add_item(
            discord.ui.ActionRow(*(discord.ui.Button(label=label, url=url) for label, url in buttons))
        )
    for row in rows:
        container.add_item(row)
    if footer:
        container.add_item(discord.ui.TextDisplay("-# " + " · ".join(footer)))
    return container
