"""The quantitative step on generated data with planted changes of known size (and none)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from quantdata import (
    START,
    config,
    day_effect,
    growth_effect,
    make_events,
    segment_effect,
)

from insightlib.errors import InputError
from insightlib.model import FINDING_KINDS, Finding, segment_key
from insightlib.quant import changes as quant
from insightlib.quant import stats
from insightlib.workspace.periods import parse_period, period_of

CURRENT = period_of(START + timedelta(days=63), "week")  # the 10th week of the data
FRIDAY = CURRENT.start + timedelta(days=4)


def run(df: pd.DataFrame, period=CURRENT, **cfg) -> quant.QuantResult:
    return quant.analyse(df, config(**cfg), period)


def find(res: quant.QuantResult, kind: str, metric: str, key: str) -> Finding | None:
    for f in res.findings:
        if f.kind == kind and f.metric == metric and segment_key(f.segment) == key:
            return f
    return None


def summary(res: quant.QuantResult) -> list[tuple[str, str, str, str]]:
    return [(f.kind, f.metric, segment_key(f.segment), f.direction) for f in res.findings]


# ============================================================================================
# Planted changes
# ============================================================================================
@pytest.fixture(scope="module")
def conversion_drop() -> quant.QuantResult:
    """Android sign-up completion x0.6 from the Tuesday of the current week."""
    eff = segment_effect("platform", "android", "signup", 0.6, CURRENT.start + timedelta(days=1))
    return run(make_events(seed=11, effects=(eff,)))


def test_conversion_drop_is_found_with_its_driver(conversion_drop: quant.QuantResult) -> None:
    res = conversion_drop
    overall = find(res, "metric_change", "signup_completion", "all")
    driver = find(res, "segment_driver", "signup_completion", "platform=android")
    assert overall is not None and driver is not None, summary(res)
    assert overall.direction == "down" and overall.better is False
    assert driver.direction == "down"
    # the planted size: about 0.6 x 0.6 = 0.36 after the Monday, ~0.4 over the week
    assert driver.change_rel == pytest.approx(-0.34, abs=0.1)
    assert driver.ci_low < driver.change_abs < driver.ci_high < 0
    top = overall.drivers[0]
    assert segment_key(top.segment) == "platform=android"
    assert top.share_of_change > 0.7
    assert top.mix_effect is not None and abs(top.rate_effect) > abs(top.mix_effect)
    assert driver.p_value < 1e-4 and driver.q_value < 0.05
    assert driver.details["onset"] == (CURRENT.start + timedelta(days=1)).isoformat()
    # no near-duplicates: android x country / android x plan are covered, not reported
    keys = [segment_key(f.segment) for f in res.findings if f.metric == "signup_completion"]
    assert sorted(keys) == ["all", "platform=android"], summary(res)


def test_drivers_of_one_column_add_up(conversion_drop: quant.QuantResult) -> None:
    f = find(conversion_drop, "metric_change", "signup_completion", "all")
    assert f is not None
    by_col: dict[str, float] = {}
    for d in f.drivers:
        by_col[d.segment[0][0]] = by_col.get(d.segment[0][0], 0.0) + d.contribution
    # the platform drivers listed hold (nearly) the whole change
    assert by_col["platform"] == pytest.approx(f.change_abs, rel=0.25)


def test_count_rise_in_one_country() -> None:
    eff = segment_effect("country", "DE", "cart", 1.35, CURRENT.start)
    res = run(make_events(seed=12, effects=(eff,)))
    hits = [
        f
        for f in res.findings
        if f.metric == "orders" and segment_key(f.segment) == "country=DE"
        and f.kind in ("metric_change", "segment_driver")
    ]  # fmt: skip
    assert hits, summary(res)
    assert hits[0].direction == "up" and hits[0].better is True
    assert hits[0].change_rel == pytest.approx(0.35, abs=0.15)
    assert not any("country=DE&" in k or "&country=DE" in k for _, _, k, _ in summary(res))


def test_hidden_change_when_segments_offset() -> None:
    effs = (
        segment_effect("platform", "android", "buy", 0.65, CURRENT.start),
        segment_effect("platform", "ios", "buy", 1.3, CURRENT.start),
    )
    res = run(make_events(seed=13, effects=effs))
    assert find(res, "metric_change", "checkout_conversion", "all") is None, summary(res)
    hidden = [f for f in res.findings if f.kind == "hidden_change"]
    keys = {
        (segment_key(f.segment), f.direction) for f in hidden if f.metric == "checkout_conversion"
    }
    assert ("platform=android", "down") in keys, summary(res)


def test_sustained_rise_is_a_trend() -> None:
    eff = growth_effect("plan", "plus", 0.06, START + timedelta(days=7))
    res = run(make_events(seed=14, effects=(eff,)))
    trend = find(res, "trend", "orders", "plan=plus")
    assert trend is not None, summary(res)
    assert trend.direction == "up"
    assert trend.details["slope_per_period"] == pytest.approx(0.06, abs=0.025)
    assert trend.details["mann_kendall_tau"] >= 0.5
    assert len(trend.details["periods"]) == 8
    # its weekly change is folded into the trend, not reported twice
    assert not [f for f in res.findings if f.kind != "trend"], summary(res)


def test_outage_day_is_an_anomaly() -> None:
    eff = day_effect("platform", "web", "buy", 0.15, FRIDAY)
    res = run(make_events(seed=15, n_users=6000, effects=(eff,)))
    hits = [
        f for f in res.findings
        if f.kind == "anomaly" and segment_key(f.segment) == "platform=web"
    ]  # fmt: skip
    assert hits, summary(res)
    assert {f.metric for f in hits} >= {"orders"}
    for f in hits:
        assert f.window_start == f.window_end == FRIDAY
        assert f.details["day"] == FRIDAY.isoformat()
        assert f.direction == "down"
    orders = next(f for f in hits if f.metric == "orders")
    assert orders.change_rel == pytest.approx(-0.85, abs=0.12)
    # the usual range of the day: the prediction interval around the expected count, the same
    # half-width as the interval on the difference, and far above the outage's count
    d = orders.details
    half = orders.change_abs - orders.ci_low
    assert d["expected_low"] == pytest.approx(max(0.0, d["expected"] - half))
    assert d["expected_high"] == pytest.approx(d["expected"] + half)
    assert orders.current < d["expected_low"] < d["expected"] < d["expected_high"]
    # the weekly web change that the outage causes is not a separate finding
    assert find(res, "metric_change", "orders", "platform=web") is None
    assert find(res, "anomaly", "orders", "all") is None  # told once, at the locus


# ============================================================================================
# Nothing planted
# ============================================================================================
NULL_SEGMENTS = {
    "platform": (["ios", "android", "web"], [0.4, 0.35, 0.25]),
    "country": (["US", "GB", "DE", "FR", "ES", "IT"], [0.3, 0.2, 0.15, 0.15, 0.1, 0.1]),
    "plan": (["free", "plus"], [0.7, 0.3]),
    "channel": (["organic", "paid", "referral", "email"], [0.4, 0.3, 0.2, 0.1]),
}


def test_null_data_yields_no_findings_across_seeds() -> None:
    """With no effect, BH at 5% in three families allows a false finding in at most ~15% of
    runs; across 8 seeds we allow at most 2 runs with any finding (none expected)."""
    runs_with_findings = 0
    n_tests = 0
    for seed in range(8):
        df = make_events(seed=100 + seed, n_users=2500, segments=NULL_SEGMENTS)
        res = run(df, segments=tuple(NULL_SEGMENTS))
        n_tests += res.n_tests
        runs_with_findings += bool(res.findings)
    assert n_tests > 8 * 500  # many metric x segment tests were run
    assert runs_with_findings <= 2


def test_tiny_segments_are_tested_exactly() -> None:
    """A 1.5% segment is no longer dropped by a volume gate: its real swing is found (exact
    tests hold at small counts), and the same data without the swing says nothing about it."""
    segs = {
        "platform": (["ios", "android", "web"], [0.4, 0.35, 0.25]),
        "country": (["US", "GB", "IE"], [0.6, 0.385, 0.015]),
        "plan": (["free", "plus"], [0.75, 0.25]),
    }
    eff = segment_effect("country", "IE", "buy", 0.3, CURRENT.start)  # a big swing, tiny volume
    res = run(make_events(seed=16, segments=segs, effects=(eff,)))
    assert find(res, "metric_change", "checkout_conversion", "country=IE") is not None
    assert "country=IE" in set(res.tests["segment"])
    quiet = run(make_events(seed=16, segments=segs))
    assert not any("IE" in segment_key(f.segment) for f in quiet.findings), summary(quiet)
    assert "country=IE" in set(quiet.tests["segment"])


# ============================================================================================
# Awkward data
# ============================================================================================
def test_segment_appears_and_disappears() -> None:
    df = make_events(seed=17)
    current = df["timestamp"] >= pd.Timestamp(CURRENT.start, tz="UTC")
    web = df["platform"] == "web"
    df.loc[current & web, "platform"] = "tv"  # web becomes "tv" this week
    res = run(df)
    assert not any("tv" in segment_key(f.segment) for f in res.findings)
    assert not any("platform=web" in segment_key(f.segment) for f in res.findings)
    assert {"platform=tv", "platform=web"} <= set(res.series["segment"])
    for f in res.findings:
        assert f.kind in FINDING_KINDS


def test_a_week_without_events_is_a_gap() -> None:
    gap = [CURRENT.start - timedelta(weeks=2) + timedelta(days=i) for i in range(7)]
    res = run(make_events(seed=18, skip_days=tuple(gap)))
    assert not res.findings, summary(res)
    weeks = set(res.series["period_start"])
    assert gap[0] not in weeks
    t = res.tests[res.tests["family"] == "change"]
    assert len(t) > 0


def test_gap_is_noted_on_findings() -> None:
    gap = [CURRENT.start - timedelta(weeks=3) + timedelta(days=i) for i in range(7)]
    eff = segment_effect("platform", "android", "signup", 0.5, CURRENT.start)
    res = run(make_events(seed=19, skip_days=tuple(gap), effects=(eff,)))
    f = find(res, "segment_driver", "signup_completion", "platform=android")
    assert f is not None, summary(res)
    assert f.details["missing_periods"] == [period_of(gap[0], "week").label]
    assert len(f.details["baseline_periods"]) == 4


def test_only_one_period_is_a_clear_error() -> None:
    df = make_events(seed=20, days=7, start=CURRENT.start)
    with pytest.raises(InputError, match="only one complete week"):
        run(df)


def test_period_outside_the_data_is_a_clear_error() -> None:
    df = make_events(seed=21, days=21)
    with pytest.raises(InputError, match="end on"):
        run(df, period=parse_period("2027-W01"))
    with pytest.raises(InputError, match="start on"):
        run(df, period=parse_period("2026-W01"))


def test_empty_current_period_is_a_clear_error() -> None:
    df = make_events(seed=22, days=28)
    df = df[df["timestamp"] < pd.Timestamp(START + timedelta(days=14), tz="UTC")]
    last = pd.DataFrame(
        {
            "timestamp": [pd.Timestamp(START + timedelta(days=27, hours=1), tz="UTC")],
            "user_id": ["u1"],
            "event": ["app_open"],
            "platform": ["ios"],
            "country": ["US"],
            "plan": ["free"],
            "revenue": [np.nan],
        }
    )
    df = pd.concat([df, last], ignore_index=True)
    with pytest.raises(InputError, match="no events in"):
        run(df, period=period_of(START + timedelta(days=14), "week"))


def test_monthly_and_daily_grains_run() -> None:
    df = make_events(seed=23, days=150, n_users=1500)
    res = run(df, period=parse_period("2026-12"), grain="month")
    assert set(res.series["grain"]) == {"month"}
    assert res.n_tests > 0
    day = run(df, period=parse_period("2027-01-20"), grain="day")
    assert set(day.series["grain"]) == {"day"}


# ============================================================================================
# Result shape, tests and scores
# ============================================================================================
def test_result_frames_and_scores(conversion_drop: quant.QuantResult) -> None:
    res = conversion_drop
    assert res.n_tests == len(res.tests)
    assert set(res.tests["family"]) == {"change", "trend", "anomaly"}
    for _, t in res.tests.groupby("family"):
        q = stats.bh(t["p_value"].to_numpy())
        np.testing.assert_allclose(t["q_value"].to_numpy(), q)
    assert (res.tests.loc[res.tests["reported"] != "", "significant"]).all()
    scores = [f.score for f in res.findings]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert res.findings[0].metric == "signup_completion"
    for f in res.findings:
        d = f.to_dict()
        assert d["p_value"] is not None and d["q_value"] is not None
    assert len(res.series) < 5000 and len(res.daily) < 5000


def test_bh_matches_the_textbook() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    q = stats.bh(p)
    np.testing.assert_allclose(q, [0.025, 0.05, 0.05, 0.025, 0.5])


def test_mann_kendall_and_trend_test() -> None:
    tau, p = stats.mann_kendall(np.arange(8.0))
    assert tau == 1.0 and p < 0.001
    tr = stats.trend_test(100 * 1.05 ** np.arange(8) * (1 + 0.001 * np.sin(np.arange(8))))
    assert tr is not None and tr.slope == pytest.approx(np.log(1.05), abs=0.002) and tr.p < 1e-6
    assert stats.trend_test(np.array([1.0, 2.0, 0.0, 3.0])) is None


def test_two_proportion_test_matches_scipy() -> None:
    from scipy import stats as st

    cur = np.array([500, 200, 500, 0, 200, 0, 0, 0], dtype=float)  # users, num, den
    base = np.array([[2000, 1000, 2000, 0, 1000, 0, 0, 0]], dtype=float)
    c = stats.change_test("conversion", cur, base)
    assert c is not None
    table = np.array([[200, 300], [1000, 1000]])
    chi2, p, _, _ = st.chi2_contingency(table, correction=False)
    assert c.p == pytest.approx(p, rel=1e-6)
    assert c.effect == pytest.approx(2 * np.arcsin(np.sqrt(0.4)) - 2 * np.arcsin(np.sqrt(0.5)))


def test_decomposition_adds_up() -> None:
    cur = np.zeros((2, 8))
    cur[:, stats.NUM] = [30, 80]
    cur[:, stats.DEN] = [100, 200]
    base = np.zeros((1, 2, 8))
    base[0, :, stats.NUM] = [60, 90]
    base[0, :, stats.DEN] = [150, 150]
    dec = stats.decompose("conversion", cur, base)
    total = 110 / 300 - 150 / 300
    assert dec["total"][0] == pytest.approx(total)
    assert (dec["mix"] + dec["rate"]).sum() == pytest.approx(total)


def test_sample_workspace(sample_ws) -> None:
    """The bundled sample: the planted stories are found, the distractors are not."""
    from insightlib.quant import engine
    from insightlib.workspace.config import load_config

    cfg = load_config(sample_ws)
    res = quant.analyse(engine.connect(cfg.sources["events"]), cfg, parse_period("2026-W47"))
    got = summary(res)
    assert ("metric_change", "signup_completion", "all", "down") in got
    assert ("segment_driver", "signup_completion", "platform=android", "down") in got
    assert any(k == "trend" and s == "plan=plus" and d == "up" for k, _, s, d in got)
    outage = [
        f for f in res.findings if f.kind == "anomaly" and segment_key(f.segment) == "platform=web"
    ]
    assert outage and all(f.window_start == date(2026, 11, 20) for f in outage)
    assert any(m == "orders" and s == "country=DE" and d == "up" for _, m, s, d in got)
    assert not any("IE" in s or "FR" in s for _, _, s, _ in got), got
    for f in res.findings:
        assert f.p_value is not None and f.ci_low is not None


def test_no_segment_columns_and_a_dataframe_source() -> None:
    eff = segment_effect("platform", "android", "signup", 0.4, CURRENT.start)
    df = make_events(seed=24, effects=(eff,)).drop(columns=["platform", "country", "plan"])
    res = run(df, segments=())
    assert set(res.series["segment"]) == {"all"}
    f = find(res, "metric_change", "signup_completion", "all")
    assert f is not None and f.direction == "down" and not f.drivers
