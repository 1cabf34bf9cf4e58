"""insightlib.quant.stats against independent references (scipy, by-hand formulas on raw data).

Fast unit tests: `make mutation` runs them against every mutant of quant/stats.py.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as st

from insightlib.quant import stats as S


def row(**kw: float) -> np.ndarray:
    """One additive row from named fields (the rest zero)."""
    r = np.zeros(len(S.FIELDS))
    for name, value in kw.items():
        r[S.FIELDS.index(name)] = value
    return r


def user_row(y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The additive row of a set of users with sums ``y`` over ``n`` events each."""
    y, n = np.asarray(y, float), np.asarray(n, float)
    return row(
        users=float((n > 0).sum()),
        numerator=y.sum(),
        denominator=n.sum(),
        events=n.sum(),
        sumsq=(y * y).sum(),
        cross=(y * n).sum(),
        densq=(n * n).sum(),
        sumsq_values=(y * y / np.maximum(n, 1)).sum(),
    )


# ----------------------------------------------------------------------------- p-values


@pytest.mark.parametrize("z", [0.0, 0.3, -1.2, 1.959963984540054, 4.5, -8.0])
def test_normal_p_is_scipys_two_sided_p(z: float) -> None:
    assert S.normal_p(z) == pytest.approx(2 * st.norm.sf(abs(z)), rel=1e-9, abs=1e-300)
    assert S.normal_p(math.inf) == 0.0 and S.normal_p(math.nan) == 0.0


@pytest.mark.parametrize(("t", "dof"), [(0.0, 5), (2.1, 3), (-2.1, 3), (1.0, 40.5), (6.0, 2)])
def test_t_p_and_t_crit_are_scipys(t: float, dof: float) -> None:
    assert S.t_p(t, dof) == pytest.approx(2 * st.t.sf(abs(t), dof), rel=1e-9)
    assert S.t_crit(dof) == pytest.approx(st.t.ppf(0.975, dof), rel=1e-9)
    assert S.t_p(-math.inf, dof) == 0.0
    assert S.Z975 == pytest.approx(st.norm.ppf(0.975), rel=1e-12)


# ----------------------------------------------------------------------------- BH


def test_bh_matches_scipy_on_unsorted_p_values() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 17, 60):
        p = rng.uniform(0, 1, n) ** 3  # skewed small, unsorted, with near-ties
        np.testing.assert_allclose(S.bh(p), st.false_discovery_control(p, method="bh"))


def test_bh_keeps_adjusted_p_values_monotone() -> None:
    # sorted ranks give 0.03, 0.06, 0.041: the step-up takes the minimum from the right, so the
    # second q is 0.041, not 0.06; the input order (unsorted) is kept in the output
    p = np.array([0.041, 0.01, 0.04])
    q = S.bh(p)
    np.testing.assert_allclose(q, [0.041, 0.03, 0.041])
    np.testing.assert_allclose(q, st.false_discovery_control(p))
    assert S.bh(np.array([0.2])).tolist() == [0.2]
    assert S.bh(np.array([])).shape == (0,)


# ----------------------------------------------------------------------------- point values


def test_point_per_kind_against_raw_users() -> None:
    y = np.array([3.0, 0.0, 7.0, 2.0, 5.0])  # per-user sums
    n = np.array([2.0, 1.0, 3.0, 1.0, 4.0])  # per-user events (denominator)
    r = user_row(y, n)
    assert S.point("distinct_users", r) == (y.sum(), y.sum())
    assert S.point("count", r) == (y.sum(), (y * y).sum())
    assert S.point("sum", r) == (y.sum(), (y * y).sum())
    m = y.sum() / n.sum()
    value, var = S.point("mean", r)
    assert value == pytest.approx(m)
    assert var == pytest.approx(((y - m * n) ** 2).sum() / n.sum() ** 2)  # ratio estimator
    conv = row(numerator=30, denominator=120)
    assert S.point("conversion", conv) == pytest.approx((0.25, 0.25 * 0.75 / 120))
    for kind in ("conversion", "mean"):
        assert all(math.isnan(v) for v in S.point(kind, row(numerator=3, denominator=0)))
    # a negative variance from rounding is clamped at zero
    assert S.point("mean", row(numerator=2, denominator=2, sumsq=0, cross=5, densq=0))[1] == 0.0


def test_floor_var_per_kind() -> None:
    r = row(users=4, numerator=12, denominator=8, events=10, sumsq_values=40)
    assert S.floor_var("distinct_users", r) == 12
    assert S.floor_var("count", r) == 12
    assert S.floor_var("sum", r) == 40
    m = 12 / 8
    assert S.floor_var("mean", r) == pytest.approx((40 / 10 - m * m) / 10)
    c = row(numerator=2, denominator=8)
    assert S.floor_var("conversion", c) == pytest.approx(0.25 * 0.75 / 8)
    assert math.isnan(S.floor_var("mean", row(numerator=1, denominator=0, events=3)))
    assert math.isnan(S.floor_var("mean", row(numerator=1, denominator=2, events=0)))
    assert S.floor_var("mean", row(numerator=4, denominator=2, events=2, sumsq_values=1)) == 0.0


def test_volume_per_kind() -> None:
    r = row(users=7, numerator=5, denominator=40, events=90)
    assert S.volume("distinct_users", r) == 5  # the users counted (who did the event, if any)
    assert S.volume("conversion", r) == 40
    assert S.volume("count", r) == 90 and S.volume("sum", r) == 90 and S.volume("mean", r) == 90


def test_baseline_scaled_mean_and_pooled_ratio() -> None:
    rows = np.array([row(numerator=10, sumsq=30), row(numerator=20, sumsq=50)])
    scale = np.array([1.0, 0.5])
    v, var = S.baseline("count", rows, scale)
    assert v == pytest.approx((10 * 1.0 + 20 * 0.5) / 2)
    assert var == pytest.approx((30 * 1.0 + 50 * 0.25) / 4)
    v, var = S.baseline("distinct_users", rows)  # Poisson: variance = value
    assert (v, var) == pytest.approx((15.0, 30 / 4))
    v, var = S.baseline("sum", rows[:1])
    assert (v, var) == pytest.approx((10.0, 30.0))
    conv = np.array([row(numerator=10, denominator=40), row(numerator=30, denominator=60)])
    assert S.baseline("conversion", conv) == pytest.approx(S.point("conversion", conv.sum(0)))
    assert S.baseline("conversion", conv)[0] == pytest.approx(0.4)


# ----------------------------------------------------------------------------- change tests


def test_count_change_is_a_z_test_with_the_wobble_added() -> None:
    """Counts: the interval from the per-user (overdispersed) variance plus the wobble; the
    p-value the larger of the normal test under "no change" (baseline level x dispersion) and
    the exact binomial test of effective counts, so it holds at small numbers too."""
    cur = row(numerator=150, sumsq=400)
    base = np.array([row(numerator=100, sumsq=300), row(numerator=120, sumsq=260)])
    b, vb = 110.0, (300 + 260) / 4
    phi = (400 + 300 + 260) / (150 + 100 + 120)
    for tau2 in (0.0, 0.01):
        c = S.change_test("count", cur, base, tau2=tau2)
        assert c is not None
        se = math.sqrt(400 + vb + tau2 * b * b)
        z0 = (150 - b) / math.sqrt(phi * b + vb + tau2 * b * b)
        x, n = 150 / phi, (150 + 220) / phi
        exact = min(1.0, 2 * min(st.beta.cdf(1 / 3, x, n - x + 1), st.beta.sf(1 / 3, x + 1, n - x)))
        assert (c.current, c.baseline, c.diff) == pytest.approx((150, b, 40))
        assert c.se == pytest.approx(se)
        assert c.p == pytest.approx(max(2 * st.norm.sf(z0), exact))
        assert c.rel == pytest.approx(40 / 110)
        assert (c.ci_low, c.ci_high) == pytest.approx((40 - 1.959964 * se, 40 + 1.959964 * se))
        assert c.effect == pytest.approx(math.log(150 / 110))
        assert c.method.startswith("exact rate test of effective counts")
    d = S.change_test("distinct_users", row(numerator=80), np.array([row(numerator=100)]))
    assert d is not None and d.method == "exact Poisson rate test"
    assert d.se == pytest.approx(math.sqrt(180))
    assert d.p == pytest.approx(max(S.normal_p(-20 / 200**0.5), 2 * st.binom.cdf(80, 180, 0.5)))
    zero = S.change_test("count", row(numerator=0), np.array([row(numerator=0)]))
    assert zero is not None and zero.rel is None and zero.effect is None and zero.p == 1.0
    assert S.change_test("mean", row(), np.array([row(numerator=1, denominator=1)])) is None
    assert S.change_test("mean", row(numerator=1, denominator=1), np.array([row()])) is None


def test_conversion_change_is_scipys_two_proportion_test() -> None:
    cur = row(numerator=45, denominator=300)
    base = np.array([row(numerator=60, denominator=250), row(numerator=70, denominator=300)])
    c = S.change_test("conversion", cur, base)
    assert c is not None and c.method == "two-proportion z-test"
    _, p, _, _ = st.chi2_contingency([[45, 255], [130, 420]], correction=False)
    assert c.p == pytest.approx(p, rel=1e-9)
    p1, p0 = 45 / 300, 130 / 550
    se = math.sqrt(p1 * (1 - p1) / 300 + p0 * (1 - p0) / 550)
    assert c.se == pytest.approx(se) and c.ci_low == pytest.approx(p1 - p0 - 1.959964 * se)
    assert c.effect == pytest.approx(2 * math.asin(p1**0.5) - 2 * math.asin(p0**0.5))
    # the wobble widens the null standard error too
    wide = S.change_test("conversion", cur, base, tau2=0.05)
    se0 = math.sqrt(175 / 850 * (1 - 175 / 850) * (1 / 300 + 1 / 550) + 0.05 * p0 * p0)
    assert wide is not None and wide.p == pytest.approx(2 * st.norm.sf(abs(p1 - p0) / se0))


def test_mean_change_is_a_welch_t_test_on_user_means() -> None:
    rng = np.random.default_rng(3)
    y1, n1 = rng.gamma(2, 5, 40), rng.integers(1, 4, 40).astype(float)
    y0, n0 = rng.gamma(2, 4, 90), rng.integers(1, 4, 90).astype(float)
    cur, base = user_row(y1, n1), user_row(y0, n0)
    c = S.change_test("mean", cur, np.array([base]))
    assert c is not None and c.method == "Welch t-test on per-user (clustered) means"
    m1, m0 = y1.sum() / n1.sum(), y0.sum() / n0.sum()
    v1 = ((y1 - m1 * n1) ** 2).sum() / n1.sum() ** 2
    v0 = ((y0 - m0 * n0) ** 2).sum() / n0.sum() ** 2
    dof = (v1 + v0) ** 2 / (v1 * v1 / 39 + v0 * v0 / 89)
    t = (m1 - m0) / math.sqrt(v1 + v0)
    assert c.p == pytest.approx(2 * st.t.sf(abs(t), dof), rel=1e-9)
    half = st.t.ppf(0.975, dof) * math.sqrt(v1 + v0)
    assert (c.ci_low, c.ci_high) == pytest.approx((m1 - m0 - half, m1 - m0 + half))
    k = n1.sum() + n0.sum()
    ssv = (y1 * y1 / n1).sum() + (y0 * y0 / n0).sum()
    sd = math.sqrt((ssv - (y1.sum() + y0.sum()) ** 2 / k) / (k - 1))
    assert c.effect == pytest.approx((m1 - m0) / sd)
    # one user on each side: the degrees of freedom use at least two users
    one = S.change_test("mean", user_row([6.0], [2.0]), np.array([user_row([1.0, 3.0], [1, 1])]))
    v_0 = ((np.array([1.0, 3.0]) - 2.0) ** 2).sum() / 4  # the single current user adds none
    assert one is not None
    assert one.p == pytest.approx(2 * st.t.sf(1.0 / math.sqrt(v_0), v_0**2 / (v_0**2 / 1)))


def test_mean_effect_is_none_without_spread() -> None:
    same = user_row([2.0, 2.0], [1.0, 1.0])
    c = S.change_test("mean", same, np.array([same]))
    assert c is not None and c.effect is None and c.diff == 0


def test_differs_on_the_log_scale() -> None:
    a_cur, a_base = row(numerator=200, sumsq=200), np.array([row(numerator=100, sumsq=100)])
    b_cur, b_base = row(numerator=105, sumsq=105), np.array([row(numerator=100, sumsq=100)])
    yes, p = S.differs("count", a_cur, a_base, b_cur, b_base, None, 0.0, 0.05)
    la, lb = math.log(2.0), math.log(1.05)
    var = 200 / 200**2 + 100 / 100**2 + 105 / 105**2 + 100 / 100**2
    assert p == pytest.approx(S.normal_p((la - lb) / math.sqrt(var)))
    assert yes
    _, p_wide = S.differs("count", a_cur, a_base, b_cur, b_base, None, 0.05, 0.05)
    assert p_wide == pytest.approx(S.normal_p((la - lb) / math.sqrt(var + 0.1)))
    # the same move in both sets does not differ; a significant but small specific part neither
    assert S.differs("count", a_cur, a_base, a_cur, a_base, None, 0.0, 0.05)[0] is False
    big = 1e6
    a2 = (row(numerator=2.0 * big, sumsq=2 * big), np.array([row(numerator=big, sumsq=big)]))
    b2 = (row(numerator=1.6 * big, sumsq=2 * big), np.array([row(numerator=big, sumsq=big)]))
    yes2, p2 = S.differs("count", *a2, *b2, None, 0.0, 0.05)
    assert p2 < 1e-6 and not yes2  # log(2) - log(1.6) < half of log(2)
    # a set that appears differs from one that does not; undefined values never differ
    gone = row(numerator=0)
    assert S.differs("count", gone, a_base, b_cur, b_base, None, 0.0, 0.05) == (True, 0.0)
    assert S.differs("count", gone, a_base, gone, b_base, None, 0.0, 0.05) == (False, 0.0)
    assert S.differs("count", a_cur, a_base, gone, b_base, None, 0.0, 0.05) == (False, 1.0)
    assert S.differs("count", a_cur, a_base, b_cur, np.array([gone]), None, 0.0, 0.05) == (
        False,
        1.0,
    )
    nan = row(numerator=1, denominator=0)
    assert S.differs("mean", nan, a_base, b_cur, b_base, None, 0.0, 0.05) == (False, 1.0)


# ----------------------------------------------------------------------------- wobble, trends


def test_estimate_tau2_solves_the_median_equation() -> None:
    r = np.array([0.1, -0.2, 0.3, -0.05, 0.25, 0.15, -0.4])
    v = np.full(7, 0.001)
    tau2 = S.estimate_tau2(r, v)
    # median of r^2 / (v + tau2) equals the chi-square(1) median
    assert np.median(r**2 / (v + tau2)) == pytest.approx(st.chi2.median(1), rel=1e-9)
    assert tau2 == pytest.approx(np.median(r**2) / st.chi2.median(1) - 0.001, rel=1e-9)
    # NaNs and negative variances are ignored; fewer than five points: no wobble
    r_bad = np.append(r, [np.nan, 5.0])
    v_bad = np.append(v, [0.001, -1.0])
    assert S.estimate_tau2(r_bad, v_bad) == pytest.approx(tau2)
    assert S.estimate_tau2(r[:4], v[:4]) == 0.0
    assert S.estimate_tau2(r[:5], v[:5]) > 0
    # residuals within sampling noise: zero
    assert S.estimate_tau2(np.full(6, 0.01), np.full(6, 0.01)) == 0.0


def mk_reference(y: np.ndarray) -> tuple[float, float]:
    n = len(y)
    s = sum(np.sign(y[j] - y[i]) for i, j in itertools.combinations(range(n), 2))
    _, t = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - sum(c * (c - 1) * (2 * c + 5) for c in t)) / 18
    z = 0.0 if s == 0 else (s - np.sign(s)) / math.sqrt(var)
    return s / (n * (n - 1) / 2), 2 * st.norm.sf(abs(z))


@pytest.mark.parametrize(
    "y", [[1, 3, 2, 5, 4, 7], [5, 4, 4, 3, 1, 2, 0], [2, 2, 2, 3], [1, 2, 1, 2, 1, 2]]
)
def test_mann_kendall_against_the_textbook(y: list[float]) -> None:
    tau, p = S.mann_kendall(np.array(y, float))
    ref_tau, ref_p = mk_reference(np.array(y, float))
    assert tau == pytest.approx(ref_tau) and p == pytest.approx(ref_p)
    if len(set(y)) == len(y):
        assert tau == pytest.approx(st.kendalltau(np.arange(len(y)), y).statistic)
    assert S.mann_kendall(np.array([1.0, 2.0])) == (0.0, 1.0)
    assert S.mann_kendall(np.array([3.0, 3.0, 3.0])) == (0.0, 1.0)


def test_trend_test_is_scipys_log_linear_regression() -> None:
    y = np.array([100, 104, 103, 110, 118, 115, 125, 131.0])
    tr = S.trend_test(y)
    ly = np.log(y)
    lr = st.linregress(np.arange(8), ly)
    assert tr is not None
    assert tr.slope == pytest.approx(lr.slope) and tr.se == pytest.approx(lr.stderr)
    assert tr.p == pytest.approx(lr.pvalue, rel=1e-7)
    half = st.t.ppf(0.975, 6) * lr.stderr
    assert (tr.slope_low, tr.slope_high) == pytest.approx((lr.slope - half, lr.slope + half))
    assert tr.sen == pytest.approx(st.theilslopes(ly).slope)
    assert (tr.mk_tau, tr.mk_p) == pytest.approx(mk_reference(ly))
    # the sampling noise floors the residual variance
    big = np.full(8, 0.01)
    wide = S.trend_test(y, big)
    assert wide is not None
    sxx = float(((np.arange(8) - 3.5) ** 2).sum())
    s2 = max(lr.stderr**2 * sxx, 0.01)
    assert wide.se == pytest.approx(math.sqrt(s2 / sxx))
    assert S.trend_test(y, np.full(8, 1e-9)).se == pytest.approx(lr.stderr)
    for bad in ([1.0, 2, 3], [1.0, 2, -3, 4], [1.0, 2, np.nan, 4], [1.0, 2, 0, 4]):
        assert S.trend_test(np.array(bad)) is None
    assert S.trend_test(np.array([1.0, 2, 3, 4])) is not None


def test_extrapolation_p_is_a_prediction_interval() -> None:
    y = np.array([100, 103, 107, 109, 113, 116, 150.0])
    ly = np.log(y)
    n = 6
    lr = st.linregress(np.arange(n), ly[:-1])
    resid = ly[:-1] - (lr.intercept + lr.slope * np.arange(n))
    s2 = float(resid @ resid) / (n - 2)
    sxx = float(((np.arange(n) - (n - 1) / 2) ** 2).sum())
    pred = lr.intercept + lr.slope * n
    var = s2 * (1 + 1 / n + (n - (n - 1) / 2) ** 2 / sxx)
    ref = 2 * st.t.sf(abs(ly[-1] - pred) / math.sqrt(var), n - 2)
    assert S.extrapolation_p(y) == pytest.approx(ref, rel=1e-7)
    rv = np.full(7, 0.0004)
    s2f = max(s2, 0.0004)
    var_f = s2f * (1 + 1 / n + (n - (n - 1) / 2) ** 2 / sxx) + 0.0004
    ref_f = 2 * st.t.sf(abs(ly[-1] - pred) / math.sqrt(var_f), n - 2)
    assert S.extrapolation_p(y, rv) == pytest.approx(ref_f, rel=1e-7)
    assert S.extrapolation_p(np.array([1.0, 2, 3, 4])) == 0.0
    assert S.extrapolation_p(np.array([1.0, 2, 3, 4, 0])) == 0.0
    assert S.extrapolation_p(np.array([1.0, 2, 3, 4, np.inf])) == 0.0
    assert 0 < S.extrapolation_p(np.array([1.0, 2, 3, 4, 5])) <= 1


# ----------------------------------------------------------------------------- decomposition


def test_decompose_additive_per_segment() -> None:
    cur = np.array([row(numerator=30), row(numerator=70)])
    base = np.array(
        [[row(numerator=20), row(numerator=60)], [row(numerator=40), row(numerator=60)]]
    )
    d = S.decompose("count", cur, base, np.array([1.0, 0.5]))
    x0 = np.array([(20 + 40 * 0.5) / 2, (60 + 60 * 0.5) / 2])
    np.testing.assert_allclose(d["baseline"], x0)
    np.testing.assert_allclose(d["contribution"], [30 - x0[0], 70 - x0[1]])
    np.testing.assert_allclose(d["weight"], x0 / x0.sum())
    np.testing.assert_allclose(d["current"], [30, 70])
    assert d["total"][0] == pytest.approx(100 - x0.sum())
    assert np.isnan(d["mix"]).all() and np.isnan(d["rate"]).all()
    two_d = S.decompose("sum", cur, base[0])  # a single baseline period as a 2-d array
    np.testing.assert_allclose(two_d["contribution"], [10, 10])
    zero = S.decompose("count", cur, np.zeros((1, 2, len(S.FIELDS))))
    np.testing.assert_allclose(zero["weight"], [0, 0])


def test_decompose_ratio_into_rate_and_mix() -> None:
    cur = np.array([row(numerator=30, denominator=100), row(numerator=80, denominator=200)])
    base = np.array([[row(numerator=60, denominator=150), row(numerator=90, denominator=150)]])
    d = S.decompose("conversion", cur, base)
    w1, w0 = np.array([1 / 3, 2 / 3]), np.array([0.5, 0.5])
    r1, r0 = np.array([0.3, 0.4]), np.array([0.4, 0.6])
    big_r0 = 0.5
    np.testing.assert_allclose(d["rate"], (w0 + w1) / 2 * (r1 - r0))
    np.testing.assert_allclose(d["mix"], (w1 - w0) * ((r0 + r1) / 2 - big_r0))
    np.testing.assert_allclose(d["weight"], w0)
    np.testing.assert_allclose(d["current"], r1)
    np.testing.assert_allclose(d["baseline"], r0)
    assert d["total"][0] == pytest.approx(110 / 300 - 150 / 300)
    assert d["contribution"].sum() == pytest.approx(d["total"][0])


def test_decompose_ratio_with_a_new_and_a_vanished_segment() -> None:
    cur = np.array([row(numerator=10, denominator=50), row(), row(numerator=5, denominator=50)])
    base = np.array([[row(numerator=20, denominator=100), row(numerator=9, denominator=30), row()]])
    d = S.decompose("mean", cur, base)
    assert np.isnan(d["current"][1]) and np.isnan(d["baseline"][2])
    # overall: 15/100 now against 29/130 before, split exactly over the segments
    assert d["total"][0] == pytest.approx(15 / 100 - 29 / 130)
    w0 = np.array([100, 30, 0]) / 130
    w1 = np.array([0.5, 0.0, 0.5])
    r0f, r1f = np.array([0.2, 0.3, 0.1]), np.array([0.2, 0.3, 0.1])
    np.testing.assert_allclose(d["rate"], (w0 + w1) / 2 * (r1f - r0f))
    np.testing.assert_allclose(d["mix"], (w1 - w0) * ((r0f + r1f) / 2 - 29 / 130))
    empty = S.decompose("conversion", np.array([row(), row()]), np.zeros((1, 2, 8)))
    np.testing.assert_allclose(empty["contribution"], [0, 0])
    np.testing.assert_allclose(empty["weight"], [0, 0])


# ----------------------------------------------------------------------------- edges


def test_one_sender_one_event_one_user() -> None:
    # a denominator of exactly one is a value, not "undefined"
    assert S.point("conversion", row(numerator=1, denominator=1)) == (1.0, 0.0)
    assert S.point("mean", row(numerator=3, denominator=1, sumsq=9, cross=3, densq=1)) == (3.0, 0.0)
    assert S.floor_var("conversion", row(numerator=0, denominator=1)) == 0.0
    assert S.floor_var("mean", row(numerator=3, denominator=1, events=1, sumsq_values=9)) == 0.0
    assert S.mann_kendall(np.array([1.0, 3.0, 2.0])) == pytest.approx(mk_reference([1, 3, 2]))
    assert S.mann_kendall(np.array([1.0, 2.0, 3.0]))[0] == 1.0


def test_change_test_with_month_scaling_and_small_values() -> None:
    cur = row(numerator=0.5, sumsq=0.04)
    base = np.array([row(numerator=0.8, sumsq=0.09), row(numerator=0.4, sumsq=0.01)])
    scale = np.array([1.0, 0.5])
    c = S.change_test("sum", cur, base, scale)
    b = (0.8 + 0.4 * 0.5) / 2
    assert c is not None and c.baseline == pytest.approx(b)
    assert c.se == pytest.approx(math.sqrt(0.04 + (0.09 + 0.01 * 0.25) / 4))
    assert c.effect == pytest.approx(math.log(0.5 / b))  # values below one keep their effect
    gone = S.change_test("sum", row(numerator=0.0), base)
    assert gone is not None and gone.effect is None and gone.rel == pytest.approx(-1.0)


def test_mean_change_with_two_users_and_small_spread() -> None:
    cur = user_row([0.2, 0.4], [1.0, 1.0])
    base = user_row([0.1, 0.2, 0.3], [1.0, 1.0, 1.0])
    c = S.change_test("mean", cur, np.array([base]))
    v1 = ((np.array([0.2, 0.4]) - 0.3) ** 2).sum() / 4
    v0 = ((np.array([0.1, 0.2, 0.3]) - 0.2) ** 2).sum() / 9
    dof = (v1 + v0) ** 2 / (v1 * v1 / 1 + v0 * v0 / 2)
    assert c is not None and c.p == pytest.approx(2 * st.t.sf(0.1 / math.sqrt(v1 + v0), dof))
    values = np.array([0.2, 0.4, 0.1, 0.2, 0.3])
    assert c.effect == pytest.approx(0.1 / values.std(ddof=1))  # sd below one still counts
    two = S.change_test("mean", user_row([0.5], [1.0]), np.array([user_row([0.3], [1.0])]))
    assert two is not None and two.effect == pytest.approx(0.2 / np.std([0.5, 0.3], ddof=1))


def test_differs_with_scaling_small_values_and_the_half_rule() -> None:
    a_cur, a_base = row(numerator=0.6, sumsq=0.01), np.array([row(numerator=0.3, sumsq=0.01)] * 2)
    b_cur, b_base = row(numerator=0.3, sumsq=0.01), np.array([row(numerator=0.3, sumsq=0.01)] * 2)
    scale = np.array([1.0, 0.5])
    _, p = S.differs("sum", a_cur, a_base, b_cur, b_base, scale, 0.0, 0.05)
    ba = bb = (0.3 + 0.15) / 2
    vb = (0.01 + 0.01 * 0.25) / 4
    var = 0.01 / 0.36 + vb / ba**2 + 0.01 / 0.09 + vb / bb**2
    z = (math.log(0.6 / ba) - math.log(0.3 / bb)) / math.sqrt(var)
    assert p == pytest.approx(S.normal_p(z))
    # values below one are values: not "appeared" or "vanished"
    assert S.differs("sum", row(numerator=0.5), a_base, b_cur, b_base, None, 0.0, 0.05)[1] != 0.0
    small = np.array([row(numerator=0.5)])
    assert S.differs("sum", a_cur, small, b_cur, b_base, None, 0.0, 0.05)[1] != 0.0
    assert S.differs("sum", row(numerator=0), a_base, b_cur, small, None, 0.0, 0.05) == (True, 0.0)
    assert S.differs("sum", row(numerator=0), a_base, row(numerator=0.5), b_base, None, 0, 0.05)[0]
    assert S.differs("sum", a_cur, a_base, row(numerator=0.5), b_base, None, 0.0, 0.05)[1] != 1.0
    assert S.differs("sum", a_cur, a_base, b_cur, small, None, 0.0, 0.05)[1] != 1.0
    # A quadrupled, B doubled: the specific part is exactly half of A's move (log 4 - log 2)
    big = 1e8
    quad = (row(numerator=4 * big, sumsq=4 * big), np.array([row(numerator=big, sumsq=big)]))
    dbl = (row(numerator=2 * big, sumsq=2 * big), np.array([row(numerator=big, sumsq=big)]))
    assert S.differs("count", *quad, *dbl, None, 0.0, 0.05)[0] is True


def test_estimate_tau2_keeps_points_without_sampling_noise() -> None:
    r = np.array([0.1, -0.2, 0.3, -0.05, 0.25, 0.15, -0.4])
    v = np.array([0.0, 0.0, 0.001, 0.001, 0.001, 0.001, 0.001])
    tau2 = S.estimate_tau2(r, v)
    assert np.median(r**2 / (v + tau2)) == pytest.approx(st.chi2.median(1), rel=1e-6)
    assert S.estimate_tau2(r[:5], np.zeros(5)) > 0  # five exact points are enough


def test_extrapolation_uses_the_earlier_points_noise_and_the_last_points_own() -> None:
    y = np.array([100, 103, 107, 109, 113, 116, 150.0])
    rv = np.array([0.0001, 0.0002, 0.0003, 0.0004, 0.0005, 0.0006, 0.01])
    ly, n = np.log(y), 6
    lr = st.linregress(np.arange(n), ly[:-1])
    resid = ly[:-1] - (lr.intercept + lr.slope * np.arange(n))
    s2 = max(float(resid @ resid) / (n - 2), float(rv[:-1].mean()))
    sxx = float(((np.arange(n) - (n - 1) / 2) ** 2).sum())
    var = s2 * (1 + 1 / n + (n - (n - 1) / 2) ** 2 / sxx) + 0.01
    ref = 2 * st.t.sf(abs(ly[-1] - lr.intercept - lr.slope * n) / math.sqrt(var), n - 2)
    assert S.extrapolation_p(y, rv) == pytest.approx(ref, rel=1e-7)


def test_decompose_with_single_sender_segments() -> None:
    cur = np.array([row(numerator=1, denominator=1), row(numerator=0, denominator=0)])
    base = np.array([[row(numerator=0, denominator=1), row(numerator=1, denominator=1)]])
    d = S.decompose("conversion", cur, base)
    np.testing.assert_allclose(d["current"], [1.0, np.nan])
    np.testing.assert_allclose(d["baseline"], [0.0, 1.0])
    np.testing.assert_allclose(d["weight"], [0.5, 0.5])
    assert d["total"][0] == pytest.approx(1.0 - 0.5)
    lone = S.decompose("conversion", np.array([row(numerator=1, denominator=1)]), base[:, :1])
    assert lone["total"][0] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------
# Too small to tell: the Tarone bound and the doubling a series could show (hand-computed)
# ------------------------------------------------------------------------------------------
def _row(num: float = 0.0, sq: float | None = None, *, den: float = 0.0, ev: float | None = None,
         users: float = 0.0) -> np.ndarray:  # fmt: skip
    r = np.zeros(len(S.FIELDS))
    r[S.NUM], r[S.DEN], r[S.U] = num, den, users
    r[S.SQ] = num if sq is None else sq  # one event per user: Poisson
    r[S.EV] = num if ev is None else ev
    return r


def test_min_attainable_p_is_the_all_now_tail_of_the_binomial() -> None:
    """3 now and 2 in each of 4 baseline weeks: 11 events, each now with probability 1/5; the
    most extreme split, all 11 now, has two-sided p = 2 * 0.2**11."""
    base = np.array([_row(2)] * 4)
    assert S.min_attainable_p("count", _row(3), base) == pytest.approx(2 * 0.2**11, rel=1e-9)
    # heavy users: sum of squares 3x the count -> 11/3 effective events
    heavy = np.array([_row(2, 6)] * 4)
    got = S.min_attainable_p("count", _row(3, 9), heavy)
    assert got == pytest.approx(2 * 0.2 ** (11 / 3), rel=1e-9)
    # months: baseline periods half as long (scale 0.5) -> the current one holds 1/9 of the time
    got = S.min_attainable_p("sum", _row(3), base, scale=np.full(4, 0.5))
    assert got == pytest.approx(2 * (1 / 9) ** 11, rel=1e-9)
    # distinct users are counted once: no overdispersion whatever the sum of squares says
    got = S.min_attainable_p("distinct_users", _row(3, 9), heavy)
    assert got == pytest.approx(2 * 0.2**11, rel=1e-9)
    # when none now is the rarer extreme (most of the time now), that tail is the bound
    got = S.min_attainable_p("count", _row(3), np.array([_row(2)]), scale=np.array([0.25]))
    p0 = 1 / (1 + 4)  # 1 / (1 + 1/0.25) -> the current period is 4x as long
    assert got == pytest.approx(min(2 * p0**5, 2 * (1 - p0) ** 5), rel=1e-9)


def test_min_attainable_p_edges() -> None:
    base = np.array([_row(2)] * 4)
    assert S.min_attainable_p("conversion", _row(3, den=10), base) == 0.0  # not a count
    assert S.min_attainable_p("mean", _row(3, den=10), base) == 0.0
    assert S.min_attainable_p("count", _row(-1), base) == 0.0  # refunds: no exact test
    assert S.min_attainable_p("count", _row(3), np.array([_row(-2)] * 4)) == 0.0
    assert S.min_attainable_p("count", _row(0), np.array([_row(0)] * 4)) == 1.0  # nothing at all


def test_detectable_count_big_and_small() -> None:
    """Baseline 100 a week (Poisson): a doubling moves 100 against sd sqrt(100 * 2.25) = 15,
    z = 6.67, told. Baseline 2 a week: z = 2 / sqrt(4.5) = 0.94, too small; it would need
    2 * 4.5 / (2 / 1.96)**2 = 8.6 events a week."""
    big = S.detectable("count", _row(100), np.array([_row(100)] * 4))
    assert big.ok and big.volume == 100 and big.need == 100
    assert big.z == pytest.approx(100 / 15)
    small = S.detectable("count", _row(2), np.array([_row(2)] * 4))
    assert not small.ok and small.volume == 2
    assert small.z == pytest.approx(2 / math.sqrt(4.5))
    assert small.need == pytest.approx(2 * 4.5 / (2 / S.Z975) ** 2)
    # heavy users (sum of squares 4x): the variance 4x, z halves
    heavy = S.detectable("sum", _row(100, 400), np.array([_row(100, 400)] * 4))
    assert heavy.z == pytest.approx(100 / 30) and heavy.ok
    # events (not the amount) are the volume of a sum
    assert S.detectable("sum", _row(500, ev=20), np.array([_row(500, ev=20)] * 4)).volume == 20


def test_detectable_wobble_hides_a_doubling() -> None:
    """A metric that usually wobbles by its own size (tau2 = 1) hides a doubling at any volume."""
    d = S.detectable("count", _row(100), np.array([_row(100)] * 4), tau2=1.0)
    assert not d.ok and d.need == math.inf
    assert d.z == pytest.approx(100 / math.sqrt(225 + 100**2))
    # a small wobble: told less surely, but told
    d = S.detectable("count", _row(100), np.array([_row(100)] * 4), tau2=0.01)
    assert d.ok and d.z == pytest.approx(100 / math.sqrt(225 + 100))
    # a wobble that leaves room: the volume needed grows with it
    d0 = S.detectable("count", _row(2), np.array([_row(2)] * 4))
    d1 = S.detectable("count", _row(2), np.array([_row(2)] * 4), tau2=0.05)
    room = (2 / S.Z975) ** 2 - 0.05 * 4
    assert d1.need == pytest.approx(2 * 4.5 / room) and d1.need > d0.need


def test_detectable_conversion_doubles_below_half_and_halves_above() -> None:
    """200 people a week, 20% convert: doubling to 40% moves 0.2 against
    sqrt(0.4 * 0.6 / 50 + 0.2 * 0.8 / 200) per week of 50."""
    base = np.array([_row(10, den=50)] * 4)
    d = S.detectable("conversion", _row(10, den=50), base)
    assert d.volume == 50 and d.ok
    assert d.z == pytest.approx(0.2 / math.sqrt(0.4 * 0.6 / 50 + 0.2 * 0.8 / 200))
    # 80% convert: halving to 40% is the move looked for
    high = np.array([_row(40, den=50)] * 4)
    d = S.detectable("conversion", _row(40, den=50), high)
    assert d.z == pytest.approx(0.4 / math.sqrt(0.4 * 0.6 / 50 + 0.8 * 0.2 / 200))
    # 5 people a week: too few
    tiny = np.array([_row(1, den=5)] * 4)
    d = S.detectable("conversion", _row(1, den=5), tiny)
    assert not d.ok and d.volume == 5
    var = 0.4 * 0.6 / 5 + 0.2 * 0.8 / 20
    assert d.z == pytest.approx(0.2 / math.sqrt(var))
    assert d.need == pytest.approx(5 * var / (0.2 / S.Z975) ** 2)


def test_detectable_nothing_to_measure() -> None:
    zero = S.detectable("count", _row(0), np.array([_row(0)] * 4))
    assert not zero.ok and zero.need == math.inf and zero.z == 0.0 and zero.volume == 0.0
    none = S.detectable("conversion", _row(0, den=0), np.array([_row(0, den=0)] * 4))
    assert not none.ok and none.need == math.inf
    # a mean over fewer than 2 users has no spread to speak of
    one = np.array([_row(10, 100, den=2, users=0.25)] * 4)
    m = S.detectable("mean", _row(10, 100, den=2, users=1), one)
    assert not m.ok and m.need == math.inf and m.z == 0.0
