"""The quantitative step: changes, drivers, hidden changes, anomalies and trends, scored.

:func:`analyse` reads two small frames from :mod:`insightlib.quant.engine` (the report-grain series
with segment pairs, and a daily series per segment value) and turns them into
:class:`~insightlib.model.Finding` objects. Everything here is statistics on aggregated rows.

Tests (three families; Benjamini–Hochberg at ``config.alpha`` within each, over every metric x
segment tested in the run; every test is listed in :attr:`QuantResult.tests`):

* **change** — the current period against the mean of the ``baseline_periods`` previous complete
  periods (the primary comparison; the previous period alone is kept in ``details["previous"]``).
  Two-proportion z-test for conversions, a rate test for counts and distinct users (variance
  from per-user counts, which allows for heavy users), Welch t-test on clustered means for
  means, the same per-user variance for sums. The standard error also carries the metric's
  usual period-to-period wobble ``tau`` (estimated robustly from the previous periods of all
  its segments), so a big series is not "significant" for moving as much as it always does.
* **trend** — the last 8 complete periods up to the current one: slope of log(value) on time
  (t-test; the residual variance is never below the values' own sampling noise). Reported
  only for a sustained move: Mann–Kendall's tau at least 0.5 the same way, and the earlier
  periods alone already sloping at least half as steeply (so one jump is not a trend).
* **anomaly** — each day of the current period against the same weekday of the previous 8 weeks,
  with a prediction interval whose width comes from how much those days vary; a day must also
  stand out from the rest of its own period (so a level shift is a change, not 7 anomalies).
  Daily tests cover everyone and each segment value (not pairs).

A minimum-volume guard (``config.min_volume`` users or events in both windows; for counts and
sums: events in the baseline and active users now, so a collapse to zero is still seen) keeps
tiny segments out. Periods with no events at all are treated as gaps (excluded, noted), not as
zeros; periods only partly covered by the data are not used.

Where it changed — the *locus* rule, which keeps one story from becoming dozens of findings:

1. A significant segment is a candidate only if it moved differently from the rest of its
   parent (a value: from everyone else; a pair: from the rest of *both* of its values),
   significantly and with at least half of its move its own.
2. A value is dropped when a candidate pair inside it explains it (the value without the pair
   no longer moves), or when a candidate value of another column explains it (the value
   without their intersection no longer moves, while the other does).
3. A significant overall change is reported as ``metric_change`` with its drivers: per-segment
   contributions of every column (mix vs rate effect for conversions and means), each with its
   share of the change. A candidate moving the same way that explains at least half of it is a
   ``segment_driver``; one moving against a flat or opposite total — a total that moved less
   than half of what this segment alone moved it — is a ``hidden_change``; any other candidate
   is a ``metric_change`` of its own segment. The significant segments a finding accounts for
   are listed in its ``details["covers"]``.
4. Trends and anomalies use the same rule but are told once: at the locus when one segment
   explains at least half of the total's move (the total's numbers go in
   ``details["overall"]``), else on the total with its drivers; of several anomalous days of
   one series the strongest is reported (the others in ``details["other_days"]``).
5. A change in a series with a significant trend the same way is folded into the trend
   (``details["latest_change"]``) when the current value lies within the prediction interval
   of the trend of the earlier periods; a change on top of a trend stays a change. A change
   that is no longer significant once the period's anomalous day is replaced by its expected
   value is folded into the anomaly. A folded total counts as not significant in step 3.

Ranking: ``score = 0.5 impact + 0.3 significance + 0.2 novelty``, each in [0, 1]:

* impact ``= 1 - exp(-share / 0.05)`` where share is the finding's move as a share of the whole
  metric (its effect on the total: a segment's contribution, a day's deviation relative to the
  whole period, a trend's change over its window), so 5% of the metric gives 0.63, 10% 0.86;
* significance ``= min(1, -log10(q) / 10)``;
* novelty: 1 for a series that has not made such a move in the previous periods (changes: share
  of the 4 previous periods with |z| >= 2 the same way; trends: 0.3 if the trend was already
  significant one period earlier; anomalies: share of earlier days as far out).

So what a product manager would put first — a large, certain, new move of a whole metric —
comes first, and a one-day blip or a small segment's wobble comes later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from insightlib.errors import InputError
from insightlib.model import Driver, Finding, segment_from_key, segment_key
from insightlib.quant import engine, timeseries
from insightlib.quant import stats as S
from insightlib.quant.locus import Cube, Test, host, level, loci, score, sign
from insightlib.quant.timeseries import ANOMALY_WEEKS, TREND_PERIODS
from insightlib.workspace.config import Config, MetricSpec
from insightlib.workspace.periods import Period, period_of

__all__ = ["QuantResult", "analyse", "TREND_PERIODS", "ANOMALY_WEEKS"]

TAU_HISTORY = 4
TAU_MIN_VOLUME = 20  # series used to estimate the usual wobble: at least this many units
DRIVER_SHARE = 0.5
MAX_DRIVERS = 8
WATCH_REL = 0.2  # a move this large that is not significant goes on the watch list
SEASONAL_FACTOR = 0.3  # a move in line with last year's ranks this much lower
SEASONAL_MARGIN = math.log(1.2)  # in line: within 20% of last year's move
CHANGE_FINDINGS = ("metric_change", "segment_driver", "hidden_change")
CONCENTRATED_USERS = 3  # "a few": at most this many users ...
CONCENTRATED_SHARE = 0.5  # ... making at least this share of a change
SCOREBOARD_PERIODS = 12


@dataclass(frozen=True)
class QuantResult:
    """What the quantitative step found, and the frames behind it (small: periods x segments)."""

    findings: tuple[Finding, ...]
    series: pd.DataFrame
    daily: pd.DataFrame
    tests: pd.DataFrame
    n_tests: int
    # series too small to tell a doubling from noise (overall and per segment value), once each
    too_small: tuple[dict[str, Any], ...] = ()
    # large overall moves that are not significant ("worth watching"), with their interval
    watch: tuple[dict[str, Any], ...] = ()
    # every metric overall: current, baseline, change, interval, status, recent values
    scoreboard: tuple[dict[str, Any], ...] = ()
    no_events: bool = False  # a feedback-only workspace: nothing was measured


def no_events() -> QuantResult:
    """The quantitative step of a workspace without events: nothing measured, said once."""
    series = pd.DataFrame({c: [] for c in engine.SERIES_COLUMNS})
    tests = Context.tests_frame_of([], lambda t: False)
    return QuantResult((), series, series.copy(), tests, 0, no_events=True)


# ============================================================================================
# Entry point
# ============================================================================================
def analyse(events: Any, config: Config, period: Period) -> QuantResult:
    """Run the quantitative step for ``period`` on ``events`` (see :func:`engine.connect`)."""
    table = engine.connect(events)
    grain = period.grain
    first, last = engine.data_range(table)
    _check_coverage(first, last, period)
    n_prior = max(config.baseline_periods + TAU_HISTORY, TREND_PERIODS, SCOREBOARD_PERIODS) - 1
    plist = [period.previous(i) for i in range(n_prior, 0, -1)] + [period]
    plist = [p for p in plist if p.start >= first]
    dstart = max(first, period.start - timedelta(weeks=ANOMALY_WEEKS))
    series, daily = engine.series_and_daily(
        table, config, grain, plist[0].start, period.end, daily_from=dstart
    )

    ctx = Context(config, period, plist, series, daily, dstart)
    ctx.table = table
    ctx.first = first
    ly = [last_year(p) for p in plist]
    if ly[ctx.base_idx[0]].start >= first:  # a year of history: compare with last year too
        ly_series = engine.metric_series(table, config, grain, ly[0].start, ly[-1].end, pairs=False)
        ctx.last_year = (ly, ly_series)
    findings = ctx.run()
    tests = ctx.tests_frame()
    return QuantResult(
        tuple(findings),
        series,
        daily,
        tests,
        len(tests),
        too_small=tuple(ctx.too_small()),
        watch=tuple(ctx.watch(findings)),
        scoreboard=tuple(ctx.scoreboard(findings)),
    )


def last_year(p: Period) -> Period:
    """The same period a year earlier: the ISO week 52 weeks back (same weekdays), the same
    month, the day 364 days back (same weekday)."""
    if p.grain == "month":
        return period_of(date(p.start.year - 1, p.start.month, 1), "month")
    return period_of(p.start - timedelta(days=364), p.grain)


def _last_year_days(day: date) -> list[date]:
    """The same weekday 52 weeks back (a weekday-bound event: Black Friday) and the same
    calendar date a year back (a date-bound one: Christmas Eve), once each."""
    out = [day - timedelta(days=364)]
    try:
        same_date = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        same_date = day - timedelta(days=365)
    return out if same_date == out[0] else [*out, same_date]


def _day_move(
    m: MetricSpec, rows: np.ndarray, dates: list[date], day: date
) -> tuple[float, float, float] | None:
    """log(value on ``day`` / the mean of the same weekday over the :data:`ANOMALY_WEEKS`
    weeks before), its variance and the two-sided p-value of a prediction interval (t with
    n - 1 degrees of freedom, the spread from those weeks' days and never below the day's
    own sampling variance)."""
    index = {d: i for i, d in enumerate(dates)}
    hist = [index[h] for w in range(1, ANOMALY_WEEKS + 1)
            if (h := day - timedelta(weeks=w)) in index]  # fmt: skip
    if day not in index or len(hist) < 4:
        return None
    h = rows[hist]
    if m.is_ratio:
        if h[:, S.DEN].sum() <= 0:
            return None
        e = float(h[:, S.NUM].sum() / h[:, S.DEN].sum())
        v = np.array([S.point(m.kind, x)[0] for x in h])
    else:
        v = h[:, S.NUM].astype(float)
        e = float(v.mean())
    x, samp = S.point(m.kind, rows[index[day]])
    if not (e > 0 and math.isfinite(x) and x > 0 and np.all(np.isfinite(v))):
        return None
    s2 = float(np.var(v / e - 1.0, ddof=1))
    var = max(s2 * e * e, samp) * (1 + 1 / len(hist))
    p = S.t_p((x - e) / math.sqrt(max(var, 1e-300)), len(hist) - 1)
    return math.log(x / e), var / x**2, p


def entity_noun(column: str) -> str:
    """What an entity column counts, for sentences: ``order_id`` -> "order", ``invoice``
    -> "invoice", ``CustomerID`` -> "customer"."""
    import re

    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", column).replace("_", " ").lower().split()
    while len(words) > 1 and words[-1] in ("id", "no", "number", "ref", "key", "code"):
        words.pop()
    if len(words) == 1 and words[0].endswith("id") and len(words[0]) > 4:
        words[0] = words[0][:-2]
    return " ".join(words) or "entity"


def _volume_unit(kind: str) -> str:
    return {"distinct_users": "users", "conversion": "users"}.get(kind, "events")


def _check_coverage(first: date, last: date, period: Period) -> None:
    g = period.grain
    if period.end > last:
        raise InputError(
            f"the events end on {last}, before the end of {period.label} ({period.end}); "
            f"choose a complete {g} (e.g. {period_of(last, g).previous().label})."
        )
    if period.start < first:
        raise InputError(
            f"the events start on {first}, after the start of {period.label}; choose a later {g}."
        )
    if period.previous().start < first:
        raise InputError(
            f"the events cover only one complete {g} up to {period.label} (from {first} to "
            f"{last}); at least two complete {g}s are needed to compare {period.label} with "
            f"an earlier {g}. Add older events or use a finer [report] grain."
        )


class Context:
    """State of one analysis run (kept out of the public API)."""

    def __init__(
        self,
        config: Config,
        period: Period,
        plist: list[Period],
        series: pd.DataFrame,
        daily: pd.DataFrame,
        dstart: date,
    ) -> None:
        self.config = config
        self.period = period
        self.plist = plist
        self.dates = [p.start for p in plist]
        self.alpha = config.alpha
        self.series = series
        self.daily = daily
        self.ddates = [dstart + timedelta(days=i) for i in range((period.end - dstart).days + 1)]
        self.dweekday = [d.weekday() for d in self.ddates]
        overall = series[series["segment"] == "all"].groupby("period_start")["users"].max()
        self.valid = np.array([overall.get(d, 0) > 0 for d in self.dates])
        if not self.valid[-1]:
            raise InputError(f"there are no events in {period.label} ({period.human()}).")
        dall = daily[daily["segment"] == "all"].groupby("period_start")["users"].max()
        self.dvalid = np.array([dall.get(d, 0) > 0 for d in self.ddates])
        self.missing = [p.label for p, ok in zip(plist, self.valid, strict=True) if not ok]
        self.days = np.array([p.days for p in plist], dtype=float)
        self.tests: list[Test] = []
        ci = len(plist) - 1
        prior = [i for i in range(ci) if self.valid[i]]
        if not prior:
            raise InputError(
                f"there are no events in the {len(plist) - 1} {period.grain}s before "
                f"{period.label}, so there is nothing to compare it with."
            )
        self.base_idx = prior[-config.baseline_periods :]
        self.prev_idx = ci - 1 if ci >= 1 and self.valid[ci - 1] else None
        self.cubes = {m: Cube(series, m, self.dates) for m in config.metrics}
        self.dcubes = {m: Cube(daily, m, self.ddates) for m in config.metrics}
        self.tau2: dict[str, float] = {}
        self.detect: dict[tuple[str, str], S.Detect] = {}
        self.table: Any = None  # the events (Ibis), for per-user looks at a change
        # (the same periods a year earlier, their series): seasonality, when history allows
        self.last_year: tuple[list[Period], pd.DataFrame] | None = None
        self.first: date | None = None  # the first day of the events
        self.concentration: dict[tuple[str, str], dict[str, Any]] = {}
        self.history_z: dict[tuple[str, str], list[float]] = {}

    # ----------------------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        for m in self.config.metrics.values():
            self._change_tests(m)
            timeseries.trend_tests(self, m)
            timeseries.anomaly_tests(self, m)
        for fam in ("change", "trend", "anomaly"):
            tests = [t for t in self.tests if t.family == fam]
            for t in tests:  # too small to ever be significant: out of the family (Tarone)
                if t.min_p > self.alpha:
                    t.q = 1.0
                    t.note = "too small to reach significance"
            tests = [t for t in tests if t.min_p <= self.alpha]
            if tests:
                q = S.bh(np.array([t.p for t in tests]))
                for t, qv in zip(tests, q, strict=True):
                    t.q = float(qv)
        self._concentration()
        findings: list[Finding] = []
        for m in self.config.metrics.values():
            trends = timeseries.trend_findings(self, m)
            anomalies = timeseries.anomaly_findings(self, m)
            changes = self._change_findings(m, trends, anomalies)
            findings += changes + trends + anomalies
        findings = self._seasonal(findings)
        findings = self._seasonal_days(findings)
        findings = self._season_unknown(findings)
        findings = self._holidays(findings)
        findings.sort(key=lambda f: (-f.score, f.kind, f.metric or "", segment_key(f.segment)))
        return findings

    def sig(self, t: Test) -> bool:
        return t.q <= self.alpha and t.eligible

    def scale(self, m: MetricSpec, idx: list[int], target: int) -> np.ndarray | None:
        if self.period.grain != "month" or m.kind not in ("count", "sum"):
            return None
        return self.days[target] / self.days[idx]

    # ----------------------------------------------------------------------------------------
    # Changes
    # ----------------------------------------------------------------------------------------
    def _tau2(self, m: MetricSpec, cube: Cube) -> float:
        """The metric's relative period-to-period wobble from the history of all its series."""
        k = self.config.baseline_periods
        valid = [i for i in range(len(self.dates) - 1) if self.valid[i]]
        resid, var = [], []
        for h in valid[-TAU_HISTORY:]:
            base = [i for i in valid if i < h][-k:]
            if not base:
                continue
            sc = self.scale(m, base, h)
            for key, rows in cube.rows.items():
                vols = [S.volume(m.kind, rows[i]) for i in (h, *base)]
                if min(vols) < TAU_MIN_VOLUME:
                    continue
                c, vc = S.point(m.kind, rows[h])
                b, vb = S.baseline(m.kind, rows[base], sc)
                if not (math.isfinite(c) and math.isfinite(b)) or b <= 0:
                    continue
                resid.append((c - b) / b)
                var.append((vc + vb) / (b * b))
                self.history_z.setdefault((m.name, key), []).append(
                    (c - b) / math.sqrt(max(vc + vb, 1e-300))
                )
        return S.estimate_tau2(np.array(resid), np.array(var))

    def change(self, m: MetricSpec, rows: np.ndarray, tau2: float | None = None) -> S.Change | None:
        ci = len(self.dates) - 1
        sc = self.scale(m, self.base_idx, ci)
        t2 = self.tau2[m.name] if tau2 is None else tau2
        return S.change_test(m.kind, rows[ci], rows[self.base_idx], sc, t2)

    def _change_tests(self, m: MetricSpec) -> None:
        cube = self.cubes[m.name]
        self.tau2[m.name] = self._tau2(m, cube)
        if not self.base_idx:
            return
        ci = len(self.dates) - 1
        sc = self.scale(m, self.base_idx, ci)
        for key, rows in cube.rows.items():
            cur, base = rows[ci], rows[self.base_idx]
            n_cur = S.volume(m.kind, cur)
            n_base = float(np.mean([S.volume(m.kind, r) for r in base]))
            # every series is tested (the tests hold at small counts); how big it would have
            # to be to tell a doubling is kept for the "too small to tell" line
            det = S.detectable(m.kind, cur, base, sc, self.tau2[m.name])
            self.detect[(m.name, key)] = det
            if n_cur <= 0 and n_base <= 0:
                continue
            if cur[S.U] <= 0 or base[:, S.U].sum() <= 0:
                continue  # a segment value that appeared or vanished (a renaming, a new market)
            if m.kind == "mean" and (cur[S.EV] < 2 or base[:, S.EV].sum() < 2):
                continue
            c = self.change(m, rows)
            if c is None:
                continue
            self.tests.append(
                Test(
                    "change", m.name, key, self.period.start, c.current, c.baseline, c.diff,
                    c.rel, c.p, sign(c.diff), n_cur, n_base, obj=c, extra={"detect": det},
                    min_p=S.min_attainable_p(m.kind, cur, base, sc),
                )
            )  # fmt: skip

    def _prev(self, m: MetricSpec, rows: np.ndarray) -> dict[str, Any] | None:
        if self.prev_idx is None:
            return None
        ci = len(self.dates) - 1
        sc = self.scale(m, [self.prev_idx], ci)
        c = S.change_test(m.kind, rows[ci], rows[[self.prev_idx]], sc, self.tau2[m.name])
        if c is None:
            return None
        return {
            "period": self.plist[self.prev_idx].label,
            "value": c.baseline,
            "change_abs": c.diff,
            "change_rel": c.rel,
            "p_value": c.p,
        }

    def _change_findings(
        self, m: MetricSpec, trends: list[Finding], anomalies: list[Finding]
    ) -> list[Finding]:
        cube = self.cubes[m.name]
        tests = {t.key: t for t in self.tests if t.family == "change" and t.metric == m.name}
        folded: dict[str, str] = {}
        for key, t in tests.items():
            if self.sig(t) and timeseries.trend_explains(self, m, key, t.direction):
                folded[key] = "trend"
                t.note = "folded into the trend of the same series"
            elif self.sig(t) and self._explained_by_anomaly(m, key, t):
                folded[key] = "anomaly"
                t.note = "explained by an anomalous day in the period"
        sig = {k: t for k, t in tests.items() if self.sig(t) and k not in folded}

        def moved(rows: np.ndarray, direction: int) -> bool:
            c = self.change(m, rows)
            return c is not None and c.p < self.alpha and sign(c.diff) == direction

        def differs(key: str, parent: str) -> bool:
            a = cube.get(key)
            b = cube.get(parent) - a
            ci = len(self.dates) - 1
            sc = self.scale(m, self.base_idx, ci)
            ok, _ = S.differs(
                m.kind, a[ci], a[self.base_idx], b[ci], b[self.base_idx], sc,
                self.tau2[m.name], self.alpha,
            )  # fmt: skip
            return ok

        share_cache: dict[str, tuple[float, float]] = {}

        def share(key: str) -> tuple[float, float]:
            if key not in share_cache:
                share_cache[key] = self._share(m, cube, key)
            return share_cache[key]

        found = loci(sig, differs, moved, cube, lambda k: abs(share(k)[0]))
        out: list[Finding] = []
        overall = sig.get("all")
        total_diff = tests["all"].diff if "all" in tests else 0.0
        reported: dict[str, Finding] = {}
        if overall is not None:
            drivers = self._drivers(m, cube, found)
            f = self._change_finding(m, "metric_change", overall, drivers, {})
            reported["all"] = f
        for key in found:
            t = sig[key]
            sh, contrib = share(key)
            details = {"share_of_change": sh, "contribution": contrib, "parent": "all"}
            if overall is not None and overall.direction == t.direction:
                kind = "segment_driver" if sh >= DRIVER_SHARE else "metric_change"
            elif overall is not None:
                kind = "hidden_change"
            else:
                masked = abs(total_diff) < 0.5 * abs(contrib)
                kind = "hidden_change" if masked else "metric_change"
            drv = self._driver(m, cube, key, sh, contrib)
            reported[key] = self._change_finding(m, kind, t, (drv,), details)
        for key, t in sig.items():
            if key not in reported:
                h = host(key, t.direction, reported, sig)
                t.note = t.note or (f"covered by {h}" if h else "not a locus")
                if h:
                    reported[h].details.setdefault("covers", []).append(key)
        for key, f in reported.items():
            tests[key].reported = f.kind
            out.append(f)
        for key, why in folded.items():
            pool = trends if why == "trend" else anomalies
            seg = set(segment_from_key(key))
            target = (
                next((x for x in pool if segment_key(x.segment) == key), None)
                or next((x for x in pool if key in x.details.get("covers", [])), None)
                or next((x for x in pool if seg & set(x.segment)), None)
            )
            if target is not None:
                t = tests[key]
                target.details.setdefault("latest_change", []).append(
                    {"segment": key, "change_abs": t.diff, "change_rel": t.rel, "p_value": t.p}
                )
        return out

    def _mix_shift(self, m: MetricSpec, cube: Cube, t: Test) -> dict[str, Any] | None:
        """An overall rate or mean that moved mainly because the mix of segments moved.

        For each segment column: the decomposition's mix part (see :func:`stats.decompose`);
        when it makes at least half of the change and no value of that column moved
        significantly on its own (its own change test), the change is a mix shift. The segment
        named is the one whose share grew most among those on the side of the move (for a fall:
        a rate below the old overall rate).

        For a segment value (``country=US``) the same is done inside it, over its pairs with
        each other column (``country=US&channel=paid``): its rate moved because its own mix
        moved; the result then carries ``within`` (the segment)."""
        ci = len(self.dates) - 1
        sc = self.scale(m, self.base_idx, ci)
        best: dict[str, Any] | None = None
        within = dict(segment_from_key(t.key)) if t.key != "all" else {}
        for col in self.config.segments:
            if col in within:
                continue
            if within:
                ((c0, v0),) = within.items()
                keys = [k for k in cube.keys_of(tuple(sorted((c0, col))))
                        if dict(segment_from_key(k)).get(c0) == v0]  # fmt: skip
            else:
                keys = cube.keys_of((col,))
            if len(keys) < 2:
                continue
            cur = np.array([cube.get(k)[ci] for k in keys])
            base = np.array([[cube.get(k)[i] for k in keys] for i in self.base_idx])
            dec = S.decompose(m.kind, cur, base, sc)
            total = float(dec["total"][0])
            mix = float(np.nansum(dec["mix"]))
            if not total or mix / total < 0.5:
                continue
            moved = [
                k for k in keys
                if (x := self.tests_by("change", m.name, k)) is not None and self.sig(x)
            ]  # fmt: skip
            if moved:
                continue
            n1, n0 = cur[:, S.DEN], base.sum(axis=0)[:, S.DEN]
            w1, w0 = n1 / n1.sum(), n0 / n0.sum()
            r0 = dec["baseline"]
            big_r0 = float(np.nansum(w0 * np.nan_to_num(r0)))
            side = (r0 - big_r0) * t.direction > 0
            grew = np.where(side & np.isfinite(r0), w1 - w0, -np.inf)
            j = int(np.argmax(grew))
            if not np.isfinite(grew[j]) or grew[j] <= 0:
                continue
            named = {c: v for c, v in segment_from_key(keys[j]) if c not in within}
            cand = {
                "column": col,
                "segment": named,
                "share_before": float(w0[j]),
                "share_now": float(w1[j]),
                "segment_rate": float(r0[j]),
                "overall_rate_before": big_r0,
                "mix_share": mix / total,
            }
            if within:
                cand["within"] = within
            if best is None or cand["mix_share"] > best["mix_share"]:
                best = cand
        return best

    def _explained_by_anomaly(self, m: MetricSpec, key: str, t: Test) -> bool:
        days = [
            a
            for a in self.tests
            if a.family == "anomaly" and a.metric == m.name and a.key == key and self.sig(a)
            and a.direction == t.direction
        ]  # fmt: skip
        if not days:
            return False
        rows = self.cubes[m.name].get(key).copy()
        ci = len(self.dates) - 1
        for a in days:
            rows[ci, S.NUM] -= a.extra["dev_num"]
        c = self.change(m, rows)
        threshold = max(
            (x.p for x in self.tests if x.family == "change" and self.sig(x)), default=0.0
        )
        return c is None or c.p > threshold or sign(c.diff) != t.direction

    def _share(self, m: MetricSpec, cube: Cube, key: str) -> tuple[float, float]:
        """(share of the overall change, contribution) of one segment, by decomposition."""
        dec, j = self._decompose(m, cube, key)
        total = float(dec["total"][0])
        contrib = float(dec["contribution"][j])
        return (contrib / total if total else 0.0), contrib

    def _decompose(self, m: MetricSpec, cube: Cube, key: str) -> tuple[dict, int]:
        """The decomposition over the segments of ``key``'s columns, and ``key``'s index."""
        cols = tuple(c for c, _ in segment_from_key(key))
        keys = cube.keys_of(cols)
        ci = len(self.dates) - 1
        cur = np.array([cube.get(k)[ci] for k in keys])
        base = np.array([[cube.get(k)[i] for k in keys] for i in self.base_idx])
        return S.decompose(m.kind, cur, base, self.scale(m, self.base_idx, ci)), keys.index(key)

    def _driver(self, m: MetricSpec, cube: Cube, key: str, sh: float, contrib: float) -> Driver:
        rows = cube.get(key)
        ci = len(self.dates) - 1
        c, _ = S.point(m.kind, rows[ci])
        b, _ = S.baseline(m.kind, rows[self.base_idx], self.scale(m, self.base_idx, ci))
        mix = rate = None
        if m.is_ratio:
            dec, j = self._decompose(m, cube, key)
            mix, rate = float(dec["mix"][j]), float(dec["rate"][j])
        return Driver(
            segment=segment_from_key(key),
            share_of_change=sh,
            contribution=contrib,
            current=c,
            baseline=b,
            n_current=int(S.volume(m.kind, rows[ci])),
            n_baseline=int(round(np.mean([S.volume(m.kind, r) for r in rows[self.base_idx]]))),
            mix_effect=mix,
            rate_effect=rate,
        )

    def _drivers(self, m: MetricSpec, cube: Cube, found: list[str]) -> tuple[Driver, ...]:
        """Per-segment contributions to the overall change, every column (and pair loci).

        Ranked by how much more of the change a segment holds than its share of the volume
        (so the segment where it happened comes first, not merely the biggest one); segments
        holding less than 5% of the change are left out.
        """
        ci = len(self.dates) - 1
        sc = self.scale(m, self.base_idx, ci)
        out: list[tuple[float, Driver]] = []
        cols: list[tuple[str, ...]] = [(c,) for c in self.config.segments]
        pair_cols = (tuple(c for c, _ in cube.segs[k]) for k in found if level(k) == 2)
        cols += list(dict.fromkeys(pair_cols))
        for names in cols:
            keys = cube.keys_of(names)
            if not keys:
                continue
            cur = np.array([cube.get(k)[ci] for k in keys])
            base = np.array([[cube.get(k)[i] for k in keys] for i in self.base_idx])
            dec = S.decompose(m.kind, cur, base, sc)
            total = float(dec["total"][0])
            if not total:
                continue
            for j, k in enumerate(keys):
                if len(names) == 2 and k not in found:
                    continue
                c = float(dec["contribution"][j])
                excess = c / total - float(dec["weight"][j])
                out.append((excess, self._driver(m, cube, k, c / total, c)))
        out.sort(key=lambda x: -x[0])
        return tuple(d for _, d in out if abs(d.share_of_change) >= 0.05)[:MAX_DRIVERS]

    def _change_finding(
        self, m: MetricSpec, kind: str, t: Test, drivers: tuple[Driver, ...], details: dict
    ) -> Finding:
        c: S.Change = t.obj
        cube = self.cubes[m.name]
        rows = cube.get(t.key)
        k = len(self.base_idx)
        g = self.period.grain
        n_family = sum(1 for x in self.tests if x.family == "change")
        base_p = [self.plist[i] for i in self.base_idx]
        details = {
            **details,
            "previous": self._prev(m, rows),
            "baseline_periods": [p.label for p in base_p],
            "tau": math.sqrt(self.tau2[m.name]),
            "missing_periods": self.missing,
            "metric_kind": m.kind,
        }
        conc = self.concentration.get((m.name, t.key))
        if conc is not None:
            details["concentration"] = conc
        if level(t.key) <= 1 and m.is_ratio:
            mix = self._mix_shift(m, cube, t)
            if mix is not None:
                details["mix_shift"] = mix
        start = timeseries.onset(self, m, t.key, t.direction) if level(t.key) <= 1 else None
        if start is not None:
            details["onset"] = start
        if k < self.config.baseline_periods:
            details["note"] = f"only {k} earlier complete {g}(s) available for the baseline"
        hz = self.history_z.get((m.name, t.key), [])
        novelty = 1.0 - (sum(1 for z in hz if z * t.direction >= 2) / len(hz) if hz else 0.0)
        total = self.tests_by("change", m.name, "all")
        if t.key == "all":
            impact = abs(c.rel or 0.0)
        else:
            base_all = total.baseline if total else c.baseline
            impact = abs(details.get("contribution", c.diff) / base_all) if base_all else 0.0
        return Finding(
            kind=kind,
            metric=m.name,
            segment=segment_from_key(t.key),
            direction="up" if t.direction > 0 else "down",
            current=c.current,
            baseline=c.baseline,
            change_abs=c.diff,
            change_rel=c.rel,
            p_value=c.p,
            q_value=t.q,
            ci_low=c.ci_low,
            ci_high=c.ci_high,
            effect_size=c.effect,
            n_current=int(t.n_cur),
            n_baseline=int(round(t.n_base)),
            window_start=self.period.start,
            window_end=self.period.end,
            baseline_start=base_p[0].start,
            baseline_end=base_p[-1].end,
            method=(
                f"{c.method} against the mean of the {k} previous {g}s; "
                f"Benjamini–Hochberg over {n_family} change tests"
            ),
            better=(("up" if t.direction > 0 else "down") == m.good),
            score=score(impact, t.q, novelty),
            drivers=drivers,
            details=details,
        )

    # ----------------------------------------------------------------------------------------
    # Seasonality: the same move at the same time last year
    # ----------------------------------------------------------------------------------------
    def _seasonal(self, findings: list[Finding]) -> list[Finding]:
        """Compare each change and trend (overall, per segment value) with last year's move
        over the same periods. In line (same direction, not significantly different on the log
        scale): seasonal, ranked low (score x :data:`SEASONAL_FACTOR`) and asking no team.
        Beyond it: news, with last year's part given so the seasonal part is separated."""
        if self.last_year is None:
            return findings
        ly_periods, ly_series = self.last_year
        cube = {m: Cube(ly_series, m, [p.start for p in ly_periods]) for m in self.config.metrics}
        have = ly_series[ly_series["segment"] == "all"].groupby("period_start")["users"].max()
        ok = [bool(have.get(p.start, 0) > 0) for p in ly_periods]
        ci = len(self.dates) - 1
        out = []
        for f in findings:
            key = segment_key(f.segment)
            m = self.config.metrics.get(f.metric or "")
            if m is None or level(key) > 1 or f.kind not in (*CHANGE_FINDINGS, "trend"):
                out.append(f)
                continue
            rows, rows_ly = self.cubes[m.name].get(key), cube[m.name].get(key)
            if f.kind == "trend":
                idx = [i for i in range(ci + 1) if self.plist[i].label in f.details["periods"]]
                a, b = [idx[0]], idx[-1]
            else:
                a, b = self.base_idx, ci
            if not (ok[b] and all(ok[i] for i in a)):
                out.append(f)
                continue
            now = self._log_move(m, rows, a, b)
            then = self._log_move(m, rows_ly, a, b)
            if now is None or then is None:
                out.append(f)
                continue
            (l1, v1), (l0, v0) = now, then
            p = S.normal_p((l1 - l0) / math.sqrt(max(v1 + v0, 1e-300)))
            # in line: the same direction, not significantly different and within
            # :data:`SEASONAL_MARGIN` of last year's move (so a weak test is no excuse)
            in_line = sign(l1) == sign(l0) and p >= self.alpha and abs(l1 - l0) <= SEASONAL_MARGIN
            season = {
                "last_year_period": ly_periods[b].label,
                "last_year_change_rel": math.exp(l0) - 1,
                "change_rel": math.exp(l1) - 1,
                "beyond_season_rel": math.exp(l1 - l0) - 1,
                "p_value": p,
                "in_line": in_line,
            }
            details = {**f.details, "seasonal": season}
            score = round(f.score * SEASONAL_FACTOR, 4) if in_line else f.score
            out.append(replace(f, details=details, score=score))
        return out

    def _seasonal_days(self, findings: list[Finding]) -> list[Finding]:
        """An unusual day that recurs at the same time last year is the season, not news.

        For each anomaly (overall and per segment value), with the data reaching back a year
        and :data:`ANOMALY_WEEKS` weeks more: the same weekday 52 weeks back and the same
        calendar date a year back are each compared with the same weekday of the
        :data:`ANOMALY_WEEKS` weeks before them (a prediction interval from how much those days
        vary). When one of them was itself unusual the same way (p below alpha), the day is
        compared with it as a change is with last year's (see :meth:`_seasonal`): in line, it
        is told as the season, ranks low and asks no team; beyond it, the seasonal part is
        given. A day that did not recur is news, as before."""
        days = [f for f in findings if f.kind == "anomaly" and level(segment_key(f.segment)) <= 1]
        if not days or self.table is None or self.first is None:
            return findings
        back = [
            d
            for f in days
            for d in _last_year_days(f.window_start)
            if d - timedelta(weeks=ANOMALY_WEEKS) >= self.first
        ]
        if not back:
            return findings
        lo, hi = min(back) - timedelta(weeks=ANOMALY_WEEKS), max(back)
        ly_daily = engine.metric_series(self.table, self.config, "day", lo, hi, pairs=False)
        ly_dates = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
        cubes = {m: Cube(ly_daily, m, ly_dates) for m in self.config.metrics}
        out = []
        for f in findings:
            if f not in days:
                out.append(f)
                continue
            m = self.config.metrics[f.metric or ""]
            key = segment_key(f.segment)
            t = next(
                (x for x in self.tests if x.family == "anomaly" and x.metric == m.name
                 and x.key == key and x.when == f.window_start), None,
            )  # fmt: skip
            if t is None or not (t.current > 0 and t.baseline > 0):
                out.append(f)
                continue
            l1, v1 = math.log(t.current / t.baseline), t.extra["var"] / t.current**2
            best = None
            for d in _last_year_days(f.window_start):
                if d not in back:
                    continue
                got = _day_move(m, cubes[m.name].get(key), ly_dates, d)
                if got is None:
                    continue
                l0, v0, p0 = got
                if sign(l0) != sign(l1) or p0 >= self.alpha:
                    continue  # not unusual that day last year (or the other way)
                if best is None or abs(l1 - l0) < abs(l1 - best[1]):
                    best = (d, l0, v0, p0)
            if best is None:
                out.append(f)
                continue
            d, l0, v0, p0 = best
            p = S.normal_p((l1 - l0) / math.sqrt(max(v1 + v0, 1e-300)))
            in_line = p >= self.alpha and abs(l1 - l0) <= SEASONAL_MARGIN
            season = {
                "last_year_day": d.isoformat(),
                "last_year_change_rel": math.exp(l0) - 1,
                "last_year_p_value": p0,
                "change_rel": math.exp(l1) - 1,
                "beyond_season_rel": math.exp(l1 - l0) - 1,
                "p_value": p,
                "in_line": in_line,
            }
            score = round(f.score * SEASONAL_FACTOR, 4) if in_line else f.score
            out.append(replace(f, details={**f.details, "seasonal": season}, score=score))
        return out

    def _season_unknown(self, findings: list[Finding]) -> list[Finding]:
        """Without a year of history the season cannot be told apart from news: a trend (the
        shape a season takes) or a change of a whole metric is marked ``season_unknown`` (with
        the first day of the data), so the text says so plainly instead of asking a team."""
        if self.last_year is not None or self.first is None:
            return findings
        out = []
        for f in findings:
            key = segment_key(f.segment)
            if "concentration" in f.details:  # a one-off, not a season
                pass
            elif (f.kind == "trend" and level(key) <= 1) or (
                f.kind in CHANGE_FINDINGS and key == "all"
            ):
                unknown = {"data_from": self.first.isoformat()}
                f = replace(f, details={**f.details, "season_unknown": unknown})
            out.append(f)
        return out

    def _holidays(self, findings: list[Finding]) -> list[Finding]:
        """Public holidays in the finding's country (a segment column of countries, else the
        workspace's ``[project] country``) during the period (and the same period last year, for seasonal comparisons)."""
        from insightlib.quant.notes import COUNTRY_COLUMNS, public_holidays

        out = []
        for f in findings:
            spans = [(self.period.start, self.period.end)]
            season = f.details.get("seasonal")
            if season:
                ly = last_year(self.period)
                spans.append((ly.start, ly.end))
            where = tuple(f.segment)
            if self.config.country and not any(c.lower() in COUNTRY_COLUMNS for c, _ in where):
                where += (("country", self.config.country),)  # the workspace's own country
            days = public_holidays(where, spans) if where else []
            out.append(replace(f, details={**f.details, "holidays": days}) if days else f)
        return out

    def _log_move(
        self, m: MetricSpec, rows: np.ndarray, a: list[int], b: int
    ) -> tuple[float, float] | None:
        """log(value at ``b`` / baseline over ``a``) and its variance (with the usual wobble)."""
        sc = self.scale(m, a, b)
        c, vc = S.point(m.kind, rows[b])
        base, vb = S.baseline(m.kind, rows[a], sc)
        if not (c > 0 and base > 0):
            return None
        t2 = self.tau2.get(m.name, 0.0)
        return math.log(c / base), vc / c**2 + vb / base**2 + 2 * t2

    # ----------------------------------------------------------------------------------------
    # Concentration: a few users (or one order) make most of a count or sum change
    # ----------------------------------------------------------------------------------------
    def _concentration(self) -> None:
        """For every significant change or trend of a count or sum (overall and per segment
        value): the smallest number of users (or entities of the metric's ``entity`` column,
        such as orders), at most :data:`CONCENTRATED_USERS`, whose own
        change makes at least :data:`CONCENTRATED_SHARE` of the change this period. Such a
        move is told with that figure and is never a trend (the trend test is set aside)."""
        if self.table is None:
            return
        for m in self.config.metrics.values():
            if m.kind not in ("count", "sum"):
                continue
            keys = {
                t.key
                for t in self.tests
                if t.metric == m.name and t.family in ("change", "trend") and level(t.key) <= 1
                and (
                    t.q <= self.alpha
                    or (t.family == "change" and t.key == "all" and abs(t.rel or 0) >= WATCH_REL)
                )
            }  # fmt: skip
            if not keys:
                continue
            for key in sorted(keys):
                conc = self._concentrated(m, key)
                if conc is None:
                    continue
                self.concentration[(m.name, key)] = conc
                for t in self.tests:
                    if t.family == "trend" and t.metric == m.name and t.key == key:
                        t.eligible = False
                        t.note = "a few users make most of the move: not a trend"

    def _concentrated(self, m: MetricSpec, key: str) -> dict[str, Any] | None:
        ci = len(self.dates) - 1
        rows = self.cubes[m.name].get(key)
        total = float(rows[ci, S.NUM] - rows[self.base_idx, S.NUM].mean())
        if not total:
            return None
        d = 1 if total > 0 else -1
        got = engine.top_contributors(
            self.table, self.config, m.name, self.period.grain, self.dates[ci],
            [self.dates[i] for i in self.base_idx], dict(segment_from_key(key)), d,
            CONCENTRATED_USERS,
        )  # fmt: skip
        top = np.cumsum(np.array(got["top"]) * d) / abs(total)
        hit = np.flatnonzero(top >= CONCENTRATED_SHARE)
        if not len(hit) or got["users"] < 2:
            return None
        n = int(hit[0]) + 1
        out: dict[str, Any] = {
            "users": n,
            "share": float(top[n - 1]),
            "amount": float(sum(got["top"][:n])),
            "total_change": total,
            "active_users": got["users"],
        }
        if m.entity:  # per order (or customer) of the entity column: name that, not users
            out["entity"] = entity_noun(m.entity)
            out["entity_amount"] = float(sum(got["top_current"][:n]))
        elif d > 0 and got["largest_event"] is not None:
            out["largest_event"] = got["largest_event"]
            out["largest_event_share"] = got["largest_event"] / total
        return out

    # ----------------------------------------------------------------------------------------
    # Too small, watch list, scoreboard
    # ----------------------------------------------------------------------------------------
    def too_small(self) -> list[dict[str, Any]]:
        """Series too small to tell a doubling from noise: every metric overall and each
        segment value (pairs are not listed), once each, with about how many units a period
        they would need. Nothing is dropped silently: these are still tested."""
        out = []
        for (metric, key), det in self.detect.items():
            if det.ok or level(key) > 1:
                continue
            out.append(
                {
                    "metric": metric,
                    "label": self.config.metrics[metric].label,
                    "segment": dict(segment_from_key(key)),
                    "volume": det.volume,
                    "need": det.need if math.isfinite(det.need) else None,
                    "unit": _volume_unit(self.config.metrics[metric].kind),
                    "kind": self.config.metrics[metric].kind,
                }
            )
        return out

    def watch(self, findings: list[Finding]) -> list[dict[str, Any]]:
        """Large overall moves (at least :data:`WATCH_REL`) that are not significant, in a
        series big enough to tell: worth watching, with their 95% interval."""
        told = {f.metric for f in findings if not f.segment}
        out = []
        for t in self.tests:
            if t.family != "change" or t.key != "all" or t.metric in told or self.sig(t):
                continue
            det = t.extra.get("detect")
            if det is None or not det.ok or t.rel is None or abs(t.rel) < WATCH_REL:
                continue
            c: S.Change = t.obj
            out.append(
                {
                    "metric": t.metric,
                    "label": self.config.metrics[t.metric].label,
                    "unit": self.config.metrics[t.metric].unit,
                    "kind": self.config.metrics[t.metric].kind,
                    "current": c.current,
                    "baseline": c.baseline,
                    "change_abs": c.diff,
                    "change_rel": c.rel,
                    "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "p_value": t.p,
                    "q_value": t.q,
                }
            )
            conc = self.concentration.get((t.metric, "all"))
            if conc is not None:
                out[-1]["concentration"] = conc
        return sorted(out, key=lambda w: -abs(w["change_rel"]))

    def scoreboard(self, findings: list[Finding]) -> list[dict[str, Any]]:
        """Every metric overall (``segment: {}``): this period against its baseline, the 95%
        interval of the change, a status word and the last :data:`SCOREBOARD_PERIODS`
        periods' values (``None`` for gaps), oldest first."""
        watch = {w["metric"] for w in self.watch(findings)}
        small = {x["metric"] for x in self.too_small() if not x["segment"]}
        out = []
        for m in self.config.metrics.values():
            rows = self.cubes[m.name].get("all")
            t = self.tests_by("change", m.name, "all")
            c: S.Change | None = t.obj if t is not None else None
            own = [f for f in findings if f.metric == m.name and not f.segment]
            if own and own[0].details.get("seasonal", {}).get("in_line"):
                status = "seasonal"
            elif own:
                status = "rising" if own[0].direction == "up" else "falling"
            elif m.name in small:
                status = "too small to tell"
            elif m.name in watch:
                status = "worth watching"
            elif c is None:
                status = "no data"
            else:
                status = "steady"
            recent = []
            for i in range(max(0, len(self.dates) - SCOREBOARD_PERIODS), len(self.dates)):
                v, _ = S.point(m.kind, rows[i])
                ok = self.valid[i] and math.isfinite(v)
                recent.append({"period": self.plist[i].label, "value": v if ok else None})
            out.append(
                {
                    "metric": m.name,
                    "label": m.label,
                    "kind": m.kind,
                    "unit": m.unit,
                    "good": m.good,
                    "segment": {},
                    "current": c.current if c else None,
                    "baseline": c.baseline if c else None,
                    "change_abs": c.diff if c else None,
                    "change_rel": c.rel if c else None,
                    "interval": [c.ci_low, c.ci_high] if c else None,
                    "baseline_periods": [self.plist[i].label for i in self.base_idx],
                    "p_value": t.p if t else None,
                    "q_value": t.q if t else None,
                    "status": status,
                    "recent": recent,
                }
            )
        return out

    def tests_by(self, family: str, metric: str, key: str) -> Test | None:
        for t in self.tests:
            if t.family == family and t.metric == metric and t.key == key:
                return t
        return None

    def tests_frame(self) -> pd.DataFrame:
        return self.tests_frame_of(self.tests, self.sig)

    @staticmethod
    def tests_frame_of(tests: list[Test], sig: Any) -> pd.DataFrame:
        rows = [
            {
                "family": t.family,
                "metric": t.metric,
                "segment": t.key,
                "date": t.when,
                "current": t.current,
                "baseline": t.baseline,
                "change_abs": t.diff,
                "change_rel": t.rel,
                "p_value": t.p,
                "q_value": t.q,
                "significant": sig(t),
                "n_current": t.n_cur,
                "n_baseline": t.n_base,
                "reported": t.reported,
                "note": t.note,
            }
            for t in tests
        ]
        cols = ["family", "metric", "segment", "date", "current", "baseline", "change_abs"]
        cols += ["change_rel", "p_value", "q_value", "significant", "n_current", "n_baseline"]
        return pd.DataFrame(rows, columns=[*cols, "reported", "note"])
