"""The locus rule (insightlib.quant.locus) on small hand-made cubes.

Fast unit tests: `make mutation` runs them against every mutant of quant/locus.py.
"""

from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from insightlib.model import Finding
from insightlib.quant import locus as L
from insightlib.quant import stats as S

D = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]


def frame(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    """(metric, segment, period index, numerator) rows with the other fields derived."""
    out = []
    for metric, seg, i, num in rows:
        r = {f: 0.0 for f in S.FIELDS}
        r.update(numerator=num, users=num / 2, events=num)
        out.append({"metric": metric, "segment": seg, "period_start": D[i], **r})
    return pd.DataFrame(out)


def test_cube_rows_per_segment_and_period() -> None:
    f = frame(
        [
            ("orders", "all", 0, 10),
            ("orders", "all", 2, 30),
            ("orders", "platform=ios", 1, 4),
            ("orders", "country=DE&platform=ios", 1, 3),
            ("visits", "all", 0, 99),
        ]
    )
    f.loc[len(f)] = {**f.iloc[0].to_dict(), "period_start": date(2020, 1, 1), "numerator": 7}
    f.loc[1, "sumsq"] = np.nan  # missing fields count as zero
    c = L.Cube(f, "orders", D)
    assert c.n == 3 and sorted(c.rows) == ["all", "country=DE&platform=ios", "platform=ios"]
    num = S.FIELDS.index("numerator")
    np.testing.assert_array_equal(c.get("all")[:, num], [10, 0, 30])  # the off-grid date is dropped
    np.testing.assert_array_equal(c.get("platform=ios")[:, num], [0, 4, 0])
    assert c.get("all")[2, S.FIELDS.index("sumsq")] == 0.0
    assert c.get("platform=web").shape == (3, len(S.FIELDS)) and not c.get("platform=web").any()
    assert c.keys_of(("platform",)) == ["platform=ios"]
    assert c.keys_of(("country", "platform")) == ["country=DE&platform=ios"]
    assert c.keys_of(()) == ["all"]


def test_key_helpers() -> None:
    assert L.level("all") == 0 and L.level("a=1") == 1 and L.level("a=1&b=2") == 2
    assert L.pair_key("platform=ios", "country=DE") == "country=DE&platform=ios"
    assert L.pair_key("country=DE", "platform=ios") == "country=DE&platform=ios"
    assert L.parents("platform=ios") == ["all"]
    assert L.parents("country=DE&platform=ios") == ["country=DE", "platform=ios"]
    assert (L.sign(2.5), L.sign(-0.1), L.sign(0.0)) == (1, -1, 0)


def test_score_formula() -> None:
    # 0.5 * (1 - exp(-|impact| / 0.05)) + 0.3 * min(1, -log10(q) / 10) + 0.2 * clip(novelty)
    assert L.score(0.05, 1e-5, 0.5) == pytest.approx(
        round(0.5 * (1 - math.exp(-1)) + 0.3 * 0.5 + 0.2 * 0.5, 4)
    )
    assert L.score(-0.05, 1e-5, 0.5) == L.score(0.05, 1e-5, 0.5)
    assert L.score(0.0, None, 0.0) == 0.0
    assert L.score(math.nan, 1.0, 2.0) == 0.2  # novelty is capped at 1
    assert L.score(0.0, 1e-30, -1.0) == 0.3  # q is capped, novelty floored
    assert L.score(0.0, 0.0, 0.0) == 0.3
    assert L.score(1.0, 0.01, 0.0) == pytest.approx(round(0.5 * (1 - math.exp(-20)) + 0.06, 4))


def t(key: str, direction: int) -> L.Test:
    return L.Test("change", "orders", key, D[2], 1.0, 1.0, 0.0, None, 0.001, direction)


def cube_of(values: dict[str, float]) -> L.Cube:
    return L.Cube(frame([("orders", k, 2, v) for k, v in values.items()]), "orders", D)


def moved_if_above(threshold: float):
    num = S.FIELDS.index("numerator")

    def moved(rows: np.ndarray, d: int) -> bool:
        return bool(d * rows[2, num] > threshold)

    return moved


def test_loci_keeps_segments_that_differ_from_every_parent() -> None:
    sig = {
        "all": t("all", 1),
        "platform=ios": t("platform=ios", 1),
        "country=DE": t("country=DE", 1),
    }
    cube = cube_of({"platform=ios": 10, "country=DE": 10})
    no_pair = moved_if_above(0)
    assert L.loci(sig, lambda k, p: k == "platform=ios", no_pair, cube, lambda k: 1.0) == [
        "platform=ios"
    ]
    assert L.loci(sig, lambda k, p: False, no_pair, cube, lambda k: 1.0) == []


def test_a_pair_that_carries_the_whole_move_replaces_its_single() -> None:
    # iOS moved only through iOS x DE: iOS without the pair does not move, so iOS is dropped
    sig = {k: t(k, 1) for k in ("platform=ios", "country=DE&platform=ios")}
    cube = cube_of({"platform=ios": 10, "country=DE&platform=ios": 9})
    got = L.loci(sig, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got == ["country=DE&platform=ios"]
    # iOS without the pair still moves (12 - 2 > 5): both stay
    cube2 = cube_of({"platform=ios": 12, "country=DE&platform=ios": 2})
    got2 = L.loci(sig, lambda k, p: True, moved_if_above(5), cube2, lambda k: 1.0)
    assert got2 == ["platform=ios", "country=DE&platform=ios"]
    # a pair moving the other way does not explain the single
    sig3 = {"platform=ios": t("platform=ios", 1), "country=DE&platform=ios": t("x", -1)}
    got3 = L.loci(sig3, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got3 == ["platform=ios", "country=DE&platform=ios"]
    # a pair that does not contain the single does not explain it either
    sig4 = {"platform=web": t("platform=web", 1), "country=DE&platform=ios": t("y", 1)}
    cube4 = cube_of({"platform=web": 10, "country=DE&platform=ios": 9})
    got4 = L.loci(sig4, lambda k, p: True, moved_if_above(5), cube4, lambda k: 1.0)
    assert got4 == ["platform=web", "country=DE&platform=ios"]


def test_of_two_overlapping_singles_the_one_that_explains_the_other_stays() -> None:
    sig = {"platform=ios": t("platform=ios", 1), "country=DE": t("country=DE", 1)}
    # iOS without DE does not move, DE without iOS does: the move is DE's, iOS is dropped
    cube = cube_of({"platform=ios": 10, "country=DE": 20, "country=DE&platform=ios": 9})
    got = L.loci(sig, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got == ["country=DE"]
    # neither moves without the other: the bigger one (weight) stays
    cube2 = cube_of({"platform=ios": 10, "country=DE": 12, "country=DE&platform=ios": 9})
    w = {"platform=ios": 1.0, "country=DE": 2.0}
    got2 = L.loci(sig, lambda k, p: True, moved_if_above(5), cube2, w.__getitem__)
    assert got2 == ["country=DE"]
    w_rev = {"platform=ios": 2.0, "country=DE": 1.0}
    got3 = L.loci(sig, lambda k, p: True, moved_if_above(5), cube2, w_rev.__getitem__)
    assert got3 == ["platform=ios"]
    # opposite directions or the same column: never compared
    sig_opp = {"platform=ios": t("platform=ios", 1), "country=DE": t("country=DE", -1)}
    got4 = L.loci(sig_opp, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got4 == ["platform=ios", "country=DE"]
    sig_col = {"platform=ios": t("platform=ios", 1), "platform=web": t("platform=web", 1)}
    cube_col = cube_of({"platform=ios": 10, "platform=web": 20})
    got5 = L.loci(sig_col, lambda k, p: True, moved_if_above(5), cube_col, lambda k: 1.0)
    assert got5 == ["platform=ios", "platform=web"]


def test_a_dropped_single_does_not_drop_another() -> None:
    sig = {k: t(k, 1) for k in ("platform=ios", "country=DE", "country=DE&platform=ios")}
    # iOS is explained by the pair and dropped in step 1; DE still moves without iOS, so DE stays
    cube = cube_of({"platform=ios": 10, "country=DE": 30, "country=DE&platform=ios": 9})
    got = L.loci(sig, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got == ["country=DE", "country=DE&platform=ios"]


def finding(segment: tuple[tuple[str, str], ...]) -> Finding:
    return SimpleNamespace(segment=segment)  # type: ignore[return-value]  # host reads .segment


def test_host_is_the_reported_finding_sharing_a_segment_value() -> None:
    sig = {k: t(k, 1) for k in ("all", "platform=ios", "country=DE&platform=ios", "country=FR")}
    sig["country=FR"] = t("country=FR", -1)
    reported = {"platform=ios": finding((("platform", "ios"),))}
    assert L.host("country=DE&platform=ios", 1, reported, sig) == "platform=ios"
    assert L.host("country=DE&platform=ios", -1, reported, sig) == ""
    assert L.host("country=DE", 1, reported, sig) == ""
    reported["all"] = finding(())
    assert L.host("country=DE", 1, reported, sig) == "all"
    assert L.host("country=DE", -1, reported, sig) == ""
    reported_fr = {"country=FR": finding((("country", "FR"),))}
    assert L.host("country=FR&platform=ios", -1, reported_fr, sig) == "country=FR"
    assert L.host("country=FR&platform=ios", -1, reported_fr, {}) == ""
    assert L.host("country=DE", 1, {"all": finding(())}, {}) == ""


def test_locus_edges() -> None:
    assert L.sign(0.5) == 1 and L.sign(-0.5) == -1
    f = frame([("orders", "platform=web", 0, 1), ("orders", "platform=ios", 0, 1)])
    f = pd.concat([f, frame([("orders", "platform=android", 1, 1)])], ignore_index=True)
    c = L.Cube(f, "orders", D)
    assert c.dates == D
    assert c.keys_of(("platform",)) == ["platform=android", "platform=ios", "platform=web"]


def test_differs_is_asked_against_every_parent() -> None:
    sig = {k: t(k, 1) for k in ("all", "platform=ios", "country=DE&platform=ios")}
    asked = []

    def differs(k: str, p: str) -> bool:
        asked.append((k, p))
        return True

    L.loci(sig, differs, moved_if_above(-1e9), cube_of({"all": 1}), lambda k: 1.0)
    assert sorted(asked) == [
        ("country=DE&platform=ios", "country=DE"),
        ("country=DE&platform=ios", "platform=ios"),
        ("platform=ios", "all"),
    ]


def test_two_singles_that_move_on_their_own_both_stay() -> None:
    sig = {"platform=ios": t("platform=ios", 1), "country=DE": t("country=DE", 1)}
    cube = cube_of({"platform=ios": 20, "country=DE": 20, "country=DE&platform=ios": 2})
    got = L.loci(sig, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got == ["platform=ios", "country=DE"]
    # neither moves without the other and they weigh the same: neither is dropped
    tie = cube_of({"platform=ios": 10, "country=DE": 10, "country=DE&platform=ios": 9})
    assert L.loci(sig, lambda k, p: True, moved_if_above(5), tie, lambda k: 1.0) == [
        "platform=ios",
        "country=DE",
    ]


def test_singles_of_one_column_never_explain_each_other() -> None:
    sig = {"platform=ios": t("platform=ios", 1), "platform=web": t("platform=web", 1)}
    cube = cube_of({"platform=ios": 3, "platform=web": 20})
    got = L.loci(sig, lambda k, p: True, moved_if_above(5), cube, lambda k: 1.0)
    assert got == ["platform=ios", "platform=web"]


def test_a_single_dropped_in_step_one_explains_nothing() -> None:
    # iOS is carried by iOS x Plus (dropped in step 1); DE does not move without iOS but the
    # dropped iOS must not take DE with it, even though it weighs more
    sig = {k: t(k, 1) for k in ("platform=ios", "country=DE", "plan=plus&platform=ios")}
    cube = cube_of(
        {
            "platform=ios": 10,
            "plan=plus&platform=ios": 9,
            "country=DE": 12,
            "country=DE&platform=ios": 9,
        }
    )
    w = {"platform=ios": 2.0, "country=DE": 1.0}
    got = L.loci(sig, lambda k, p: True, moved_if_above(5), cube, w.get)
    assert got == ["country=DE", "plan=plus&platform=ios"]
    # and after a dropped single the others are still compared: B (country) is explained by C
    sig2 = {
        k: t(k, 1) for k in ("platform=ios", "country=DE&platform=ios", "country=FR", "plan=plus")
    }
    cube2 = cube_of(
        {
            "platform=ios": 10,
            "country=DE&platform=ios": 9,
            "country=FR": 10,
            "plan=plus": 30,
            "country=FR&plan=plus": 9,
        }
    )
    got2 = L.loci(sig2, lambda k, p: True, moved_if_above(5), cube2, lambda k: 1.0)
    assert got2 == ["country=DE&platform=ios", "plan=plus"]


def test_host_looks_past_findings_that_do_not_match() -> None:
    sig = {k: t(k, 1) for k in ("country=FR", "platform=ios", "country=DE&platform=ios")}
    sig["country=FR"] = t("country=FR", -1)
    reported = {
        "country=FR": finding((("country", "FR"),)),
        "platform=ios": finding((("platform", "ios"),)),
    }
    assert L.host("country=DE&platform=ios", 1, reported, sig) == "platform=ios"
