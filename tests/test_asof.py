"""As of: a report for a period counts only what was known up to it, so backfilling weeks in
any order gives the same track record and history as running them in order."""

from __future__ import annotations

import copy
from pathlib import Path

from insightlib.memory import history
from insightlib.memory import verdicts as fl


def _doc(label: str, start: str, end: str, ids: list[str]) -> dict:
    return {
        "project": "P",
        "title": "P weekly insights",
        "period": {"label": label, "start": start, "end": end, "grain": "week"},
        "insights": [
            {
                "id": i,
                "title": i,
                "kind": "metric_change",
                "score": 0.5,
                "segment": {},
                "window_start": start,
            }
            for i in ids
        ],  # fmt: skip
        "questions": [{"id": f"q-{i}", "team": "Marketing", "insight_id": i} for i in ids],
    }


W46 = _doc("2026-W46", "2026-11-09", "2026-11-15", ["a", "b"])
W47 = _doc("2026-W47", "2026-11-16", "2026-11-22", ["c", "d", "e"])


def _later_verdict(root: Path) -> None:
    """A verdict on a W47 finding (known only after W47)."""
    row = ("P", "c", "2026-W47", "Sales", "refuted", "", "2026-11-24T09:00:00", "", "2026-11-16")
    fl._write(root, [row], [])


def _report(root: Path, doc: dict) -> dict:
    d = copy.deepcopy(doc)
    db = root / history.DB_NAME
    d["history"] = history.compare(db, d)
    d = fl.apply_learning(d, db).to_dict()  # the typed document, as JSON again
    history.record_run(db, d)
    fl.record_questions(db, d)
    return d


def test_backfilling_an_earlier_week_shows_the_record_as_it_stood(tmp_path: Path) -> None:
    in_order, backfill = tmp_path / "a", tmp_path / "b"
    in_order.mkdir(), backfill.mkdir()
    w46 = _report(in_order, W46)
    _report(in_order, W47)
    _later_verdict(in_order)

    _report(backfill, W47)  # the later week first, its verdict, then the earlier week
    _later_verdict(backfill)
    late = _report(backfill, W46)

    for key in ("track_record", "history"):
        assert late[key] == w46[key], key
    tr = late["track_record"]
    assert tr["insights_raised"] == 2 and tr["questions_asked"] == 2 and tr["refuted"] == 0
    rerun = _report(in_order, W46)  # re-running W46 after W47 and its verdict: the same too
    assert rerun["track_record"] == w46["track_record"]


def test_knowledge_written_after_the_period_is_not_used(tmp_path: Path) -> None:
    import pandas as pd

    k = pd.DataFrame(
        {
            "date": [pd.Timestamp("2026-11-10").date(), pd.Timestamp("2026-11-20").date()],
            "team": ["Marketing", "Marketing"],
            "kind": ["campaign", "campaign"],
            "title": ["Before", "After"],
        }
    )
    got = fl.merge_knowledge(
        k, tmp_path / history.DB_NAME, "P", before=pd.Timestamp("2026-11-15").date()
    )
    assert list(got["title"]) == ["Before"]
