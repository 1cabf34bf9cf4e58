"""Planted scenarios (small counts, ...) and their null twins, which must stay quiet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scenarios import START, events, in_segment, scenario_config

from insightlib.model import segment_key
from insightlib.quant import changes as quant
from insightlib.workspace.config import MetricSpec
from insightlib.workspace.periods import period_of

WEEKS = 10
CURRENT = period_of(START + timedelta(weeks=WEEKS - 1), "week")
SMALL = {
    "active_users": MetricSpec("active_users", "distinct_users", "Active users"),
    "refunds": MetricSpec("refunds", "count", "Refunds", event="refund", good="down"),
}


def keys(res: quant.QuantResult, metric: str) -> set[str]:
    return {segment_key(f.segment) for f in res.findings if f.metric == metric}


# ============================================================================================
# Small counts
# ============================================================================================
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_small_count_that_triples_in_one_segment_is_found(seed: int) -> None:
    """Refunds of about 10 a week in the US (25 overall) triple there: found, with the US as
    the place it happened, although the old volume gate (100) would have dropped it."""
    eff = in_segment("country", "US", 3.0, CURRENT.start)
    df = events(seed, 7 * WEEKS, n_users=3000, rates={"refund": (25 / 7, eff)})
    res = quant.analyse(df, scenario_config(SMALL), CURRENT)
    assert "country=US" in keys(res, "refunds"), [f.title for f in res.findings]
    us = res.tests[(res.tests["metric"] == "refunds") & (res.tests["segment"] == "country=US")]
    assert us["baseline"].iloc[0] < 20  # a small series


@pytest.mark.parametrize("seed", range(10, 18))
def test_small_counts_that_merely_wobble_stay_quiet(seed: int) -> None:
    df = events(seed, 7 * WEEKS, n_users=3000, rates={"refund": (25 / 7, None)})
    res = quant.analyse(df, scenario_config(SMALL), CURRENT)
    assert len(res.findings) <= 1, [(f.metric, f.segment) for f in res.findings]
    assert not keys(res, "refunds")


def test_too_small_to_tell_is_listed_once_with_what_it_needs() -> None:
    """About 2 refunds a week: a doubling could not be told from noise. The metric is listed
    once as too small (with about how many a week it would need), still tested, not dropped."""
    df = events(3, 7 * WEEKS, n_users=3000, rates={"refund": (2 / 7, None)})
    res = quant.analyse(df, scenario_config(SMALL), CURRENT)
    overall = [x for x in res.too_small if x["metric"] == "refunds" and not x["segment"]]
    assert len(overall) == 1
    assert overall[0]["volume"] < 5 and 5 < overall[0]["need"] < 40
    assert not any(x["metric"] == "active_users" and not x["segment"] for x in res.too_small)
    t = res.tests[(res.tests["metric"] == "refunds") & (res.tests["segment"] == "all")]
    assert len(t) == 1  # tested all the same
    board = {r["metric"]: r for r in res.scoreboard}
    assert board["refunds"]["status"] == "too small to tell"
