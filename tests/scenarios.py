"""Planted scenarios for the quantitative step (small counts, seasonality, concentration, mix),
each with a null twin: the same generator without the planted effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from insightlib.workspace.config import Config, MetricSpec

START = date(2025, 1, 6)  # a Monday
COUNTRIES = (["US", "GB", "DE", "FR"], [0.4, 0.3, 0.2, 0.1])
CHANNELS = (["organic", "paid", "email"], [0.5, 0.3, 0.2])

# day -> multiplier per user (rows of the users frame) of an event's daily rate
Rate = Callable[[date, pd.DataFrame], np.ndarray | float]


def scenario_config(metrics: dict[str, MetricSpec], segments=("country", "channel")) -> Config:
    return Config(
        root=Path("."),
        path=Path("insight.toml"),
        project="Scenario",
        sources={},
        segments=tuple(segments),
        metrics=metrics,
        grain="week",
    )


def events(
    seed: int,
    days: int,
    n_users: int = 4000,
    start: date = START,
    rates: dict[str, tuple[float, Rate | None]] | None = None,
    p_active: float = 0.15,
    activity: Rate | None = None,
    values: dict[str, float] | None = None,
) -> pd.DataFrame:
    """``app_open`` for active users every day, and for each event ``name`` of ``rates``
    (``(events per day overall, multiplier or None)``) Poisson counts given to random active
    users (weighted by the multiplier). Events named in ``values`` carry an ``amount``
    (lognormal around that mean)."""
    rng = np.random.default_rng(seed)
    users = pd.DataFrame({"user_id": np.array([f"u{i:05d}" for i in range(n_users)])})
    for col, (vals, p) in (("country", COUNTRIES), ("channel", CHANNELS)):
        users[col] = rng.choice(np.array(vals, dtype=object), size=n_users, p=p)
    frames = []
    for d in range(days):
        day = start + timedelta(days=d)
        w = np.ones(n_users) * (activity(day, users) if activity else 1.0)
        active = np.flatnonzero(rng.random(n_users) < np.clip(p_active * w, 0, 1))
        parts = [("app_open", active)]
        for name, (per_day, mult) in (rates or {}).items():
            m = np.ones(n_users) * (mult(day, users) if mult else 1.0)
            lam = per_day * float(m.mean())
            n = rng.poisson(lam)
            if n and len(active):
                p = m[active] / m[active].sum()
                parts.append((name, rng.choice(active, size=n, p=p)))
        for name, idx in parts:
            f = users.iloc[idx].reset_index(drop=True)
            f["event"] = name
            secs = rng.integers(0, 86_400, len(idx))
            f["timestamp"] = pd.Timestamp(day, tz="UTC") + pd.to_timedelta(secs, unit="s")
            mean = (values or {}).get(name)
            f["amount"] = (
                np.round(np.exp(rng.normal(np.log(mean), 0.5, len(idx))), 2) if mean else np.nan
            )
            frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    return df[["timestamp", "user_id", "event", "country", "channel", "amount"]]


def in_segment(col: str, value: str, factor: float, since: date, until: date | None = None) -> Rate:
    """Multiply the rate of users with ``col == value`` by ``factor`` from ``since``."""

    def rate(day: date, users: pd.DataFrame) -> np.ndarray | float:
        if day < since or (until is not None and day > until):
            return 1.0
        return np.where(users[col].to_numpy() == value, factor, 1.0)

    return rate


def funnel(
    seed: int,
    days: int,
    n_users: int = 6000,
    start: date = START,
    p_active: float = 0.1,
    convert: dict[str, float] | None = None,
    activity: Rate | None = None,
    conversion: Rate | None = None,
) -> pd.DataFrame:
    """``visit`` for active users and ``purchase`` for a share of them that depends on their
    channel (``convert``: channel -> probability); ``activity`` and ``conversion`` multiply
    the probabilities per day and user."""
    rng = np.random.default_rng(seed)
    convert = convert or {"organic": 0.3, "paid": 0.1, "email": 0.4}
    users = pd.DataFrame({"user_id": np.array([f"u{i:05d}" for i in range(n_users)])})
    for col, (vals, p) in (("country", COUNTRIES), ("channel", CHANNELS)):
        users[col] = rng.choice(np.array(vals, dtype=object), size=n_users, p=p)
    base_conv = users["channel"].map(convert).to_numpy(dtype=float)
    frames = []
    for d in range(days):
        day = start + timedelta(days=d)
        a = p_active * np.ones(n_users) * (activity(day, users) if activity else 1.0)
        c = base_conv * (conversion(day, users) if conversion else 1.0)
        active = np.flatnonzero(rng.random(n_users) < np.clip(a, 0, 1))
        buy = active[rng.random(len(active)) < np.clip(c[active], 0, 1)]
        for name, idx in (("visit", active), ("purchase", buy)):
            f = users.iloc[idx].reset_index(drop=True)
            f["event"] = name
            secs = rng.integers(0, 86_400, len(idx))
            f["timestamp"] = pd.Timestamp(day, tz="UTC") + pd.to_timedelta(secs, unit="s")
            f["amount"] = np.nan
            frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    return df[["timestamp", "user_id", "event", "country", "channel", "amount"]]


def newcomers(col: str, value: str, share: float, since: date) -> Rate:
    """Users of ``col == value`` among the last ``share`` of ids are absent before ``since``
    and active like everyone from then on: more visitors of that kind, each behaving as before."""

    def rate(day: date, users: pd.DataFrame) -> np.ndarray | float:
        n = len(users)
        late = (np.arange(n) >= n * (1 - share)) & (users[col].to_numpy() == value)
        return np.where(late & (day < since), 0.0, 1.0)

    return rate
