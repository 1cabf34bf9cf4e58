"""Planted scenarios (small counts, ...) and their null twins, which must stay quiet."""

from __future__ import annotations

import math
from dataclasses import replace as dc_replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scenarios import START, events, funnel, in_segment, newcomers, scenario_config

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


# ============================================================================================
# Watch list and scoreboard
# ============================================================================================
def test_a_large_move_that_is_not_significant_is_worth_watching() -> None:
    """Refunds +40% on about 12 a week: too uncertain to be a finding, too big for silence."""
    from insightlib.quant import notes

    eff = in_segment("country", "US", 2.0, CURRENT.start)
    hits = 0
    for seed in range(20, 26):
        df = events(seed, 7 * WEEKS, n_users=3000, rates={"refund": (12 / 7, eff)})
        res = quant.analyse(df, scenario_config(SMALL), CURRENT)
        if keys(res, "refunds"):
            continue  # significant after all: a finding, not a watch item
        w = [x for x in res.watch if x["metric"] == "refunds"]
        t = res.tests[(res.tests["metric"] == "refunds") & (res.tests["segment"] == "all")]
        rel = float(t["change_rel"].iloc[0])
        small = any(x["metric"] == "refunds" and not x["segment"] for x in res.too_small)
        assert bool(w) == (abs(rel) >= quant.WATCH_REL and not small)
        if w:
            hits += 1
            assert w[0]["ci_low"] < w[0]["change_abs"] < w[0]["ci_high"]
            line = notes.watch_lines(w, "week")[0]
            assert line.startswith("Refunds: +") and "could be anything from" in line
            board = {r["metric"]: r for r in res.scoreboard}
            assert board["refunds"]["status"] == "worth watching"
    assert hits >= 2


def test_scoreboard_has_every_metric_with_its_recent_values() -> None:
    df = events(4, 7 * 14, n_users=3000, rates={"refund": (25 / 7, None)})
    cur = period_of(START + timedelta(weeks=13), "week")
    res = quant.analyse(df, scenario_config(SMALL), cur)
    rows = {r["metric"]: r for r in res.scoreboard}
    assert set(rows) == set(SMALL)
    r = rows["refunds"]
    ts = df["timestamp"].dt.tz_convert(None)
    weekly = df[df["event"] == "refund"].groupby(ts.dt.to_period("W")).size()
    assert r["current"] == weekly.iloc[-1]
    assert r["baseline"] == pytest.approx(weekly.iloc[-5:-1].mean())
    assert r["change_abs"] == pytest.approx(r["current"] - r["baseline"])
    assert r["interval"][0] < r["change_abs"] < r["interval"][1]
    assert len(r["recent"]) == 12 and r["recent"][-1]["value"] == r["current"]
    assert [x["value"] for x in r["recent"]] == list(weekly.iloc[-12:].astype(float))
    assert r["segment"] == {} and r["status"] in ("steady", "worth watching", "rising", "falling")


# ============================================================================================
# Concentration
# ============================================================================================
SALES = {
    "orders": MetricSpec("orders", "count", "Orders", event="purchase"),
    "revenue": MetricSpec(
        "revenue", "sum", "Revenue", event="purchase", column="amount", unit="USD"
    ),
}


def _sales(seed: int) -> object:
    return events(seed, 7 * WEEKS, n_users=3000, rates={"purchase": (300 / 7, None)},
                  values={"purchase": 40.0})  # fmt: skip


def _said(res: quant.QuantResult) -> list[str]:
    from insightlib.quant import notes

    lines = notes.watch_lines(res.watch, "week")
    for f in res.findings:
        if "concentration" in f.details:
            lines.append(notes.concentration_phrase(f.details["concentration"], "USD", "sum"))
    return [x for x in lines if "one-off" in x]


@pytest.mark.parametrize("seed", [0, 1])
def test_one_bulk_order_is_told_as_one_order_never_a_trend(seed: int) -> None:
    df = _sales(seed)
    bulk = df[df["event"] == "purchase"].iloc[[-1]].copy()
    bulk["amount"] = 40000.0
    df = pd.concat([df, bulk], ignore_index=True)
    res = quant.analyse(df, scenario_config(SALES), CURRENT)
    said = _said(res)
    assert any("One order of $40,000" in x for x in said), (said, res.watch)
    assert not any(f.kind == "trend" and f.metric == "revenue" for f in res.findings)
    w = next(x for x in res.watch if x["metric"] == "revenue")
    truth = 40000.0 / w["change_abs"]  # the bulk order against the whole rise
    assert w["concentration"]["largest_event_share"] == pytest.approx(truth)


def test_two_heavy_customers_make_most_of_a_rise_in_orders() -> None:
    df = _sales(2)
    rows = df[
        (df["event"] == "purchase") & (df["timestamp"] >= pd.Timestamp(CURRENT.start, tz="UTC"))
    ]
    heavy = pd.concat([rows.iloc[[0]]] * 70 + [rows.iloc[[1]]] * 60, ignore_index=True)
    df = pd.concat([df, heavy], ignore_index=True)
    res = quant.analyse(df, scenario_config(SALES), CURRENT)
    conc = [x.get("concentration") for x in res.watch if x["metric"] == "orders"]
    conc += [f.details.get("concentration") for f in res.findings if f.metric == "orders"]
    conc = [c for c in conc if c]
    assert conc and conc[0]["users"] <= 2 and conc[0]["share"] >= 0.5, (res.watch, res.findings)


@pytest.mark.parametrize("seed", [5, 6, 7, 8])
def test_null_sales_say_nothing_about_one_offs(seed: int) -> None:
    res = quant.analyse(_sales(seed), scenario_config(SALES), CURRENT)
    assert not _said(res)
    assert len(res.findings) <= 1


# ============================================================================================
# Mix versus rate
# ============================================================================================
FUNNEL = {
    "conversion": MetricSpec(
        "conversion", "conversion", "Conversion", from_event="visit", to_event="purchase"
    )
}
RATES = {"organic": 0.3, "paid": 0.05, "email": 0.4}


@pytest.mark.parametrize("seed", [1, 2])
def test_more_visitors_from_a_low_converting_channel_is_a_mix_shift(seed: int) -> None:
    from insightlib.quant import notes

    df = funnel(seed, 7 * WEEKS, n_users=8000, convert=RATES,
                activity=newcomers("channel", "paid", 0.7, CURRENT.start))  # fmt: skip
    res = quant.analyse(df, scenario_config(FUNNEL), CURRENT)
    f = next(f for f in res.findings if f.metric == "conversion" and not f.segment)
    assert f.direction == "down"
    mix = f.details["mix_shift"]
    assert mix["segment"] == {"channel": "paid"} and mix["share_now"] > mix["share_before"]
    # the shares are the truth: paid visitors' share of all visitors, now and before
    visits = df[df["event"] == "visit"]
    wk = visits["timestamp"] >= pd.Timestamp(CURRENT.start, tz="UTC")
    now = visits[wk].drop_duplicates("user_id")
    assert mix["share_now"] == pytest.approx((now["channel"] == "paid").mean())
    assert not [g for g in res.findings if g.segment]  # no segment's rate "fell"
    said = notes.mix_phrase(mix, "conversion")
    assert "from paid (channel)" in said and "no channel's own rate changed" in said


def test_a_real_rate_drop_in_one_channel_is_not_a_mix_shift() -> None:
    drop = in_segment("channel", "paid", 0.3, CURRENT.start)
    df = funnel(1, 7 * WEEKS, n_users=8000, convert={"organic": 0.3, "paid": 0.3, "email": 0.4},
                conversion=drop)  # fmt: skip
    res = quant.analyse(df, scenario_config(FUNNEL), CURRENT)
    assert any(f.segment == (("channel", "paid"),) for f in res.findings), res.findings
    assert not any("mix_shift" in f.details for f in res.findings)


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_null_funnels_stay_quiet(seed: int) -> None:
    res = quant.analyse(funnel(seed, 7 * WEEKS, n_users=8000, convert=RATES),
                        scenario_config(FUNNEL), CURRENT)  # fmt: skip
    assert len(res.findings) <= 1
    assert not any("mix_shift" in f.details for f in res.findings)


# ============================================================================================
# Seasonality
# ============================================================================================
SEASON = {
    "active_users": MetricSpec("active_users", "distinct_users", "Active users"),
    "orders": MetricSpec("orders", "count", "Orders", event="purchase"),
}
XMAS = period_of(date(2026, 11, 30), "week")  # 2026-W49; last year: 2025-W49 (1 Dec 2025)


def _season(f1: float, f2: float):
    def rate(day: date, users: object) -> float:
        if date(2025, 12, 1) <= day <= date(2025, 12, 24):
            return f1
        if date(2026, 11, 30) <= day <= date(2026, 12, 24):
            return f2
        return 1.0

    return rate


def _two_years(seed: int, f1: float, f2: float) -> quant.QuantResult:
    s = _season(f1, f2)
    df = events(seed, 700, n_users=1500, rates={"purchase": (60 / 7, s)}, activity=s)
    return quant.analyse(df, scenario_config(SEASON), XMAS)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_same_rise_as_last_year_is_the_season(seed: int) -> None:
    from insightlib.quant import notes

    res = _two_years(seed, 1.5, 1.5)
    told = [f for f in res.findings if not f.segment]
    assert told, res.findings
    for f in told:
        s = f.details["seasonal"]
        assert s["in_line"] and s["last_year_period"] == "2025-W49", s
        assert s["last_year_change_rel"] > 0.1 and f.score < 0.35
        assert "the usual season" in notes.seasonal_phrase(s, "week")
    board = {r["metric"]: r for r in res.scoreboard}
    assert any(r["status"] == "seasonal" for r in board.values())


def test_a_rise_beyond_last_years_is_news_with_the_season_separated() -> None:
    from insightlib.quant import notes

    res = _two_years(0, 1.5, 2.5)
    f = next(f for f in res.findings if f.metric == "active_users" and not f.segment)
    s = f.details["seasonal"]
    assert not s["in_line"] and s["beyond_season_rel"] > 0.1
    assert math.isclose(
        1 + s["change_rel"], (1 + s["last_year_change_rel"]) * (1 + s["beyond_season_rel"])
    )
    assert "beyond the season" in notes.seasonal_phrase(s, "week")
    assert f.score > 0.5  # news ranks as news


@pytest.mark.parametrize("seed", [2, 3])
def test_two_flat_years_stay_quiet(seed: int) -> None:
    res = _two_years(seed, 1.0, 1.0)
    assert len(res.findings) <= 1, [(f.kind, f.metric, f.segment) for f in res.findings]


def test_seasonal_findings_ask_no_team() -> None:
    from insightlib.narrate import assemble
    from insightlib.qual import analyse as qual

    res = _two_years(0, 1.5, 1.5)
    cfg = scenario_config(SEASON)
    empty = pd.DataFrame(columns=["id", "created_at", "source", "text"])
    doc = assemble.build_document(
        quant=res, qual=qual.analyse_feedback(empty, cfg, XMAS), knowledge=None, glossary=None,
        config=cfg, period=XMAS, check=False,
    )  # fmt: skip
    assert doc.insights and not doc.questions
    assert doc.metrics and {r.metric for r in doc.metrics} == set(SEASON)


def test_public_holidays_of_a_country_segment() -> None:
    from insightlib.quant import notes

    days = notes.public_holidays((("country", "DE"),), [(date(2026, 12, 21), date(2026, 12, 27))])
    assert [d["date"] for d in days] == ["2026-12-25", "2026-12-26"]
    uk = notes.public_holidays(
        (("country", "United Kingdom"),), [(date(2011, 4, 18), date(2011, 4, 24))]
    )
    assert [d["name"] for d in uk] == ["Good Friday"]
    assert (
        notes.public_holidays((("plan", "DE"),), [(date(2026, 12, 21), date(2026, 12, 27))]) == []
    )


def test_with_less_than_a_year_the_season_is_said_to_be_unknown_not_asked() -> None:
    """Ten weeks of data and a rise of the whole business this week: we cannot tell whether
    it is the season, so the texts say so and no team is asked about it; with two years of
    history the same kind of rise is compared with last year instead."""
    from insightlib.narrate import assemble
    from insightlib.qual import analyse as qual

    up = in_segment("country", "US", 1.0, CURRENT.start)  # a multiplier of 1: no segment story

    def busier(day: date, users: object) -> float:
        return 1.6 if day >= CURRENT.start else 1.0

    df = events(4, 7 * WEEKS, n_users=3000, rates={"purchase": (60 / 7, up)}, activity=busier)
    cfg = scenario_config(SEASON)
    res = quant.analyse(df, cfg, CURRENT)
    told = [f for f in res.findings if not f.segment and f.direction == "up"]
    assert told and all("season_unknown" in f.details for f in told), res.findings
    empty = pd.DataFrame(columns=["id", "created_at", "source", "text"])
    doc = assemble.build_document(
        quant=res, qual=qual.analyse_feedback(empty, cfg, CURRENT), knowledge=None,
        glossary=None, config=cfg, period=CURRENT, check=False,
    )  # fmt: skip
    for i in doc.insights:
        if i.segment or i.direction != "up":
            continue
        assert "less than a year of data" in i.narrative.team, i.narrative.team
        assert "less than a year of data" in i.narrative.board, i.narrative.board
        assert i.question is None
    assert not any("season_unknown" in f.details for f in _two_years(0, 1.5, 1.5).findings)


def test_without_a_country_segment_the_workspace_country_names_the_holidays() -> None:
    """No segment column holds countries: ``[project] country`` gives the holiday calendar.
    Presidents' Day (17 Feb 2025) falls in a week of a rise; without the key none is named."""
    from dataclasses import replace as dc_replace

    week = period_of(date(2025, 2, 17), "week")

    def busier(day: date, users: object) -> float:
        return 1.6 if day >= week.start else 1.0

    df = events(4, 7 * 7, n_users=3000, rates={"purchase": (60 / 7, None)}, activity=busier)
    df = df.drop(columns=["country"])
    cfg = scenario_config(SEASON, segments=("channel",))
    told = [f for f in quant.analyse(df, cfg, week).findings if not f.segment]
    assert told and not any(f.details.get("holidays") for f in told)
    res = quant.analyse(df, dc_replace(cfg, country="US"), week)
    told = [f for f in res.findings if not f.segment]
    assert told, res.findings
    for f in told:
        days = f.details["holidays"]
        assert [(d["country"], d["date"]) for d in days] == [("US", "2025-02-17")], days


def test_the_workspace_country_is_checked(tmp_path) -> None:
    from insightlib.errors import ConfigError
    from insightlib.workspace.config import load_config

    body = '[sources]\nevents = "e.csv"\n\n[metrics.u]\nkind = "distinct_users"\n'
    (tmp_path / "insight.toml").write_text(f'[project]\nname = "X"\ncountry = "Germany"\n\n{body}')
    assert load_config(tmp_path).country == "DE"
    (tmp_path / "insight.toml").write_text(f'[project]\nname = "X"\ncountry = "Narnia"\n\n{body}')
    with pytest.raises(ConfigError, match=r"\[project\] country 'Narnia'"):
        load_config(tmp_path)


# ============================================================================================
# Unusual days that recur every year
# ============================================================================================
BLACK_FRIDAY = (date(2025, 11, 28), date(2026, 11, 27))  # 52 weeks apart, both Fridays
BF_WEEK = period_of(BLACK_FRIDAY[1], "week")  # 2026-W48


def _spiky(seed: int, f1: float, f2: float) -> quant.QuantResult:
    def rate(day: date, users: object) -> float:
        return f1 if day == BLACK_FRIDAY[0] else f2 if day == BLACK_FRIDAY[1] else 1.0

    df = events(seed, 700, n_users=1500, rates={"purchase": (60 / 7, None)}, activity=rate)
    return quant.analyse(df, scenario_config(SEASON), BF_WEEK)


def _day_of(res: quant.QuantResult):
    return [f for f in res.findings if f.kind == "anomaly" and f.metric == "active_users"
            and not f.segment and f.window_start == BLACK_FRIDAY[1]]  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1])
def test_an_unusual_day_that_recurs_a_year_on_is_the_season(seed: int) -> None:
    from insightlib.narrate import assemble
    from insightlib.qual import analyse as qual

    res = _spiky(seed, 1.8, 1.8)
    days = _day_of(res)
    assert days, [(f.kind, f.metric, f.segment) for f in res.findings]
    s = days[0].details["seasonal"]
    assert s["in_line"] and s["last_year_day"] == "2025-11-28", s
    assert s["last_year_change_rel"] > 0.4 and days[0].score < 0.35
    cfg = scenario_config(SEASON)
    empty = pd.DataFrame(columns=["id", "created_at", "source", "text"])
    doc = assemble.build_document(
        quant=res, qual=qual.analyse_feedback(empty, cfg, BF_WEEK), knowledge=None,
        glossary=None, config=cfg, period=BF_WEEK, check=False,
    )  # fmt: skip
    ins = next(i for i in doc.insights if i.kind == "anomaly" and not i.segment)
    assert ins.question is None
    assert "the usual season" in ins.narrative.team and "the usual season" in ins.narrative.board


@pytest.mark.parametrize("seed", [0, 1])
def test_an_unusual_day_that_did_not_happen_last_year_is_news(seed: int) -> None:
    res = _spiky(seed, 1.0, 1.8)  # the null twin: the same spike, but only this year
    days = _day_of(res)
    assert days, [(f.kind, f.metric, f.segment) for f in res.findings]
    assert "seasonal" not in days[0].details and days[0].score > 0.35


# ============================================================================================
# Concentration per entity (an order id): one bulk order logged as many lines by many users
# ============================================================================================
def _lines(seed: int, bulk: bool) -> pd.DataFrame:
    """Order lines with an ``order_id`` (one line per order), and, when ``bulk``, one order of
    150 lines this week, each line logged by a different user (a company account's staff)."""
    df = _sales(seed)
    df["order_id"] = [f"o{i}" for i in range(len(df))]
    if bulk:
        rows = df[(df["event"] == "purchase")
                  & (df["timestamp"] >= pd.Timestamp(CURRENT.start, tz="UTC"))]  # fmt: skip
        lines = rows.drop_duplicates("user_id").iloc[:150].copy()
        lines["order_id"] = "BULK-1"
        df = pd.concat([df, lines], ignore_index=True)
    return df


def _revenue_conc(res: quant.QuantResult) -> list[dict]:
    conc = [x.get("concentration") for x in res.watch if x["metric"] == "revenue"]
    conc += [f.details.get("concentration") for f in res.findings if f.metric == "revenue"]
    return [c for c in conc if c]


ENTITY_SALES = {
    name: dc_replace(m, entity="order_id") for name, m in SALES.items()
}  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1])
def test_one_bulk_order_is_found_through_the_entity_column(seed: int) -> None:
    from insightlib.quant import notes

    df = _lines(seed, bulk=True)
    # per user, nobody stands out: each of the 150 users added one line
    assert not _revenue_conc(quant.analyse(df, scenario_config(SALES), CURRENT))
    res = quant.analyse(df, scenario_config(ENTITY_SALES), CURRENT)
    conc = _revenue_conc(res)
    assert conc, (res.watch, [(f.kind, f.metric) for f in res.findings])
    c = conc[0]
    bulk = float(df.loc[df["order_id"] == "BULK-1", "amount"].sum())
    assert c["users"] == 1 and c["entity"] == "order"
    assert c["entity_amount"] == pytest.approx(bulk)
    assert c["share"] == pytest.approx(bulk / c["total_change"]) and c["share"] >= 0.5
    said = notes.concentration_phrase(c, "USD", "sum")
    assert said.startswith("One order of $") and "a one-off, not a trend" in said
    assert not any(f.kind == "trend" and f.metric == "revenue" for f in res.findings)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_null_order_lines_with_an_entity_column_say_nothing_about_one_offs(seed: int) -> None:
    res = quant.analyse(_lines(seed, bulk=False), scenario_config(ENTITY_SALES), CURRENT)
    assert not _revenue_conc(res) and not _said(res)
    assert len(res.findings) <= 1


def test_the_entity_key_is_for_counts_and_sums(tmp_path) -> None:
    from insightlib.errors import ConfigError
    from insightlib.workspace.config import load_config

    head = '[project]\nname = "X"\n\n[sources]\nevents = "e.csv"\n\n'
    (tmp_path / "insight.toml").write_text(
        head + '[metrics.revenue]\nkind = "sum"\nevent = "order"\ncolumn = "amount"\n'
        'entity = "order_id"\n'
    )
    cfg = load_config(tmp_path)
    assert cfg.metrics["revenue"].entity == "order_id" and cfg.entity_columns == ("order_id",)
    (tmp_path / "insight.toml").write_text(
        head + '[metrics.users]\nkind = "distinct_users"\nentity = "order_id"\n'
    )
    with pytest.raises(ConfigError, match=r"\[metrics.users\] entity"):
        load_config(tmp_path)


def test_a_missing_entity_column_stops_the_load_naming_it(tmp_path) -> None:
    from insightlib.errors import DataError
    from insightlib.workspace.load import load_workspace

    (tmp_path / "events.csv").write_text(
        "timestamp,user_id,event,amount\n2026-01-05T10:00:00Z,u1,order,10\n"
    )
    (tmp_path / "insight.toml").write_text(
        '[project]\nname = "X"\n\n[sources]\nevents = "events.csv"\n\n'
        '[metrics.revenue]\nkind = "sum"\nevent = "order"\ncolumn = "amount"\n'
        'entity = "order_id"\n'
    )
    with pytest.raises(DataError, match="order_id"):
        load_workspace(tmp_path)


# ============================================================================================
# Mix versus rate inside one segment
# ============================================================================================
def _newcomers_in(country: str, channel: str, share: float, since: date):
    """Like :func:`scenarios.newcomers`, only for users of one country and channel."""

    def rate(day: date, users: pd.DataFrame):
        n = len(users)
        late = (
            (np.arange(n) >= n * (1 - share))
            & (users["channel"].to_numpy() == channel)
            & (users["country"].to_numpy() == country)
        )
        return np.where(late & (day < since), 0.0, 1.0)

    return rate


@pytest.mark.parametrize("seed", [2, 3])
def test_a_segment_whose_own_mix_moved_is_told_as_a_mix_shift_there(seed: int) -> None:
    """More US visitors come from the low-converting paid channel; no channel converts
    differently, in the US or elsewhere. US conversion falls, and is told as the mix inside
    the US (the share of its visitors from paid), never as the US's rate falling."""
    from insightlib.quant import notes

    df = funnel(seed, 7 * WEEKS, n_users=8000, convert=RATES,
                activity=_newcomers_in("US", "paid", 0.7, CURRENT.start))  # fmt: skip
    res = quant.analyse(df, scenario_config(FUNNEL), CURRENT)
    us = [f for f in res.findings if f.segment == (("country", "US"),)]
    assert us and us[0].direction == "down", [(f.kind, f.segment) for f in res.findings]
    mix = us[0].details["mix_shift"]
    assert mix["within"] == {"country": "US"} and mix["segment"] == {"channel": "paid"}
    visits = df[(df["event"] == "visit") & (df["country"] == "US")]
    wk = visits["timestamp"] >= pd.Timestamp(CURRENT.start, tz="UTC")
    now = visits[wk].drop_duplicates("user_id")
    assert mix["share_now"] == pytest.approx((now["channel"] == "paid").mean())
    assert mix["share_now"] > mix["share_before"]
    said = notes.mix_phrase(mix, "conversion")
    assert "of users in US now come from paid (channel)" in said
    assert "no channel's own rate changed there" in said


def test_a_real_rate_drop_inside_a_segment_is_not_a_mix_shift() -> None:
    """The null twin: US paid visitors convert less (the mix inside the US is unchanged)."""

    def drop(day: date, users: pd.DataFrame):
        hit = (users["country"].to_numpy() == "US") & (users["channel"].to_numpy() == "paid")
        return np.where(hit & (day >= CURRENT.start), 0.2, 1.0)

    df = funnel(2, 7 * WEEKS, n_users=8000, convert={"organic": 0.3, "paid": 0.3, "email": 0.4},
                conversion=drop)  # fmt: skip
    res = quant.analyse(df, scenario_config(FUNNEL), CURRENT)
    assert any(f.segment for f in res.findings), res.findings
    assert not any("mix_shift" in f.details for f in res.findings)
