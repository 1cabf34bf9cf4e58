"""Small seeded event generators and configs for the engine and quant tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from insightlib.workspace.config import Config, MetricSpec

START = date(2026, 8, 31)  # a Monday
WEEKDAY = np.array([0.9, 0.85, 0.88, 0.94, 1.05, 1.23, 1.15])

METRICS = {
    "active_users": MetricSpec("active_users", "distinct_users", "Active users"),
    "signup_completion": MetricSpec(
        "signup_completion",
        "conversion",
        "Sign-up completion",
        from_event="signup_start",
        to_event="signup_complete",
    ),
    "checkout_conversion": MetricSpec(
        "checkout_conversion", "conversion", "Checkout", from_event="view_cart", to_event="purchase"
    ),
    "orders": MetricSpec("orders", "count", "Orders", event="purchase"),
    "revenue": MetricSpec("revenue", "sum", "Revenue", event="purchase", column="revenue"),
    "order_value": MetricSpec("order_value", "mean", "AOV", event="purchase", column="revenue"),
    "support_contacts": MetricSpec(
        "support_contacts", "count", "Support", event="support_contact", good="down"
    ),
}
DEFAULT_METRICS = tuple(METRICS)
# distinct users of one event (kept out of the default set the quant tests were tuned on)
METRICS["buyers"] = MetricSpec("buyers", "distinct_users", "Buyers", event="purchase")
METRICS["cart_viewers"] = MetricSpec("cart_viewers", "distinct_users", "Carts", event="view_cart")


def config(
    segments: tuple[str, ...] = ("platform", "country", "plan"),
    metrics: tuple[str, ...] | None = None,
    grain: str = "week",
    min_volume: int = 100,
) -> Config:
    names = metrics or DEFAULT_METRICS
    return Config(
        root=Path("."),
        path=Path("insight.toml"),
        project="Test",
        sources={},
        segments=segments,
        metrics={n: METRICS[n] for n in names},
        grain=grain,
        min_volume=min_volume,
    )


# An effect gets (day index, day, users frame) and returns multipliers per user for
# "active", "cart", "buy", "signup" (probabilities) and "value" (revenue), or {} for none.
Effect = Callable[[int, date, pd.DataFrame], dict[str, np.ndarray]]


def make_events(
    seed: int = 0,
    n_users: int = 3000,
    days: int = 70,
    start: date = START,
    segments: dict[str, tuple[list[str], list[float]]] | None = None,
    effects: tuple[Effect, ...] = (),
    p_active: float = 0.3,
    unstable: float = 0.0,
    null_share: float = 0.0,
    skip_days: tuple[date, ...] = (),
) -> pd.DataFrame:
    """Events of ``n_users`` users over ``days`` days, with stable segment values per user.

    ``unstable`` is the share of events whose platform is switched to another value (users who
    change segment values); ``null_share`` the share of rows with a missing country.
    """
    rng = np.random.default_rng(seed)
    segments = segments or {
        "platform": (["ios", "android", "web"], [0.4, 0.35, 0.25]),
        "country": (["US", "GB", "DE", "FR"], [0.4, 0.25, 0.2, 0.15]),
        "plan": (["free", "plus"], [0.75, 0.25]),
    }
    users = pd.DataFrame({"user_id": [f"u{i:05d}" for i in range(n_users)]})
    for col, (vals, p) in segments.items():
        users[col] = rng.choice(np.array(vals, dtype=object), size=n_users, p=p)
    rate = rng.gamma(2.0, 0.5, n_users)
    rows: list[pd.DataFrame] = []
    for d in range(days):
        day = start + timedelta(days=d)
        if day in skip_days:
            continue
        mult: dict[str, np.ndarray] = {}
        for eff in effects:
            for k, v in eff(d, day, users).items():
                mult[k] = mult.get(k, 1.0) * v
        ones = np.ones(n_users)
        pa = np.clip(p_active * rate * WEEKDAY[day.weekday()] * mult.get("active", ones), 0, 1)
        active = np.flatnonzero(rng.random(n_users) < pa)
        n = len(active)
        base = pd.Timestamp(day)

        def ev(idx: np.ndarray, name: str, revenue: np.ndarray | None = None, base=base) -> None:
            secs = rng.integers(0, 86_400, len(idx))
            frame = users.iloc[idx].reset_index(drop=True)
            frame.insert(0, "event", name)
            frame.insert(0, "timestamp", base + pd.to_timedelta(secs, unit="s"))
            frame["revenue"] = np.nan if revenue is None else revenue
            rows.append(frame)

        ev(active, "app_open")
        cart = active[rng.random(n) < 0.5 * mult.get("cart", ones)[active]]
        ev(cart, "view_cart")
        buy = cart[rng.random(len(cart)) < np.clip(0.6 * mult.get("buy", ones)[cart], 0, 1)]
        value = np.round(np.exp(rng.normal(np.log(40), 0.4, len(buy))), 2)
        ev(buy, "purchase", value * mult.get("value", ones)[buy])
        again = buy[rng.random(len(buy)) < 0.15]
        ev(again, "purchase", np.round(np.exp(rng.normal(np.log(40), 0.4, len(again))), 2))
        su = active[rng.random(n) < 0.08]
        ev(su, "signup_start")
        done = su[rng.random(len(su)) < np.clip(0.6 * mult.get("signup", ones)[su], 0, 1)]
        ev(done, "signup_complete")
        ev(active[rng.random(n) < 0.03], "support_contact")
    df = pd.concat(rows, ignore_index=True)
    if unstable:
        flip = rng.random(len(df)) < unstable
        df.loc[flip, "platform"] = np.where(df.loc[flip, "platform"] == "web", "ios", "web")
    if null_share:
        df.loc[rng.random(len(df)) < null_share, "country"] = None
    df["timestamp"] = df["timestamp"].dt.tz_localize("UTC")
    return df.sort_values("timestamp", ignore_index=True)


def segment_effect(column: str, value: str, key: str, factor: float, since: date) -> Effect:
    """Multiply probability ``key`` by ``factor`` for users with ``column == value`` from a day."""

    def effect(d: int, day: date, users: pd.DataFrame) -> dict[str, np.ndarray]:
        if day < since:
            return {}
        return {key: np.where(users[column].to_numpy() == value, factor, 1.0)}

    return effect


def growth_effect(column: str, value: str, weekly: float, since: date) -> Effect:
    """Grow activity of a segment by ``weekly`` (e.g. 0.04) per week from a day on."""

    def effect(d: int, day: date, users: pd.DataFrame) -> dict[str, np.ndarray]:
        if day < since:
            return {}
        f = (1 + weekly) ** ((day - since).days / 7)
        return {"active": np.where(users[column].to_numpy() == value, f, 1.0)}

    return effect


def day_effect(column: str, value: str, key: str, factor: float, on: date) -> Effect:
    """Multiply probability ``key`` for one segment on one day (an outage)."""

    def effect(d: int, day: date, users: pd.DataFrame) -> dict[str, np.ndarray]:
        if day != on:
            return {}
        return {key: np.where(users[column].to_numpy() == value, factor, 1.0)}

    return effect


# ==========================================================================================
# The engine's series computed the slow, obvious way, from the metric definitions
# ==========================================================================================
FIELDS = [
    "users",
    "numerator",
    "denominator",
    "value",
    "events",
    "sumsq",
    "cross",
    "densq",
    "sumsq_values",
]


def _period(ts: pd.Series, grain: str) -> pd.Series:
    day = ts.dt.floor("D")
    if grain == "day":
        return day.dt.date
    if grain == "week":
        return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date
    return ts.dt.to_period("M").dt.start_time.dt.date


def reference(
    df: pd.DataFrame, cfg: Config, grain: str, pairs: bool = True, per_event: bool = False
) -> pd.DataFrame:
    """The series computed the slow, obvious way: per period, per segment, per metric."""
    d = df.copy()
    d["p"] = _period(d["timestamp"].dt.tz_convert(None), grain)
    for c in cfg.segments:
        d[c] = d[c].astype(object).where(d[c].notna() & (d[c] != ""), "(unknown)")
    sets: list[tuple[str, ...]] = [()] + [(c,) for c in cfg.segments]
    if pairs:
        sets += list(combinations(cfg.segments, 2))
    rows = []
    for cols in sets:
        cols_sorted = sorted(cols)
        if cols_sorted:
            d["key"] = d[cols_sorted[0]].map(lambda v, c=cols_sorted[0]: f"{c}={v}")
            for c in cols_sorted[1:]:
                d["key"] = d["key"] + "&" + d[c].map(lambda v, c=c: f"{c}={v}")
        else:
            d["key"] = "all"
        for (p, key), g in d.groupby(["p", "key"]):
            users = g["user_id"].nunique()
            by_event = dict(tuple(g.groupby("event")))
            none = g.iloc[:0]

            def of(event: str | None, by_event=by_event, none=none) -> pd.DataFrame:
                return by_event.get(event, none)  # the group's events named `event`

            for m in cfg.metrics.values():
                r = {"metric": m.name, "period_start": p, "segment": key, "users": users}
                r.update(events=np.nan, cross=np.nan, densq=np.nan, sumsq_values=np.nan)
                if m.kind == "distinct_users":
                    n = of(m.event)["user_id"].nunique() if m.event else users
                    r.update(numerator=n, denominator=users, value=n, sumsq=n)
                elif m.kind == "count":
                    per = of(m.event).groupby("user_id").size()
                    n = per.sum()
                    sq = n if per_event else (per**2).sum()
                    r.update(numerator=n, denominator=users, value=n, events=n, sumsq=sq)
                elif m.kind in ("sum", "mean"):
                    e = of(m.event)
                    vals = e[m.column]
                    s_u = vals.groupby(e["user_id"]).sum()
                    k_u = vals.groupby(e["user_id"]).count()
                    ssv = (vals**2).sum()
                    num, k = vals.sum(), vals.count()
                    r.update(numerator=num, events=k, sumsq=ssv if per_event else (s_u**2).sum())
                    r["sumsq_values"] = ssv
                    if m.kind == "sum":
                        r.update(denominator=users, value=num)
                    else:
                        r.update(denominator=k, value=num / k if k else np.nan)
                        r["cross"] = num if per_event else (s_u * k_u).sum()
                        r["densq"] = k if per_event else (k_u**2).sum()
                else:
                    a = set(of(m.from_event)["user_id"])
                    b = set(of(m.to_event)["user_id"])
                    num, den = len(a & b), len(a)
                    r.update(numerator=num, denominator=den, sumsq=num)
                    r["value"] = num / den if den else np.nan
                rows.append(r)
    return pd.DataFrame(rows)


def assert_same(got: pd.DataFrame, ref: pd.DataFrame, fields: list[str] = FIELDS) -> None:
    got = got.copy()
    got["period_start"] = pd.to_datetime(got["period_start"]).dt.date
    key = ["metric", "period_start", "segment"]
    # a segment with no row in a period has zero counts: compare on the reference's rows, and
    # check that the engine has no extra non-empty rows
    m = ref.merge(got, on=key, how="left", suffixes=("_ref", ""), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", key].head()
    assert len(got) == len(ref), (len(got), len(ref))
    for f in fields:
        a = m[f].to_numpy(dtype=float)
        b = m[f + "_ref"].to_numpy(dtype=float)
        ok = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert ok.all(), (f, m.loc[~ok, key + [f, f + "_ref"]].head())
