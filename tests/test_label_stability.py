"""The same cluster keeps its label at weekly and monthly grain.

A weekly and a monthly run over the same data cut the texts differently (the current period,
the baseline), but a theme that holds the same texts must be told with the same words. Each
theme of one run is paired with the theme of the other run that shares most of its texts
(Jaccard of member ids over the days both runs read); paired themes that are the same
cluster must carry the same label. On planted data every paired theme must; on the real App
Store reviews (``../shared/realdata`` or ``$INSIGHTLIB_REALDATA``; skipped when absent) at
least 80% of the clearly shared clusters (Jaccard >= 0.6) must.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from test_qual import make_config, make_feedback

from insightlib.qual.analyse import QualResult, analyse_feedback
from insightlib.workspace.periods import parse_period

REAL = (
    Path(
        os.environ.get(
            "INSIGHTLIB_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"
        )
    )
    / "appstore_reviews.parquet"
)


def _members(res: QualResult, until) -> dict[str, set[str]]:
    asg = res.assignments
    asg = asg[pd.to_datetime(asg["created_at"]).dt.date <= until].dropna(subset=["theme"])
    return {t: set(g["id"]) for t, g in asg.groupby("theme")}


def paired_labels(a: QualResult, b: QualResult, until) -> list[tuple[float, int, str, str]]:
    """(Jaccard, size, label in a, label in b) for each theme of ``a`` and its closest in ``b``."""
    ma, mb = _members(a, until), _members(b, until)
    la = {t.id: t.label for t in a.themes}
    lb = {t.id: t.label for t in b.themes}
    out = []
    for ta, sa in ma.items():
        if not mb:
            break
        tb, sb = max(mb.items(), key=lambda kv: (len(sa & kv[1]) / len(sa | kv[1]), kv[0]))
        out.append((len(sa & sb) / len(sa | sb), len(sa), la[ta], lb[tb]))
    return out


def _runs(fb: pd.DataFrame, config, week: str, month: str):
    w, m = parse_period(week), parse_period(month)
    a = analyse_feedback(fb, config(w.grain), w)
    b = analyse_feedback(fb, config(m.grain), m)
    return a, b, min(w.end, m.end)


@pytest.mark.parametrize(
    ("weeks", "week", "month"),
    [(10, "2026-W49", "2026-11"), (10, "2026-W47", "2026-11"), (30, "2027-W07", "2027-02")],
)
def test_planted_themes_keep_their_labels_at_weekly_and_monthly_grain(weeks, week, month):
    fb = make_feedback(spike=0, weeks=weeks)  # stable themes: the same clusters at any grain
    a, b, until = _runs(fb, lambda g: make_config(grain=g), week, month)
    pairs = paired_labels(a, b, until)
    assert len(pairs) >= 4
    for jac, size, la, lb in pairs:
        if size >= 30:
            # every planted theme is mostly one cluster at both grains, with one label
            assert jac >= 0.6, (la, lb, jac)
            assert la == lb, (la, lb, jac)


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason=f"real data absent ({REAL})")
@pytest.mark.parametrize(
    ("app", "week", "month"),
    [("Microsoft_Teams", "2020-W16", "2020-04"), ("Google_Chrome", "2019-W11", "2019-03")],
)
def test_real_reviews_keep_their_labels_at_weekly_and_monthly_grain(app, week, month):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_qual_real as real

    fb = real.feedback_of(pd.read_parquet(REAL), app)
    a, b, until = _runs(fb, lambda g: real.config(app, g), week, month)
    shared = [(la, lb) for jac, _, la, lb in paired_labels(a, b, until) if jac >= 0.6]
    same = sum(la == lb for la, lb in shared)
    assert len(shared) >= 5
    assert same >= 0.8 * len(shared), [p for p in shared if p[0] != p[1]]


_OLD_WORDS = [
    "Still waiting for my refund after {n} days.",
    "Waiting for my refund since {n} days.",
]
_NEW_WORDS = [
    "The refund is stuck in processing for {n} days.",
    "My refund is stuck in processing.",
]


def _drifting_feedback(weeks: int = 27, seed: int = 2) -> pd.DataFrame:
    """The planted delivery feedback from 2026-W40, with refund complaints whose wording
    drifts at the turn of the year ("waiting for my refund" -> "stuck in processing")."""
    from datetime import timedelta

    import numpy as np
    from test_qual import FIRST_MONDAY

    fb = make_feedback(spike=0, weeks=weeks, seed=seed)
    fb = fb[~fb["text"].str.contains("refund", case=False)]
    rng = np.random.default_rng(seed)
    rows = []
    for week in range(weeks):
        n_old, n_new = (14, 2) if week < 14 else (2, 24)
        for words, n in ((_OLD_WORDS, n_old), (_NEW_WORDS, n_new)):
            for _ in range(n):
                day = FIRST_MONDAY + timedelta(days=7 * week + int(rng.integers(0, 7)))
                text = words[int(rng.integers(len(words)))].format(n=int(rng.integers(2, 60)))
                rows.append(
                    {
                        "id": f"rf-{len(rows):05d}",
                        "created_at": pd.Timestamp(day) + pd.Timedelta(hours=12),
                        "source": "support_ticket",
                        "text": text,
                        "score": float("nan"),
                        "platform": "web",
                    }
                )
    return pd.concat([fb, pd.DataFrame(rows)], ignore_index=True)


@pytest.mark.parametrize(("first", "second"), [("2027-W04", "2027-W05"), ("2027-W06", "2027-W07")])
def test_planted_themes_keep_their_labels_from_one_week_to_the_next(first, second):
    """Two weekly runs a week apart read the same history plus one week. Each big theme of
    the first is mostly one theme of the second (Jaccard >= 0.6 over the texts both read) and
    keeps its label: the epoch model lends it, where a fresh choice would flip between close
    wordings ("delivery was late", "driver late") as the weeks add texts."""
    fb = _drifting_feedback()
    a, b = parse_period(first), parse_period(second)
    ra = analyse_feedback(fb, make_config(grain="week"), a)
    rb = analyse_feedback(fb, make_config(grain="week"), b)
    pairs = [p for p in paired_labels(ra, rb, a.end) if p[1] >= 30]
    assert len(pairs) >= 4
    for jac, _, la, lb in pairs:
        assert jac >= 0.6, (la, lb, jac)
        assert la == lb, (la, lb, jac)
