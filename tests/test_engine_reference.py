"""The engine against the pandas reference (quantdata.reference, written from the metric
definitions) on four awkward weeks, fast enough for `make mutation`.

The weeks run from Mon 21 Dec 2026 to Sun 17 Jan 2027: ISO weeks 52 and 53 of 2026 and week 1
of 2027, a month boundary inside a week, events at 00:00:00 and 23:59:59 on the boundaries,
users switching platform inside a period (the engine's slow path), missing and empty segment
values, purchases without a value, and refunds that carry a value in the same column (every
event filter of counts, sums, value counts and squares is tested). Every metric kind is here,
distinct users with and without an event, sums over one column with different events, and a
sum with no mean beside it whose values are all missing.

The reference is computed once per process (a cache: under mutmut the forked runs reuse it);
the engine runs in every test.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from quantdata import METRICS, assert_same, make_events, reference

from insightlib.quant import engine
from insightlib.workspace.config import Config, MetricSpec

FIRST = date(2026, 12, 21)  # Monday of ISO week 52 of 2026
DAYS = (date(2026, 12, 27), date(2027, 1, 4))  # Sun of W52 to Mon of W1 2027 (day grain)
DAILY = (date(2026, 12, 29), date(2027, 1, 10))  # a Tuesday, across the month and year
WINDOW = (date(2027, 1, 1), date(2027, 1, 3))  # a start and an end inside ISO week 53

EXTRA = {
    "refunds": MetricSpec("refunds", "sum", "Refunds", event="refund", column="revenue"),
    "refund_size": MetricSpec(
        "refund_size", "mean", "Refund size", event="refund", column="revenue"
    ),
    "refunders": MetricSpec("refunders", "distinct_users", "Refunders", event="refund"),
    "opens": MetricSpec("opens", "count", "Opens", event="app_open"),
    # a sum with no mean over the same event and column, whose values are all missing
    "support_value": MetricSpec(
        "support_value", "sum", "Support value", event="support_contact", column="revenue"
    ),
}
ALL = {**METRICS, **EXTRA}

# (timestamp, user, event, platform, country, plan, revenue): the edges of weeks, months, days
EDGES = [
    ("2026-12-27T23:59:59", "edge1", "purchase", "ios", "DE", "plus", 11.0),  # Sun, W52
    ("2026-12-28T00:00:00", "edge1", "purchase", "ios", "DE", "plus", 13.0),  # Mon, W53
    ("2026-12-31T23:59:59", "edge1", "view_cart", "web", "DE", "plus", None),  # December
    ("2027-01-01T00:00:00", "edge1", "purchase", "web", "DE", "plus", 17.0),  # January
    ("2027-01-01T00:00:00", "edge2", "app_open", "android", "", "free", None),  # empty value
    ("2027-01-03T23:59:59", "edge2", "refund", "android", "", "free", 5.0),  # Sun, W53
    ("2027-01-04T00:00:00", "edge2", "refund", "android", None, "free", 7.0),  # Mon, W1 2027
    ("2027-01-04T00:00:01", "edge2", "purchase", "ios", None, "free", None),  # no value
    ("2027-01-17T23:59:59", "edge3", "support_contact", "web", "FR", "plus", None),  # last second
]


@cache
def events() -> pd.DataFrame:
    df = make_events(seed=11, n_users=40, days=28, start=FIRST, unstable=0.1, null_share=0.05)
    rng = np.random.default_rng(11)
    # a refund after some purchases, with a value in the revenue column; some values missing
    buys = df[df["event"] == "purchase"]
    refunds = buys[rng.random(len(buys)) < 0.3].copy()
    refunds["event"] = "refund"
    refunds["timestamp"] += pd.Timedelta(minutes=5)
    refunds["revenue"] = np.round(refunds["revenue"] * 0.5, 2)
    df = pd.concat([df, refunds], ignore_index=True)
    df.loc[(df["event"] == "purchase") & (rng.random(len(df)) < 0.1), "revenue"] = np.nan
    df.loc[rng.random(len(df)) < 0.03, "country"] = ""
    edges = pd.DataFrame(
        EDGES, columns=["timestamp", "user_id", "event", "platform", "country", "plan", "revenue"]
    )
    edges["timestamp"] = pd.to_datetime(edges["timestamp"], utc=True)
    df = pd.concat([df, edges], ignore_index=True)
    return df.sort_values("timestamp", ignore_index=True)


def config(segments: tuple[str, ...] = ("platform", "country", "plan")) -> Config:
    return Config(
        root=Path("."),
        path=Path("insight.toml"),
        project="Test",
        sources={},
        segments=segments,
        metrics=dict(ALL),
    )


@cache
def expected(
    grain: str, lo: date | None = None, hi: date | None = None, pairs: bool = True
) -> pd.DataFrame:
    """The reference series of the events from day ``lo`` to day ``hi`` (inclusive, UTC);
    at ``grain="daily"`` the daily frame of series_and_daily (per event, no pairs)."""
    df = events()
    if lo is not None:
        df = df[df["timestamp"] >= pd.Timestamp(lo, tz="UTC")]
    if hi is not None:
        df = df[df["timestamp"] < pd.Timestamp(hi, tz="UTC") + pd.Timedelta(days=1)]
    if grain == "daily":
        return reference(df, config(), "day", pairs=False, per_event=True)
    return reference(df, config(), grain, pairs=pairs)


def assert_floats(got: pd.DataFrame) -> None:
    """The frame's form: every number column float64 (the series files keep one schema,
    counts included), rows sorted by metric, segment and period, a plain 0..n-1 index."""
    numbers = list(engine.SERIES_COLUMNS[4:])
    assert {c: str(t) for c, t in got[numbers].dtypes.items()} == dict.fromkeys(numbers, "float64")
    order = got.sort_values(["metric", "segment", "period_start"], kind="stable")
    assert order.index.equals(got.index) and got.index.equals(pd.RangeIndex(len(got)))


def test_the_data_has_the_awkward_cases() -> None:
    df = events()
    ts = df["timestamp"].dt.tz_convert(None)
    weeks = set(ts.dt.isocalendar().apply(lambda r: (r["year"], r["week"]), axis=1))
    assert {(2026, 52), (2026, 53), (2027, 1)} <= weeks
    switched = df.groupby([ts.dt.isocalendar()["week"], "user_id"])["platform"].nunique()
    assert (switched > 1).sum() >= 5  # users whose platform changes inside a week
    assert df["country"].isna().any() and (df["country"] == "").any()
    assert df.loc[df["event"] == "refund", "revenue"].notna().sum() > 10
    assert df.loc[df["event"] == "purchase", "revenue"].isna().sum() > 3


def test_day_grain_matches_the_reference() -> None:
    got = engine.metric_series(engine.connect(events()), config(), "day", *DAYS)
    assert list(got.columns) == list(engine.SERIES_COLUMNS) and set(got["grain"]) == {"day"}
    assert_floats(got)
    assert_same(got, expected("day", *DAYS))


@pytest.mark.parametrize("grain", ["week", "month"])
def test_series_and_daily_match_the_reference(grain: str) -> None:
    series, daily = engine.series_and_daily(
        engine.connect(events()), config(), grain, None, DAILY[1], daily_from=DAILY[0]
    )
    assert_same(series, expected(grain, None, DAILY[1]))
    assert set(daily["grain"]) == {"day"}
    assert_floats(series)
    assert_floats(daily)
    assert_same(daily, expected("daily", *DAILY))


def test_start_and_end_days_match_the_reference() -> None:
    got = engine.metric_series(engine.connect(events()), config(), "week", *WINDOW)
    # 00:00:00 on the first day and 23:59:59 on the last are in, the seconds around them out
    assert_same(got, expected("week", *WINDOW))
    opens = got[(got["metric"] == "opens") & (got["segment"] == "country=(unknown)")]
    assert opens["numerator"].sum() >= 1  # edge2's app open at midnight on 1 Jan


def test_no_segments_and_the_check_notices_a_missing_event_filter() -> None:
    """Without segment columns; and the check itself can fail: the revenue of refunds
    counted as orders' revenue."""
    got = engine.metric_series(engine.connect(events()), config(()), "week")
    ref = expected("week")
    ref = ref[ref["segment"] == "all"]
    assert_same(got, ref)
    wrong = got.copy()
    rev = wrong["metric"] == "revenue"
    wrong.loc[rev, "numerator"] += got.loc[got["metric"] == "refunds", "numerator"].to_numpy()
    with pytest.raises(AssertionError, match="numerator"):
        assert_same(wrong, ref)
