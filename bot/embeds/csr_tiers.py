"""How a CSR standing reads: "Diamond 4 · 1389", progress to the next sub-tier, tier colours."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models.waypoint import CsrStanding

# Halo's tier colours (main, accent); a tier the bot does not know is drawn in grey.
TIER_COLOURS: dict[str, tuple[int, int]] = {
    "Bronze": (0xA0643C, 0xD9A27A),
    "Silver": (0x9AA4AD, 0xE3E8EC),
    "Gold": (0xD4A437, 0xF7DC8A),
    "Platinum": (0x6FB6C9, 0xC9EEF7),
    "Diamond": (0x3E8FD8, 0xA9D8FF),
    "Onyx": (0x2B2B30, 0xD4AF37),
}
UNRANKED_COLOURS = (0x5C6370, 0xA0A6B0)


def colours(standing: CsrStanding) -> tuple[int, int]:
    return TIER_COLOURS.get(standing.tier, UNRANKED_COLOURS) if standing.ranked else UNRANKED_COLOURS


def tier_name(tier: str, sub_tier: int) -> str:
    """``Diamond 4`` (sub-tiers count from 1 on screen); Onyx has no sub-tiers."""
    return tier if tier == "Onyx" else f"{tier} {sub_tier + 1}"


def rank(standing: CsrStanding) -> str:
    """``Diamond 4 · 1389``, or ``Unranked``."""
    if not standing.ranked:
        return "Unranked"
    return f"{tier_name(standing.tier, standing.sub_tier)} · {standing.value}"


@dataclass(frozen=True, slots=True)
class Progress:
    fraction: float  # through the current sub-tier, 0 to 1
    to_go: int
    next_rank: str


def progress(standing: CsrStanding) -> Progress | None:
    """How far the standing is through its sub-tier; ``None`` when unranked or at the top (Onyx)."""
    width = standing.next_tier_start - standing.tier_start
    if not standing.ranked or standing.tier == "Onyx" or width <= 0:
        return None
    fraction = min(1.0, max(0.0, (standing.value - standing.tier_start) / width))
    to_go = max(0, standing.next_tier_start - standing.value)
    return Progress(fraction, to_go, tier_name(standing.next_tier or standing.tier, standing.next_sub_tier))


def placement(standing: CsrStanding) -> str:
    """``4 of 10 placement matches left``."""
    left, total = standing.measurement_matches_remaining, standing.initial_measurement_matches
    of = f" of {total}" if total >= left > 0 else ""
    return f"{left}{of} placement match{'es' if left != 1 else ''} left"
