"""Each guard of the emerging / fading rule has a scenario that only that guard stops.

The guards (insightlib.qual.analyse): at least 5 texts for an emerging theme, a share ratio of
at least 1.5 either way, the second pass without the emerging themes' texts, the
overdispersion of the baseline, 2 x 5 texts expected for a fading theme, and at least 30 texts
in the current and in the baseline window. Every scenario is run twice: once where the guard
holds (nothing is flagged) and once just past its threshold (the theme is flagged), so the
guard, and nothing else, is what stops it. Themes are assigned by hand: the rule is tested
alone, in milliseconds (`make mutation` runs these against its mutants).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from insightlib.model import Theme
from insightlib.qual import analyse as A
from insightlib.workspace.config import Config
from insightlib.workspace.periods import parse_period

PERIOD = parse_period("2026-W47")
N_BASE = 4
CUR = pd.Timestamp(PERIOD.start)
BASE = [pd.Timestamp(PERIOD.previous(i).start) for i in range(N_BASE, 0, -1)]
CONFIG = Config(
    root=Path("."),
    path=Path("insight.toml"),
    project="Test",
    sources={},
    segments=("platform",),
    metrics={},
)


def theme(tid: str, sentiment: float = -0.3) -> Theme:
    return Theme(
        tid, tid.replace("_", " "), (tid,), 0, 0.0, sentiment, 0, 0.0, 0.0, 0.0, None, {}, {}, ()
    )


def frame(counts: dict[str, tuple[int, list[int]]], n_cur: int, n_base: list[int]) -> pd.DataFrame:
    """Feedback rows: ``counts[theme] = (current count, per-baseline-week counts)``; the rest
    of each period's ``n`` texts has no theme. Three textless rows per period (a bare score)
    must not count in any denominator. The first half of the current texts are on Android."""
    rows = []
    for start, n, k in [
        (CUR, n_cur, None),
        *((s, nb, i) for i, (s, nb) in enumerate(zip(BASE, n_base, strict=True))),
    ]:
        labels: list[str | None] = []
        for tid, (c, b) in counts.items():
            labels += [tid] * (c if k is None else b[k])
        assert len(labels) <= n, (start, labels, n)
        labels += [None] * (n - len(labels))
        for j, lab in enumerate(labels):
            plat = "android" if (k is None and j % 2 == 0) else "ios"
            rows.append((start, lab, True, plat))
        rows += [(start, None, False, "ios")] * 3
    return pd.DataFrame(rows, columns=["period_start", "theme", "has_text", "platform"])


def findings(counts, n_cur, n_base, themes=None, alpha=0.05):
    df = frame(counts, n_cur, n_base)
    ths = themes or [theme(t) for t in counts]
    cfg = Config(**{**CONFIG.__dict__, "alpha": alpha})
    out = A._findings(df, ths, ["platform"], cfg, PERIOD, CUR, BASE, N_BASE)
    return {f.theme: f for f in out}


def test_the_documented_thresholds() -> None:
    assert (A.MIN_THEME_COUNT, A.MIN_RATIO, A.MIN_FEEDBACK) == (5, 1.5, 20)


def _mid_p(table: list[list[int]]) -> float:
    """Reference two-sided mid-p: twice the smaller one-sided Fisher p less half P(X = x)."""
    (a, b), (c, d) = table
    point = st.hypergeom.pmf(a, a + b + c + d, a + c, a + b)
    greater = st.fisher_exact(table, alternative="greater")[1] - 0.5 * point
    less = st.fisher_exact(table, alternative="less")[1] - 0.5 * point
    return min(1.0, 2 * min(greater, less))


def test_five_text_minimum_for_an_emerging_theme() -> None:
    # 4 texts now against none in 4 weeks: significant and infinitely up, but only 4 texts
    steady = {"late": (40, [40] * 4)}
    four = findings({**steady, "outage": (4, [0] * 4)}, 400, [400] * 4)
    assert four == {}
    five = findings({**steady, "outage": (5, [0] * 4)}, 400, [400] * 4)
    assert list(five) == ["outage"] and five["outage"].kind == "emerging_theme"
    f = five["outage"]
    p = _mid_p([[5, 395], [0, 1600]])
    assert f.p_value == pytest.approx(p) and f.method.startswith("Fisher's exact test (mid-p)")
    assert f.p_value <= st.fisher_exact([[5, 395], [0, 1600]])[1]  # mid-p: never more
    assert f.baseline == 0 and f.change_rel is None and f.direction == "up"
    assert f.details["count_current"] == 5 and f.details["count_baseline"] == 0


def test_ratio_guard_for_an_emerging_theme() -> None:
    # 130 of 400 against 25% before: significant (z about 3) but only 1.3 times the share
    below = findings({"late": (130, [100] * 4)}, 400, [400] * 4)
    assert below == {}
    _, p_low, _, _ = A._test(130, 400, 400, 1600, 1.0)
    assert p_low < CONFIG.alpha  # the test alone would flag it
    # exactly 1.5 times: flagged
    at = findings({"late": (150, [100] * 4)}, 400, [400] * 4)
    assert list(at) == ["late"] and at["late"].kind == "emerging_theme"
    assert at["late"].current == pytest.approx(1.5 * at["late"].baseline)


def test_ratio_guard_for_a_fading_theme() -> None:
    # 24% against 30% of 1000 a week: significant but 0.8 of the share
    small_drop = findings({"late": (240, [300] * 4)}, 1000, [1000] * 4)
    assert small_drop == {}
    assert A._test(240, 1000, 1200, 4000, 1.0)[0] < 0.001
    # exactly the baseline share / 1.5 (37.5% -> 25%): flagged as fading
    at = findings({"late": (250, [375] * 4)}, 1000, [1000] * 4)
    assert list(at) == ["late"] and at["late"].kind == "fading_theme"
    assert at["late"].direction == "down" and at["late"].better is True  # a complaint fading


def test_ten_expected_texts_for_a_fading_theme() -> None:
    # gone from 2% of 400 a week: expected 8 now, below 2 x 5; at 2.5% expected exactly 10
    eight = findings({"late": (0, [8] * 4)}, 400, [400] * 4)
    assert eight == {}
    assert A._test(0, 400, 32, 1600, 1.0)[0] < 0.01
    ten = findings({"late": (0, [10] * 4)}, 400, [400] * 4)
    assert list(ten) == ["late"] and ten["late"].kind == "fading_theme"
    assert ten["late"].current == 0 and ten["late"].change_rel == pytest.approx(-1.0)


def test_twenty_texts_in_the_current_window() -> None:
    # 12 of 19 texts against 10% before: a large, significant rise, but fewer than 20 texts
    base = [100] * 4
    few = findings({"late": (12, [10] * 4)}, 19, base)
    assert few == {}
    assert A._test(12, 19, 40, 400, 1.0)[0] < 0.001
    enough = findings({"late": (12, [10] * 4)}, 20, base)
    assert list(enough) == ["late"] and enough["late"].n_current == 20


def test_twenty_texts_in_the_baseline_window() -> None:
    # the baseline holds 19 texts (5 + 5 + 5 + 4): too few to compare with
    few = findings({"late": (60, [1, 0, 0, 0])}, 200, [5, 5, 5, 4])
    assert few == {}
    enough = findings({"late": (60, [1, 0, 0, 0])}, 200, [5, 5, 5, 5])
    assert list(enough) == ["late"] and enough["late"].n_baseline == 20


def test_overdispersion_stops_a_theme_that_swings_every_week() -> None:
    # 10%, 30%, 10%, 30% of 400 a week (pooled 20%), now 34%: 1.7 times the share and z near 6
    # as if the weeks were alike, but within the swing (phi = 100 / 3)
    swinging = findings({"late": (136, [40, 120, 40, 120])}, 400, [400] * 4)
    assert swinging == {}
    x, n = np.array([40, 120, 40, 120]), np.full(4, 400)
    assert A._overdispersion(x, n) == pytest.approx(100 / 3)
    assert A._test(136, 400, 320, 1600, 1.0)[0] < 1e-6
    # the same totals, steady weeks: flagged, with phi = 1
    steady = findings({"late": (136, [80] * 4)}, 400, [400] * 4)
    assert list(steady) == ["late"] and steady["late"].details["overdispersion"] == 1.0


def test_overdispersion_and_share_test_against_references() -> None:
    x, n = np.array([12, 30, 9, 0]), np.array([100, 120, 90, 0])
    p = x[:3].sum() / n[:3].sum()
    chi2 = (((x[:3] - n[:3] * p) ** 2) / (n[:3] * p * (1 - p))).sum()
    assert A._overdispersion(x, n) == pytest.approx(chi2 / 2)  # empty weeks are left out
    assert A._overdispersion(np.array([10, 10]), np.array([100, 100])) == 1.0
    assert A._overdispersion(np.array([5]), np.array([50])) == 1.0
    assert A._overdispersion(np.array([0, 0]), np.array([50, 60])) == 1.0
    assert A._overdispersion(np.array([50, 60]), np.array([50, 60])) == 1.0
    # the z-test is scipy's chi-square test of the 2x2 table when phi = 1; phi scales z
    p_z, lo, hi, method = A._test(60, 300, 150, 1200, 1.0)
    _, p_ref, _, _ = st.chi2_contingency([[60, 240], [150, 1050]], correction=False)
    assert method == "two-proportion z-test" and p_z == pytest.approx(p_ref)
    se = math.sqrt(0.2 * 0.8 / 300 + 0.125 * 0.875 / 1200)
    assert (lo, hi) == pytest.approx((0.075 - 1.96 * se, 0.075 + 1.96 * se))
    pooled = 210 / 1500
    z = 0.075 / math.sqrt(4 * pooled * (1 - pooled) * (1 / 300 + 1 / 1200))
    assert A._test(60, 300, 150, 1200, 4.0)[0] == pytest.approx(2 * st.norm.sf(z))
    assert A._test(60, 300, 150, 1200, 4.0)[1] == pytest.approx(0.075 - 1.96 * 2 * se)
    # an expected cell below 5: Fisher's exact test, two-sided mid-p
    p_f, _, _, m_f = A._test(3, 40, 1, 400, 1.0)
    assert m_f == "Fisher's exact test (mid-p)" and p_f == pytest.approx(
        _mid_p([[3, 37], [1, 399]])
    )
    assert A._test(3, 40, 1, 400, 1.0)[0] != A._test(3, 40, 1, 40, 1.0)[0]
    # every text has the theme: no variance, p = 1
    assert A._test(50, 50, 200, 200, 1.0)[0] == 1.0


def test_second_pass_keeps_a_loud_new_complaint_from_fading_the_rest() -> None:
    # "late" is 20% of the feedback every week. This week 400 extra texts are all "outage":
    # against all feedback "late" falls to 10% (first pass: fading), against the feedback
    # without the outage it is still 20%.
    counts = {"late": (80, [80] * 4), "outage": (400, [0] * 4)}
    got = findings(counts, 800, [400] * 4)
    assert list(got) == ["outage"] and got["outage"].kind == "emerging_theme"
    df = frame(counts, 800, [400] * 4)
    data = df[df["has_text"]]
    per = data.groupby("period_start").size()
    by = data.groupby(["theme", "period_start"]).size()
    first = {r["th"].id: r for r in A._run_tests([theme("late")], by, per, CUR, BASE, set())}
    assert A._flag(first["late"]) == "fading_theme" and first["late"]["p"] < 1e-6
    second = A._run_tests([theme("late")], by, per, CUR, BASE, {"outage"})
    assert second[0]["n_c"] == 400 and A._flag(second[0]) is None
    assert got["outage"].details["denominator_excludes"] == []


def test_second_pass_still_finds_a_real_fade() -> None:
    # alongside the outage, "crash" really fades (20% -> 5% of the non-outage texts)
    counts = {"crash": (20, [80] * 4), "outage": (400, [0] * 4), "late": (60, [60] * 4)}
    got = findings(counts, 800, [400] * 4)
    assert {t: f.kind for t, f in got.items()} == {
        "outage": "emerging_theme",
        "crash": "fading_theme",
    }
    crash = got["crash"]
    assert crash.details["denominator_excludes"] == ["outage"] and crash.n_current == 400
    assert crash.current == pytest.approx(20 / 400) and crash.baseline == pytest.approx(0.2)


def test_benjamini_hochberg_across_the_themes() -> None:
    # one theme alone at p ~ 0.01 (7% against 4%) is flagged at alpha 0.05; the same theme among many tests
    # of steady themes is not (its q-value exceeds alpha)
    alone = findings({"late": (28, [16] * 4)}, 400, [400] * 4)
    assert list(alone) == ["late"]
    p = alone["late"].p_value
    assert 0.005 < p < 0.05 and alone["late"].q_value == pytest.approx(p)
    steady = {f"t{i}": (20, [20] * 4) for i in range(8)}
    crowd = findings({"late": (28, [16] * 4), **steady}, 400, [400] * 4)
    assert crowd == {}
    strict = findings({"late": (28, [16] * 4)}, 400, [400] * 4, alpha=p / 2)
    assert strict == {}


def test_a_finding_carries_its_numbers() -> None:
    got = findings({"late": (150, [100] * 4), "other": (10, [10] * 4)}, 400, [400] * 4)
    f = got["late"]
    assert (f.n_current, f.n_baseline) == (400, 1600)
    assert f.window_start == PERIOD.start and f.window_end == PERIOD.end
    assert f.baseline_start == PERIOD.previous(4).start and f.baseline_end == PERIOD.previous().end
    assert f.change_abs == pytest.approx(0.375 - 0.25) and f.change_rel == pytest.approx(0.5)
    assert f.effect_size == pytest.approx(2 * math.asin(0.375**0.5) - 2 * math.asin(0.5))
    assert f.details["count_baseline_per_period"] == 100 and f.details["label"] == "late"
    assert f.better is False and f.metric is None and f.segment == ()
    h = abs(f.effect_size)
    score = 0.4 * min(1, h / 0.3) + 0.4 * min(1, -math.log10(f.q_value) / 6) + 0.2 * min(1, 50 / 50)
    assert f.score == round(min(1.0, score), 4)
    # the current texts of "late" are split evenly between the platforms
    assert f.details["concentrated_in"] is None
    praise = findings({"late": (150, [100] * 4)}, 400, [400] * 4, themes=[theme("late", 0.4)])
    assert praise["late"].better is True
    neutral = findings({"late": (150, [100] * 4)}, 400, [400] * 4, themes=[theme("late", 0.0)])
    assert neutral["late"].better is None


def test_findings_are_ranked_by_score() -> None:
    counts = {"a": (150, [100] * 4), "b": (40, [5] * 4), "c": (20, [20] * 4)}
    got = A._findings(
        frame(counts, 400, [400] * 4),
        [theme(t) for t in counts],
        ["platform"],
        CONFIG,
        PERIOD,
        CUR,
        BASE,
        N_BASE,
    )
    assert [f.theme for f in got] == sorted(
        (f.theme for f in got), key=lambda t: -{f.theme: f.score for f in got}[t]
    )
    assert {f.theme for f in got} == {"a", "b"}
    assert (
        A._findings(frame({}, 400, [400] * 4), [], ["platform"], CONFIG, PERIOD, CUR, BASE, N_BASE)
        == []
    )


def test_overdispersion_edges() -> None:
    two = A._overdispersion(np.array([10, 40]), np.array([100, 100]))
    p = 0.25
    assert two == pytest.approx(((10 - 25) ** 2 + (40 - 25) ** 2) / (100 * p * (1 - p)))
    one_text = A._overdispersion(np.array([1, 0]), np.array([2, 100]))
    assert one_text > 1
    tiny = A._overdispersion(np.array([1, 10, 30]), np.array([1, 100, 100]))
    pp = 41 / 201
    x, n = np.array([1, 10, 30]), np.array([1, 100, 100])
    assert tiny == pytest.approx((((x - n * pp) ** 2) / (n * pp * (1 - pp))).sum() / 2)


def test_a_theme_that_was_everything_is_not_emerging() -> None:
    # every baseline text had the theme, now three in four: down, but not by the fading ratio
    assert findings({"late": (300, [400] * 4)}, 400, [400] * 4) == {}


def test_a_week_without_feedback_in_the_baseline() -> None:
    got = findings({"late": (150, [0, 100, 100, 100])}, 400, [0, 400, 400, 400])
    assert got["late"].n_baseline == 1200 and got["late"].baseline == pytest.approx(0.25)


def test_themes_with_one_text_count_in_the_family() -> None:
    alone = findings({"late": (28, [16] * 4)}, 400, [400] * 4)
    p = alone["late"].p_value
    for rare in ((1, [0] * 4), (1, [1, 0, 0, 0])):
        crowd = findings({"late": (28, [16] * 4), "rare": rare}, 400, [400] * 4, alpha=1.5 * p)
        assert crowd == {}  # two tests: q = 2p > 1.5p


def test_finding_fields_come_from_the_test() -> None:
    got = findings({"late": (150, [100] * 4)}, 400, [400] * 4)
    f = got["late"]
    _, lo, hi, _ = A._test(150, 400, 400, 1600, 1.0)
    assert (f.ci_low, f.ci_high) == pytest.approx((lo, hi))
    assert "quotes" in f.details and f.details["quotes"] == []
    shares = {d.segment: d.share_of_change for d in f.drivers}
    assert set(shares) == {(("platform", "android"),), (("platform", "ios"),)}
    assert sum(shares.values()) == pytest.approx(1.0)
    android = next(d for d in f.drivers if d.segment == (("platform", "android"),))
    assert android.n_current == 200 and android.current == pytest.approx(75 / 200)
    # a large jump: every part of the score is capped at 1
    big = findings({"late": (300, [40] * 4)}, 400, [400] * 4)["late"]
    assert big.score == 1.0
    # a small excess (12 texts): its part is 0.2 * 12 / 50
    small = findings({"late": (28, [16] * 4)}, 400, [400] * 4)["late"]
    h = abs(small.effect_size)
    score = 0.4 * min(1, h / 0.3) + 0.4 * min(1, -math.log10(small.q_value) / 6) + 0.2 * 12 / 50
    assert small.score == round(score, 4)


def test_sentiment_at_the_edges_is_neutral() -> None:
    for s in (-0.05, 0.05):
        got = findings({"late": (150, [100] * 4)}, 400, [400] * 4, themes=[theme("late", s)])
        assert got["late"].better is None


def test_one_baseline_period() -> None:
    cur, base = CUR, [BASE[-1]]
    df = frame({"late": (150, [100] * 4)}, 400, [400] * 4)
    out = A._findings(df, [theme("late")], ["platform"], CONFIG, PERIOD, cur, base, 1)
    assert out[0].details["count_baseline_per_period"] == 100
    assert out[0].baseline_start == PERIOD.previous().start


def test_a_steady_theme_listed_first_does_not_hide_the_rest() -> None:
    counts = {"steady": (40, [40] * 4), "late": (250, [375] * 4)}
    got = findings(counts, 1000, [1000] * 4)
    assert list(got) == ["late"]


def test_equal_scores_are_ordered_by_theme() -> None:
    counts = {"b_theme": (150, [100] * 4), "a_theme": (150, [100] * 4)}
    got = A._findings(
        frame(counts, 800, [800] * 4),
        [theme(t) for t in counts],
        ["platform"],
        CONFIG,
        PERIOD,
        CUR,
        BASE,
        N_BASE,
    )
    assert [f.theme for f in got] == ["a_theme", "b_theme"]
    assert got[0].score == got[1].score


def test_drivers_of_a_second_pass_theme_leave_the_emerging_texts_out() -> None:
    counts = {"crash": (20, [80] * 4), "outage": (400, [0] * 4), "late": (60, [60] * 4)}
    crash = findings(counts, 800, [400] * 4)["crash"]
    assert sum(d.n_current for d in crash.drivers) == 400  # the 800 texts less the 400 outage
