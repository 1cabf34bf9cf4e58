"""The qualitative step: feedback → themes, sentiment, quotes, emerging and fading themes.

:func:`analyse_feedback` is the entry point. It reads the feedback frame (already loaded and
validated), keeps the rows created up to the end of the period being reported (so an old
period re-runs to the same answer), and:

1. neutralises and redacts every text (:mod:`insightlib.text.redact`) — nothing downstream sees PII;
2. scores sentiment per row (:mod:`insightlib.qual.sentiment`: VADER on English text, the NPS or
   star score where present);
3. finds themes (:mod:`insightlib.qual.themes`: codebook first, then NMF discovery, new-complaint
   detection, merging, stable ids; labels from :mod:`insightlib.qual.labels`);
4. counts each theme per period and segment (``theme_counts``), describes it (size, share,
   sentiment, sources, segments, 2–3 redacted quotes from :mod:`insightlib.qual.quotes`) and
5. tests whether its share of the current period's feedback differs from the baseline
   (``emerging_theme`` / ``fading_theme`` findings).

Shares. A theme's share is its count over the feedback *with text* in the same window and
segment (rows with an empty or emoji-only text, e.g. a bare NPS score, cannot carry a theme
and would only dilute shares). ``theme_counts.total`` is that denominator.

The test. For each theme: current share ``x_c / n_c`` (current period) against the pooled
baseline share ``x_b / n_b`` (the ``baseline_periods`` periods before it, default from
``[report] baseline_periods``). A two-proportion z-test whose variance is inflated by the
period-to-period overdispersion seen in the baseline (``phi = max(1, Pearson chi² / (B - 1))``
over the baseline periods: a theme that swings from week to week needs a bigger jump to
count); Fisher's exact test (two-sided mid-p) when an expected cell count is below 5. Benjamini–Hochberg across
the themes tested gives the q-values. A theme is flagged when ``q <= alpha`` and:

- emerging: at least :data:`MIN_THEME_COUNT` texts in the current period and a current share
  at least :data:`MIN_RATIO` times the baseline share;
- fading: at least :data:`MIN_THEME_COUNT` × 2 texts expected at the baseline share and a
  current share at most the baseline share / :data:`MIN_RATIO`;

and the current and baseline windows each hold at least :data:`MIN_FEEDBACK` texts. Steady
themes, however large, are not flagged (the ratio guard); noise is not flagged (the test and
BH). The test runs twice: once against all feedback, then, for every theme that did not
emerge, against the feedback without the emerging themes' texts — otherwise one loud new
complaint would lower every other theme's share and make them look faded
(``details["denominator_excludes"]`` lists the themes left out).

Segments. A finding is about everyone (``segment == ()``); its numbers are overall shares.
Where the change sits is in ``Finding.drivers``: for every value of every segment column, the
segment's part of the excess count ``x_c - n_c * p_b`` (``share_of_change``; these sum to 1
across a column when every row has a value) and its own current/baseline shares.
``details["concentrated_in"]`` names the segment (a dict such as ``{"platform": "android"}``)
where the change is concentrated: the value with the highest lift (its share of the change over
its share of the current feedback) among those holding at least 60% of the change with a lift
of at least 1.5; ``None`` when there is none.

Score. ``score = 0.4 * min(1, |h| / 0.3) + 0.4 * min(1, -log10(q) / 6) + 0.2 * min(1, excess
/ 50)`` where ``h`` is Cohen's h of the two shares and ``excess`` the absolute excess count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from insightlib.model import Driver, Finding, Quote, Theme, segment_key
from insightlib.qual.labels import REDACTION, WORD
from insightlib.qual.quotes import cut_quote, pick_quotes
from insightlib.qual.sentiment import feedback_sentiment
from insightlib.qual.themes import ThemeSet, epoch_start, find_themes
from insightlib.quant.stats import bh
from insightlib.text.redact import neutralise, redact_all
from insightlib.workspace.config import Config
from insightlib.workspace.periods import Period, period_of, period_starts

__all__ = [
    "QualResult",
    "analyse_feedback",
    "MIN_THEME_COUNT",
    "MIN_RATIO",
    "MIN_FEEDBACK",
]

MIN_THEME_COUNT = 5
MIN_RATIO = 1.5
MIN_FEEDBACK = 20
MIN_THEME_SHARE = 0.015
N_QUOTES = 3


@dataclass(frozen=True)
class QualResult:
    """What the qualitative step hands to fusion and the reports.

    ``themes`` are sorted by count (descending), codebook themes included (even with no
    texts). ``findings`` are the ``emerging_theme`` / ``fading_theme`` findings. ``assignments``
    has one row per feedback row analysed: ``id``, ``created_at``, ``source``, ``period_start``,
    ``theme`` (``None`` when unthemed), ``sentiment``, ``text_sentiment``, ``score_sentiment``.
    ``theme_counts`` has ``theme``, ``period_start`` (a date), ``segment`` (a
    :func:`~insightlib.model.segment_key`: ``"all"`` or ``"platform=android"``), ``count`` and
    ``total`` (feedback with text in that period and segment), for every period from the first
    feedback to the reported one.
    ``segment_quotes`` maps ``(theme id, segment key)`` (one segment column, e.g.
    ``"app=Google_Drive"``) to up to :data:`N_QUOTES` quotes of the theme's texts of that
    segment in the reported period: what fusion shows with a theme linked to a change because
    it rose in that segment (a theme's own quotes may all come from another segment).
    ``segment_sentiment`` maps ``(theme id, segment key)`` (``"all"`` too) to the mean
    sentiment of the theme's texts of that segment in the reported period: whether what they
    say *there and then* is praise or complaint (a theme's all-time sentiment can differ).
    """

    themes: tuple[Theme, ...]
    findings: tuple[Finding, ...]
    assignments: pd.DataFrame
    theme_counts: pd.DataFrame
    segment_quotes: Mapping[tuple[str, str], tuple[Quote, ...]] = field(default_factory=dict)
    segment_sentiment: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def theme(self, theme_id: str) -> Theme | None:
        """The theme with this id, or ``None``."""
        return next((t for t in self.themes if t.id == theme_id), None)


def _empty_result() -> QualResult:
    return QualResult(
        themes=(),
        findings=(),
        assignments=pd.DataFrame(
            columns=[
                "id",
                "created_at",
                "source",
                "period_start",
                "theme",
                "sentiment",
                "text_sentiment",
                "score_sentiment",
            ]
        ),
        theme_counts=pd.DataFrame(columns=["theme", "period_start", "segment", "count", "total"]),
    )


def _prepare(feedback: pd.DataFrame, config: Config, period: Period) -> pd.DataFrame:
    df = feedback.copy()
    for col in ("id", "created_at", "source", "text"):
        if col not in df.columns:
            raise KeyError(f"feedback frame lacks column {col!r}")
    df["created_at"] = pd.to_datetime(df["created_at"])
    if isinstance(df["created_at"].dtype, pd.DatetimeTZDtype):
        df["created_at"] = df["created_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    end = pd.Timestamp(period.end + timedelta(days=1))
    df = df[df["created_at"].notna() & (df["created_at"] < end)]
    df["id"] = df["id"].astype(str)
    df["source"] = df["source"].astype("string").fillna("unknown").astype(str)
    df["text"] = df["text"].astype("string").fillna("").astype(str)
    # the same row submitted twice (same id, time, source and text) counts once
    df = df.drop_duplicates(subset=["id", "created_at", "source", "text"])
    df = df.sort_values(["created_at", "id", "text"], kind="mergesort").reset_index(drop=True)
    for col in config.segments:
        if col in df.columns:
            s = df[col].astype("string").str.strip()
            df[col] = s.mask(s == "", pd.NA)
    return df


def analyse_feedback(
    feedback: pd.DataFrame,
    config: Config,
    period: Period,
    baseline_periods: int | None = None,
) -> QualResult:
    """Themes, sentiment, quotes, per-segment counts and emerging/fading findings.

    Parameters
    ----------
    feedback
        The loaded feedback frame (``id``, ``created_at``, ``source``, ``text``; optional
        ``score`` and the segment columns of ``config``). Rows after ``period.end`` are
        ignored, so re-running an old period gives the same answer.
    config
        The workspace config: ``themes`` (the codebook), ``segments``, ``alpha``,
        ``baseline_periods``.
    period
        The period reported on; its grain sets the grain of the counts and the baseline.
    baseline_periods
        Overrides ``config.baseline_periods``.

    Examples
    --------
    >>> res = analyse_feedback(ws.feedback, ws.config, parse_period("2026-W47"))  # doctest: +SKIP
    >>> [(t.label, t.count) for t in res.themes][:2]  # doctest: +SKIP
    [('arrived really late', 255), ('fast and reliable', 237)]
    >>> [(f.kind, f.theme) for f in res.findings]  # doctest: +SKIP
    [('emerging_theme', 'verification_code')]
    """
    # The matrices here are small and thin: multi-threaded BLAS only adds overhead (ten times
    # slower NMF measured on the 2-core reference machine), so the step runs single-threaded.
    with threadpool_limits(limits=1):
        return _analyse(feedback, config, period, baseline_periods)


def _analyse(
    feedback: pd.DataFrame, config: Config, period: Period, baseline_periods: int | None
) -> QualResult:
    n_base = baseline_periods or config.baseline_periods
    df = _prepare(feedback, config, period)
    if df.empty:
        return _empty_result()
    segs = [c for c in config.segments if c in df.columns]

    privacy = getattr(config, "privacy", None)
    texts = redact_all(
        df["text"].tolist(),
        patterns=privacy.patterns if privacy else (),
        names=privacy.names if privacy else (),
    )
    df["period_start"] = period_starts(df["created_at"], period.grain)
    cur_start = pd.Timestamp(period.start)
    base_starts = [pd.Timestamp(period.previous(i).start) for i in range(n_base, 0, -1)]
    current = (df["period_start"] == cur_start).to_numpy()

    senti = feedback_sentiment(
        texts,
        df["score"] if "score" in df.columns else None,
        df["source"],
        getattr(config, "score_scales", None) or None,
    )
    df["sentiment"] = senti["sentiment"].to_numpy()

    baseline = df["period_start"].isin(base_starts).to_numpy()
    # the epoch model reads the texts before the week holding the quarter's first day, at
    # every grain: weekly, monthly and daily runs of one quarter share it (and its labels)
    anchor = pd.Timestamp(period_of(epoch_start(period.start), "week").start)
    frozen = (df["created_at"] < anchor).to_numpy()
    ts = find_themes(
        texts,
        current=current,
        baseline=baseline,
        frozen=frozen,
        codebook=config.themes,
        min_share=MIN_THEME_SHARE,
        min_current=max(MIN_THEME_COUNT, math.ceil(0.03 * int(current.sum()))),
        polarity=senti["text_sentiment"].to_numpy(),
        exclude=(config.project, *getattr(config, "aliases", ())),
        segments=[pd.factorize(df[col])[0] for col in segs],
    )
    df["theme"] = ts.assignment
    df["has_text"] = _has_text(texts)

    counts = _theme_counts(df, ts, segs)
    themes = _build_themes(df, ts, texts, segs, cur_start, base_starts)
    seg_quotes = _segment_quotes(df, ts, texts, segs, cur_start)
    seg_sentiment = _segment_sentiment(df, ts, segs, cur_start)
    findings = _findings(df, themes, segs, config, period, cur_start, base_starts, n_base)

    assignments = pd.DataFrame(
        {
            "id": df["id"],
            "created_at": df["created_at"],
            "source": df["source"],
            "period_start": df["period_start"].dt.date,
            "theme": df["theme"],
            "sentiment": df["sentiment"],
            "text_sentiment": senti["text_sentiment"].to_numpy(),
            "score_sentiment": senti["score_sentiment"].to_numpy(),
        }
    )
    return QualResult(
        tuple(themes), tuple(findings), assignments, counts, seg_quotes, seg_sentiment
    )


def _has_text(texts: list[str]) -> np.ndarray:
    return np.array([bool(WORD.search(REDACTION.sub(" ", t))) for t in texts], dtype=bool)


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


def _segment_frames(df: pd.DataFrame, segs: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """``("all", df)`` and, per segment column value, ``("col=value", rows)``."""
    out = [("all", df)]
    for col in segs:
        for value, part in df.groupby(col, sort=True, dropna=True):
            out.append((segment_key(((col, str(value)),)), part))
    return out


def _theme_counts(df: pd.DataFrame, ts: ThemeSet, segs: list[str]) -> pd.DataFrame:
    data = df[df["has_text"]]
    ids = [t.id for t in ts.topics]
    frames = []
    for key, part in _segment_frames(data, segs):
        totals = part.groupby("period_start").size()
        themed = part[part["theme"].notna()]
        c = themed.groupby(["theme", "period_start"]).size()
        grid = pd.MultiIndex.from_product([ids, totals.index], names=["theme", "period_start"])
        c = c.reindex(grid, fill_value=0).rename("count").reset_index()
        c["total"] = c["period_start"].map(totals).astype(int)
        c["segment"] = key
        frames.append(c)
    if not frames or not ids:
        return _empty_result().theme_counts
    out = pd.concat(frames, ignore_index=True)
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.date
    out["count"] = out["count"].astype(int)
    return out[["theme", "period_start", "segment", "count", "total"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Themes
# --------------------------------------------------------------------------------------------


def _segment_of(row: pd.Series, segs: list[str]) -> dict[str, str]:
    return {c: neutralise(row[c]) for c in segs if pd.notna(row[c])}


def _build_themes(
    df: pd.DataFrame,
    ts: ThemeSet,
    texts: list[str],
    segs: list[str],
    cur_start: pd.Timestamp,
    base_starts: list[pd.Timestamp],
) -> list[Theme]:
    has = df["has_text"].to_numpy()
    n_all = int(has.sum())
    is_cur = (df["period_start"] == cur_start).to_numpy() & has
    is_base = df["period_start"].isin(base_starts).to_numpy() & has
    n_cur, n_base = int(is_cur.sum()), int(is_base.sum())
    # a small bonus for recent texts in quotes: the current period's words are the news
    recency = np.where(is_cur, 0.05, 0.0)
    themes = []
    for t in ts.topics:
        rows = t.rows
        members = df.iloc[rows] if len(rows) else df.iloc[0:0]
        count = len(rows)
        c_cur = int(is_cur[rows].sum()) if count else 0
        c_base = int(is_base[rows].sum()) if count else 0
        share_cur = c_cur / n_cur if n_cur else 0.0
        share_base = c_base / n_base if n_base else 0.0
        change = (share_cur / share_base - 1.0) if share_base > 0 else None
        sent = (
            float(np.nanmean(members["sentiment"])) if members["sentiment"].notna().any() else 0.0
        )
        sources = {neutralise(k): int(v) for k, v in members["source"].value_counts().items()}
        seg_mix = {
            col: {neutralise(k): int(v) for k, v in members[col].value_counts().items()}
            for col in segs
        }
        quotes: list[Quote] = []
        if count and t.id in ts.centroids:
            # quotes from the reported period; older ones only when it has none
            in_period = rows[is_cur[rows]]
            picked = pick_quotes(
                in_period if len(in_period) else rows,
                ts.vectors,
                ts.centroids[t.id],
                texts,
                label=t.label,
                bonus=recency,
                k=N_QUOTES,
            )
            quotes = [_quote(df, i, texts, t, segs) for i in picked]
        themes.append(
            Theme(
                id=t.id,
                label=neutralise(t.label),  # codebook labels come from the user
                terms=tuple(neutralise(term) for term in t.terms),
                count=count,
                share=count / n_all if n_all else 0.0,
                sentiment=round(sent, 4),
                count_current=c_cur,
                count_baseline=c_base / max(len(base_starts), 1),
                share_current=share_cur,
                share_baseline=share_base,
                change_rel=change,
                sources=sources,
                segments=seg_mix,
                quotes=tuple(quotes),
                codebook=t.codebook,
            )
        )
    themes.sort(key=lambda th: (-th.count, th.id))
    return themes


def _quote(df: pd.DataFrame, i: int, texts: list[str], t, segs: list[str]) -> Quote:
    row = df.iloc[i]
    return Quote(
        id=str(row["id"]),
        text=cut_quote(texts[i], (t.label, *t.terms)),
        source=neutralise(row["source"]),
        date=row["created_at"].date(),
        segment=_segment_of(row, segs),
    )


def _segment_quotes(
    df: pd.DataFrame, ts: ThemeSet, texts: list[str], segs: list[str], cur_start: pd.Timestamp
) -> dict[tuple[str, str], tuple[Quote, ...]]:
    """Per theme and segment value, up to :data:`N_QUOTES` quotes of the theme's texts of that
    segment in the reported period: typical of those texts (closest to their centroid, not the
    theme's), different from each other."""
    out: dict[tuple[str, str], tuple[Quote, ...]] = {}
    if not segs:
        return out
    is_cur = (df["period_start"] == cur_start).to_numpy() & df["has_text"].to_numpy()
    values = {col: df[col].astype("string").to_numpy(dtype=object, na_value=None) for col in segs}
    for t in ts.topics:
        if t.id not in ts.centroids or not len(t.rows):
            continue
        rows = t.rows[is_cur[t.rows]]
        if not len(rows):
            continue
        for col in segs:
            vals = values[col][rows]
            for value in sorted({v for v in vals if v is not None}):
                mine = rows[vals == value]
                # typical of what the theme's texts say *there and then*: a generic theme's
                # texts of one app in one week can be about something else than its whole
                centre = np.asarray(ts.vectors[mine].mean(axis=0)).ravel()
                norm = float(np.linalg.norm(centre))
                centre = centre / norm if norm > 0 else ts.centroids[t.id]
                picked = pick_quotes(mine, ts.vectors, centre, texts, label=t.label, k=N_QUOTES)
                key = segment_key(((col, str(value)),))
                out[(t.id, key)] = tuple(_quote(df, i, texts, t, segs) for i in picked)
    return out


def _segment_sentiment(
    df: pd.DataFrame, ts: ThemeSet, segs: list[str], cur_start: pd.Timestamp
) -> dict[tuple[str, str], float]:
    """Per theme and segment (``"all"`` too), the mean sentiment of its texts of the reported
    period (rows without a sentiment are left out; no entry when none has one)."""
    cur = df[(df["period_start"] == cur_start) & df["has_text"] & df["theme"].notna()]
    cur = cur[cur["sentiment"].notna()]
    out: dict[tuple[str, str], float] = {}
    if cur.empty:
        return out
    for theme, value in cur.groupby("theme")["sentiment"].mean().items():
        out[(str(theme), "all")] = round(float(value), 4)
    for col in segs:
        means = cur.groupby(["theme", cur[col].astype("string")])["sentiment"].mean()
        for (theme, v), value in means.items():
            out[(str(theme), segment_key(((col, str(v)),)))] = round(float(value), 4)
    return out


# --------------------------------------------------------------------------------------------
# Emerging and fading themes
# --------------------------------------------------------------------------------------------


def _overdispersion(x: np.ndarray, n: np.ndarray) -> float:
    """Pearson chi² / (B - 1) of per-period counts around their pooled share, at least 1."""
    keep = n > 0
    x, n = x[keep], n[keep]
    if len(n) < 2 or x.sum() == 0:
        return 1.0
    p = x.sum() / n.sum()
    if p >= 1:
        return 1.0
    chi2 = float((((x - n * p) ** 2) / (n * p * (1 - p))).sum())
    return max(1.0, chi2 / (len(n) - 1))


def _test(x_c: int, n_c: int, x_b: int, n_b: int, phi: float) -> tuple[float, float, float, str]:
    """p-value and 95% CI of the share difference; the method's name."""
    p_c, p_b = x_c / n_c, x_b / n_b
    se = math.sqrt(phi * (p_c * (1 - p_c) / n_c + p_b * (1 - p_b) / n_b))
    diff = p_c - p_b
    lo, hi = diff - 1.96 * se, diff + 1.96 * se
    pooled = (x_c + x_b) / (n_c + n_b)
    expected = min(n_c * pooled, n_b * pooled, n_c * (1 - pooled), n_b * (1 - pooled))
    if expected < 5:
        return _mid_p_two_sided(x_c, n_c, x_b, n_b), lo, hi, "Fisher's exact test (mid-p)"
    se0 = math.sqrt(phi * pooled * (1 - pooled) * (1 / n_c + 1 / n_b))
    if se0 == 0:
        return 1.0, lo, hi, "two-proportion z-test"
    z = diff / se0
    return float(2 * stats.norm.sf(abs(z))), lo, hi, "two-proportion z-test"


def _mid_p_two_sided(x_c: int, n_c: int, x_b: int, n_b: int) -> float:
    """Two-sided mid-p of Fisher's exact test: twice the smaller one-sided mid-p."""
    n, k = n_c + n_b, x_c + x_b
    pmf = stats.hypergeom.pmf(x_c, n, k, n_c)
    greater = stats.hypergeom.sf(x_c, n, k, n_c) + 0.5 * pmf
    less = stats.hypergeom.cdf(x_c - 1, n, k, n_c) + 0.5 * pmf
    return float(min(1.0, 2 * min(greater, less)))


def _cohen_h(a: float, b: float) -> float:
    return 2 * math.asin(math.sqrt(a)) - 2 * math.asin(math.sqrt(b))


def _drivers(
    data: pd.DataFrame, theme_id: str, segs: list[str], cur_start, base_starts, p_b: float
) -> tuple[tuple[Driver, ...], dict[str, str] | None]:
    cur = data[data["period_start"] == cur_start]
    base = data[data["period_start"].isin(base_starts)]
    x_c_all = int((cur["theme"] == theme_id).sum())
    excess_all = x_c_all - len(cur) * p_b
    drivers: list[Driver] = []
    best: tuple[float, dict[str, str]] | None = None
    if excess_all == 0:
        return (), None
    for col in segs:
        for value in sorted(
            set(cur[col].dropna().astype(str)) | set(base[col].dropna().astype(str))
        ):
            c = cur[cur[col].astype("string") == value]
            b = base[base[col].astype("string") == value]
            x_c, x_b = int((c["theme"] == theme_id).sum()), int((b["theme"] == theme_id).sum())
            excess = x_c - len(c) * p_b
            share = excess / excess_all
            drivers.append(
                Driver(
                    segment=((col, value),),
                    share_of_change=share,
                    contribution=excess,
                    current=x_c / len(c) if len(c) else 0.0,
                    baseline=x_b / len(b) if len(b) else 0.0,
                    n_current=len(c),
                    n_baseline=len(b),
                )
            )
            volume = len(c) / len(cur) if len(cur) else 0.0
            if share >= 0.6 and volume > 0 and share / volume >= 1.5:
                lift = share / volume
                if best is None or lift > best[0]:
                    best = (lift, {col: value})
    drivers.sort(key=lambda d: (d.segment[0][0], -d.share_of_change, d.segment[0][1]))
    return tuple(drivers), (best[1] if best else None)


def _run_tests(
    themes: list[Theme],
    by: pd.Series,
    per: pd.Series,
    cur_start: pd.Timestamp,
    base_starts: list[pd.Timestamp],
    exclude: set[str],
) -> list[dict]:
    """One proportion test per theme; texts of ``exclude`` themes leave the denominators."""

    def count(theme_id: str, start: pd.Timestamp) -> int:
        return int(by.get((theme_id, start), 0))

    def total(start: pd.Timestamp, theme_id: str) -> int:
        gone = sum(count(e, start) for e in exclude if e != theme_id)
        return int(per.get(start, 0)) - gone

    rows = []
    for th in themes:
        x_c = count(th.id, cur_start)
        x_b_each = np.array([count(th.id, s) for s in base_starts])
        n_c = total(cur_start, th.id)
        n_b_each = np.array([total(s, th.id) for s in base_starts])
        x_b, n_b = int(x_b_each.sum()), int(n_b_each.sum())
        if x_c + x_b == 0 or n_c < MIN_FEEDBACK or n_b < MIN_FEEDBACK:
            continue
        phi = _overdispersion(x_b_each, n_b_each)
        p, lo, hi, method = _test(x_c, n_c, x_b, n_b, phi)
        rows.append(
            dict(th=th, x_c=x_c, x_b=x_b, n_c=n_c, n_b=n_b, phi=phi, p=p, lo=lo, hi=hi,
                 method=method, excluded=sorted(exclude - {th.id}))
        )  # fmt: skip
    return rows


def _flag(r: dict) -> str | None:
    """``"emerging_theme"``, ``"fading_theme"`` or ``None`` by the count and ratio guards."""
    p_c, p_b = r["x_c"] / r["n_c"], r["x_b"] / r["n_b"]
    if r["x_c"] >= MIN_THEME_COUNT and (p_b == 0 or p_c >= MIN_RATIO * p_b):
        return "emerging_theme"
    if r["n_c"] * p_b >= 2 * MIN_THEME_COUNT and p_c <= p_b / MIN_RATIO:
        return "fading_theme"
    return None


def _findings(
    df: pd.DataFrame,
    themes: list[Theme],
    segs: list[str],
    config: Config,
    period: Period,
    cur_start: pd.Timestamp,
    base_starts: list[pd.Timestamp],
    n_base: int,
) -> list[Finding]:
    data = df[df["has_text"]]
    per = data.groupby("period_start").size()
    window = data[data["period_start"].isin([*base_starts, cur_start])]
    by = window.groupby(["theme", "period_start"]).size()
    if not themes:
        return []
    # Pass 1: every theme against all feedback. Pass 2: the others against feedback without
    # the emerging themes, so that one loud new complaint does not make the rest look faded.
    rows = _run_tests(themes, by, per, cur_start, base_starts, set())
    if not rows:
        return []
    q = bh(np.array([r["p"] for r in rows]))
    emerging = {
        r["th"].id
        for r, qv in zip(rows, q, strict=True)
        if qv <= config.alpha and _flag(r) == "emerging_theme"
    }
    if emerging:
        others = [th for th in themes if th.id not in emerging]
        rows = [r for r in rows if r["th"].id in emerging] + _run_tests(
            others, by, per, cur_start, base_starts, emerging
        )
        q = bh(np.array([r["p"] for r in rows]))
    base_first = period.previous(n_base)
    base_last = period.previous(1)
    findings = []
    for r, qv in zip(rows, q, strict=True):
        kind = _flag(r)
        if qv > config.alpha or kind is None:
            continue
        th, x_c, x_b, n_c, n_b, phi = r["th"], r["x_c"], r["x_b"], r["n_c"], r["n_b"], r["phi"]
        p, lo, hi, method = r["p"], r["lo"], r["hi"], r["method"]
        p_c, p_b = x_c / n_c, x_b / n_b
        expected = n_c * p_b
        h = _cohen_h(p_c, p_b)
        excess = x_c - expected
        score = (
            0.4 * min(1.0, abs(h) / 0.3)
            + 0.4 * min(1.0, -math.log10(max(qv, 1e-300)) / 6)
            + 0.2 * min(1.0, abs(excess) / 50)
        )
        better = None
        if th.sentiment < -0.05:
            better = kind == "fading_theme"
        elif th.sentiment > 0.05:
            better = kind == "emerging_theme"
        sub = data[~data["theme"].isin(r["excluded"])] if r["excluded"] else data
        drivers, concentrated = _drivers(sub, th.id, segs, cur_start, base_starts, p_b)
        findings.append(
            Finding(
                kind=kind,
                metric=None,
                segment=(),
                direction="up" if p_c > p_b else "down",
                current=p_c,
                baseline=p_b,
                change_abs=p_c - p_b,
                change_rel=(p_c / p_b - 1.0) if p_b > 0 else None,
                p_value=p,
                q_value=float(qv),
                ci_low=lo,
                ci_high=hi,
                effect_size=h,
                n_current=n_c,
                n_baseline=n_b,
                window_start=period.start,
                window_end=period.end,
                baseline_start=base_first.start,
                baseline_end=base_last.end,
                method=f"{method} on theme share of feedback (overdispersion-adjusted), BH",
                better=better,
                score=round(min(1.0, score), 4),
                drivers=drivers,
                theme=th.id,
                details={
                    "label": th.label,
                    "count_current": x_c,
                    "count_baseline": x_b,
                    "count_baseline_per_period": x_b / max(n_base, 1),
                    "overdispersion": phi,
                    "concentrated_in": concentrated,
                    "denominator_excludes": r["excluded"],
                    "quotes": [qt.to_dict() for qt in th.quotes],
                },
            )
        )
    findings.sort(key=lambda f: (-f.score, f.theme or ""))
    return findings
