from __future__ import annotations

from bot.utils.matching import did_you_mean, normalize, suggest


def test_names_are_matched_whatever_their_case_and_punctuation() -> None:
    assert normalize("  Halo:  Reach's ") == normalize("halo reachs") == "halo reachs"


def test_did_you_mean_names_the_closest_and_escapes_them() -> None:
    assert did_you_mean(["Solo", "Co-op", "**Bold**"], "sollo") == " Did you mean **Solo**?"
    assert did_you_mean(["Solo"], "nothing like it at all") == ""
    assert suggest(["Any%", "A*b"]) == " Did you mean **Any%** or **A\\*b**?"
    assert suggest([]) == ""
