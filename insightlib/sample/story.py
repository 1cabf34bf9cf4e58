"""Write the seeded sample workspace: Basketly, a fictional grocery-delivery app.

The workspace covers the 14 ISO weeks 2026-W34 to 2026-W47 (Monday 17 Aug to Sunday 22 Nov 2026)
plus Monday 23 Nov and the early hours of Tuesday 24 Nov (the extract was taken at 08:00 UTC on
24 Nov), so the latest complete week is 2026-W47. It holds product events, customer feedback,
what other teams logged (releases, incidents, campaigns, notes) and a jargon glossary.

A few stories are planted in it on purpose, together with distractors that a sound analysis must
not report; ``data/README.md`` documents every column, every story and its size.

Everything comes from one :func:`numpy.random.default_rng` seeded with ``seed`` and nothing reads
the clock, so the same seed writes byte-identical files (for the same versions of numpy, pandas
and pyarrow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.special import gammaincinv, ndtri

from insightlib.errors import InputError

__all__ = ["write_sample"]

# --------------------------------------------------------------------------------------------
# Calendar. Day 0 is Monday 2026-08-17; all times are UTC.
# --------------------------------------------------------------------------------------------
ORIGIN = np.datetime64("2026-08-17T00:00:00", "us")
N_DAYS = 100  # 17 Aug .. 24 Nov 2026
FULL_DAYS = 98  # 14 full ISO weeks, 2026-W34 .. 2026-W47
CUTOFF_US = (99 * 24 + 8) * 3_600_000_000  # extract taken Tue 24 Nov 2026 08:00 UTC
DAY_US = 86_400_000_000
MIN_US = 60_000_000

CAMPAIGN_DAY = 35  # Mon 21 Sep: "Plus free-trial month" starts
NEWSLETTER_DAY = 91  # Mon 16 Nov: autumn newsletter to France (no effect)
W47_FIRST_DAY = 91  # Mon 16 Nov
RELEASE_DAY = 92  # Tue 17 Nov: Android app 5.2 with a new SMS verification provider
CS_NOTE_DAY = 94  # Thu 19 Nov
OUTAGE_DAY = 95  # Fri 20 Nov: web payment page outage
EU_DST_END_DAY = 69  # Sun 25 Oct
US_DST_END_DAY = 76  # Sun 1 Nov

# Grocery shopping is busier at weekends (Mon..Sun); mean 1.
WEEKDAY = np.array([0.90, 0.85, 0.88, 0.94, 1.05, 1.23, 1.15])
WEEKDAY = WEEKDAY / WEEKDAY.mean()

# Sessions by local hour of day: lunch and evening peaks.
HOUR_PROFILE = np.array(
    [0.25, 0.12, 0.08, 0.06, 0.08, 0.2, 0.5, 1.0, 1.5, 1.6, 1.6, 1.8]
    + [2.2, 2.0, 1.6, 1.6, 1.9, 2.5, 2.9, 3.0, 2.8, 2.2, 1.4, 0.7]
)
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.sum()

# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------
PLATFORMS = np.array(["ios", "android", "web"], dtype=object)
PLATFORM_MIX = np.array([0.40, 0.35, 0.25])
COUNTRIES = np.array(["US", "GB", "DE", "FR", "ES", "IE"], dtype=object)
COUNTRY_MIX = np.array([0.36, 0.20, 0.17, 0.14, 0.127, 0.003])
US, GB, DE, FR, ES, IE = range(6)
PLANS = np.array(["free", "plus"], dtype=object)
IOS, ANDROID, WEB = range(3)
FREE, PLUS = range(2)

EVENTS = np.array(
    [
        "app_open",
        "signup_start",
        "signup_complete",
        "view_cart",
        "checkout_start",
        "purchase",
        "support_contact",
    ],
    dtype=object,
)
APP_OPEN, SIGNUP_START, SIGNUP_COMPLETE, VIEW_CART, CHECKOUT_START, PURCHASE, SUPPORT = range(7)

# --------------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------------
SIGNUP_STARTS_PER_DAY = 200.0
SIGNUP_COMPLETION = np.array([0.64, 0.625, 0.635])  # ios, android, web
ANDROID_COMPLETION_AFTER_RELEASE = 0.40
SIGNUP_PLUS_SHARE = 0.13  # new customers who pick Plus straight away
LIFETIME_DAYS = np.array([90.0, 200.0])  # mean customer lifetime, free / plus
RATE_SHAPE, RATE_MEAN = 2.0, 0.18  # sessions per customer-day, gamma distributed
PLUS_RATE_FACTOR = 1.15
PLUS_GROWTH_PER_WEEK = 0.035  # after the free-trial campaign
P_CART = np.array([0.53, 0.60])  # free, plus: share of sessions that open the basket
DE_W47_CART_FACTOR = 1.25  # unexplained: more German baskets from 16 Nov
P_CHECKOUT = 0.72  # of basket views
P_PURCHASE = np.array([0.88, 0.86, 0.83])  # of checkout starts, ios / android / web
P_SUPPORT_SESSION = 0.02
P_WELCOME_SESSION = 0.45
REVENUE_MEDIAN = np.array([45.0, 52.0])  # free, plus; lognormal
REVENUE_SIGMA = 0.42

# Irrational steps (fractional parts of sqrt(2), sqrt(3), sqrt(5), sqrt(7)) for low-discrepancy
# sequences; being rationally independent, they spread jointly as well as one by one.
STEP_PLATFORM, STEP_COUNTRY, STEP_LIFE, STEP_RATE = 0.41421356, 0.73205081, 0.23606798, 0.64575131
STEP_PLAN = 0.31662479  # sqrt(11)

OVERWRITE_MARKER = "# Basketly sample workspace, written by insightlib.sample.story"
SAMPLE_FILES = (
    "insight.toml",
    "events.parquet",
    "feedback.csv",
    "knowledge.csv",
    "glossary.csv",
)


class SampleDestinationError(InputError, ValueError):
    """The destination folder holds something that is not a previous sample workspace."""


# ============================================================================================
# Public entry point
# ============================================================================================
def write_sample(dest: str | Path, seed: int = 47, *, overwrite: bool = False) -> Path:
    """Write the seeded Basketly sample workspace into ``dest``.

    Parameters
    ----------
    dest
        Folder to write into; created if missing. It must be empty, hold a previous sample
        workspace (which is replaced), or ``overwrite`` must be true.
    seed
        Seed of the single random generator everything is drawn from. The same seed writes
        byte-identical files.
    overwrite
        Write even if ``dest`` holds other files. Only the sample's own file names are
        replaced; other files are left alone.

    Returns
    -------
    pathlib.Path
        The workspace folder (``dest``).

    Raises
    ------
    ValueError
        If ``dest`` is a file, or a non-empty folder that is not a previous sample workspace and
        ``overwrite`` is false. (The exception is also an :class:`~insightlib.errors.InputError`.)

    Examples
    --------
    >>> from insightlib.sample.story import write_sample
    >>> ws = write_sample("/tmp/basketly")  # doctest: +SKIP
    >>> sorted(p.name for p in ws.iterdir())  # doctest: +SKIP
    ['events.parquet', 'feedback.csv', 'glossary.csv', 'insight.toml', 'knowledge.csv']
    """
    dest = Path(dest)
    _check_destination(dest, overwrite)
    rng = np.random.default_rng(seed)

    ev = _generate_events(rng)
    feedback = _generate_feedback(rng, ev)
    knowledge = _knowledge(feedback)

    dest.mkdir(parents=True, exist_ok=True)
    (dest / "insight.toml").write_text(_INSIGHT_TOML, encoding="utf-8", newline="\n")
    _write_events(ev, dest / "events.parquet")
    _write_csv(feedback.drop(columns=["theme"]), dest / "feedback.csv")
    _write_csv(knowledge, dest / "knowledge.csv")
    _write_csv(pd.DataFrame(GLOSSARY, columns=["term", "plain"]), dest / "glossary.csv")
    return dest


def _check_destination(dest: Path, overwrite: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise SampleDestinationError(
            f"{dest} is a file; the sample workspace needs a folder. Pass a folder path."
        )
    if overwrite or not dest.exists():
        return
    entries = sorted(p.name for p in dest.iterdir())
    if not entries:
        return
    toml = dest / "insight.toml"
    is_sample = False
    if toml.is_file():
        try:
            is_sample = toml.read_text(encoding="utf-8").startswith(OVERWRITE_MARKER)
        except (OSError, UnicodeDecodeError):
            is_sample = False
    if not is_sample:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise SampleDestinationError(
            f"{dest} is not empty ({shown}) and does not hold a previous sample workspace; "
            "refusing to overwrite it. Choose an empty or new folder, or pass overwrite=True "
            "(--force on the command line)."
        )


# ============================================================================================
# Events
# ============================================================================================
class _Events:
    """Columnar event table plus the per-user attributes it points into."""

    def __init__(
        self,
        t: np.ndarray,
        user: np.ndarray,
        event: np.ndarray,
        revenue: np.ndarray,
        users: dict[str, np.ndarray],
        flags: dict[str, np.ndarray],
    ) -> None:
        self.t = t  # int64 microseconds since ORIGIN, sorted
        self.user = user  # int index into users
        self.event = event  # int code into EVENTS
        self.revenue = revenue  # float64, NaN except purchases
        self.users = users  # platform, country, plan (int codes), uid (str)
        self.flags = flags  # per-row booleans used to pick feedback authors
        self.day = (t // DAY_US).astype(np.int64)
        self.day_start = np.searchsorted(self.day, np.arange(N_DAYS + 1))


def _utc_offsets(country: np.ndarray, us_std: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Hours to add to UTC to get local time, per user and day (with daylight saving)."""
    off = np.zeros(len(country))
    is_us = country == US
    off[is_us] = us_std[is_us] + (day[is_us] < US_DST_END_DAY)
    is_cet = np.isin(country, (DE, FR, ES))
    off[is_cet] = 1 + (day[is_cet] < EU_DST_END_DAY)
    is_wet = np.isin(country, (GB, IE))
    off[is_wet] = 0 + (day[is_wet] < EU_DST_END_DAY)
    return off


def _local_times(
    rng: np.random.Generator, day: np.ndarray, country: np.ndarray, us_std: np.ndarray
) -> np.ndarray:
    """Times (us since ORIGIN) on the given UTC days, following the local hour profile."""
    n = len(day)
    hour = rng.choice(24, size=n, p=HOUR_PROFILE)
    sec = hour * 3600 + rng.integers(0, 3600, size=n)
    off = _utc_offsets(country, us_std, day)
    utc_sec = (sec - (off * 3600).astype(np.int64)) % 86_400
    return day * DAY_US + utc_sec * 1_000_000 + rng.integers(0, 1_000_000, size=n)


def _chance(rng: np.random.Generator, p: np.ndarray, cell: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Bernoulli outcomes with marginal probabilities ``p``, balanced within segment cells.

    Plain independent draws give every (platform, country, plan) cell its own binomial noise,
    and among ~100 segment-metric-week combinations a few then drift 2.5-3 standard errors by
    pure chance. Those would read as findings nobody planted. So outcomes are drawn by
    systematic sampling along each cell in time order: any run of consecutive units in a cell
    gets its expected number of successes to within one, while each unit still succeeds with
    probability ``p``. The tiny IE market keeps independent draws: its swings are real noise
    (distractor F).
    """
    out = rng.random(len(p)) < p
    idx = np.flatnonzero(cell % 10 != IE)
    order = idx[np.lexsort((t[idx], cell[idx]))]
    c = rng.random() + np.cumsum(p[order])
    out[order] = np.floor(c) > np.floor(c - p[order])
    return out


def _session_counts(
    rng: np.random.Generator, lam: np.ndarray, cell: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Sessions per customer-day with mean ``lam``, balanced within each segment cell and day.

    Which customers shop on a day is random (a fresh random order every day), but each
    (platform, plan, country) cell gets its expected number of sessions that day to within
    one, so segments do not drift apart by chance. IE customers get plain Poisson counts.
    """
    out = rng.poisson(lam)
    idx = np.flatnonzero(cell % 10 != IE)
    order = idx[np.lexsort((rng.random(len(idx)), day[idx], cell[idx]))]
    c = rng.random() + np.cumsum(lam[order])
    out[order] = (np.floor(c) - np.floor(c - lam[order])).astype(out.dtype)
    return out


def _quantiles(rng: np.random.Generator, cell: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Uniform(0, 1) draws, evenly spread along each cell in time order (IE stays random)."""
    u = rng.random(len(cell))
    idx = np.flatnonzero(cell % 10 != IE)
    order = idx[np.lexsort((t[idx], cell[idx]))]
    u[order] = (rng.random() + np.arange(len(order)) * 0.6180339887498949) % 1.0
    return np.clip(u, 1e-6, 1 - 1e-6)


def _cell(platform: np.ndarray, country: np.ndarray, plan: np.ndarray) -> np.ndarray:
    return platform * 100 + plan * 10 + country


def _weyl(rng: np.random.Generator, n: int, step: float) -> np.ndarray:
    """``n`` values in (0, 1) from a randomly shifted Weyl sequence.

    Any run of consecutive values is spread almost perfectly evenly, so a stream of customers
    gets its segment mix, lifetimes and activity levels in the intended proportions week by
    week, instead of drifting apart by chance between segments (which would read as trends
    nobody planted).
    """
    u = (rng.random() + np.arange(n) * step) % 1.0
    return np.clip(u, 1e-9, 1 - 1e-9)


def _draw_segments(rng: np.random.Generator, n: int, platform_mix: np.ndarray) -> tuple:
    cum_p = np.cumsum(platform_mix) / platform_mix.sum()
    cum_c = np.cumsum(COUNTRY_MIX) / COUNTRY_MIX.sum()
    platform = np.searchsorted(cum_p, _weyl(rng, n, STEP_PLATFORM))
    country = np.searchsorted(cum_c, _weyl(rng, n, STEP_COUNTRY))
    us_std = rng.choice([-5, -6, -7, -8], size=n, p=[0.47, 0.29, 0.06, 0.18])
    return platform, country, us_std


def _lifetimes(rng: np.random.Generator, plan: np.ndarray) -> np.ndarray:
    """Exponential customer lifetimes (days), evenly spread along the stream."""
    return -LIFETIME_DAYS[plan] * np.log1p(-_weyl(rng, len(plan), STEP_LIFE))


def _generate_events(rng: np.random.Generator) -> _Events:
    days = np.arange(N_DAYS)
    dayw = WEEKDAY[days % 7]
    total_completion = float(PLATFORM_MIX @ SIGNUP_COMPLETION)
    completes_per_day = SIGNUP_STARTS_PER_DAY * total_completion
    # Stationary customer base: inflow x mean lifetime, per plan.
    inflow = completes_per_day * np.array([1 - SIGNUP_PLUS_SHARE, SIGNUP_PLUS_SHARE])
    base = inflow * LIFETIME_DAYS
    stationary_platform = PLATFORM_MIX * SIGNUP_COMPLETION / total_completion

    # ---- 1. the existing customer base on 17 Aug --------------------------------------------
    n_free, n_plus = (int(round(x)) for x in base)
    n0 = n_free + n_plus
    p0, c0, us0 = _draw_segments(rng, n0, stationary_platform)
    plan0 = np.r_[np.zeros(n_free, int), np.ones(n_plus, int)]
    start0 = np.zeros(n0)
    end0 = _lifetimes(rng, plan0)  # memoryless: remaining lifetime

    # ---- 2. returning Plus members drawn by the free-trial campaign ------------------------
    g = np.log1p(PLUS_GROWTH_PER_WEEK) / 7
    tau = np.clip(days - CAMPAIGN_DAY + 0.5, 0, None)
    extra_rate = base[PLUS] * (
        np.exp(g * tau) * (g + 1 / LIFETIME_DAYS[PLUS]) - 1 / LIFETIME_DAYS[PLUS]
    )
    extra_rate[days < CAMPAIGN_DAY] = 0.0
    cum = np.floor(rng.random() + np.cumsum(extra_rate)).astype(int)
    n_extra_day = np.diff(np.r_[0, cum])
    start1 = np.repeat(days, n_extra_day) + rng.random(n_extra_day.sum())
    n1 = len(start1)
    p1, c1, us1 = _draw_segments(rng, n1, stationary_platform)
    plan1 = np.ones(n1, int)
    end1 = start1 + _lifetimes(rng, plan1)

    # ---- 3. sign-ups: everyone who starts one gets a user id --------------------------------
    n_start_day = rng.poisson(SIGNUP_STARTS_PER_DAY * dayw)
    s_day = np.repeat(days, n_start_day)
    ns = len(s_day)
    p2, c2, us2 = _draw_segments(rng, ns, PLATFORM_MIX)
    plan2 = (_weyl(rng, ns, STEP_PLAN) < SIGNUP_PLUS_SHARE).astype(int)
    s_t = _local_times(rng, s_day, c2, us2)
    order = np.lexsort((s_t,))
    s_day, p2, c2, us2, plan2, s_t = (a[order] for a in (s_day, p2, c2, us2, plan2, s_t))
    p_done = SIGNUP_COMPLETION[p2].copy()
    broken = (p2 == ANDROID) & (s_day >= RELEASE_DAY)
    p_done[broken] = ANDROID_COMPLETION_AFTER_RELEASE
    p_done *= np.exp(rng.normal(0, 0.02, N_DAYS))[s_day]  # day-to-day wobble, all segments
    done = _chance(rng, np.minimum(p_done, 1.0), _cell(p2, c2, plan2), s_t)
    next_day = rng.random(ns) < 0.04
    delay = np.where(
        next_day,
        rng.uniform(12 * 60, 30 * 60, size=ns),
        np.exp(rng.normal(np.log(3.0), 0.8, size=ns)) + 0.5,
    )
    c_t = s_t + (delay * MIN_US).astype(np.int64)
    start2 = c_t / DAY_US
    end2 = np.where(done, start2 + _lifetimes(rng, plan2), start2)

    # ---- all users: old ids (existing + returning) are shuffled, sign-ups numbered in order -
    n_old = n0 + n1
    old_ids = rng.permutation(n_old) + 1
    ids = np.r_[old_ids, np.arange(n_old + 1, n_old + ns + 1)]
    platform = np.r_[p0, p1, p2]
    country = np.r_[c0, c1, c2]
    us_std = np.r_[us0, us1, us2]
    plan = np.r_[plan0, plan1, plan2]
    start = np.r_[start0, start1, start2]
    end = np.r_[end0, end1, end2]
    nu = len(ids)
    u_rate = np.concatenate([_weyl(rng, n, STEP_RATE) for n in (n0, n1, ns)])
    rate = gammaincinv(RATE_SHAPE, u_rate) * (RATE_MEAN / RATE_SHAPE)
    rate *= np.where(plan == PLUS, PLUS_RATE_FACTOR, 1.0)
    uid = np.array([f"u{i:06d}" for i in ids], dtype=object)

    # ---- 4. shopping sessions per customer-day ----------------------------------------------
    lo = np.maximum(start[:, None], days[None, :])
    hi = np.minimum(end[:, None], days[None, :] + 1)
    alive = np.clip(hi - lo, 0.0, 1.0)
    day_mood = np.exp(rng.normal(0, 0.02, N_DAYS))  # weather, paydays: moves every segment
    lam = rate[:, None] * (dayw * day_mood)[None, :] * alive
    uu, dd = np.nonzero(lam)
    reps = _session_counts(rng, lam[uu, dd], _cell(platform, country, plan)[uu], dd)
    uu, dd, reps = uu[reps > 0], dd[reps > 0], reps[reps > 0]
    sess_u = np.repeat(uu, reps)
    sess_d = np.repeat(dd, reps)
    sess_t = _local_times(rng, sess_d, country[sess_u], us_std[sess_u])
    # On a customer's first day the session must come after the sign-up.
    first = sess_d == np.floor(start[sess_u]).astype(int)
    first &= start[sess_u] > 0
    st_us = (start[sess_u[first]] * DAY_US).astype(np.int64)
    day_end = (sess_d[first] + 1) * DAY_US
    sess_t[first] = st_us + (rng.random(first.sum()) * (day_end - st_us)).astype(np.int64)

    # A welcome session right after sign-up for many new customers.
    welcome = done & (rng.random(ns) < P_WELCOME_SESSION)
    w_u = np.flatnonzero(welcome) + n_old
    w_t = c_t[welcome] + (rng.uniform(1, 20, size=len(w_u)) * MIN_US).astype(np.int64)
    sess_u = np.r_[sess_u, w_u]
    sess_t = np.r_[sess_t, w_t]
    sess_d = np.minimum(sess_t // DAY_US, N_DAYS - 1)

    # ---- 5. what happens in a session --------------------------------------------------------
    n_sess = len(sess_u)
    s_plat, s_ctry, s_plan = platform[sess_u], country[sess_u], plan[sess_u]
    p_cart = P_CART[s_plan].copy()
    p_cart[(s_ctry == DE) & (sess_d >= W47_FIRST_DAY)] *= DE_W47_CART_FACTOR
    p_cart *= np.exp(rng.normal(0, 0.01, N_DAYS))[sess_d]
    s_cell = _cell(s_plat, s_ctry, s_plan)
    cart = _chance(rng, p_cart, s_cell, sess_t)
    t_cart = sess_t + ((30 + rng.exponential(180, n_sess)) * 1e6).astype(np.int64)
    checkout = _chance(rng, np.where(cart, P_CHECKOUT, 0.0), s_cell, sess_t)
    t_checkout = t_cart + ((20 + rng.exponential(120, n_sess)) * 1e6).astype(np.int64)
    p_buy = P_PURCHASE[s_plat] * _outage_factor(sess_d, t_checkout, s_plat)
    buy = _chance(rng, np.where(checkout, p_buy, 0.0), s_cell, sess_t)
    t_buy = t_checkout + ((15 + rng.exponential(60, n_sess)) * 1e6).astype(np.int64)
    z = ndtri(_quantiles(rng, np.where(buy, s_cell, -1), sess_t))
    revenue = np.round(REVENUE_MEDIAN[s_plan] * np.exp(REVENUE_SIGMA * z), 2)
    outage_fail = checkout & ~buy & (_outage_factor(sess_d, t_checkout, s_plat) < 1)
    p_support = 1 - (1 - P_SUPPORT_SESSION) * (1 - 0.12 * outage_fail)
    support = _chance(rng, p_support, s_cell, sess_t)
    t_support = sess_t + (rng.uniform(1, 90, n_sess) * MIN_US).astype(np.int64)

    # ---- 6. sign-up events -------------------------------------------------------------------
    su = np.arange(ns) + n_old
    t_open = s_t - (rng.uniform(10, 180, ns) * 1e6).astype(np.int64)
    retries = rng.poisson(np.where(broken, 1.5, 0.4)) * ~done
    r_u = np.repeat(su, retries)
    r_t = np.repeat(s_t, retries) + (rng.uniform(1, 40, retries.sum()) * MIN_US).astype(np.int64)
    p_help = np.where(broken, 0.30, 0.03)
    helped = ~done & (rng.random(ns) < p_help)
    h_t = s_t[helped] + (rng.uniform(10, 360, helped.sum()) * MIN_US).astype(np.int64)

    parts = [
        (sess_t, sess_u, APP_OPEN, None),
        (t_cart[cart], sess_u[cart], VIEW_CART, None),
        (t_checkout[checkout], sess_u[checkout], CHECKOUT_START, None),
        (t_buy[buy], sess_u[buy], PURCHASE, revenue[buy]),
        (t_support[support], sess_u[support], SUPPORT, None),
        (t_open, su, APP_OPEN, None),
        (s_t, su, SIGNUP_START, None),
        (r_t, r_u, SIGNUP_START, None),
        (c_t[done], su[done], SIGNUP_COMPLETE, None),
        (h_t, su[helped], SUPPORT, None),
    ]
    t = np.concatenate([p[0] for p in parts])
    user = np.concatenate([p[1] for p in parts])
    event = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int8) for p in parts])
    rev = np.concatenate([np.full(len(p[0]), np.nan) if p[3] is None else p[3] for p in parts])
    # Per-row flags for choosing feedback authors later.
    failed_signup = np.zeros(nu, bool)
    failed_signup[su[~done]] = True
    broken_user = np.zeros(nu, bool)
    broken_user[su[broken & ~done]] = True
    flag_broken_support = np.concatenate(
        [np.zeros(sum(len(p[0]) for p in parts[:-1]), bool), broken_user[su[helped]]]
    )

    t = t // 1000 * 1000  # millisecond precision, like most event pipelines
    keep = (t >= 0) & (t < CUTOFF_US)
    order = np.lexsort((event[keep], ids[user[keep]], t[keep]))
    idx = np.flatnonzero(keep)[order]
    users = {"platform": platform, "country": country, "plan": plan, "uid": uid}
    flags = {
        "broken_support": flag_broken_support[idx],
        "failed_signup": failed_signup[user[idx]] & (event[idx] == SIGNUP_START),
    }
    return _Events(t[idx], user[idx], event[idx], rev[idx], users, flags)


def _outage_factor(day: np.ndarray, t: np.ndarray, platform: np.ndarray) -> np.ndarray:
    """Share of web payments that still go through on Friday 20 Nov (1 elsewhere)."""
    f = np.ones(len(day))
    on = (day == OUTAGE_DAY) & (platform == WEB)
    hour = (t[on] - OUTAGE_DAY * DAY_US) / 3_600_000_000
    f_on = np.ones(on.sum())
    f_on[(hour >= 8.5) & (hour < 23.6)] = 0.32  # intermittent payment errors
    f_on[(hour >= 17) & (hour < 19)] = 0.0  # payment page down
    f[on] = f_on
    return f


def _write_events(ev: _Events, path: Path) -> None:
    u = ev.users
    ts = pa.array(ORIGIN + ev.t.astype("timedelta64[us]"), type=pa.timestamp("us"))
    table = pa.table(
        {
            "timestamp": ts,
            "user_id": pa.array(u["uid"][ev.user], type=pa.string()),
            "event": pa.array(EVENTS[ev.event], type=pa.string()),
            "platform": pa.array(PLATFORMS[u["platform"][ev.user]], type=pa.string()),
            "country": pa.array(COUNTRIES[u["country"][ev.user]], type=pa.string()),
            "plan": pa.array(PLANS[u["plan"][ev.user]], type=pa.string()),
            "revenue": pa.array(ev.revenue, type=pa.float64(), from_pandas=True),
        }
    )
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        row_group_size=250_000,
        write_statistics=True,
        version="2.6",
    )


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


# ============================================================================================
# Feedback
# ============================================================================================
# theme: weekly volume, sources with weights, author pool, sentiment (neg | pos | mixed | neutral)
THEMES: dict[str, dict[str, Any]] = {
    "late_delivery": {
        "per_week": 28,
        "sources": {"support_ticket": 0.55, "nps": 0.2, "app_review": 0.15, "survey": 0.1},
        "pool": "buyer",
        "mood": "neg",
    },
    "missing_items": {
        "per_week": 20,
        "sources": {"support_ticket": 0.6, "nps": 0.15, "app_review": 0.15, "survey": 0.1},
        "pool": "buyer",
        "mood": "neg",
    },
    "produce_quality": {
        "per_week": 14,
        "sources": {"support_ticket": 0.4, "nps": 0.25, "survey": 0.2, "app_review": 0.15},
        "pool": "buyer",
        "mood": "neg",
    },
    "ios_search_crash": {
        "per_week": 10,
        "sources": {"app_review": 0.5, "support_ticket": 0.35, "nps": 0.15},
        "pool": "ios",
        "mood": "neg",
    },
    "prices_fees": {
        "per_week": 16,
        "sources": {"nps": 0.35, "survey": 0.3, "app_review": 0.2, "support_ticket": 0.15},
        "pool": "any",
        "mood": "mixed",
    },
    "coupon": {
        "per_week": 10,
        "sources": {"support_ticket": 0.6, "app_review": 0.2, "nps": 0.1, "survey": 0.1},
        "pool": "any",
        "mood": "neg",
    },
    "praise_delivery": {
        "per_week": 18,
        "sources": {"nps": 0.5, "app_review": 0.3, "survey": 0.2},
        "pool": "buyer",
        "mood": "pos",
    },
    "praise_app": {
        "per_week": 14,
        "sources": {"app_review": 0.5, "nps": 0.35, "survey": 0.15},
        "pool": "any",
        "mood": "pos",
    },
    "delivery_slots": {
        "per_week": 12,
        "sources": {"survey": 0.35, "nps": 0.3, "support_ticket": 0.2, "app_review": 0.15},
        "pool": "any",
        "mood": "mixed",
    },
    "refund_slow": {
        "per_week": 8,
        "sources": {"support_ticket": 0.8, "nps": 0.1, "app_review": 0.1},
        "pool": "buyer",
        "mood": "neg",
    },
    "verification_code": {
        "per_week": 2,
        "sources": {"support_ticket": 0.6, "app_review": 0.3, "nps": 0.1},
        "pool": "failed_signup",
        "mood": "neg",
    },
    "general": {
        "per_week": 8,
        "sources": {"nps": 0.5, "survey": 0.5},
        "pool": "any",
        "mood": "neutral",
    },
}
INTERVIEWS_PER_WEEK = 1.2
TEAM_OF_SOURCE = {
    "support_ticket": "Customer Service",
    "nps": "Product",
    "survey": "Product",
    "interview": "Product",
    "app_review": "Marketing",
}

CORE: dict[str, list[str]] = {
    "late_delivery": [
        "My delivery was {mins} minutes late.",
        "The driver arrived {mins} minutes after the end of my slot.",
        "Order {order} turned up almost {hours} hours late and nobody told me.",
        "Delivery late again, this is the third time this month.",
        "Booked the {slot} slot and the driver showed up way after it.",
        "Driver was late and the frozen stuff had started to thaw.",
        "The tracking said 5 minutes for over half an hour.",
        "Waited in all evening, the groceries came {mins} min late.",
        "Late delivery, no call, no text, nothing.",
        "The driver got lost and arrived really late.",
        "Why is the driver always late on {weekday}s?",
        "Groceries arrived late so dinner was ruined.",
        "Slot was {slot} but the order only came {mins} minutes after that.",
        "Your drivers are never on time anymore.",
        "Delivery came late AGAIN.",
    ],
    "missing_items": [
        "{item} was missing from my order.",
        "I got {sub} instead of {item}, which is not the same thing at all.",
        "Two items were missing and I was still charged for them.",
        "Substitutions are ridiculous: ordered {item}, got {sub}.",
        "My order {order} was missing the {item} and the {item2}.",
        "They substituted {item} without asking me.",
        "Half the bag was missing, no {item} and no {item2}.",
        "Received someone else's bag and none of my things.",
        "The picker replaced {item} with {sub}. I don't eat that.",
        "Missing items again. Charged for {item} that never came.",
        "Why would you swap {item} for {sub}?",
    ],
    "produce_quality": [
        "The {fruit} were already mouldy.",
        "Bruised {fruit} again, I would never have picked these myself.",
        "The {fruit} were rock hard and the {fruit2} overripe.",
        "Fresh produce quality has been poor lately.",
        "Salad leaves were slimy when they arrived.",
        "Got {fruit} that went off the next day.",
        "The best-before date on the {dairy} was tomorrow.",
        "Meat was right at its use-by date.",
        "Who picks these {fruit}? They're awful.",
        "Fruit and veg quality is hit and miss.",
    ],
    "ios_search_crash": [
        "The app crashes every time I search for something.",
        "Search crashes the app on my iPhone.",
        "Typing in the search bar closes the app.",
        "App closes as soon as I search for {item}.",
        "Since the last update the iPhone app crashes on search.",
        "Can't search at all, the app just quits.",
        "Search is broken on iPhone, I have to scroll through the aisles instead.",
        "Crash when searching. iPhone {iphone}, latest iOS.",
        "Every search = crash.",
    ],
    "prices_fees": [
        "Prices are higher than in the store.",
        "The service fee of {fee} is too much for a small order.",
        "Delivery fees keep going up.",
        "Everything costs more in the app than at the supermarket.",
        "Too expensive with the fees on top.",
        "{item} is {price} here, it's cheaper down the road.",
        "The minimum order plus fees make it not worth it.",
        "Small basket fee is a rip-off.",
        "Fees add up quickly: {fee} service plus delivery.",
        "Good service but a bit pricey.",
    ],
    "coupon": [
        "The promo code {code} doesn't work.",
        "My discount code {code} was rejected at checkout.",
        "Coupon says invalid even though it hasn't expired.",
        "Tried to use {code} and got 'code not valid'.",
        "The voucher from your email doesn't apply.",
        "I was promised 20% off my first order but the discount wasn't applied.",
        "Promo {code} disappeared from my basket when I paid.",
        "Referral credit didn't show up in my account.",
    ],
    "praise_delivery": [
        "Delivery was super fast, arrived in {fastmins} minutes!",
        "Driver was early and really friendly.",
        "Fast delivery every time, love it.",
        "Always on time, never had a problem.",
        "Quick delivery and everything was there.",
        "Got my groceries within the hour.",
        "The drivers are lovely and always on time.",
        "Same-day delivery saved my dinner party.",
        "Fast and reliable.",
    ],
    "praise_app": [
        "The app is so easy to use.",
        "Love how quick it is to reorder my usual basket.",
        "Very easy to find everything.",
        "Simple, clean app that does what it should.",
        "Saved lists make the weekly shop take two minutes.",
        "Super easy to use, even for my mum.",
        "Checkout is quick and painless.",
        "Nice app, very intuitive.",
    ],
    "delivery_slots": [
        "There are never any slots available on {weekday}s.",
        "All the evening slots are gone by the morning.",
        "Hard to get a delivery slot this week.",
        "Please add more slots after 8pm.",
        "The only slot left was {slot}, which doesn't work for me.",
        "No slots for the next three days.",
        "Would love earlier morning slots.",
        "Slot availability is the only thing stopping me ordering more.",
    ],
    "refund_slow": [
        "Still waiting for my refund after {days} days.",
        "Refund for order {order} hasn't arrived yet.",
        "You said the refund would take 3 days, it's been {days}.",
        "I was charged twice and still no refund.",
        "The refund for missing items is taking forever.",
        "Where is my refund of {amount}?",
    ],
    "verification_code": [
        "I never got the verification code so I can't finish signing up.",
        "The SMS code never arrives. Tried {n} times.",
        "Stuck on the verify screen, the code never comes through.",
        "Didn't get the code when signing up on my Android phone.",
        "OTP not received, even after pressing resend several times.",
        "Waiting for the verification code for {mins} minutes now.",
        "Can't create an account, the sms code never shows up.",
        "New phone, reinstalled the app and the OTP never arrives.",
        "Verification code doesn't come, so I'm locked out of my account.",
        "I didn't get the code, tried wifi and mobile data.",
        "Sign-up is impossible: no SMS code arrives.",
        "Where's my verification code?? Been stuck on this screen all morning.",
        "The app says it sent a code to my phone but nothing came.",
        "Resend does nothing. No text message, no way to continue.",
    ],
    "general": [
        "Good overall.",
        "It's fine.",
        "Does the job.",
        "Mostly OK, nothing special.",
        "Decent selection.",
        "n/a",
        "No comment",
        "Use it every week.",
        "Fine for the weekly shop.",
        "Would like more organic options.",
        "More vegan products please.",
        "Sometimes good, sometimes not.",
        "ok",
    ],
}
MORE: dict[str, list[str]] = {
    "late_delivery": [
        "The ice cream was soup.",
        "I had to wait at home the whole time.",
        "The app kept saying 'arriving soon'.",
        "In the end I went out and bought milk elsewhere.",
        "The driver was nice but that's not the point.",
        "This used to be so reliable.",
        "No apology, no discount.",
        "I have a baby at home and planned my day around that slot.",
    ],
    "missing_items": [
        "I did say no substitutions in the notes.",
        "I've asked for a refund for the missing items.",
        "Please let me approve substitutions first.",
        "Had to go to the shop anyway.",
        "Checked the receipt twice.",
    ],
    "produce_quality": [
        "I'd rather pick my own fruit.",
        "The rest of the order was fine.",
        "Please train the pickers.",
        "Photos sent in the app chat.",
    ],
    "ios_search_crash": [
        "Reinstalled it, still crashes.",
        "Had to use the website instead.",
        "Very annoying when you're in a hurry.",
        "Happens every single time.",
    ],
    "prices_fees": [
        "I'd order more if it was cheaper.",
        "Thinking about cancelling.",
        "Plus doesn't save enough to be worth it.",
        "Compared to other apps you're the priciest.",
    ],
    "coupon": [
        "I only ordered because of the offer.",
        "Please apply it manually.",
        "Tried in the app and on the website.",
        "Customer service told me to wait.",
    ],
    "praise_delivery": [
        "Will keep ordering.",
        "Best grocery app I've used.",
        "Recommended it to my neighbours.",
        "Keep it up!",
    ],
    "praise_app": [
        "Will keep ordering.",
        "Much better than the other grocery apps.",
        "Keep it up!",
        "Told all my friends.",
    ],
    "delivery_slots": [
        "I work late.",
        "Otherwise great.",
        "Had to use another app this week.",
        "Weekends are impossible.",
    ],
    "refund_slow": [
        "I've contacted support twice.",
        "This is my money.",
        "Please escalate.",
        "The chat bot just goes in circles.",
    ],
    "verification_code": [
        "I've checked my number is correct.",
        "My partner's iPhone got it straight away.",
        "Tried {n} times.",
        "I just wanted to place my first order.",
        "Gave up and went to the shop.",
        "Restarted the phone, same thing.",
    ],
    "general": ["Thanks.", "Nothing to add.", "Keep it simple."],
}
HEADLINE = {
    "neg": ["Terrible.", "Disappointed.", "Fix this!", "Not happy.", "Ugh.", "Meh.", "Annoying."],
    "pos": ["Love it!", "Great app.", "Brilliant.", "5 stars.", "Very happy."],
    "mixed": ["OK but...", "Could be better.", "Good, not great."],
    "neutral": ["OK."],
}
GREETING = [
    "Hi,",
    "Hello,",
    "Hi there,",
    "Hey,",
    "Good morning,",
    "Hello Basketly team,",
    "Hi team,",
]
ASK = [
    "Can someone look into this?",
    "Please advise.",
    "Please sort this out.",
    "Please call me back.",
    "What are you going to do about it?",
    "Please fix this.",
    "Any update would be appreciated.",
]
SIGNOFF = ["Thanks", "Thank you", "Regards", "Cheers", "Thx", "Best, {name}", "Thanks, {name}"]
EMOJI = {
    "neg": ["😡", "😤", "🙄", "👎", "😞"],
    "pos": ["👍", "😊", "🙌", "❤️", "🥑"],
    "mixed": ["🤷", "😐"],
    "neutral": ["🙂"],
}
FOREIGN: dict[str, dict[str, list[str]]] = {
    "ES": {
        "late_delivery": ["El repartidor llegó {mins} minutos tarde.", "El pedido llegó tarde."],
        "missing_items": [
            "Faltaban productos en mi pedido.",
            "Me cambiaron productos sin preguntar.",
        ],
        "praise_delivery": ["Entrega rápida, muy contento.", "¡Todo perfecto y muy rápido!"],
        "praise_app": ["La app es muy fácil de usar.", "Me encanta la app, todo muy claro 👍"],
        "prices_fees": [
            "Los gastos de envío son demasiado caros.",
            "Todo es más caro que en el súper.",
        ],
        "verification_code": ["No me llega el código de verificación por SMS."],
    },
    "DE": {
        "late_delivery": ["Der Fahrer kam {mins} Minuten zu spät.", "Lieferung wieder verspätet."],
        "missing_items": [
            "Es fehlten Artikel in meiner Bestellung.",
            "Statt Hafermilch kam Kuhmilch.",
        ],
        "praise_delivery": ["Schnelle Lieferung, alles super!", "Pünktlich und freundlich."],
        "praise_app": [
            "Die App ist sehr einfach zu bedienen.",
            "Super App, Einkauf in zwei Minuten erledigt.",
        ],
        "prices_fees": ["Die Liefergebühren sind zu hoch.", "Leider teurer als im Supermarkt."],
        "verification_code": ["Der Bestätigungscode per SMS kommt einfach nicht an."],
    },
    "FR": {
        "late_delivery": [
            "Le livreur est arrivé avec {mins} minutes de retard.",
            "Encore une livraison en retard, personne ne prévient.",
        ],
        "missing_items": [
            "Il manquait des articles dans ma commande.",
            "On m'a remplacé des produits sans me demander.",
        ],
        "praise_delivery": ["Livraison rapide, merci !", "Livreur très sympa et ponctuel."],
        "praise_app": ["L'application est très simple à utiliser."],
        "prices_fees": ["Les frais de livraison sont trop élevés."],
        "verification_code": ["Je ne reçois jamais le code de vérification par SMS."],
    },
}
SLOTS: dict[str, list[Any]] = {
    "mins": [20, 25, 30, 35, 40, 45, 50, 55, 60, 75, 90],
    "fastmins": [18, 20, 25, 28, 30, 35],
    "hours": [2, 2, 3],
    "n": [3, 4, 5, 6, 10],
    "days": [5, 6, 8, 10, 12, 14, 21],
    "item": [
        "oat milk",
        "eggs",
        "bread",
        "chicken thighs",
        "greek yoghurt",
        "coffee beans",
        "pasta",
        "butter",
        "salmon",
        "baby formula",
        "orange juice",
        "cheddar",
    ],
    "sub": [
        "semi-skimmed milk",
        "a tiny jar of instant coffee",
        "brown bread",
        "chicken breast",
        "vanilla yoghurt",
        "rice",
        "margarine",
        "tinned tuna",
    ],
    "fruit": ["avocados", "bananas", "strawberries", "tomatoes", "peaches", "pears", "grapes"],
    "dairy": ["milk", "yoghurt", "cream", "cheese"],
    "slot": ["8-9am", "12-1pm", "5-6pm", "6-7pm", "7-8pm", "9-10pm"],
    "weekday": ["Monday", "Friday", "Saturday", "Sunday"],
    "fee": ["$3.99", "$4.49", "$4.99", "$5.99"],
    "amount": ["$12.40", "$18.99", "$23.75", "$31.50", "$52.10"],
    "price": ["$3.49", "$4.80", "$5.25", "$6.99", "$8.49"],
    "code": ["FALL20", "WELCOME10", "FREESHIP", "BASKET15", "PLUSTRIAL", "AUTUMN5"],
    "iphone": ["12", "13 mini", "14", "15 Pro", "SE"],
    "name": ["Sam", "Priya", "Tom", "Ana", "Lena", "Marco", "Chloe", "Dave", "Fatima", "Jo"],
}
PERSONAS = [
    "Parent of two, orders twice a week, mostly in the {app}",
    "Student sharing a flat; orders when flatmates split the fee",
    "Works night shifts and relies on early-morning slots",
    "Retired customer who orders weekly for herself and a neighbour",
    "Joined in September for the Plus trial and kept the membership",
    "Busy professional who uses saved lists for the weekly shop",
]
INTERVIEW_GOOD = [
    "Likes how quick reordering is",
    "Says drivers are friendly and usually on time",
    "Values that substitutions are shown before the driver arrives",
    "Finds the app easy and calm to use",
]
INTERVIEW_BAD = [
    "Main frustration is substitutions made without asking",
    "Frustrated by late deliveries in the evening slots",
    "Thinks the fees are high for small baskets",
    "Finds it hard to get weekend slots",
    "Had bruised fruit twice last month",
    "Refunds for missing items take too long",
]
INTERVIEW_WISH = [
    "Would pay for Plus if slots were guaranteed.",
    "Asked for a way to approve substitutions.",
    "Wants a cheaper option for small top-up shops.",
    "Would like delivery updates by text.",
]
NPS_SCORES = {
    "neg": ([0, 1, 2, 3, 4, 5, 6, 7], [0.08, 0.06, 0.1, 0.13, 0.15, 0.2, 0.2, 0.08]),
    "pos": ([8, 9, 10], [0.15, 0.35, 0.5]),
    "mixed": ([4, 5, 6, 7, 8], [0.1, 0.2, 0.25, 0.3, 0.15]),
    "neutral": ([6, 7, 8, 9], [0.1, 0.4, 0.35, 0.15]),
}
STARS = {
    "neg": ([1, 2, 3], [0.55, 0.3, 0.15]),
    "pos": ([4, 5], [0.3, 0.7]),
    "mixed": ([2, 3, 4], [0.3, 0.45, 0.25]),
    "neutral": ([3, 4], [0.5, 0.5]),
}
# Keywords of the planted theme; typos never touch these words.
_PROTECTED = {"verification", "code", "never", "didn't", "sms", "otp", "get"}


def _after_comma(sentence: str) -> str:
    """Lower-case the first letter after a greeting like "Hi," (not "I", "OTP", "SMS")."""
    first = sentence.split(" ", 1)[0]
    if first in ("I", "I'm", "I've") or (len(first) > 1 and first[:2].isupper()):
        return sentence
    return sentence[:1].lower() + sentence[1:]


class _Writer:
    """Builds feedback texts from the phrase banks, drawing every choice from one generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, seq: list[Any]) -> Any:
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def fill(self, text: str) -> str:
        if "{" not in text:
            return text
        values = {k: self.pick(v) for k, v in SLOTS.items()}
        values["order"] = f"#B{int(self.rng.integers(1_000_000, 9_999_999))}"
        values["item2"] = self.pick(SLOTS["item"])
        values["fruit2"] = self.pick(SLOTS["fruit"])
        values["platform"] = self.pick(["iPhone", "Android", "web"])
        return text.format(**values)

    def body(self, theme: str, n_more: int) -> list[str]:
        parts = [self.fill(self.pick(CORE[theme]))]
        more = list(MORE[theme])
        for _ in range(n_more):
            if not more:
                break
            parts.append(self.fill(more.pop(int(self.rng.integers(len(more))))))
        return parts

    def text(self, theme: str, source: str, mood: str) -> str:
        if source == "support_ticket":
            parts = self.body(theme, int(self.rng.choice(3, p=[0.45, 0.4, 0.15])))
            if self.chance(0.45):
                parts[0] = _after_comma(parts[0])
                parts.insert(0, self.pick(GREETING))
            if self.chance(0.02):  # customers paste contact or card details into tickets
                parts.append(self.pii(theme))
            if mood == "neg" and self.chance(0.4):
                ask = self.pick(ASK)
                if not (ask.startswith("Please call") and "call me" in parts[-1]):
                    parts.append(ask)
            if self.chance(0.35):
                parts.append(self.fill(self.pick(SIGNOFF)))
        elif source == "app_review":
            parts = self.body(theme, int(self.rng.choice(2, p=[0.6, 0.4])))
            if self.chance(0.35):
                parts.insert(0, self.pick(HEADLINE[mood]))
        elif source == "nps":
            parts = self.body(theme, int(self.chance(0.25)))
        else:  # survey
            parts = self.body(theme, int(self.chance(0.3)))
            if self.chance(0.01):
                parts.append(self.pii("survey"))
        text = " ".join(parts)
        if self.chance(0.07):
            text = f"{text} {self.pick(EMOJI[mood])}"
        if self.chance(0.05):
            text = self.typo(text)
        if source in ("app_review", "support_ticket", "nps") and self.chance(0.06):
            text = text.lower().rstrip(".")
        return text

    def typo(self, text: str) -> str:
        words = text.split(" ")
        ok = [
            i
            for i, w in enumerate(words)
            if len(w) >= 5 and w.isalpha() and w.lower() not in _PROTECTED
        ]
        if not ok:
            return text
        i = self.pick(ok)
        w = words[i]
        j = int(self.rng.integers(1, len(w) - 2))
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)

    def foreign(self, country: str, theme: str) -> str:
        return self.fill(self.pick(FOREIGN[country][theme]))

    def interview(self, platform: str) -> str:
        app = {"ios": "iPhone app", "android": "Android app"}.get(platform, "website")
        persona = self.pick(PERSONAS).format(app=app)
        good, bad, wish = (
            self.pick(INTERVIEW_GOOD),
            self.pick(INTERVIEW_BAD),
            self.pick(INTERVIEW_WISH),
        )
        quote = self.fill(
            self.pick(CORE[self.pick(["late_delivery", "missing_items", "delivery_slots"])])
        )
        return f'Interview note: {persona}. {good}. {bad}. {wish} In their words: "{quote}"'

    def pii(self, theme: str) -> str:
        """A sentence with an e-mail address, a phone number or a card number in it."""
        first = self.pick(["maria", "j.smith", "tom.baker", "lena.k", "sam_r", "priya.n"])
        email = f"{first}@{self.pick(['example.com', 'example.org', 'mail.example.net'])}"
        phone = self.pick(
            [
                f"+1 415 555 01{int(self.rng.integers(10, 99))}",
                f"+44 7700 900{int(self.rng.integers(100, 999))}",
                f"(212) 555-01{int(self.rng.integers(10, 99))}",
            ]
        )
        card = self.pick(["4111 1111 1111 1111", "5500-0000-0000-0004", "4012888888881881"])
        if theme == "survey":
            return f"Happy to talk more: {email}"
        options = [
            f"You can reach me at {email}.",
            f"My number is {phone}, please call me.",
            f"Call me on {phone} or email {email}.",
        ]
        if theme in ("refund_slow", "missing_items", "coupon", "prices_fees") and self.chance(0.6):
            options = [f"I was charged twice on my card {card}.", f"Card used: {card}."]
        return self.pick(options)


def _pick_row(rng: np.random.Generator, ev: _Events, day: int, mask: np.ndarray) -> int:
    """A random event row on ``day`` where ``mask`` holds, or -1."""
    lo, hi = ev.day_start[day], ev.day_start[day + 1]
    cand = np.flatnonzero(mask[lo:hi])
    if len(cand) == 0:
        return -1
    return int(lo + cand[int(rng.integers(len(cand)))])


def _steady_counts(rng: np.random.Generator, per_week: float) -> np.ndarray:
    """Pieces of feedback per day for a theme whose weekly volume is steady.

    Small themes get a few a week; larger ones vary by about 6% from week to week (less than
    Poisson), so a big stable theme never looks like it is emerging. Days follow the weekday
    pattern.
    """
    n_weeks = -(-N_DAYS // 7)
    if per_week < 5:  # e.g. 1-3 a week for 2
        totals = rng.integers(max(per_week - 1, 0), per_week + 2, size=n_weeks)
    else:
        totals = np.round(per_week * (1 + rng.normal(0, 0.06, size=n_weeks))).astype(int)
    out = np.concatenate([rng.multinomial(max(n, 0), WEEKDAY / WEEKDAY.sum()) for n in totals])
    return out[:N_DAYS]


def _generate_feedback(rng: np.random.Generator, ev: _Events) -> pd.DataFrame:
    w = _Writer(rng)
    u = ev.users
    row_platform = u["platform"][ev.user]
    row_country = u["country"][ev.user]
    pools = {
        "any": np.ones(len(ev.t), bool),
        "buyer": ev.event == PURCHASE,
        "ios": row_platform == IOS,
        "failed_signup": ev.flags["failed_signup"],
    }
    is_app = row_platform != WEB
    is_android = row_platform == ANDROID
    broken_support = ev.flags["broken_support"]
    new_android = (ev.event == SIGNUP_COMPLETE) & is_android

    # (day, theme, source, row) for every piece of feedback
    plan: list[tuple[int, str, str, int]] = []
    for theme, spec in THEMES.items():
        sources = list(spec["sources"])
        probs = np.array(list(spec["sources"].values()))
        n_day = _steady_counts(rng, spec["per_week"])
        for day in np.flatnonzero(n_day):
            for _ in range(int(n_day[day])):
                source = sources[int(rng.choice(len(sources), p=probs))]
                mask = pools[spec["pool"]]
                if theme == "verification_code" and rng.random() < 0.8:
                    mask = mask & is_android
                if source == "app_review":
                    mask = mask & is_app
                plan.append((int(day), theme, source, _pick_row(rng, ev, int(day), mask)))
    # The planted spike: Android customers whose verification code never arrives.
    for day in range(RELEASE_DAY, N_DAYS):
        tickets = np.flatnonzero(broken_support[ev.day_start[day] : ev.day_start[day + 1]])
        tickets = tickets[rng.random(len(tickets)) < 0.85] + ev.day_start[day]
        plan += [(day, "verification_code", "support_ticket", int(r)) for r in tickets]
        for _ in range(int(rng.poisson(4.0))):
            row = _pick_row(rng, ev, day, pools["failed_signup"] & is_android)
            plan.append((day, "verification_code", "app_review", row))
        for _ in range(int(rng.poisson(1.0))):
            plan.append((day, "verification_code", "nps", _pick_row(rng, ev, day, new_android)))
    for day in np.flatnonzero(rng.poisson(INTERVIEWS_PER_WEEK / 7, size=N_DAYS)):
        plan.append((int(day), "interview", "interview", _pick_row(rng, ev, int(day), is_app)))

    records = []
    for _day, theme, source, row in plan:
        if row < 0:
            continue
        mood = THEMES[theme]["mood"] if theme in THEMES else "neutral"
        if source == "support_ticket" and theme == "verification_code" and broken_support[row]:
            created = ev.t[row] + int(rng.integers(0, 180)) * 1_000_000
        elif THEMES.get(theme, {}).get("pool") == "buyer":
            created = ev.t[row] + int(rng.uniform(40, 360) * MIN_US)
        else:
            created = ev.t[row] + int(rng.uniform(2, 120) * MIN_US)
        day_end = (ev.t[row] // DAY_US + 1) * DAY_US
        if created >= day_end:  # same day, so weekly volumes stay as planned
            created = ev.t[row] + int(rng.random() * (day_end - ev.t[row]))
        if created >= CUTOFF_US:
            continue
        ctry = COUNTRIES[row_country[row]]
        plat = PLATFORMS[row_platform[row]]
        if source == "interview":
            text = w.interview(plat)
        elif ctry in FOREIGN and theme in FOREIGN[ctry] and rng.random() < 0.05:
            text = w.foreign(ctry, theme)
        else:
            text = w.text(theme, source, mood)
        score = pd.NA
        if source == "nps":
            values, p = NPS_SCORES[mood]
            score = int(rng.choice(values, p=p))
        elif source == "app_review":
            values, p = STARS[mood]
            score = int(rng.choice(values, p=p))
        rec = {
            "t": created,
            "source": source,
            "text": text,
            "score": score,
            "user_id": u["uid"][ev.user[row]],
            "team": TEAM_OF_SOURCE[source],
            "platform": plat,
            "country": ctry,
            "plan": PLANS[u["plan"][ev.user[row]]],
            "theme": theme,
        }
        if source == "app_review":  # store reviews are anonymous
            rec["user_id"] = ""
            rec["plan"] = ""
        if source == "survey" and rng.random() < 0.15:  # anonymous survey answers
            rec.update(user_id="", platform="", country="", plan="")
        records.append(rec)

    fb = pd.DataFrame.from_records(records)
    # A few double submissions: identical rows apart from the id.
    dup = rng.choice(len(fb), size=6, replace=False)
    fb = pd.concat([fb, fb.iloc[np.sort(dup)]], ignore_index=True)
    fb = fb.sort_values(["t", "user_id", "text"], kind="mergesort").reset_index(drop=True)
    fb.insert(0, "id", [f"fb-{i:05d}" for i in range(1, len(fb) + 1)])
    stamp = ORIGIN + fb["t"].to_numpy().astype("timedelta64[us]")
    fb.insert(1, "created_at", np.datetime_as_string(stamp, unit="s"))
    fb["created_at"] = fb["created_at"] + "Z"
    fb["score"] = fb["score"].astype("Int64")
    cols = ["id", "created_at", "source", "text", "score", "user_id", "team"]
    return fb[cols + ["platform", "country", "plan", "theme"]]


# ============================================================================================
# Knowledge, glossary, config
# ============================================================================================
# date | team | kind | title | details | segment | end_date ("{n_early}" is filled in from the
# feedback so the Customer Service note matches the tickets).
_KNOWLEDGE = """
2026-08-18|Engineering|release|iOS app 7.14 released|Bug fixes and a redesigned order history \
screen.|platform=ios|
2026-08-26|Engineering|release|Android app 5.0 released|New home screen layout; performance \
improvements.|platform=android|
2026-09-01|Product|note|Q4 roadmap shared|Focus areas: approving substitutions, faster reorder, \
delivery slot capacity.||
2026-09-08|Engineering|release|Web release 2026.37|Address autocomplete on the web checkout.\
|platform=web|
2026-09-14|Customer Service|note|New macro for late-delivery tickets|Agents now offer a $5 credit \
for deliveries more than 30 minutes late.||
2026-09-21|Marketing|campaign|Plus free-trial month|First month of Plus free for new and \
returning customers; promoted in the app, by e-mail and on paid social. Ongoing.|plan=plus|
2026-09-29|Pricing|pricing|Plus price confirmed for Q4|Plus stays at $9.99 a month (annual plan \
$99). No change to delivery fees.|plan=plus|
2026-10-06|Engineering|release|Android app 5.1 released|Saved lists and a smaller download size.\
|platform=android|
2026-10-12|Marketing|campaign|Halloween recipes e-mail|Recipe ideas e-mail to all opted-in \
customers.||2026-10-31
2026-10-20|Engineering|release|iOS app 7.16 released|Accessibility fixes.|platform=ios|
2026-10-27|Engineering|incident|Search latency on iOS (30 min)|Slow search results for about 30 \
minutes after a cache misconfiguration; resolved.|platform=ios|2026-10-27
2026-11-02|Pricing|note|Q1 pricing review started|Reviewing small-basket fees by country; no \
changes before January.||
2026-11-04|Engineering|release|iOS app 7.17 released|Minor fixes to the basket screen.\
|platform=ios|
2026-11-09|Customer Service|note|Holiday staffing plan|Extra agents from 23 Nov for Thanksgiving \
week in the US.|country=US|
2026-11-10|Engineering|release|Web release 2026.46|Faster basket page.|platform=web|
2026-11-16|Marketing|campaign|Autumn newsletter to France|Seasonal newsletter with recipes and a \
reminder of the app; no discount.|country=FR|2026-11-16
2026-11-17|Engineering|release|Android app 5.2 released|Switched to a new SMS verification \
provider for sign-up and login codes; new onboarding screens. Rolled out to all Android users \
the same day.|platform=android|
2026-11-19|Customer Service|note|Spike in Android sign-up tickets about missing codes|{n_early} \
tickets on 17-18 Nov from Android customers who never receive the SMS verification code (OTP); \
escalated to Engineering.|platform=android|
2026-11-20|Engineering|incident|Payment page outage on web (2 h)|Payment provider errors on the \
web checkout: page down 17:00-19:00 UTC, intermittent failed payments from about 08:30 UTC until \
the rollback at 23:35 UTC.|platform=web|2026-11-20
2026-11-23|Product|note|Interview round on substitutions|Five customer interviews planned this \
week.||
"""


def _knowledge(feedback: pd.DataFrame) -> pd.DataFrame:
    """The knowledge log; the Customer Service note quotes the real ticket count."""
    early = feedback[
        (feedback["theme"] == "verification_code")
        & (feedback["source"] == "support_ticket")
        & (feedback["created_at"] >= "2026-11-17")
        & (feedback["created_at"] < "2026-11-19")
    ]
    text = _KNOWLEDGE.replace("{n_early}", str(len(early)))
    rows = [line.split("|") for line in text.strip().splitlines()]
    cols = ["date", "team", "kind", "title", "details", "segment", "end_date"]
    return pd.DataFrame(rows, columns=cols)


GLOSSARY = [
    ("OTP", "one-time verification code sent by text message"),
    ("Plus", "paid membership with free delivery"),
    ("basket", "shopping cart"),
    ("AOV", "average order value"),
    ("CS", "Customer Service"),
    ("SLA", "promised response or delivery time"),
    ("subs", "substituted items (a replacement for something out of stock)"),
    ("slot", "delivery time window the customer books"),
    ("picker", "store worker who collects the items of an order"),
    ("NPS", "Net Promoter Score: how likely customers are to recommend us (0-10)"),
    ("WAU", "weekly active customers"),
    ("CVR", "conversion rate"),
]

_INSIGHT_TOML = f"""{OVERWRITE_MARKER}
# (fictional data; see data/README.md in the insightlib repository for the data dictionary).
# Basketly is a grocery-delivery app on iOS, Android and the web.

[project]
name = "Basketly"

[sources]
events = "events.parquet"
feedback = "feedback.csv"
knowledge = "knowledge.csv"
glossary = "glossary.csv"

[segments]
columns = ["platform", "country", "plan"]

[metrics.active_users]
kind = "distinct_users"
label = "Active customers"

[metrics.signup_completion]
kind = "conversion"
from = "signup_start"
to = "signup_complete"
label = "Sign-up completion"

[metrics.checkout_conversion]
kind = "conversion"
from = "view_cart"
to = "purchase"
label = "Checkout completion"

[metrics.orders]
kind = "count"
event = "purchase"
label = "Orders"

[metrics.revenue]
kind = "sum"
event = "purchase"
column = "revenue"
label = "Revenue"
unit = "USD"

[metrics.order_value]
kind = "mean"
event = "purchase"
column = "revenue"
label = "Average order value"
unit = "USD"

[metrics.support_contacts]
kind = "count"
event = "support_contact"
label = "Support contacts"
good = "down"

[report]
grain = "week"

[themes.verification_code]
label = "verification code never arrives"
keywords = ["verification code", "sms code", "code never", "didn't get the code", "otp"]
"""
