"""Pure statistical functions of the quantitative step (numpy/scipy, no I/O, no pandas).

A *row* is one period's additive statistics of one metric in one segment, a float array laid
out as :data:`FIELDS` (the columns of :func:`insightlib.quant.engine.metric_series`). Rows add up
across disjoint sets of users, so "segment A without segment B" is ``row_a - row_b``.

Variances are per user (clustered): a count or sum is a random sum of user contributions whose
variance is estimated by the sum of their squares (compound Poisson); a mean is a ratio
estimator with the delta-method variance; a conversion is a binomial share of users.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = [
    "FIELDS",
    "Change",
    "Trend",
    "point",
    "volume",
    "baseline",
    "change_test",
    "differs",
    "bh",
    "estimate_tau2",
    "trend_test",
    "extrapolation_p",
    "mann_kendall",
    "decompose",
    "normal_p",
    "t_p",
    "t_crit",
    "binom_p",
    "min_attainable_p",
    "dispersion",
    "Detect",
    "detectable",
]

FIELDS = ("users", "numerator", "denominator", "events", "sumsq", "cross", "densq", "sumsq_values")
U, NUM, DEN, EV, SQ, CROSS, DENSQ, SSV = range(len(FIELDS))
ADDITIVE = ("distinct_users", "count", "sum")
_CHI2_MEDIAN = 0.45493642311957283  # median of chi-square with 1 degree of freedom


Z975 = 1.959963984540054  # the 97.5% quantile of the standard normal


def normal_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return float(math.erfc(abs(z) / math.sqrt(2.0))) if math.isfinite(z) else 0.0


def t_p(t: float, dof: float) -> float:
    """Two-sided p-value of a Student t statistic."""
    return float(2.0 * special.stdtr(dof, -abs(t))) if math.isfinite(t) else 0.0


def t_crit(dof: float) -> float:
    """The 97.5% quantile of Student's t (for 95% intervals)."""
    return float(special.stdtrit(dof, 0.975))


def binom_p(x: float, n: float, p0: float) -> float:
    """Exact two-sided binomial test of ``x`` successes in ``n`` trials against ``p0``.

    ``x`` and ``n`` may be non-integer (effective counts of an overdispersed count, see
    :func:`dispersion`): the tails are regularised incomplete beta functions, which agree with
    the binomial distribution at integers. Two-sided as twice the smaller tail (capped at 1).
    """
    if not (n > 0 and 0 < p0 < 1) or not math.isfinite(x) or not math.isfinite(n):
        return 1.0
    x = min(max(x, 0.0), n)
    upper = 1.0 if x <= 0 else float(special.betainc(x, n - x + 1.0, p0))  # P(X >= x)
    lower = 1.0 if x >= n else float(1.0 - special.betainc(x + 1.0, n - x, p0))  # P(X <= x)
    return min(1.0, 2.0 * min(upper, lower))


def dispersion(kind: str, rows: np.ndarray) -> float:
    """How much more a count or sum varies than a Poisson count of the same size (>= 1).

    The per-user sum of squares over the total (``sumsq / numerator``): 1 when every user adds
    one event, larger when heavy users (or large amounts) make the number jumpy. Dividing the
    numbers by it gives *effective counts* that an exact Poisson test can use. Distinct users: 1.
    """
    rows = np.atleast_2d(rows)
    num = float(rows[:, NUM].sum())
    if kind == "distinct_users" or num <= 0:
        return 1.0
    return max(1.0, float(rows[:, SQ].sum()) / num)


def _exact_additive_p(
    kind: str, cur: np.ndarray, base_rows: np.ndarray, scale: np.ndarray | None
) -> float | None:
    """Exact conditional test of a count (or an overdispersed count, or a sum) against its
    baseline: given the total of the current and baseline periods, the current period's part is
    binomial with the share of time it covers (Poisson rates are equal under no change)."""
    base_rows = np.atleast_2d(base_rows)
    if np.any(base_rows[:, NUM] < 0) or cur[NUM] < 0:
        return None
    phi = dispersion(kind, np.vstack([base_rows, cur]))
    s = np.ones(len(base_rows)) if scale is None else np.asarray(scale, dtype=float)
    p0 = 1.0 / (1.0 + float(np.sum(1.0 / s)))
    x = float(cur[NUM]) / phi
    y = float(base_rows[:, NUM].sum()) / phi
    if x + y <= 0:
        return None
    return binom_p(x, x + y, p0)


def min_attainable_p(
    kind: str, cur: np.ndarray, base_rows: np.ndarray, scale: np.ndarray | None = None
) -> float:
    """The smallest p-value the change test of a count could give, whatever the split of its
    total between the current and baseline periods (Tarone's bound; 0 for other kinds).

    A series whose total is so small that even "all of it now" or "none of it now" would not
    be significant cannot be a finding; leaving it out of the multiple-testing family is valid
    (the total says nothing about the split when nothing changed) and keeps many tiny segment
    series from diluting the tests that can find something.
    """
    if kind not in ADDITIVE:
        return 0.0
    base_rows = np.atleast_2d(base_rows)
    if np.any(base_rows[:, NUM] < 0) or cur[NUM] < 0:
        return 0.0
    phi = dispersion(kind, np.vstack([base_rows, cur]))
    s = np.ones(len(base_rows)) if scale is None else np.asarray(scale, dtype=float)
    p0 = 1.0 / (1.0 + float(np.sum(1.0 / s)))
    n = (float(cur[NUM]) + float(base_rows[:, NUM].sum())) / phi
    if n <= 0:
        return 1.0
    return min(binom_p(n, n, p0), binom_p(0.0, n, p0))


def point(kind: str, row: np.ndarray) -> tuple[float, float]:
    """The metric value of one row and its sampling variance (``nan`` when undefined)."""
    num, den = float(row[NUM]), float(row[DEN])
    if kind == "distinct_users":
        return num, num
    if kind in ("count", "sum"):
        return num, float(row[SQ])
    if den <= 0:
        return math.nan, math.nan
    m = num / den
    if kind == "conversion":
        return m, m * (1.0 - m) / den
    var = (row[SQ] - 2.0 * m * row[CROSS] + m * m * row[DENSQ]) / (den * den)
    return m, max(float(var), 0.0)


def floor_var(kind: str, row: np.ndarray) -> float:
    """The smallest sampling variance of a value: as if every event (or user) were independent
    (Poisson for counts, event-level variance for sums and means, binomial for conversions)."""
    num, den = float(row[NUM]), float(row[DEN])
    if kind in ("distinct_users", "count"):
        return num
    if kind == "sum":
        return float(row[SSV])
    if den <= 0:
        return math.nan
    m = num / den
    if kind == "conversion":
        return m * (1.0 - m) / den
    n = float(row[EV])
    return max(float(row[SSV]) / n - m * m, 0.0) / n if n > 0 else math.nan


def volume(kind: str, row: np.ndarray) -> float:
    """The units behind a value: users (distinct, conversion senders), events (count, sum, mean)."""
    if kind == "distinct_users":
        return float(row[NUM])
    if kind == "conversion":
        return float(row[DEN])
    return float(row[EV])


def baseline(kind: str, rows: np.ndarray, scale: np.ndarray | None = None) -> tuple[float, float]:
    """The baseline of several periods and its variance.

    Additive metrics: the mean of the period values (each scaled by ``scale``, the ratio of the
    current period's length to that period's, for months). Ratio metrics: the pooled ratio.
    """
    rows = np.atleast_2d(rows)
    if kind in ADDITIVE:
        s = np.ones(len(rows)) if scale is None else np.asarray(scale, dtype=float)
        k = len(rows)
        var_col = NUM if kind == "distinct_users" else SQ
        value = float(np.sum(rows[:, NUM] * s) / k)
        return value, float(np.sum(rows[:, var_col] * s * s) / (k * k))
    return point(kind, rows.sum(axis=0))


@dataclass(frozen=True)
class Change:
    """One comparison of a current value with a baseline."""

    current: float
    baseline: float
    diff: float
    rel: float | None
    se: float
    p: float
    ci_low: float
    ci_high: float
    effect: float | None
    method: str


def change_test(
    kind: str,
    cur: np.ndarray,
    base_rows: np.ndarray,
    scale: np.ndarray | None = None,
    tau2: float = 0.0,
) -> Change | None:
    """Test the current row against the baseline rows; ``None`` when a value is undefined.

    ``tau2`` is the metric's usual period-to-period wobble beyond sampling noise, as a relative
    variance; it widens the standard error by ``tau2 * baseline**2``.
    """
    c, vc = point(kind, cur)
    b, vb = baseline(kind, base_rows, scale)
    if not (math.isfinite(c) and math.isfinite(b)):
        return None
    diff = c - b
    extra = tau2 * b * b
    se = math.sqrt(max(vc + vb + extra, 1e-300))
    rel = diff / b if b else None
    effect: float | None
    crit = Z975
    if kind == "conversion":
        pooled = np.atleast_2d(base_rows).sum(axis=0)
        n1, n0 = float(cur[DEN]), float(pooled[DEN])
        pp = (float(cur[NUM]) + float(pooled[NUM])) / (n1 + n0)
        se0 = math.sqrt(max(pp * (1 - pp) * (1 / n1 + 1 / n0) + extra, 1e-300))
        p = normal_p(diff / se0)
        x1, x0 = float(cur[NUM]), float(pooled[NUM])
        if min(n1 * pp, n1 * (1 - pp), n0 * pp, n0 * (1 - pp)) < 10:  # small: Fisher's exact
            from scipy.stats import fisher_exact

            table = [[round(x1), round(n1 - x1)], [round(x0), round(n0 - x0)]]
            p = max(p, float(fisher_exact(table).pvalue))
            method = "two-proportion z-test and Fisher's exact test"
        else:
            method = "two-proportion z-test"
        effect = 2 * math.asin(math.sqrt(min(max(c, 0), 1))) - 2 * math.asin(
            math.sqrt(min(max(b, 0), 1))
        )
    elif kind == "mean":
        pooled = np.atleast_2d(base_rows).sum(axis=0)
        n1, n0 = max(float(cur[U]), 2.0), max(float(pooled[U]), 2.0)
        num = (vc + vb) ** 2
        den = (vc * vc) / (n1 - 1) + (vb * vb) / (n0 - 1)
        dof = num / den if den > 0 else n1 + n0 - 2
        t = diff / se
        p = t_p(t, dof)
        crit = t_crit(dof)
        both = np.atleast_2d(base_rows).sum(axis=0) + cur
        k = float(both[DEN])
        sd = math.sqrt(max((float(both[SSV]) - float(both[NUM]) ** 2 / k) / max(k - 1, 1), 0))
        effect = diff / sd if sd > 0 else None
        method = "Welch t-test on per-user (clustered) means"
    else:
        # both must hold: the normal test with the usual wobble (tau2) and the exact test of
        # the (effective) counts, which stays valid at small numbers
        # the variance under "no change": the baseline level with the series' dispersion
        phi = dispersion(kind, np.vstack([np.atleast_2d(base_rows), cur]))
        se0 = math.sqrt(max(phi * abs(b) + vb + extra, 1e-300))
        p = normal_p(diff / se0) if b > 0 else normal_p(diff / se)
        exact = _exact_additive_p(kind, cur, base_rows, scale)
        if exact is not None:
            p = max(p, exact)
        effect = math.log(c / b) if c > 0 and b > 0 else None
        method = (
            "exact Poisson rate test"
            if kind == "distinct_users"
            else "exact rate test of effective counts (per-user overdispersion)"
        ) + (" and the usual period-to-period wobble" if tau2 > 0 else "")
    return Change(c, b, diff, rel, se, p, diff - crit * se, diff + crit * se, effect, method)


def differs(
    kind: str,
    a_cur: np.ndarray,
    a_base: np.ndarray,
    b_cur: np.ndarray,
    b_base: np.ndarray,
    scale: np.ndarray | None,
    tau2: float,
    alpha: float,
) -> tuple[bool, float]:
    """Did set A move differently from set B (relative change, log scale)?

    True when the difference is significant at ``alpha`` and at least half of A's own move is
    specific to A. A set that appears or disappears differs from a set that does not.
    """
    ca, va = point(kind, a_cur)
    ba, vba = baseline(kind, a_base, scale)
    cb, vb = point(kind, b_cur)
    bb, vbb = baseline(kind, b_base, scale)
    vals = (ca, ba, cb, bb)
    if not all(math.isfinite(v) for v in vals):
        return False, 1.0
    if ca <= 0 or ba <= 0:
        return (cb > 0 and bb > 0), 0.0
    if cb <= 0 or bb <= 0:
        return False, 1.0
    la, lb = math.log(ca / ba), math.log(cb / bb)
    var = va / ca**2 + vba / ba**2 + vb / cb**2 + vbb / bb**2 + 2 * tau2
    p = normal_p((la - lb) / math.sqrt(max(var, 1e-300)))
    return (p < alpha and abs(la - lb) >= 0.5 * abs(la)), p


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) of a family of tests.

    The one multiple-testing correction of insightlib (quantitative and qualitative steps alike).
    p-values may come in any order; the result is in the same order.
    """
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    n = len(p)
    if n == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def estimate_tau2(rel_resid: np.ndarray, rel_var: np.ndarray) -> float:
    """The relative between-period variance beyond sampling noise (robust, method of moments).

    Chooses the smallest ``tau2 >= 0`` for which the median of ``r**2 / (v + tau2)`` over the
    historical residuals equals the median of a chi-square(1), so that a few real changes in
    the history do not inflate it.
    """
    r2 = np.asarray(rel_resid, dtype=float) ** 2
    v = np.asarray(rel_var, dtype=float)
    ok = np.isfinite(r2) & np.isfinite(v) & (v >= 0)
    r2, v = r2[ok], v[ok]
    if len(r2) < 5:
        return 0.0

    def med(t: float) -> float:
        return float(np.median(r2 / np.maximum(v + t, 1e-300)))

    if med(0.0) <= _CHI2_MEDIAN:
        return 0.0
    lo, hi = 0.0, float(r2.max()) + 1e-12
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if med(mid) > _CHI2_MEDIAN else (lo, mid)
    return hi


@dataclass(frozen=True)
class Trend:
    """A log-linear trend over consecutive periods."""

    slope: float  # per period, log scale (~ relative change per period)
    se: float
    p: float
    slope_low: float
    slope_high: float
    mk_tau: float
    mk_p: float
    sen: float


@functools.cache
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of positions ``i < j`` of a series of ``n``, as two index arrays."""
    i, j = np.triu_indices(n, 1)
    i.setflags(write=False)
    j.setflags(write=False)
    return i, j


def mann_kendall(y: np.ndarray) -> tuple[float, float]:
    """Kendall's tau of the series against time and the Mann–Kendall two-sided p-value."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 3:
        return 0.0, 1.0
    i, j = _pairs(n)
    s = float(np.sign(y[j] - y[i]).sum())
    _, counts = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18
    z = 0.0 if s == 0 or var <= 0 else (s - np.sign(s)) / math.sqrt(var)
    return s / (n * (n - 1) / 2), normal_p(z)


def _ols(ly: np.ndarray, rel_var: np.ndarray | None) -> tuple[float, float, float, float, int]:
    """(intercept at the centre, slope, residual variance, Sxx, dof) of log values on time.

    The residual variance is never below the mean relative sampling variance of the points, so
    a short, by chance smooth series of a small segment is not mistaken for a trend.
    """
    n = len(ly)
    x = np.arange(n, dtype=float) - (n - 1) / 2
    sxx = float(x @ x)
    slope = float(x @ (ly - ly.mean())) / sxx
    resid = ly - ly.mean() - slope * x
    s2 = float(resid @ resid) / (n - 2)
    if rel_var is not None and len(rel_var):
        s2 = max(s2, float(np.mean(rel_var)))
    return float(ly.mean()), slope, s2, sxx, n - 2


def trend_test(values: np.ndarray, rel_var: np.ndarray | None = None) -> Trend | None:
    """OLS slope of log(values) on the period index (t-test), Mann–Kendall and Sen's slope.

    ``rel_var`` (the sampling variance of each value divided by its square) floors the
    residual variance.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 4 or not np.all(np.isfinite(y)) or np.any(y <= 0):
        return None
    ly = np.log(y)
    _, slope, s2, sxx, dof = _ols(ly, rel_var)
    se = math.sqrt(max(s2 / sxx, 1e-24))
    p = t_p(slope / se, dof)
    crit = t_crit(dof)
    tau, mk_p = mann_kendall(ly)
    i, j = _pairs(n)
    pair = (ly[j] - ly[i]) / (j - i)
    return Trend(
        slope, se, p, slope - crit * se, slope + crit * se, tau, mk_p, float(np.median(pair))
    )


def extrapolation_p(values: np.ndarray, rel_var: np.ndarray | None = None) -> float:
    """p-value of the last value against the log-linear trend of the earlier ones."""
    y = np.asarray(values, dtype=float)
    n = len(y) - 1
    if n < 4 or not np.all(np.isfinite(y)) or np.any(y <= 0):
        return 0.0
    ly = np.log(y)
    rv = None if rel_var is None else np.asarray(rel_var)[:-1]
    mid, slope, s2, sxx, dof = _ols(ly[:-1], rv)
    x_new = n - (n - 1) / 2
    pred = mid + slope * x_new
    var = s2 * (1 + 1 / n + x_new**2 / sxx)
    if rel_var is not None:
        var += float(rel_var[-1])
    return t_p((ly[-1] - pred) / math.sqrt(max(var, 1e-24)), dof)


def decompose(
    kind: str, cur: np.ndarray, base: np.ndarray, scale: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Split an overall change into per-segment contributions.

    ``cur`` is ``(segments, fields)`` for the current period; ``base`` is
    ``(periods, segments, fields)`` for the baseline periods. Segments should partition the
    users (the values of one column). Returns arrays ``contribution``, ``mix``, ``rate``,
    ``current`` and ``baseline`` (per segment) and ``total`` (a 1-element array).

    Additive metrics: contribution = segment change. Ratio metrics (conversion, mean), with
    weights ``w`` (the segment's share of the denominator) and rates ``r``:
    ``rate = (w0 + w1) / 2 * (r1 - r0)`` and ``mix = (w1 - w0) * ((r0 + r1) / 2 - R0)``, whose
    sum over segments is exactly ``R1 - R0``.
    """
    base = np.asarray(base, dtype=float)
    if base.ndim == 2:
        base = base[None]
    k = base.shape[0]
    s = np.ones(k) if scale is None else np.asarray(scale, dtype=float)
    if kind in ADDITIVE:
        x1 = cur[:, NUM]
        x0 = np.tensordot(s, base[:, :, NUM], axes=1) / k
        c = x1 - x0
        return {
            "weight": x0 / x0.sum() if x0.sum() else np.zeros_like(x0),
            "contribution": c,
            "mix": np.full(len(c), np.nan),
            "rate": np.full(len(c), np.nan),
            "current": x1,
            "baseline": x0,
            "total": np.array([c.sum()]),
        }
    pooled = base.sum(axis=0)
    n1, n0 = cur[:, DEN], pooled[:, DEN]
    w1 = n1 / n1.sum() if n1.sum() > 0 else np.zeros_like(n1)
    w0 = n0 / n0.sum() if n0.sum() > 0 else np.zeros_like(n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(n1 > 0, cur[:, NUM] / np.where(n1 > 0, n1, 1), np.nan)
        r0 = np.where(n0 > 0, pooled[:, NUM] / np.where(n0 > 0, n0, 1), np.nan)
    r0f = np.where(np.isnan(r0), r1, r0)
    r1f = np.where(np.isnan(r1), r0f, r1)
    r0f = np.nan_to_num(r0f)
    r1f = np.nan_to_num(r1f)
    big_r0 = float(np.sum(w0 * r0f))
    rate = (w0 + w1) / 2 * (r1f - r0f)
    mix = (w1 - w0) * ((r0f + r1f) / 2 - big_r0)
    c = rate + mix
    return {
        "weight": w0,
        "contribution": c,
        "mix": mix,
        "rate": rate,
        "current": r1,
        "baseline": r0,
        "total": np.array([c.sum()]),
    }


@dataclass(frozen=True)
class Detect:
    """Whether a series is big enough to tell a doubling (or a halving) from noise."""

    ok: bool
    volume: float  # units behind one baseline period (events, users, values)
    need: float  # about how many units a period it would need (inf: never, with its wobble)
    z: float  # the z a doubling would reach


def detectable(
    kind: str,
    cur: np.ndarray,
    base_rows: np.ndarray,
    scale: np.ndarray | None = None,
    tau2: float = 0.0,
) -> Detect:
    """Could the change test see this series double (halve, for shares above one half)?

    The expected z of such a move from the baseline, with the sampling noise of its size and
    the metric's usual wobble; below 1.96 (a doubling would not even be significant on its
    own) the series is *too small to tell*. ``need`` scales the volume to where it would be
    (sampling noise shrinks with the square root of the volume).
    """
    base_rows = np.atleast_2d(base_rows)
    k = len(base_rows)
    vol = float(np.mean([volume(kind, r) for r in base_rows]))
    b, vb = baseline(kind, base_rows, scale)
    if not math.isfinite(b) or vol <= 0 or b == 0:
        return Detect(False, max(vol, 0.0), math.inf, 0.0)
    if kind in ADDITIVE:
        phi = dispersion(kind, base_rows)  # the usual jumpiness, not this period's outlier
        diff, var = abs(b), phi * abs(b) * (2.0 + 1.0 / k)
    elif kind == "conversion":
        r2 = 2 * b if b <= 0.5 else b / 2
        n1 = float(base_rows[:, DEN].sum()) / k
        diff = abs(r2 - b)
        var = r2 * (1 - r2) / max(n1, 1e-9) + vb
    else:  # mean: one period holds about 1/k of the baseline's values; doubling doubles sd
        if float(base_rows[:, U].sum()) < 2 or vb <= 0:
            return Detect(False, vol, math.inf, 0.0)
        diff, var = abs(b), 4.0 * vb * k + vb
    z0 = diff / math.sqrt(max(var, 1e-300))
    z = diff / math.sqrt(max(var + tau2 * b * b, 1e-300))
    if z >= Z975:
        return Detect(True, vol, vol, z)
    if tau2 * b * b >= (diff / Z975) ** 2:  # its usual wobble alone hides a doubling
        return Detect(False, vol, math.inf, z)
    room = (diff / Z975) ** 2 - tau2 * b * b  # variance a doubling may have
    need = vol * var / room if z0 > 0 else math.inf
    return Detect(False, vol, need, z)
