"""The engine's numbers against a direct pandas computation, for every metric kind and grain."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from quantdata import METRICS, assert_same, config, make_events, reference

from insightlib.errors import DataError, InputError
from insightlib.quant import engine

ALL = tuple(METRICS)  # every kind, and distinct users with and without an event


@pytest.fixture(scope="module")
def daily_reference(events: pd.DataFrame) -> pd.DataFrame:
    ref = reference(events, config(metrics=ALL), "day", pairs=False, per_event=True)
    return ref[ref["period_start"] >= date(2026, 9, 7)]


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    # 45 days over 3 months, users switching platform now and then, some missing countries
    return make_events(seed=3, n_users=300, days=45, unstable=0.03, null_share=0.02)


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_metric_series_matches_pandas(events: pd.DataFrame, grain: str) -> None:
    cfg = config(metrics=ALL)
    if grain == "day":  # two weeks are enough (and the reference is slow)
        events = events[events["timestamp"] < pd.Timestamp("2026-09-14", tz="UTC")]
    got = engine.metric_series(engine.connect(events), cfg, grain)
    assert_same(got, reference(events, cfg, grain))
    assert set(got["grain"]) == {grain}
    assert list(got.columns) == list(engine.SERIES_COLUMNS)


def test_stable_users_take_the_fast_path_with_the_same_numbers() -> None:
    df = make_events(seed=5, n_users=250, days=21)
    cfg = config(metrics=ALL)
    got = engine.metric_series(engine.connect(df), cfg, "week")
    assert_same(got, reference(df, cfg, "week"))


def test_unknown_segment_values_are_their_own_segment(events: pd.DataFrame) -> None:
    got = engine.metric_series(engine.connect(events), config(metrics=ALL), "week", pairs=False)
    assert "country=(unknown)" in set(got["segment"])
    assert not got["segment"].str.contains("&").any()


@pytest.mark.parametrize("grain", ["week", "month"])
def test_series_and_daily_match_pandas(
    events: pd.DataFrame, daily_reference: pd.DataFrame, grain: str
) -> None:
    cfg = config(metrics=ALL)
    t = engine.connect(events)
    first = date(2026, 9, 7)
    series, daily = engine.series_and_daily(t, cfg, grain, None, None, daily_from=first)
    assert_same(series, reference(events, cfg, grain))
    assert_same(daily, daily_reference)
    assert set(daily["grain"]) == {"day"}


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_the_daily_query_runs_beside_on_a_second_connection(
    tmp_path, monkeypatch, events: pd.DataFrame, daily_reference: pd.DataFrame, suffix: str
) -> None:
    # a file source (as in every run): the per-day query runs on a second connection to the
    # same in-process DuckDB, in a thread, with the same numbers as the pandas reference
    path = tmp_path / f"events.{suffix}"
    if suffix == "parquet":
        events.to_parquet(path)
    else:
        out = events.copy()
        out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.to_csv(path, index=False)
    side: list[tuple[object, str]] = []
    real = engine.ibis.duckdb.from_connection

    def spy(con: object) -> object:
        backend = real(con)
        run = backend.execute

        def execute(expr: object) -> object:
            side.append((con, threading.current_thread().name))
            return run(expr)

        backend.execute = execute
        return backend

    monkeypatch.setattr(engine.ibis.duckdb, "from_connection", spy)
    cfg = config(metrics=ALL)
    t = engine.connect(path)
    series, daily = engine.series_and_daily(t, cfg, "week", None, None, date(2026, 9, 7))
    assert len(side) == 1
    con, thread = side[0]
    assert con is not t._find_backend().con and thread != threading.current_thread().name
    assert_same(series, reference(events, cfg, "week"))
    assert_same(daily, daily_reference)


def test_a_frame_source_runs_its_queries_one_after_the_other(
    tmp_path, events: pd.DataFrame
) -> None:
    # a temporary table is private to its connection: no second connection, same numbers,
    # also while a file's connection (whose view a second connection would replay) is open
    path = tmp_path / "other.parquet"
    events[events["platform"] == "ios"].to_parquet(path)
    other = engine.connect(path)
    t = engine.connect(events)
    query = t.group_by("platform").aggregate(n=t.count()).order_by("platform")
    future = engine._beside(t, query)
    assert future.done()
    pd.testing.assert_frame_equal(future.result(), query.execute())
    assert len(future.result()) > 1 and other.count().execute() > 0


def test_series_and_daily_at_day_grain(events: pd.DataFrame) -> None:
    cfg = config(metrics=("active_users", "orders"))
    t = engine.connect(events)
    series, daily = engine.series_and_daily(
        t, cfg, "day", date(2026, 10, 1), date(2026, 10, 10), daily_from=date(2026, 9, 20)
    )
    assert series["period_start"].min() == date(2026, 10, 1)
    assert daily["period_start"].min() == date(2026, 9, 20)
    assert series["segment"].str.contains("&").any()
    assert not daily["segment"].str.contains("&").any()


def test_start_and_end_limit_the_days(events: pd.DataFrame) -> None:
    cfg = config(metrics=("active_users", "orders"))
    got = engine.metric_series(
        engine.connect(events), cfg, "day", date(2026, 9, 10), date(2026, 9, 12)
    )
    assert sorted(set(got["period_start"])) == [date(2026, 9, d) for d in (10, 11, 12)]
    sub = events[
        (events["timestamp"] >= pd.Timestamp("2026-09-10", tz="UTC"))
        & (events["timestamp"] < pd.Timestamp("2026-09-13", tz="UTC"))
    ]
    assert_same(got, reference(sub, cfg, "day"))


def test_sources_parquet_csv_and_frame_agree(tmp_path, events: pd.DataFrame) -> None:
    cfg = config(metrics=("active_users", "revenue", "checkout_conversion"))
    pq_path = tmp_path / "events.parquet"
    csv_path = tmp_path / "events.csv"
    events.to_parquet(pq_path)
    out = events.copy()
    out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(csv_path, index=False)
    naive = events.copy()
    naive["timestamp"] = naive["timestamp"].dt.tz_convert(None)
    frames = [
        engine.metric_series(engine.connect(src), cfg, "week")
        for src in (events, pq_path, csv_path, naive)
    ]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(
            f.drop(columns=["period_start"]), frames[0].drop(columns=["period_start"])
        )
    assert engine.connect(engine.connect(events)) is not None


def test_timestamps_are_utc_days() -> None:
    df = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(
                ["2026-11-15T23:30:00-05:00", "2026-11-16T00:30:00+02:00"], utc=True
            ),
            "user_id": ["a", "b"],
            "event": ["x", "x"],
        }
    )
    cfg = config(segments=(), metrics=("active_users",))
    got = engine.metric_series(engine.connect(df), cfg, "day")
    # 23:30 at -05:00 is 04:30 UTC on the 16th; 00:30 at +02:00 is 22:30 UTC on the 15th
    assert dict(zip(got["period_start"], got["numerator"], strict=True)) == {
        date(2026, 11, 15): 1.0,
        date(2026, 11, 16): 1.0,
    }
    assert engine.data_range(engine.connect(df)) == (date(2026, 11, 15), date(2026, 11, 16))


def test_no_segment_columns(events: pd.DataFrame) -> None:
    cfg = config(segments=())
    got = engine.metric_series(engine.connect(events), cfg, "week")
    assert set(got["segment"]) == {"all"}
    assert_same(got, reference(events, cfg, "week"))


def test_bad_input_is_reported() -> None:
    cfg = config(metrics=("revenue",))
    df = pd.DataFrame({"timestamp": [pd.Timestamp("2026-01-01", tz="UTC")], "user_id": ["a"]})
    with pytest.raises(DataError, match="missing column 'event'"):
        engine.metric_series(engine.connect(df), cfg, "week")
    with pytest.raises(InputError, match="grain"):
        engine.metric_series(engine.connect(df), cfg, "fortnight")
    with pytest.raises(DataError, match="not found"):
        engine.connect("/nonexistent/events.parquet")
    empty = pd.DataFrame(
        {"timestamp": pd.Series([], dtype="datetime64[us, UTC]"), "user_id": [], "event": []}
    )
    with pytest.raises(DataError, match="no rows"):
        engine.data_range(engine.connect(empty.astype({"user_id": str, "event": str})))


def test_only_aggregates_come_back(events: pd.DataFrame) -> None:
    got = engine.metric_series(engine.connect(events), config(metrics=ALL), "week")
    # one row per metric, segment and week: nothing per user or per event comes back
    assert list(got.columns) == list(engine.SERIES_COLUMNS)
    assert not got.duplicated(["metric", "segment", "period_start"]).any()
    cells = got.groupby(["segment", "period_start"]).ngroups
    assert len(got) == cells * len(config(metrics=ALL).metrics)
    assert set(got["metric"]) == set(config(metrics=ALL).metrics)
    assert all(d == d - timedelta(days=d.weekday()) for d in got["period_start"])  # Mondays
    users = set(events["user_id"].astype(str))
    assert not users & set(got["segment"].astype(str).str.split("[=&]", regex=True).explode())
    # no more cells than (week, segment value or pair of values) combinations in the events
    e = events.assign(w=events["timestamp"].dt.tz_convert(None).dt.to_period("W").dt.start_time)
    cols = ["platform", "country", "plan"]
    combos = 1 + sum(e[c].nunique(dropna=False) for c in cols)
    combos += sum(e[[a, b]].drop_duplicates().shape[0] for a, b in combinations(cols, 2))
    assert cells <= combos * e["w"].nunique() < len(events) / 3


# Every metric key is applied: a tiny week computed by hand. User a buys twice (10 + 5), b only
# browses, c buys once (7) and has a refund row of 100 in the same revenue column, which no
# metric filtered on "purchase" may count.
HAND = pd.DataFrame(
    {
        "timestamp": pd.to_datetime(
            ["2026-11-16T10:00Z"] * 3 + ["2026-11-17T10:00Z"] * 2 + ["2026-11-18T10:00Z"] * 2,
            utc=True,
        ),
        "user_id": ["a", "a", "a", "b", "b", "c", "c"],
        "event": ["visit", "purchase", "purchase", "visit", "view_cart", "purchase", "refund"],
        "revenue": [np.nan, 10.0, 5.0, np.nan, np.nan, 7.0, 100.0],
    }
)
HAND_VALUES = {  # metric: (numerator, denominator, value) by hand
    "active_users": (3, 3, 3),  # a, b, c
    "buyers": (2, 3, 2),  # a, c (not b, not the refund)
    "cart_viewers": (1, 3, 1),  # b
    "orders": (3, 3, 3),  # three purchase rows
    "revenue": (22.0, 3, 22.0),  # 10 + 5 + 7, not the refund's 100
    "order_value": (22.0, 3, 22.0 / 3),  # mean of 10, 5, 7
    "checkout_conversion": (0, 1, 0.0),  # b viewed the cart, nobody of those bought
}


@pytest.mark.parametrize("metric", sorted(HAND_VALUES))
@pytest.mark.parametrize("grain", ["day", "week"])
def test_every_kind_applies_its_event_filter_by_hand(metric: str, grain: str) -> None:
    cfg = config(segments=(), metrics=(metric,))
    if grain == "day":
        _, got = engine.series_and_daily(
            engine.connect(HAND), cfg, "week", None, None, daily_from=date(2026, 11, 16)
        )
        got = got.groupby("metric")[["numerator"]].sum()
        assert float(got.loc[metric, "numerator"]) == pytest.approx(HAND_VALUES[metric][0])
        return
    got = engine.metric_series(engine.connect(HAND), cfg, grain)
    assert len(got) == 1
    row = got.iloc[0]
    num, den, value = HAND_VALUES[metric]
    assert (row["numerator"], row["denominator"]) == pytest.approx((num, den))
    assert row["value"] == pytest.approx(value)
