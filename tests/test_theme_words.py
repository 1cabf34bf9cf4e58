"""A theme told by its share must not contradict its counts (a share can fall while mentions
rise with the volume of feedback)."""

from __future__ import annotations

from types import SimpleNamespace

from insightlib.model import theme_shift


def _finding(direction: str, now: float, per_period: float) -> SimpleNamespace:
    return SimpleNamespace(
        direction=direction,
        current=0.2,
        baseline=0.3,
        details={"count_current": now, "count_baseline_per_period": per_period},
    )


def test_counts_that_move_with_the_share_say_more_or_fewer() -> None:
    assert theme_shift(_finding("up", 57, 2)) == "More"
    assert theme_shift(_finding("down", 10, 40)) == "Fewer"


def test_counts_that_move_against_the_share_say_share() -> None:
    # Teams, April 2020: "desktop app" in 190 reviews against about 42 a month, a smaller share
    assert theme_shift(_finding("down", 190, 41.75)) == "A smaller share of"
    assert theme_shift(_finding("up", 5, 9)) == "A larger share of"
