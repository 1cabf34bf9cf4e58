"""A finding's details are typed per kind (insightlib/model.py): producers write only declared
keys, readers read only declared keys, and documents from files keep only declared keys."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from insightlib.document import Insight, upgrade
from insightlib.model import DETAILS_BY_KIND, FINDING_KINDS, Finding, undeclared_details

ROOT = Path(__file__).resolve().parents[1]
DECLARED = set().union(
    *(t.__required_keys__ | t.__optional_keys__ for t in DETAILS_BY_KIND.values())
)
# how code reads a finding's details: details.get("x"), details["x"], "x" in ....details
READS = (
    r"details(?:\s+or\s+\{\})?\)?\.get\(\s*\"(\w+)\"",
    r"details(?:\s+or\s+\{\})?\)?\[\s*\"(\w+)\"\s*\]",
    r"\"(\w+)\"\s+(?:not\s+)?in\s+\(?[\w.]*details\b",
)


def _finding(kind: str, **details: object) -> Finding:
    day = date(2026, 11, 20)
    return Finding(
        kind=kind, metric="orders", segment=(), direction="down", current=1.0, baseline=2.0,
        change_abs=-1.0, change_rel=-0.5, p_value=0.01, q_value=0.02, ci_low=None, ci_high=None,
        effect_size=None, n_current=10, n_baseline=10, window_start=day, window_end=day,
        baseline_start=day, baseline_end=day, method="", details=dict(details),
    )  # fmt: skip


def test_every_kind_has_a_details_type() -> None:
    assert set(DETAILS_BY_KIND) == set(FINDING_KINDS)


def test_every_key_a_reader_reads_is_declared() -> None:
    """A reader of a key no producer may write (``details.get("expected_low")`` while the
    anomaly producer wrote no such key) reads nothing, forever: every key read in the package
    must be declared for some kind."""
    read: dict[str, list[str]] = {}
    for path in (ROOT / "insightlib").rglob("*.py"):
        text = path.read_text()
        for pattern in READS:
            for key in re.findall(pattern, text):
                read.setdefault(key, []).append(path.relative_to(ROOT).as_posix())
    assert {"expected_low", "seasonal", "mix_shift", "concentration", "day"} <= set(read)
    undeclared = {k: v for k, v in read.items() if k not in DECLARED}
    assert undeclared == {}


def test_a_producer_cannot_write_an_undeclared_key() -> None:
    assert _finding("anomaly", day="2026-11-20", expected=2.0).details["day"] == "2026-11-20"
    with pytest.raises(TypeError, match=r"undeclared details \['date'\]"):
        _finding("anomaly", date="2026-11-20")
    with pytest.raises(TypeError, match="count_current"):
        _finding("trend", count_current=3)  # a theme's key on a metric finding
    assert undeclared_details("emerging_theme", {"count_current": 3, "tau": 0.1}) == ["tau"]


def test_a_document_read_from_a_file_keeps_the_declared_keys() -> None:
    raw = {"id": "anomaly:orders:all", "kind": "anomaly", "window": {"start": "2026-11-20"},
           "details": {"day": "2026-11-20", "expected": 2.0, "hand_edited": 1}}  # fmt: skip
    ins = Insight.from_dict(raw)
    assert ins.details == {"day": "2026-11-20", "expected": 2.0}


def test_version_1_day_of_an_anomaly_is_read_as_day() -> None:
    v1 = {
        "schema_version": 1,
        "insights": [{"id": "a", "kind": "anomaly", "details": {"date": "2026-11-20"}}],
    }
    up = upgrade(v1)
    assert up["insights"][0]["details"] == {"day": "2026-11-20"}
    assert Insight.from_dict(up["insights"][0]).details == {"day": "2026-11-20"}


def test_tone_words_at_the_threshold() -> None:
    from insightlib.model import TONE_CLEAR, tone_word

    assert tone_word(-TONE_CLEAR) == "complaints" and tone_word(TONE_CLEAR) == "praise"
    assert tone_word(-TONE_CLEAR + 0.01) == tone_word(TONE_CLEAR - 0.01) == "mixed"
    assert tone_word(None) == tone_word(float("nan")) == "mixed"
