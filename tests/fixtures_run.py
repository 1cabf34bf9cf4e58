"""A realistic fake run folder for report, chart and history tests.

``build_run(root)`` writes ``root/<label>/`` the way ``insightlib run`` does (see
docs/run-folder.md): ``insights.json`` with six insights of different kinds, and the three
parquet frames under ``data/``. The text includes hostile strings (``HOSTILE_QUOTE``,
``HOSTILE_TITLE``) so the tests can check that every writer escapes user-supplied text.

Run it as a script to write a folder to look at: ``python tests/fixtures_run.py /tmp/reports``.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from insightlib.document import InsightsDocument
from insightlib.model import parse_segment, segment_text

HOSTILE_QUOTE = "<script>alert(1)</script> my card is declined every time at the last step"
HOSTILE_TITLE = "Payment SDK hotfix <img src=x onerror=alert(1)>"

LABEL = "2026-W47"
START = date(2026, 11, 16)
WEEKS = 14
FIRST = START - timedelta(weeks=WEEKS - 1)

ID_CHECKOUT = "metric_change:checkout_conversion:all"
ID_REVENUE_DE = "segment_driver:revenue:country=DE"
ID_OUTAGE = "anomaly:active_users:all"
ID_BASKET_WEB = "trend:avg_basket:platform=web"
ID_SLOTS = "emerging_theme:delivery_slots:all"
ID_SIGNUPS_ES = "metric_change:signups:country=ES"
ID_RESOLVED = "metric_change:delivery_on_time:country=FR"

SEGMENTS = ["all", "platform=android", "platform=ios", "platform=web", "country=DE"]
SEGMENTS += ["country=ES", "country=FR"]
METRICS = {
    # name: (kind, unit, level, scale per segment)
    "checkout_conversion": ("conversion", None, 0.30),
    "active_users": ("distinct_users", None, 12000.0),
    "revenue": ("sum", "USD", 250000.0),
    "avg_basket": ("mean", "USD", 38.0),
    "signups": ("count", None, 1500.0),
    "delivery_on_time": ("conversion", None, 0.92),
}
_SHARE = {"all": 1.0, "platform=android": 0.45, "platform=ios": 0.35, "platform=web": 0.20}
_SHARE |= {"country=DE": 0.32, "country=ES": 0.27, "country=FR": 0.41}


def _weeks() -> list[date]:
    return [FIRST + timedelta(weeks=i) for i in range(WEEKS)]


def _value(metric: str, segment: str, i: int, rng: np.random.Generator) -> float:
    """The fake metric value of week ``i`` (0 = oldest, WEEKS-1 = the run's week)."""
    kind, _unit, level = METRICS[metric]
    last = i == WEEKS - 1
    noise = rng.normal(0, 0.012)
    if kind == "conversion":
        v = level + noise * 0.6
        if metric == "checkout_conversion" and last:
            v = {"all": 0.255, "platform=android": 0.21, "platform=ios": 0.30}.get(segment, 0.29)
        if metric == "delivery_on_time" and segment == "country=FR" and i == WEEKS - 2:
            v = 0.81
        return round(float(v), 4)
    share = _SHARE[segment] if kind != "mean" else 1.0
    v = level * share * (1 + 0.01 * i) * (1 + noise * 3)
    if metric == "revenue" and segment == "country=DE" and last:
        v *= 1.26
    if metric == "revenue" and segment == "all" and last:
        v *= 1.08
    if metric == "avg_basket" and segment == "platform=web" and i >= WEEKS - 8:
        v = level * (1 + 0.02 * (i - (WEEKS - 9))) + noise
    if metric == "signups" and segment == "country=ES" and last:
        v *= 1.4
    if metric == "active_users" and last:
        v *= 0.93
    return round(float(v), 2)


def _row(
    metric: str,
    kind: str,
    grain: str,
    start: date,
    segment: str,
    users: float,
    numerator: float,
    denominator: float | None,
    value: float,
) -> dict[str, Any]:
    """One row with every column of a run's series (insightlib.quant.engine.SERIES_COLUMNS)."""
    events = numerator if kind in ("count", "sum") else users if kind == "mean" else np.nan
    return {
        "metric": metric,
        "grain": grain,
        "period_start": start,
        "segment": segment,
        "users": float(users),
        "numerator": float(numerator),
        "denominator": float(denominator) if denominator else float(users),
        "value": float(value),
        "events": float(events),
        "sumsq": float(numerator) * (1.3 if kind in ("count", "sum") else 1.0),
        "cross": float(numerator) if kind == "mean" else np.nan,
        "densq": float(users) if kind == "mean" else np.nan,
        "sumsq_values": float(numerator) * value if kind in ("sum", "mean") else np.nan,
    }


def series_frame(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for metric, (kind, _unit, _level) in METRICS.items():
        for segment in SEGMENTS:
            for i, week in enumerate(_weeks()):
                value = _value(metric, segment, i, rng)
                denominator = int(4000 * _SHARE[segment]) if kind == "conversion" else None
                numerator = value * denominator if denominator else value
                users = float(denominator or round(value if kind != "mean" else 2000 * value / 40))
                rows.append(
                    _row(metric, kind, "week", week, segment, users, numerator, denominator, value)
                )
    return pd.DataFrame(rows)


def daily_frame(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    days = [FIRST + timedelta(days=d) for d in range(WEEKS * 7)]
    for segment in ("all", "platform=android", "platform=ios", "platform=web"):
        for d in days:
            weekday = 1.0 + (0.15 if d.weekday() >= 5 else 0.0)
            v = 3000 * _SHARE[segment] * weekday * (1 + rng.normal(0, 0.04))
            if d == date(2026, 11, 19):
                v *= 0.62
            n = float(round(v))
            rows.append(_row("active_users", "distinct_users", "day", d, segment, n, n, None, n))
    return pd.DataFrame(rows)


THEMES = {
    "payment_failed": ("card declined at payment", 14, 60),
    "delivery_slots": ("no delivery slots available", 12, 41),
    "app_crash": ("app crashes when opening the basket", 9, 10),
    "refund_slow": ("refunds take too long", 7, 8),
    "fresh_praise": ("fresh produce praised", 16, 15),
}


def theme_counts_frame(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for theme, (_label, base, last) in THEMES.items():
        for i, week in enumerate(_weeks()):
            count = last if i == WEEKS - 1 else max(0, int(base + rng.normal(0, 2.5)))
            if theme == "delivery_slots" and i == WEEKS - 2:
                count = 24
            total = 150 + int(rng.normal(0, 8))
            rows.append(
                {
                    "theme": theme,
                    "period_start": week,
                    "segment": "all",
                    "count": count,
                    "total": total,
                }
            )
            for seg, share in (("platform=android", 0.5), ("platform=ios", 0.3)):
                boost = 1.6 if theme == "payment_failed" and seg == "platform=android" else 1.0
                rows.append(
                    {
                        "theme": theme,
                        "period_start": week,
                        "segment": seg,
                        "count": int(round(count * share * boost)),
                        "total": int(total * share),
                    }
                )
    return pd.DataFrame(rows)


def _quote(qid: str, text: str, source: str, day: str, **segment: str) -> dict[str, Any]:
    return {"id": qid, "text": text, "source": source, "date": day, "segment": segment}


KNOWLEDGE = [
    {
        "date": "2026-09-21",
        "team": "Design",
        "kind": "release",
        "title": "New basket page on web",
        "details": "Suggested items and bigger product photos.",
        "segment": {"platform": "web"},
        "end_date": None,
    },
    {
        "date": "2026-11-16",
        "team": "Marketing",
        "kind": "campaign",
        "title": "Free delivery week in Germany",
        "details": "No delivery fee on orders over 30 EUR, 16-22 Nov.",
        "segment": {"country": "DE"},
        "end_date": "2026-11-22",
    },
    {
        "date": "2026-11-17",
        "team": "Engineering",
        "kind": "release",
        "title": "Android app 5.2 released",
        "details": "New payment provider SDK.",
        "segment": {"platform": "android"},
        "end_date": None,
    },
    {
        "date": "2026-11-18",
        "team": "Engineering",
        "kind": "release",
        "title": HOSTILE_TITLE,
        "details": "Rolled out to 50% of Android users.",
        "segment": {"platform": "android"},
        "end_date": None,
    },
    {
        "date": "2026-11-19",
        "team": "Platform",
        "kind": "incident",
        "title": "Login outage (2 hours)",
        "details": "Identity provider timeouts from 09:10 to 11:05 UTC.",
        "segment": {},
        "end_date": "2026-11-19",
    },
]


def _k(title: str, why: str, score: float = 0.9) -> dict[str, Any]:
    entry = next(k for k in KNOWLEDGE if k["title"] == title)
    return {**entry, "score": score, "why": why, "role": "cause"}


def _insight(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "metric": None,
        "metric_label": None,
        "metric_kind": None,
        "unit": None,
        "theme": None,
        "segment": {},
        "segment_text": "all customers",
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "q_value": None,
        "effect_size": None,
        "window": {"start": "2026-11-16", "end": "2026-11-22"},
        "baseline_window": {"start": "2026-10-19", "end": "2026-11-15"},
        "theme_label": None,
        "details": {},
        "status": "new",
        "evidence": {"drivers": [], "themes": [], "knowledge": [], "also_that_week": []},
        "question": None,
        "provenance": {},
        "related": [],
        "verdicts": [],
        "learning": None,
    }
    evidence = {**base["evidence"], **kw.pop("evidence", {})}
    base.update(kw)
    base["evidence"] = evidence
    for d in evidence["drivers"]:
        seg = next(iter(d["segment"].values()))
        d.setdefault("n_current", int(base["n_current"] * 0.4))
        d.setdefault("n_baseline", int(base["n_baseline"] * 0.4))
        d.setdefault("mix_effect", None)
        d.setdefault("rate_effect", None)
        d.setdefault("volume_share", 0.4)
        d.setdefault("key", d["share_of_change"] >= 0.6)
        d.setdefault("segment_text", segment_text(parse_segment(d["segment"])))
        d.setdefault(
            "why",
            f"{seg} accounts for {d['share_of_change']:.0%} of the change with 40% of the volume",
        )
    for t in evidence["themes"]:
        t.setdefault("segment", {})
        t.setdefault("sentiment", -0.4)
        t.setdefault("score", 0.8)
        t.setdefault("share_of_change", None)
    prov = base["provenance"]
    prov.setdefault("rows_current", base["n_current"])
    prov.setdefault("rows_baseline", base["n_baseline"])
    prov.setdefault("theme_mentions", {t["id"]: t["count"] for t in evidence["themes"]})
    return base


QUESTION_ES = {
    "id": "q-signups-es",
    "team": "Marketing",
    "text": "New sign-ups in Spain rose 40% this week and nothing in the knowledge log "
    "explains it. Was there a local campaign?",
    "insight_id": ID_SIGNUPS_ES,
    "reason": "rules: 'signups', 'country'",
}
QUESTION_ANDROID = {
    "id": "q-checkout-android",
    "team": "Engineering",
    "text": "Does the new payment SDK in Android 5.2 reject cards that worked before?",
    "insight_id": ID_CHECKOUT,
    "reason": "knowledge: 'Android app 5.2 released'",
}


def insights() -> list[dict[str, Any]]:
    payment_theme = {
        "id": "payment_failed",
        "label": "card declined at payment",
        "count": 60,
        "count_baseline": 14.0,
        "change_rel": 3.3,
        "segment_match": True,
        "why": "rose in the same week, mostly among Android users",
        "quotes": [
            _quote("fb-01234", HOSTILE_QUOTE, "app_review", "2026-11-18", platform="android"),
            _quote(
                "fb-01302",
                "It spins for ages and then says payment failed. Paid with PayPal instead.",
                "support_ticket",
                "2026-11-19",
                platform="android",
            ),
        ],
    }
    slots_quotes = [
        _quote(
            "fb-02011",
            "Every evening slot is gone by Monday, I had to order from a competitor.",
            "nps",
            "2026-11-17",
        ),
        _quote("fb-02044", "<img src=x onerror=alert(1)> no slots at all", "survey", "2026-11-20"),
    ]
    out = [
        _insight(
            id=ID_CHECKOUT,
            kind="metric_change",
            title="Checkout conversion fell, mostly on Android",
            metric="checkout_conversion",
            metric_label="Checkout conversion",
            metric_kind="conversion",
            direction="down",
            better=False,
            current=0.255,
            baseline=0.301,
            change_abs=-0.046,
            change_rel=-0.153,
            ci_low=-0.058,
            ci_high=-0.034,
            p_value=1e-9,
            q_value=4e-8,
            effect_size=-0.10,
            n_current=4012,
            n_baseline=16230,
            score=0.93,
            method="two-proportion z-test against the mean of the 4 previous weeks; "
            "Benjamini-Hochberg across 210 tests",
            evidence={
                "drivers": [
                    {
                        "segment": {"platform": "android"},
                        "share_of_change": 0.86,
                        "contribution": -0.040,
                        "current": 0.21,
                        "baseline": 0.302,
                        "mix_effect": 0.0,
                        "rate_effect": -0.040,
                    },
                    {
                        "segment": {"platform": "ios"},
                        "share_of_change": 0.09,
                        "contribution": -0.004,
                        "current": 0.30,
                        "baseline": 0.311,
                        "mix_effect": 0.0,
                        "rate_effect": -0.004,
                    },
                    {
                        "segment": {"platform": "web"},
                        "share_of_change": 0.05,
                        "contribution": -0.002,
                        "current": 0.29,
                        "baseline": 0.295,
                        "mix_effect": 0.001,
                        "rate_effect": -0.003,
                    },
                ],
                "themes": [payment_theme],
                "knowledge": [
                    _k("Android app 5.2 released", "release for Android inside the window"),
                    _k(HOSTILE_TITLE, "release for Android inside the window"),
                ],
            },
            question=QUESTION_ANDROID,
            narrative={
                "headline": "Fewer customers complete checkout, mostly on Android",
                "board": "Since the Android app update on 17 Nov, 21 in 100 Android customers "
                "finish checkout, down from 30; customers say their card is declined at the "
                "last step.",
                "team": "Checkout conversion fell to 25.5% in the week of 16-22 Nov, from 30.1% "
                "over the previous four weeks (95% interval of the change -5.8 to -3.4 points). "
                "Android explains 86% of the fall; iOS and web barely moved. The drop began on "
                "Tuesday 17 Nov, the day Engineering released Android app 5.2 with a new "
                "payment SDK. Complaints about declined cards rose from about 14 to 60 a week.",
            },
            provenance={"rows_current": 4012, "rows_baseline": 16230},
        ),
        _insight(
            id=ID_REVENUE_DE,
            kind="segment_driver",
            title="Revenue in Germany rose a quarter",
            metric="revenue",
            metric_label="Revenue",
            metric_kind="sum",
            unit="USD",
            segment={"country": "DE"},
            segment_text="DE",
            direction="up",
            better=True,
            current=104950.0,
            baseline=83300.0,
            change_abs=21650.0,
            change_rel=0.26,
            ci_low=15100.0,
            ci_high=28200.0,
            p_value=2e-5,
            q_value=3e-4,
            n_current=3110,
            n_baseline=11902,
            score=0.81,
            method="Poisson rate test against the mean of the 4 previous weeks",
            evidence={
                "drivers": [
                    {
                        "segment": {"country": "DE"},
                        "share_of_change": 0.79,
                        "contribution": 17100.0,
                        "current": 104950.0,
                        "baseline": 83300.0,
                    },
                    {
                        "segment": {"country": "FR"},
                        "share_of_change": 0.14,
                        "contribution": 3030.0,
                        "current": 110000.0,
                        "baseline": 106970.0,
                    },
                    {
                        "segment": {"country": "ES"},
                        "share_of_change": 0.07,
                        "contribution": 1520.0,
                        "current": 70000.0,
                        "baseline": 68480.0,
                    },
                ],
                "knowledge": [
                    _k("Free delivery week in Germany", "campaign in Germany during the week")
                ],
            },
            narrative={
                "headline": "German customers spent a quarter more",
                "board": "Revenue in Germany rose 26% to $105k during the free-delivery week; "
                "the rest of Europe grew as usual.",
                "team": "Revenue from German customers was $104,950 in the week of 16-22 Nov "
                "against $83,300 a week before (+26%, 95% interval +18% to +34%). Germany "
                "accounts for 79% of the overall rise. Marketing ran a free-delivery week in "
                "Germany on exactly these days.",
            },
        ),
        _insight(
            id=ID_OUTAGE,
            kind="anomaly",
            title="Active users dipped on Thursday 19 Nov",
            metric="active_users",
            metric_label="Active users",
            metric_kind="distinct_users",
            direction="down",
            better=False,
            current=1900.0,
            baseline=3050.0,
            change_abs=-1150.0,
            change_rel=-0.377,
            p_value=1e-6,
            n_current=1900,
            n_baseline=3050,
            score=0.74,
            method="daily value outside the robust band (median +/- 4 MAD) of the previous 28 days",
            evidence={
                "knowledge": [_k("Login outage (2 hours)", "incident on the same day")],
            },
            narrative={
                "headline": "A login outage cost a day of visits",
                "board": "On Thursday 19 Nov about 1,900 customers used the app instead of "
                "the usual 3,000, during a two-hour login outage.",
                "team": "Active users fell to 1,900 on Thursday 19 Nov against an expected "
                "3,050 (median of the previous 28 days), 38% below normal. Platform logged a "
                "login outage from 09:10 to 11:05 UTC that day. The next day was normal.",
            },
        ),
        _insight(
            id=ID_BASKET_WEB,
            kind="trend",
            title="Average basket on web has grown for 8 weeks",
            metric="avg_basket",
            metric_label="Average basket",
            metric_kind="mean",
            unit="USD",
            segment={"platform": "web"},
            segment_text="web",
            direction="up",
            better=True,
            current=44.1,
            baseline=38.6,
            change_abs=5.5,
            change_rel=0.142,
            p_value=3e-4,
            q_value=2e-3,
            n_current=2411,
            n_baseline=9800,
            score=0.66,
            status="continuing",
            method="Mann-Kendall trend test over the last 8 weeks",
            evidence={"knowledge": [_k("New basket page on web", "web release before the rise")]},
            narrative={
                "headline": "Web baskets keep getting bigger",
                "board": "Customers on the website now spend $44 per order, up from $39 two "
                "months ago, since the new basket page.",
                "team": "The average web basket has risen for 8 weeks in a row, from $38.60 to "
                "$44.10 (+14%). The rise started after Design released the new basket page on "
                "21 Sep. Apps stayed flat.",
            },
        ),
        _insight(
            id=ID_SLOTS,
            kind="emerging_theme",
            title="More customers find no delivery slot",
            theme="delivery_slots",
            theme_label="no delivery slots available",
            direction="up",
            better=False,
            current=0.273,
            baseline=0.083,
            change_abs=0.19,
            change_rel=2.28,
            ci_low=0.14,
            ci_high=0.24,
            p_value=1e-7,
            q_value=1e-6,
            n_current=41,
            n_baseline=50,
            score=0.62,
            method="Poisson test of this week's mentions against the 4-week average",
            evidence={
                "themes": [
                    {
                        "id": "delivery_slots",
                        "label": "no delivery slots available",
                        "count": 41,
                        "count_baseline": 12.5,
                        "change_rel": 2.28,
                        "segment_match": True,
                        "why": "the theme itself",
                        "quotes": slots_quotes,
                    }
                ]
            },
            narrative={
                "headline": "Customers can't find delivery slots",
                "board": "41 customers told us this week they found no delivery slot, three "
                "times as many as usual.",
                "team": "41 pieces of feedback this week say no delivery slot was available, "
                "against about 12 a week before (x3.3). Most mention evenings and weekends.",
            },
        ),
        _insight(
            id=ID_SIGNUPS_ES,
            kind="metric_change",
            title="New sign-ups rose 40% in Spain",
            metric="signups",
            metric_label="New sign-ups",
            metric_kind="count",
            segment={"country": "ES"},
            segment_text="ES",
            direction="up",
            better=True,
            current=612.0,
            baseline=437.0,
            change_abs=175.0,
            change_rel=0.40,
            ci_low=120.0,
            ci_high=230.0,
            p_value=1e-5,
            q_value=2e-4,
            n_current=612,
            n_baseline=1748,
            score=0.58,
            status="continuing",
            method="Poisson rate test against the mean of the 4 previous weeks",
            question=QUESTION_ES,
            narrative={
                "headline": "Sign-ups jumped in Spain, and we don't know why",
                "board": "612 people in Spain signed up this week, 40% more than usual; "
                "nothing we know of explains it.",
                "team": "612 new sign-ups in Spain in the week of 16-22 Nov against an average "
                "of 437 (+40%, 95% interval +27% to +53%). No campaign, release or press "
                "mention in the knowledge log explains the rise.",
            },
        ),
    ]
    for ins in out:
        ins["details"] = _details(ins, slots_quotes)
    return out


_BASE_WEEKS = ["2026-W43", "2026-W44", "2026-W45", "2026-W46"]


def _previous(value: float, current: float, p: float) -> dict[str, Any]:
    return {
        "period": "2026-W46",
        "value": value,
        "change_abs": current - value,
        "change_rel": current / value - 1,
        "p_value": p,
    }


def _details(ins: dict[str, Any], slots_quotes: list[dict[str, Any]]) -> dict[str, Any]:
    """The details a run writes for each kind (see insightlib/quant and insightlib/qual)."""
    kind, cur = ins["kind"], ins["current"]
    common = {"metric_kind": ins["metric_kind"], "baseline_periods": _BASE_WEEKS, "tau": 0.0}
    common["missing_periods"] = []
    if ins["id"] == ID_CHECKOUT:
        return {
            "previous": _previous(0.298, cur, 1e-8),
            **common,
            "onset": "2026-11-17",
            "covers": ["platform=android"],
        }
    if ins["id"] == ID_SIGNUPS_ES:
        return {
            "share_of_change": 0.62,
            "contribution": 175.0,
            "parent": "all",
            "previous": _previous(450.0, cur, 2e-5),
            **common,
            "covers": ["country=ES&platform=ios"],
        }
    if kind == "segment_driver":
        return {
            "share_of_change": 0.79,
            "contribution": 17100.0,
            "parent": "all",
            "previous": _previous(84100.0, cur, 1e-4),
            **{**common, "tau": 0.02},
            "onset": "2026-11-16",
            "covers": ["country=DE&plan=free"],
        }
    if kind == "anomaly":
        return {
            "day": "2026-11-19",
            "weekday": "Thursday",
            "expected": 3050.0,
            "expected_low": 2760.0,
            "expected_high": 3340.0,
            "history_days": [str(date(2026, 11, 19) - timedelta(weeks=w)) for w in range(8, 0, -1)],
            "period_level": 0.93,
            "other_days": [],
            "share_of_change": 1.0,
            "metric_kind": ins["metric_kind"],
        }
    if kind == "trend":
        values = [round(38.0 * (1 + 0.02 * (i + 1)), 2) for i in range(8)]
        return {
            "share_of_change": 0.9,
            "overall": {
                "slope_per_period": 0.004,
                "change_rel": 0.03,
                "p_value": 0.2,
                "q_value": 0.6,
            },
            "slope_per_period": 0.0195,
            "sen_slope_per_period": 0.0193,
            "mann_kendall_tau": 1.0,
            "mann_kendall_p": 0.0004,
            "periods": [f"2026-W{w}" for w in range(40, 48)],
            "values": values,
            "already_trending_last_period": True,
            "metric_kind": ins["metric_kind"],
            "covers": [],
            "season_unknown": {"data_from": "2026-08-17"},  # less than a year of data
        }
    if kind == "emerging_theme":
        return {
            "label": ins["theme_label"],
            "count_current": 41,
            "count_baseline": 50,
            "count_baseline_per_period": 12.5,
            "overdispersion": 1.0,
            "concentrated_in": None,
            "denominator_excludes": [],
            "quotes": slots_quotes,
        }
    raise AssertionError(kind)


def themes() -> list[dict[str, Any]]:
    out = []
    for tid, (label, base, last) in THEMES.items():
        out.append(
            {
                "id": tid,
                "label": label,
                "terms": label.split()[:3],
                "count": base * 13 + last,
                "share": round((base * 13 + last) / 2100, 3),
                "sentiment": 0.6 if tid == "fresh_praise" else -0.5,
                "count_current": last,
                "count_baseline": float(base),
                "share_current": round(last / 150, 3),
                "share_baseline": round(base / 150, 3),
                "change_rel": round(last / base - 1, 2),
                "sources": {"nps": base * 5, "support_ticket": base * 8 + last},
                "segments": {"platform": {"android": base * 6, "ios": base * 4}},
                "quotes": [
                    _quote(f"fb-{tid}-1", f"A customer comment about {label}.", "nps", "2026-11-18")
                ]
                + (
                    [_quote("fb-01234", HOSTILE_QUOTE, "app_review", "2026-11-18")]
                    if tid == "payment_failed"
                    else []
                ),
                "codebook": False,
            }
        )
    return sorted(out, key=lambda t: -t["count"])


def document(label: str = LABEL) -> dict[str, Any]:
    """The fixture document as the typed writer writes it: the hand-written dict below read
    and written back by :class:`insightlib.document.InsightsDocument`, so the tests render
    the shape the code writes; ``test_real_run`` checks that the round trip changes nothing
    (the hand-written part has not drifted from the real document)."""
    return InsightsDocument.from_dict(hand_written(label)).to_dict()


def hand_written(label: str = LABEL) -> dict[str, Any]:
    ins = insights()
    return {
        "schema_version": 2,
        "project": "Basketly",
        "title": "Basketly weekly insights",
        "period": {
            "label": label,
            "start": "2026-11-16",
            "end": "2026-11-22",
            "grain": "week",
            "human": "16–22 Nov 2026",
        },
        "baseline": {
            "start": "2026-10-19",
            "end": "2026-11-15",
            "periods": 4,
            "human": "19 Oct – 15 Nov 2026",
        },
        "summary": {
            "n_insights": len(ins),
            "n_tests": 210,
            "untestable": False,
            "n_events": 512345,
            "n_feedback": 2100,
            "nothing_found": False,
            "text": "6 things stood out this week; the biggest: fewer customers complete "
            "checkout, mostly on Android.",
            "watch": [],
            "too_small": "",
            "missing": [],
            "inputs_missing": [],
        },
        "metrics": [
            {
                "metric": "orders",
                "label": "Orders",
                "kind": "count",
                "unit": None,
                "good": "up",
                "segment": {},
                "current": 2380.0,
                "baseline": 2400.5,
                "change_abs": -20.5,
                "change_rel": -0.0085,
                "interval": [-160.2, 119.2],
                "baseline_periods": ["2026-W43", "2026-W44", "2026-W45", "2026-W46"],
                "p_value": 0.77,
                "q_value": 0.95,
                "status": "steady",
                "recent": [
                    {"period": "2026-W46", "value": 2391.0},
                    {"period": "2026-W47", "value": 2380.0},
                ],
            }
        ],  # fmt: skip
        "insights": ins,
        "themes": themes(),
        "questions": [QUESTION_ANDROID, QUESTION_ES],
        "knowledge": KNOWLEDGE,
        "audiences": {
            "team": {
                "depth": "detailed",
                "title": "Team",
                "max_findings": None,
                "insight_ids": [i["id"] for i in ins],
                "question_ids": [QUESTION_ANDROID["id"], QUESTION_ES["id"]],
            },
            "board": {
                "depth": "summary",
                "title": "Board",
                "max_findings": 5,
                "insight_ids": [ID_CHECKOUT, ID_REVENUE_DE, ID_OUTAGE, ID_SLOTS, ID_SIGNUPS_ES],
                "question_ids": [QUESTION_ANDROID["id"], QUESTION_ES["id"]],
            },
        },
        "glossary": [
            {"term": "free-delivery week", "plain": "no delivery fee on orders over 30 EUR"}
        ],
        "digest": "Weekly insights, 16-22 Nov: 1) Checkout conversion fell on Android after "
        "app 5.2. 2) Revenue in Germany rose 26% in the free-delivery week. 3) A login outage "
        "on 19 Nov cost a day of visits.",
        "history": {
            "previous": "2026-W46",
            "new": [ID_CHECKOUT, ID_REVENUE_DE, ID_OUTAGE, ID_SLOTS],
            "continuing": [ID_BASKET_WEB, ID_SIGNUPS_ES],
            "resolved": [
                {
                    "id": ID_RESOLVED,
                    "title": "On-time deliveries fell in France",
                    "kind": "metric_change",
                    "period": "2026-W46",
                }
            ],
        },
        "track_record": {
            "insights_raised": 14,
            "confirmed": 3,
            "refuted": 1,
            "explained": 2,
            "investigating": 1,
            "still_open": 7,
            "questions_asked": 4,
            "questions_answered": 2,
            "questions_open": 2,
            "median_days_to_answer": 3.5,
        },
        "provenance": {
            "notes": [],
            "files": {
                "events": {"path": "events.parquet", "sha256": "ab" * 32, "rows": 512345},
                "feedback": {"path": "feedback.csv", "sha256": "cd" * 32, "rows": 2100},
                "knowledge": {"path": "knowledge.csv", "sha256": "ef" * 32, "rows": 5},
                "glossary": {"path": "glossary.csv", "sha256": "01" * 32, "rows": 1},
            },
            "parameters": {
                "period": LABEL,
                "grain": "week",
                "alpha": 0.05,
                "min_volume": 100,
                "baseline_periods": 4,
                "audiences": ["board", "team"],
                "fusion": {
                    "lead_days": 7,
                    "theme_min_score": 0.65,
                    "max_themes": 3,
                    "max_knowledge": 3,
                },
            },
            # [report] locale and [segments.labels] as the run used them (none: the defaults)
            "presentation": {"locale": None, "segment_labels": {}},
        },
    }


def write_run(folder: Path, doc: dict[str, Any]) -> Path:
    """Write ``doc`` and the fixture frames into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "insights.json").write_text(
        json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    data = folder / "data"
    data.mkdir(exist_ok=True)
    series_frame().to_parquet(data / "series.parquet", index=False)
    daily_frame().to_parquet(data / "daily.parquet", index=False)
    theme_counts_frame().to_parquet(data / "theme_counts.parquet", index=False)
    return folder


def build_run(root: Path, label: str = LABEL, doc: dict[str, Any] | None = None) -> Path:
    """Write a run folder ``root/<label>/`` and return its path."""
    doc = copy.deepcopy(doc) if doc is not None else document(label)
    return write_run(Path(root) / label, doc)


if __name__ == "__main__":
    print(build_run(Path(sys.argv[1] if len(sys.argv) > 1 else "reports")))


_BUILT: dict[str, Path] = {}


def built_reports(base: Path) -> Path:
    """The fixture run with its reports built (notebooks, HTML, PDF) and an index of two runs.

    Built once per test session (the first caller's ``base`` is used); returns the reports
    root holding ``2026-W46/`` (insights.json only) and ``2026-W47/`` (everything).
    """
    if "root" not in _BUILT:
        from insightlib.report import publish as report

        root = Path(base)
        earlier = document("2026-W46")
        earlier["period"] = {
            "label": "2026-W46",
            "start": "2026-11-09",
            "end": "2026-11-15",
            "grain": "week",
            "human": "9–15 Nov 2026",
        }
        earlier["insights"] = earlier["insights"][3:]
        earlier["history"] = {"previous": None, "new": [], "continuing": [], "resolved": []}
        build_run(root, "2026-W46", earlier)
        run = build_run(root)
        result = report.build_reports(run)
        (run / "build.json").write_text(json.dumps(result), encoding="utf-8")
        report.write_index(root)
        _BUILT["root"] = root
    return _BUILT["root"]
