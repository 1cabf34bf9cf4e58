"""Trends and anomalies of the quantitative step (tests and findings).

Functions here take the run's :class:`insightlib.quant.changes.Context`; the method is documented in
:mod:`insightlib.quant.changes`.

* Trend: the last :data:`~insightlib.quant.changes.TREND_PERIODS` complete periods (at least 6, the
  last one the current period), each above the volume guard; slope of log(value) on time by
  least squares, t-test on the slope. Only a sustained move may be reported: Mann–Kendall's
  tau at least 0.5 the same way (so a single jump in the last period is a change, not a trend).
* Anomaly: each day of the current period against the mean of the same weekday over the
  previous :data:`~insightlib.quant.changes.ANOMALY_WEEKS` weeks. The prediction interval's width comes
  from how far those history days stray from their weekday means (pooled over the 7 weekdays,
  relative to the level; t distribution), never narrower than the day's own sampling noise.
  The day must also stand out once the level of the rest of its period is allowed for
  (intersection–union test: the larger of the two p-values), so a shift that lasts the whole
  period is a change, not a run of anomalies.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Protocol

import numpy as np

from insightlib.model import Driver, Finding, segment_from_key
from insightlib.quant import stats as S
from insightlib.quant.locus import Cube, Test, host, loci, score, sign
from insightlib.workspace.config import Config, MetricSpec
from insightlib.workspace.periods import Period

__all__ = [
    "trend_tests",
    "trend_findings",
    "trend_explains",
    "anomaly_tests",
    "anomaly_findings",
    "onset",
]

TREND_PERIODS = 8
MIN_TREND_PERIODS = 6
MIN_TAU = 0.5
ANOMALY_WEEKS = 8
SHARE = 0.5


class Context(Protocol):
    """What trends and anomalies read of a run's state (:class:`insightlib.quant.changes.Context`
    has it); a protocol, so this module needs nothing from the one that calls it."""

    config: Config
    period: Period
    plist: list[Period]
    dates: list[date]
    ddates: list[date]
    dweekday: list[int]  # the weekday of each of ddates
    valid: np.ndarray
    dvalid: np.ndarray
    alpha: float
    cubes: dict[str, Cube]
    dcubes: dict[str, Cube]
    tests: list[Test]

    def sig(self, t: Test) -> bool: ...

    def scale(self, m: MetricSpec, idx: list[int], target: int) -> np.ndarray | None: ...

    def tests_by(self, family: str, metric: str, key: str) -> Test | None: ...


def _tested(m: MetricSpec, t: Test) -> dict:
    """The fields every trend or anomaly finding takes from its test as they are."""
    direction = "up" if t.direction > 0 else "down"
    return {
        "metric": m.name,
        "segment": segment_from_key(t.key),
        "direction": direction,
        "current": t.current,
        "baseline": t.baseline,
        "change_abs": t.diff,
        "change_rel": t.rel,
        "p_value": t.p,
        "q_value": t.q,
        "better": direction == m.good,
    }


# ============================================================================================
# Trends
# ============================================================================================
def _window(ctx: Context, shift: int = 0) -> list[int]:
    """Indices of the trend window ending ``shift`` periods before the current one."""
    ci = len(ctx.dates) - 1 - shift
    valid = [i for i in range(ci + 1) if ctx.valid[i]]
    idx = valid[-TREND_PERIODS:]
    if len(idx) < MIN_TREND_PERIODS or not idx or idx[-1] != ci:
        return []
    return idx


def _values(
    ctx: Context, m: MetricSpec, rows: np.ndarray, idx: list[int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The series over ``idx`` (scaled to the current period's length for monthly sums) and
    each value's relative sampling variance; ``None`` when a period is below the volume guard."""
    mv = ctx.config.min_volume
    out, rel = [], []
    for i in idx:
        r = rows[i]
        vol = S.volume(m.kind, r)
        if vol < mv or (m.kind in ("count", "sum") and r[S.U] < mv):
            return None
        v, _ = S.point(m.kind, r)
        sc = ctx.scale(m, [i], idx[-1])
        out.append(v * (sc[0] if sc is not None else 1.0))
        rel.append(S.floor_var(m.kind, r) / (v * v) if v else math.inf)
    return np.array(out), np.array(rel)


def _trend(ctx: Context, m: MetricSpec, rows: np.ndarray, idx: list[int]) -> S.Trend | None:
    got = _values(ctx, m, rows, idx) if idx else None
    return None if got is None else S.trend_test(*got)


def _sustained(tr: S.Trend, vals: np.ndarray, rel: np.ndarray) -> bool:
    """Mostly monotone (Mann–Kendall tau >= 0.5 the same way), and already there before the
    current period (the earlier periods' slope is at least half of it), so one jump in the last
    period is a change, not a trend."""
    if abs(tr.mk_tau) < MIN_TAU or sign(tr.mk_tau) != sign(tr.slope):
        return False
    before = S.trend_test(vals[:-1], rel[:-1])
    return before is not None and before.slope * sign(tr.slope) >= 0.5 * abs(tr.slope)


def trend_tests(ctx: Context, m: MetricSpec) -> None:
    idx = _window(ctx)
    if not idx:
        return
    for key, rows in ctx.cubes[m.name].rows.items():
        got = _values(ctx, m, rows, idx)
        tr = None if got is None else S.trend_test(*got)
        if tr is None or got is None:
            continue
        vals, rel = got
        ctx.tests.append(
            Test(
                "trend", m.name, key, ctx.dates[idx[0]], float(vals[-1]), float(vals[0]),
                float(vals[-1] - vals[0]), float(vals[-1] / vals[0] - 1), tr.p, sign(tr.slope),
                S.volume(m.kind, rows[idx[-1]]), S.volume(m.kind, rows[idx[0]]),
                eligible=_sustained(tr, vals, rel), obj=tr,
                extra={"idx": idx, "values": vals, "rel_var": rel},
            )
        )  # fmt: skip


def trend_explains(ctx: Context, m: MetricSpec, key: str, direction: int) -> bool:
    """Whether the current change of a series is the continuation of its significant trend:
    the series trends the same way and the current value is within the prediction interval of
    the trend of the earlier periods."""
    for t in ctx.tests:
        if t.family == "trend" and t.metric == m.name and t.key == key:
            if not ctx.sig(t) or t.direction != direction:
                return False
            return S.extrapolation_p(t.extra["values"], t.extra["rel_var"]) >= ctx.alpha
    return False


def _window_share(ctx: Context, m: MetricSpec, cube: Cube, key: str, idx: list[int]) -> float:
    cols = tuple(c for c, _ in segment_from_key(key))
    keys = cube.keys_of(cols)
    cur = np.array([cube.get(k)[idx[-1]] for k in keys])
    base = np.array([[cube.get(k)[idx[0]] for k in keys]])
    dec = S.decompose(m.kind, cur, base, ctx.scale(m, [idx[0]], idx[-1]))
    total = float(dec["total"][0])
    return float(dec["contribution"][keys.index(key)]) / total if total else 0.0


def trend_findings(ctx: Context, m: MetricSpec) -> list[Finding]:
    cube = ctx.cubes[m.name]
    tests = {t.key: t for t in ctx.tests if t.family == "trend" and t.metric == m.name}
    sig = {k: t for k, t in tests.items() if ctx.sig(t)}
    if not sig:
        return []
    idx = next(iter(sig.values())).extra["idx"]

    def moved(rows: np.ndarray, d: int) -> bool:
        got = _values(ctx, m, rows, idx)
        tr = None if got is None else S.trend_test(*got)
        if tr is None or got is None:
            return False
        return tr.p < ctx.alpha and _sustained(tr, *got) and sign(tr.slope) == d

    def differs(key: str, parent: str) -> bool:
        a = _values(ctx, m, cube.get(key), idx)
        b = _values(ctx, m, cube.get(parent) - cube.get(key), idx)
        if a is None or b is None:
            return a is not None
        rel = S.trend_test(a[0] / b[0], a[1] + b[1])
        ta = S.trend_test(*a)
        if rel is None or ta is None:
            return False
        return rel.p < ctx.alpha and abs(rel.slope) >= 0.5 * abs(ta.slope)

    shares = {k: _window_share(ctx, m, cube, k, idx) for k in sig if k != "all"}
    found = loci(sig, differs, moved, cube, lambda k: abs(shares.get(k, 0.0)))
    overall = sig.get("all")
    reported: dict[str, Finding] = {}
    lead = [k for k in found if overall and sig[k].direction == overall.direction]
    lead = [k for k in lead if shares[k] >= SHARE]
    if overall is not None and not lead:
        drivers = _trend_drivers(ctx, m, cube, idx)
        reported["all"] = _trend_finding(ctx, m, overall, drivers, {})
    for key in found:
        details = {"share_of_change": shares[key]}
        if overall is not None and key in lead:
            tr: S.Trend = overall.obj
            details["overall"] = {
                "slope_per_period": math.expm1(tr.slope),
                "change_rel": overall.rel,
                "p_value": overall.p,
                "q_value": overall.q,
            }
        drv = Driver(segment_from_key(key), shares[key], 0.0, sig[key].current,
                     sig[key].baseline, int(sig[key].n_cur), int(sig[key].n_base))  # fmt: skip
        reported[key] = _trend_finding(ctx, m, sig[key], (drv,), details)
    for key, t in sig.items():
        if key in reported:
            t.reported = "trend"
            continue
        h = host(key, t.direction, reported, sig) or next(iter(lead), "")
        t.note = f"covered by {h}" if h else "not a locus"
        if h:
            reported[h].details.setdefault("covers", []).append(key)
    return list(reported.values())


def _trend_drivers(ctx: Context, m: MetricSpec, cube: Cube, idx: list[int]) -> tuple[Driver, ...]:
    """Per-segment contributions to the change over the window (first period to current),
    ranked like the drivers of a change (share of the change beyond the share of volume)."""
    out = []
    for col in ctx.config.segments:
        keys = cube.keys_of((col,))
        if not keys:
            continue
        cur = np.array([cube.get(k)[idx[-1]] for k in keys])
        base = np.array([[cube.get(k)[idx[0]] for k in keys]])
        dec = S.decompose(m.kind, cur, base, ctx.scale(m, [idx[0]], idx[-1]))
        total = float(dec["total"][0])
        if not total:
            continue
        for j, k in enumerate(keys):
            c = float(dec["contribution"][j])
            rows = cube.get(k)
            d = Driver(
                segment_from_key(k), c / total, c, float(dec["current"][j]),
                float(dec["baseline"][j]), int(S.volume(m.kind, rows[idx[-1]])),
                int(S.volume(m.kind, rows[idx[0]])),
                float(dec["mix"][j]) if m.is_ratio else None,
                float(dec["rate"][j]) if m.is_ratio else None,
            )  # fmt: skip
            out.append((c / total - float(dec["weight"][j]), d))
    out.sort(key=lambda x: -x[0])
    return tuple(d for _, d in out if abs(d.share_of_change) >= 0.05)[:8]


def _trend_finding(
    ctx: Context, m: MetricSpec, t: Test, drivers: tuple[Driver, ...], details: dict
) -> Finding:
    tr: S.Trend = t.obj
    idx: list[int] = t.extra["idx"]
    vals: np.ndarray = t.extra["values"]
    n = len(idx)
    fitted0 = math.exp(float(np.mean(np.log(vals))) - tr.slope * (n - 1) / 2)
    prev = _trend(ctx, m, ctx.cubes[m.name].get(t.key), _window(ctx, shift=1))
    was = prev is not None and prev.p < ctx.alpha and sign(prev.slope) == t.direction
    total = ctx.tests_by("trend", m.name, "all")
    if t.key == "all":
        impact = abs(t.rel or 0.0)
    else:
        base_all = total.baseline if total else t.baseline
        impact = abs(details.get("share_of_change", 0.0) * (total.diff if total else t.diff))
        impact = impact / base_all if base_all else 0.0
    g = ctx.period.grain
    n_family = sum(1 for x in ctx.tests if x.family == "trend")
    first = ctx.plist[idx[0]]
    return Finding(
        kind="trend",
        **_tested(m, t),
        ci_low=fitted0 * math.expm1(tr.slope_low * (n - 1)),
        ci_high=fitted0 * math.expm1(tr.slope_high * (n - 1)),
        effect_size=tr.slope,
        n_current=int(t.n_cur),
        n_baseline=int(t.n_base),
        window_start=first.start,
        window_end=ctx.period.end,
        baseline_start=first.start,
        baseline_end=first.end,
        method=(
            f"log-linear trend over the last {n} {g}s (t-test on the slope; Mann–Kendall "
            f"tau {tr.mk_tau:.2f}); Benjamini–Hochberg over {n_family} trend tests"
        ),
        score=score(impact, t.q, 0.3 if was else 1.0),
        drivers=drivers,
        details={
            **details,
            "slope_per_period": math.expm1(tr.slope),
            "sen_slope_per_period": math.expm1(tr.sen),
            "mann_kendall_tau": tr.mk_tau,
            "mann_kendall_p": tr.mk_p,
            "periods": [ctx.plist[i].label for i in idx],
            "values": [float(v) for v in vals],
            "already_trending_last_period": was,
            "metric_kind": m.kind,
        },
    )


# ============================================================================================
# Anomalies
# ============================================================================================
class _Weekdays:
    """Expected value per weekday from the history days, and the relative spread around it."""

    def __init__(
        self, ctx: Context, m: MetricSpec, rows: np.ndarray, hist: list[int], guard: bool = True
    ) -> None:
        self.ok = False
        self.expected: dict[int, float] = {}
        self.count: dict[int, int] = {}
        self.resid: list[float] = []
        mv = ctx.config.min_volume
        ss, dof = 0.0, 0
        vols = []
        weekday = ctx.dweekday
        for w in range(7):
            days = [i for i in hist if weekday[i] == w]
            if len(days) < 2:
                continue
            r = rows[days]
            if m.is_ratio:
                den = r[:, S.DEN].sum()
                if den <= 0:
                    continue
                e = float(r[:, S.NUM].sum() / den)
                v = np.array([S.point(m.kind, x)[0] for x in r])
            else:
                v = r[:, S.NUM].astype(float)
                e = float(v.mean())
            if not e > 0 or not np.all(np.isfinite(v)):
                continue
            res = v / e - 1.0
            ss += float(res @ res)
            dof += len(days) - 1
            self.resid += list(res)
            self.expected[w] = e
            self.count[w] = len(days)
            vols += [S.volume(m.kind, x) for x in r]
            if m.kind in ("count", "sum"):
                vols[-len(days) :] = [
                    min(a, x[S.U]) for a, x in zip(vols[-len(days) :], r, strict=True)
                ]
        if dof < 6 or not vols or (guard and np.mean(vols) < mv):
            return
        self.sigma2 = ss / dof
        self.dof = dof
        self.ok = True


def _day_test(
    ctx: Context, m: MetricSpec, rows: np.ndarray, model: _Weekdays, d: int, others: list[int]
) -> dict | None:
    dd = ctx.ddates
    w = dd[d].weekday()
    if w not in model.expected:
        return None
    r = rows[d]
    mv = ctx.config.min_volume
    if (r[S.U] if m.kind in ("count", "sum") else S.volume(m.kind, r)) < mv:
        return None
    x, samp = S.point(m.kind, r)
    if not math.isfinite(x):
        return None
    e = model.expected[w]
    nw = model.count[w]
    var1 = max(model.sigma2 * e * e, samp) * (1 + 1 / nw)
    z1 = (x - e) / math.sqrt(max(var1, 1e-300))
    p1 = S.t_p(z1, model.dof)
    p, level = p1, None
    use = [o for o in others if dd[o].weekday() in model.expected]
    if use:
        ro = rows[use]
        exp_o = np.array([model.expected[dd[o].weekday()] for o in use])
        if m.is_ratio:
            denom = float(np.sum(exp_o * ro[:, S.DEN]))
            level = float(ro[:, S.NUM].sum() / denom) if denom > 0 else None
        else:
            level = float(ro[:, S.NUM].sum() / exp_o.sum()) if exp_o.sum() > 0 else None
        if level is not None and level > 0:
            e2 = e * level
            var2 = max(model.sigma2 * e2 * e2, samp) * (1 + 1 / nw + 1 / len(use))
            z2 = (x - e2) / math.sqrt(max(var2, 1e-300))
            p2 = S.t_p(z2, model.dof)
            p = max(p1, p2) if sign(z1) == sign(z2) else 1.0
    dev_num = float(r[S.NUM] - e * r[S.DEN]) if m.is_ratio else float(x - e)
    crit = S.t_crit(model.dof)
    return {
        "x": x, "e": e, "p": p, "z": z1, "var": var1, "level": level, "dev_num": dev_num,
        "ci": crit * math.sqrt(var1), "n_hist": nw, "dof": model.dof,
    }  # fmt: skip


def _days(ctx: Context) -> tuple[list[int], list[int]]:
    dd = ctx.ddates
    start = ctx.period.start
    cur = [i for i, d in enumerate(dd) if d >= start and ctx.dvalid[i]]
    hist = [i for i, d in enumerate(dd) if d < start and ctx.dvalid[i]]
    return cur, hist


def anomaly_tests(ctx: Context, m: MetricSpec) -> None:
    cur, hist = _days(ctx)
    if not cur or len(hist) < 14:
        return
    for key, rows in ctx.dcubes[m.name].rows.items():
        model = _Weekdays(ctx, m, rows, hist)
        if not model.ok:
            continue
        n_hist = float(np.mean([S.volume(m.kind, rows[h]) for h in hist]))
        for d in cur:
            res = _day_test(ctx, m, rows, model, d, [o for o in cur if o != d])
            if res is None:
                continue
            rel = res["x"] / res["e"] - 1 if res["e"] else None
            ctx.tests.append(
                Test(
                    "anomaly", m.name, key, ctx.ddates[d], res["x"], res["e"], res["x"] - res["e"],
                    rel, res["p"], sign(res["z"]), S.volume(m.kind, rows[d]), n_hist,
                    extra={**res, "day": d,
                           "sigma": math.sqrt(model.sigma2),
                           "far": float(np.mean(np.abs(model.resid) >= 3 * math.sqrt(model.sigma2)))
                           if model.sigma2 > 0 else 0.0},
                )
            )  # fmt: skip


def _day_share(ctx: Context, m: MetricSpec, key: str, d: int) -> tuple[float, float]:
    """(share of the total's deviation, deviation in the total's units) of a segment on a day."""
    cube = ctx.dcubes[m.name]
    t_all = next(
        (t for t in ctx.tests if t.family == "anomaly" and t.metric == m.name
         and t.key == "all" and t.extra["day"] == d), None,
    )  # fmt: skip
    t_key = next(
        (t for t in ctx.tests if t.family == "anomaly" and t.metric == m.name
         and t.key == key and t.extra["day"] == d), None,
    )  # fmt: skip
    if t_key is None:
        return 0.0, 0.0
    dev = t_key.extra["dev_num"]
    if m.is_ratio:
        den_all = float(cube.get("all")[d, S.DEN])
        dev = dev / den_all if den_all > 0 else 0.0
    if t_all is None or not t_all.diff:
        return 0.0, dev
    return dev / t_all.diff, dev


def anomaly_findings(ctx: Context, m: MetricSpec) -> list[Finding]:
    tests = [t for t in ctx.tests if t.family == "anomaly" and t.metric == m.name]
    best: dict[str, Test] = {}
    for t in tests:
        if ctx.sig(t) and (t.key not in best or t.p < best[t.key].p):
            best[t.key] = t
    if not best:
        return []
    cube = ctx.dcubes[m.name]
    cur, hist = _days(ctx)

    def differs(key: str, parent: str) -> bool:
        t = best[key]
        d = t.extra["day"]
        rest = cube.get(parent) - cube.get(key)
        model = _Weekdays(ctx, m, rest, hist)
        if not model.ok:
            return True
        r = _day_test(ctx, m, rest, model, d, [o for o in cur if o != d])
        if r is None or t.current <= 0 or r["x"] <= 0:
            return r is None or (t.current <= 0) != (r["x"] <= 0)
        la, lb = math.log(t.current / t.baseline), math.log(r["x"] / r["e"])
        va, vb = t.extra["var"] / t.current**2, r["var"] / r["x"] ** 2
        p = S.normal_p((la - lb) / math.sqrt(va + vb))
        return p < ctx.alpha and abs(la - lb) >= 0.5 * abs(la)

    found = [k for k in loci(best, differs, lambda r, d: True, cube, lambda k: 0.0)]
    overall = best.get("all")
    reported: dict[str, Finding] = {}
    lead = []
    if overall is not None:
        for k in found:
            t = best[k]
            same_day = t.extra["day"] == overall.extra["day"]
            if same_day and t.direction == overall.direction:
                if _day_share(ctx, m, k, t.extra["day"])[0] >= SHARE:
                    lead.append(k)
        if not lead:
            reported["all"] = _anomaly_finding(ctx, m, overall, tests, {})
    for k in found:
        details = {}
        if k in lead:
            details["overall"] = {
                "current": overall.current,
                "expected": overall.baseline,
                "change_rel": overall.rel,
                "p_value": overall.p,
                "q_value": overall.q,
            }
        reported[k] = _anomaly_finding(ctx, m, best[k], tests, details)
    for t in tests:
        if ctx.sig(t) and t.key in reported and t is best[t.key]:
            t.reported = "anomaly"
        elif ctx.sig(t):
            h = t.key if t.key in reported else host(t.key, t.direction, reported, best)
            h = h or next((k for k in lead if best[k].extra["day"] == t.extra["day"]), "")
            t.note = f"covered by {h}" if h else "not a locus"
            if h and h != t.key:
                reported[h].details.setdefault("covers", []).append(t.key)
    return list(reported.values())


def _day_drivers(ctx: Context, m: MetricSpec, t: Test) -> tuple[Driver, ...]:
    """Each tested segment value's part in the total's deviation on the day, by share."""
    d = t.extra["day"]
    out = []
    for x in ctx.tests:
        if x.family == "anomaly" and x.metric == m.name and x.key != "all" and x.extra["day"] == d:
            share, dev = _day_share(ctx, m, x.key, d)
            out.append(Driver(segment_from_key(x.key), share, dev, x.current, x.baseline,
                              int(x.n_cur), int(round(x.n_base))))  # fmt: skip
    out.sort(key=lambda v: -v.share_of_change)
    return tuple(v for v in out if abs(v.share_of_change) >= 0.05)[:8]


def _anomaly_finding(
    ctx: Context, m: MetricSpec, t: Test, tests: list[Test], details: dict
) -> Finding:
    d = t.extra["day"]
    day = ctx.ddates[d]
    _, hist = _days(ctx)
    same = [ctx.ddates[h] for h in hist if ctx.ddates[h].weekday() == day.weekday()]
    other_days = [
        x.when.isoformat()
        for x in tests
        if x.key == t.key and ctx.sig(x) and x is not t and x.direction == t.direction
    ]
    share, dev = _day_share(ctx, m, t.key, d)
    # impact: the day's deviation relative to the whole metric over the period
    cube = ctx.cubes[m.name]
    ci = len(ctx.dates) - 1
    total_row = cube.get("all")[ci]
    total_val, _ = S.point(m.kind, total_row)
    if m.is_ratio:
        den_day = float(ctx.dcubes[m.name].get("all")[d, S.DEN])
        w = den_day / total_row[S.DEN] if total_row[S.DEN] > 0 else 0.0
        impact = abs(dev) * w / total_val if total_val else 0.0
    else:
        impact = abs(t.diff) / total_val if total_val else 0.0
    n_family = sum(1 for x in ctx.tests if x.family == "anomaly")
    sigma = t.extra["sigma"]
    return Finding(
        kind="anomaly",
        **_tested(m, t),
        ci_low=t.diff - t.extra["ci"],
        ci_high=t.diff + t.extra["ci"],
        effect_size=(t.rel / sigma) if (t.rel is not None and sigma > 0) else None,
        n_current=int(t.n_cur),
        n_baseline=int(round(t.n_base)),
        window_start=day,
        window_end=day,
        baseline_start=min(same) if same else day,
        baseline_end=max(same) if same else day,
        method=(
            f"{day:%A} against the same weekday of the previous {len(same)} weeks (prediction "
            f"interval, t with {t.extra['dof']} df), also against the rest of "
            f"{ctx.period.label}; Benjamini–Hochberg over {n_family} anomaly tests"
        ),
        score=score(impact, t.q, 1.0 - t.extra["far"]),
        drivers=_day_drivers(ctx, m, t) if t.key == "all" else (
            Driver(segment_from_key(t.key), share, dev, t.current, t.baseline, int(t.n_cur),
                   int(round(t.n_base))),),
        details={
            **details,
            "day": day.isoformat(),
            "weekday": f"{day:%A}",
            "expected": t.baseline,
            **_usual_range(m, t),
            "history_days": [x.isoformat() for x in same],
            "period_level": t.extra["level"],
            "other_days": other_days,
            "share_of_change": share,
            "metric_kind": m.kind,
        },
    )  # fmt: skip


def _usual_range(m: MetricSpec, t: Test) -> dict[str, float]:
    """The day's usual range: the 95% prediction interval around its expected value (the
    same interval as the finding's ``ci_low``/``ci_high``, which are on the difference),
    kept inside what the metric can take (no negative counts, no rate above 100%)."""
    lo, hi = t.baseline - t.extra["ci"], t.baseline + t.extra["ci"]
    if m.kind != "mean":
        lo = max(lo, 0.0)
    if m.kind == "conversion":
        hi = min(hi, 1.0)
    return {"expected_low": lo, "expected_high": hi}


def onset(ctx: Context, m: MetricSpec, key: str, direction: int) -> str | None:
    """The day inside the period from which a change shows in the daily series, if not the
    first day: the split of the period's days (deviations from their weekday expectation) where
    the later days moved the most and the earlier ones less than half as much."""
    cube = ctx.dcubes[m.name]
    if key not in cube.rows:
        return None
    cur, hist = _days(ctx)
    rows = cube.rows[key]
    model = _Weekdays(ctx, m, rows, hist, guard=False)
    if len(cur) < 2 or not model.ok:
        return None
    dev = []
    for d in cur:
        e = model.expected.get(ctx.ddates[d].weekday())
        x, _ = S.point(m.kind, rows[d])
        dev.append(x / e - 1 if e and math.isfinite(x) else math.nan)
    r = np.array(dev) * direction
    if not np.all(np.isfinite(r)):
        return None
    best, split = 0.0, 0
    for s in range(1, len(r)):
        gain = float(r[s:].mean() - r[:s].mean())
        if gain > best and r[s:].mean() > 0 and abs(r[:s].mean()) < 0.5 * r[s:].mean():
            best, split = gain, s
    if split == 0 or best < 0.5 * abs(float(r.mean())):
        return None
    return ctx.ddates[cur[split]].isoformat()
