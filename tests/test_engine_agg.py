"""Engine aggregation on a dozen events whose every number is worked out by hand.

Midnight boundaries (Monday 00:00:00 starts a week, Sunday 23:59:59 ends it), the inclusive
``start``/``end`` day filter, a user switching segment inside a period (the slow path), a
missing segment value, and every field of every metric kind. Fast: `make mutation` runs these
against every mutant of the engine's aggregation functions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insightlib.quant import engine
from insightlib.workspace.config import Config, MetricSpec

W1, W2 = date(2026, 11, 9), date(2026, 11, 16)  # Mondays

EVENTS = [
    # timestamp (UTC), user, event, platform, country, revenue
    ("2026-11-09T00:00:00Z", "a", "visit", "ios", "DE", None),  # the first second of W1
    ("2026-11-09T10:00:00Z", "a", "order", "ios", "DE", 10.0),
    ("2026-11-11T10:00:00Z", "a", "order", "ios", "DE", 30.0),
    ("2026-11-10T12:00:00Z", "b", "visit", "android", "DE", None),
    ("2026-11-15T23:59:59Z", "b", "order", "android", "DE", 20.0),  # the last second of W1
    ("2026-11-12T08:00:00Z", "c", "visit", "ios", "FR", None),
    ("2026-11-13T08:00:00Z", "d", "visit", "web", "", None),  # no country
    ("2026-11-13T09:00:00Z", "d", "support", "web", "", None),
    ("2026-11-16T00:00:00Z", "a", "visit", "ios", "DE", None),  # the first second of W2
    ("2026-11-16T09:00:00Z", "c", "visit", "ios", "FR", None),
    ("2026-11-17T09:00:00Z", "c", "order", "ios", "FR", 5.0),
    ("2026-11-17T10:00:00Z", "c", "order", "ios", "FR", 15.0),
    ("2026-11-19T10:00:00Z", "c", "order", "ios", "FR", 40.0),
    ("2026-11-18T10:00:00Z", "b", "support", "android", "DE", None),
    ("2026-11-20T10:00:00Z", "d", "visit", "web", "", None),
    ("2026-11-21T10:00:00Z", "d", "order", "ios", "", 8.0),  # d switches platform in W2
    # refunds carry a revenue value too: the order metrics must not count them
    ("2026-11-10T13:00:00Z", "b", "refund", "android", "DE", 7.0),
    ("2026-11-17T11:00:00Z", "c", "refund", "ios", "FR", 3.0),
]

METRICS = {
    "active": MetricSpec("active", "distinct_users", "Active"),
    "orders": MetricSpec("orders", "count", "Orders", event="order"),
    "support": MetricSpec("support", "count", "Support", event="support"),
    "revenue": MetricSpec("revenue", "sum", "Revenue", event="order", column="revenue"),
    "aov": MetricSpec("aov", "mean", "AOV", event="order", column="revenue"),
    "buy": MetricSpec("buy", "conversion", "Buy", from_event="visit", to_event="order"),
}


def events() -> pd.DataFrame:
    df = pd.DataFrame(
        EVENTS, columns=["timestamp", "user_id", "event", "platform", "country", "revenue"]
    )
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df


def cfg(metrics: tuple[str, ...] = tuple(METRICS), segments=("platform", "country")) -> Config:
    return Config(
        root=Path("."),
        path=Path("insight.toml"),
        project="Test",
        sources={},
        segments=segments,
        metrics={m: METRICS[m] for m in metrics},
    )


def rows(frame: pd.DataFrame, metric: str, segment: str) -> dict[date, dict[str, float]]:
    sub = frame[(frame["metric"] == metric) & (frame["segment"] == segment)]
    return {
        pd.Timestamp(r["period_start"]).date(): {k: r[k] for k in engine.SERIES_COLUMNS[4:]}
        for _, r in sub.iterrows()
    }


def check(got: dict[str, float], **want: float) -> None:
    for k, v in want.items():
        assert got[k] == pytest.approx(v, nan_ok=True), (k, got[k], v)


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    return engine.metric_series(engine.connect(events()), cfg(), "week")


def test_weekly_everyone_by_hand(weekly: pd.DataFrame) -> None:
    assert list(weekly.columns) == list(engine.SERIES_COLUMNS) and set(weekly["grain"]) == {"week"}
    nan = np.nan
    a = rows(weekly, "active", "all")
    assert sorted(a) == [W1, W2]  # midnight Monday belongs to its own week, Sunday 23:59:59 to W1
    check(a[W1], users=4, numerator=4, denominator=4, value=4, sumsq=4, events=nan, cross=nan)
    check(a[W2], users=4, numerator=4, value=4)
    o = rows(weekly, "orders", "all")
    # W1: a 2 orders, b 1 -> 3 orders, per-user squares 4 + 1; W2: c 3, d 1 -> 9 + 1
    check(o[W1], users=4, numerator=3, denominator=4, value=3, events=3, sumsq=5, densq=nan)
    check(o[W2], numerator=4, value=4, events=4, sumsq=10, sumsq_values=nan)
    s = rows(weekly, "support", "all")
    check(s[W1], numerator=1, sumsq=1)
    check(s[W2], numerator=1, sumsq=1)
    r = rows(weekly, "revenue", "all")
    # W1: a 10 + 30 = 40, b 20; W2: c 5 + 15 + 40 = 60, d 8
    check(r[W1], numerator=60, denominator=4, value=60, events=3, sumsq=40**2 + 20**2)
    check(r[W1], sumsq_values=10**2 + 30**2 + 20**2, cross=nan, densq=nan)
    check(r[W2], numerator=68, value=68, events=4, sumsq=60**2 + 8**2)
    check(r[W2], sumsq_values=5**2 + 15**2 + 40**2 + 8**2)
    m = rows(weekly, "aov", "all")
    check(m[W1], numerator=60, denominator=3, value=20, events=3, sumsq=40**2 + 20**2)
    check(m[W1], cross=40 * 2 + 20 * 1, densq=2**2 + 1**2, sumsq_values=1400)
    check(m[W2], numerator=68, denominator=4, value=17, cross=60 * 3 + 8, densq=9 + 1)
    b = rows(weekly, "buy", "all")
    # visitors W1: a b c d, of whom a b ordered; W2: a c d, of whom c d ordered
    check(b[W1], users=4, numerator=2, denominator=4, value=0.5, sumsq=2, events=nan)
    check(b[W2], numerator=2, denominator=3, value=2 / 3, sumsq=2)


def test_weekly_segments_and_pairs_by_hand(weekly: pd.DataFrame) -> None:
    keys = set(weekly["segment"])
    assert {"platform=ios", "country=(unknown)", "country=DE&platform=ios"} <= keys
    assert "country=" not in keys and not any("country=&" in k for k in keys)
    ios = rows(weekly, "orders", "platform=ios")
    check(ios[W1], users=2, numerator=2, sumsq=4)  # a (2 orders) and c (none)
    check(ios[W2], users=3, numerator=4, sumsq=10)  # a, c (3 orders), d (1, on ios)
    web = rows(weekly, "active", "platform=web")
    check(web[W1], numerator=1)
    check(web[W2], numerator=1)
    unk = rows(weekly, "revenue", "country=(unknown)")
    assert W1 not in unk or unk[W1]["numerator"] == 0
    check(unk[W2], users=1, numerator=8, events=1, sumsq=64)
    de_ios = rows(weekly, "aov", "country=DE&platform=ios")
    check(de_ios[W1], users=1, numerator=40, denominator=2, value=20, cross=80, densq=4)
    fr = rows(weekly, "buy", "country=FR")
    check(fr[W1], numerator=0, denominator=1, value=0)
    check(fr[W2], numerator=1, denominator=1, value=1)
    de = rows(weekly, "support", "country=DE")
    check(de[W2], users=2, numerator=1, sumsq=1)
    # every pair key names its columns in sorted order
    pairs = sorted(k for k in keys if "&" in k)
    assert pairs and all(k.split("&")[0].startswith("country=") for k in pairs)


def test_month_and_day_grains() -> None:
    got = engine.metric_series(engine.connect(events()), cfg(("orders", "aov")), "month")
    o = rows(got, "orders", "all")
    assert sorted(o) == [date(2026, 11, 1)]
    check(o[date(2026, 11, 1)], users=4, numerator=7, sumsq=2**2 + 1 + 3**2 + 1)
    check(rows(got, "aov", "all")[date(2026, 11, 1)], numerator=128, denominator=7)
    day = engine.metric_series(engine.connect(events()), cfg(("active",)), "day")
    a = rows(day, "active", "all")
    assert a[date(2026, 11, 15)]["numerator"] == 1 and a[date(2026, 11, 16)]["numerator"] == 2


def test_start_and_end_days_are_inclusive() -> None:
    got = engine.metric_series(
        engine.connect(events()), cfg(("active", "orders")), "day", W2, date(2026, 11, 17)
    )
    assert sorted(set(got["period_start"])) == [W2, date(2026, 11, 17)]
    a = rows(got, "active", "all")
    check(a[W2], numerator=2)  # a at exactly 00:00:00 on the start day is in
    check(rows(got, "orders", "all")[date(2026, 11, 17)], numerator=2)
    before = engine.metric_series(
        engine.connect(events()), cfg(("orders",)), "day", None, date(2026, 11, 15)
    )
    assert max(before["period_start"]) == date(2026, 11, 15)  # 23:59:59 on the end day is in
    check(rows(before, "orders", "all")[date(2026, 11, 15)], numerator=1)


def test_daily_series_per_event_and_per_slot() -> None:
    series, daily = engine.series_and_daily(
        engine.connect(events()), cfg(), "week", None, None, daily_from=W1
    )
    pd.testing.assert_frame_equal(
        series, engine.metric_series(engine.connect(events()), cfg(), "week")
    )
    assert set(daily["grain"]) == {"day"} and not daily["segment"].str.contains("&").any()
    o = rows(daily, "orders", "all")
    # per event: a day's count and its sum of squares are the number of events
    check(o[date(2026, 11, 17)], numerator=2, events=2, sumsq=2)
    check(o[date(2026, 11, 15)], numerator=1)
    r = rows(daily, "revenue", "all")
    check(r[date(2026, 11, 17)], numerator=20, sumsq=5**2 + 15**2, sumsq_values=250, events=2)
    check(r[date(2026, 11, 16)], numerator=0, sumsq=0, sumsq_values=0, events=0)  # visits only
    check(r[date(2026, 11, 10)], numerator=0, events=0)  # a refund only
    m = rows(daily, "aov", "all")
    check(m[date(2026, 11, 17)], value=10, cross=20, densq=2)
    a = rows(daily, "active", "all")
    assert {d: v["numerator"] for d, v in a.items()} == {
        date(2026, 11, 9): 1,
        date(2026, 11, 10): 1,
        date(2026, 11, 11): 1,
        date(2026, 11, 12): 1,
        date(2026, 11, 13): 1,
        date(2026, 11, 15): 1,
        date(2026, 11, 16): 2,
        date(2026, 11, 17): 1,
        date(2026, 11, 18): 1,
        date(2026, 11, 19): 1,
        date(2026, 11, 20): 1,
        date(2026, 11, 21): 1,
    }
    b = rows(daily, "buy", "all")
    # on the 16th a and c visited, neither ordered that day; on the 9th a visited and ordered
    check(b[date(2026, 11, 16)], numerator=0, denominator=2)
    check(b[date(2026, 11, 9)], numerator=1, denominator=1, value=1)
    ios = rows(daily, "active", "platform=ios")
    check(ios[date(2026, 11, 21)], numerator=1)
    late = engine.series_and_daily(
        engine.connect(events()), cfg(("active",)), "week", None, date(2026, 11, 18), W2
    )[1]
    assert sorted(set(late["period_start"])) == [W2, date(2026, 11, 17), date(2026, 11, 18)]


def test_monthly_daily_slots_stay_in_their_month() -> None:
    _, daily = engine.series_and_daily(
        engine.connect(events()), cfg(("active", "buy")), "month", None, None, daily_from=W1
    )
    a = rows(daily, "active", "all")
    assert min(a) == W1 and max(a) == date(2026, 11, 21)
    assert a[date(2026, 11, 16)]["numerator"] == 2


def test_no_segments_and_only_distinct_users() -> None:
    got = engine.metric_series(engine.connect(events()), cfg(("active",), ()), "week")
    assert set(got["segment"]) == {"all"} and len(got) == 2
    empty = engine.metric_series(
        engine.connect(events()), cfg(("active",)), "week", date(2027, 1, 1), date(2027, 1, 7)
    )
    assert empty.empty and list(empty.columns) == list(engine.SERIES_COLUMNS)


def test_shared_inputs_are_aggregated_once_and_agree() -> None:
    more = {
        **METRICS,
        "orders2": MetricSpec("orders2", "count", "Orders again", event="order"),
        "revenue2": MetricSpec("revenue2", "sum", "Revenue again", event="order", column="revenue"),
        "buy2": MetricSpec("buy2", "conversion", "Buy again", from_event="visit", to_event="order"),
        "visits": MetricSpec("visits", "count", "Visits", event="visit"),
    }
    c = Config(
        root=Path("."),
        path=Path("insight.toml"),
        project="Test",
        sources={},
        segments=("platform", "country"),
        metrics=more,
    )
    plan = engine._Plan(c)
    assert plan.events == ["order", "support", "visit"]
    assert plan.values == [("order", "revenue")] and plan.steps == [("visit", "order")]
    assert plan.step_events == ["visit", "order"]
    got = engine.metric_series(engine.connect(events()), c, "week")
    for a, b in (("orders", "orders2"), ("revenue", "revenue2"), ("buy", "buy2")):
        x = got[got["metric"] == a].drop(columns="metric").reset_index(drop=True)
        y = got[got["metric"] == b].drop(columns="metric").reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y)
    check(rows(got, "visits", "all")[W1], numerator=4, sumsq=4)
    check(rows(got, "visits", "all")[W2], numerator=3, sumsq=3)  # a, c, d once each


def test_missing_columns_are_named() -> None:
    from insightlib.errors import DataError

    with pytest.raises(DataError, match="missing column 'country'") as err:
        engine.metric_series(engine.connect(events().drop(columns="country")), cfg(), "week")
    assert (err.value.column, err.value.file) == ("country", "events")
    with pytest.raises(DataError, match="missing column 'revenue'"):
        engine.metric_series(
            engine.connect(events().drop(columns="revenue")), cfg(("aov",)), "week"
        )
    assert engine._groupings(3, False) == [(), (0,), (1,), (2,)]
    assert engine._groupings(3, True)[4:] == [(0, 1), (0, 2), (1, 2)]


def test_values_written_as_text_are_numbers() -> None:
    """A value column read as text (a Parquet file of strings): blanks are missing values,
    spaces around a number do not matter, and the sums are those of the numbers."""
    as_text = events()
    as_text["revenue"] = [
        "" if pd.isna(v) else (f" {v} " if i % 2 else str(v))
        for i, v in enumerate(as_text["revenue"])
    ]
    got = engine.metric_series(engine.connect(as_text), cfg(("revenue", "aov")), "week")
    want = engine.metric_series(engine.connect(events()), cfg(("revenue", "aov")), "week")
    pd.testing.assert_frame_equal(got, want)
    check(rows(got, "aov", "all")[W1], numerator=60, denominator=3, value=20)


def test_values_holding_the_key_separators_round_trip() -> None:
    """A category "B&B", "Food & drink" or "a=b" used to make keys ambiguous
    ("platform=B&B&country=DE"), and the daily series dropped it as if it were a pair. Keys
    escape them (model.segment_key), so each key parses back to its values."""
    from insightlib.model import parse_segment, segment_key

    odd = {"ios": "B&B", "android": "Food & drink", "web": "a=b 50%"}
    ev = events()
    ev["platform"] = ev["platform"].map(odd)
    series, daily = engine.series_and_daily(
        engine.connect(ev), cfg(("orders",)), "week", None, None, daily_from=W1
    )
    keys = set(series["segment"])
    singles = {segment_key((("platform", v),)) for v in odd.values()}
    assert singles == {"platform=B%26B", "platform=Food %26 drink", "platform=a%3Db 50%25"}
    assert singles <= keys and "country=DE&platform=B%26B" in keys
    for key in keys - {"all"}:
        for _, value in parse_segment(key):
            assert value in set(odd.values()) | {"DE", "FR", "(unknown)"}, (key, value)
    # the same numbers as under the plain names (a: 2 orders, c: none in W1)
    check(rows(series, "orders", "platform=B%26B")[W1], users=2, numerator=2, sumsq=4)
    check(rows(series, "orders", "country=DE&platform=B%26B")[W1], users=1, numerator=2)
    # the daily series keeps every single-column segment, whatever its value holds
    assert singles <= set(daily["segment"])
    assert all(len(parse_segment(k)) <= 1 for k in daily["segment"])  # and no pair
