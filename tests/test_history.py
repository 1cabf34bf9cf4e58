"""The run history: new / continuing / resolved across runs, replacement, crash safety."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fixtures_run import ID_CHECKOUT, ID_RESOLVED, document

from insightlib.document import as_document
from insightlib.errors import RunError
from insightlib.memory import history
from insightlib.workspace.periods import parse_period


def _doc(label: str, ids: list[str], project: str = "Basketly") -> dict[str, Any]:
    p = parse_period(label)
    return {
        "project": project,
        "title": f"{project} insights",
        "period": {
            "label": label,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "grain": p.grain,
        },
        "insights": [
            {"id": i, "title": f"title of {i}", "kind": i.split(":")[0], "score": 0.5} for i in ids
        ],
    }


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "reports" / history.DB_NAME


def test_first_run_everything_is_new_and_nothing_is_written(db: Path) -> None:
    h = history.compare(db, _doc("2026-W47", ["a:x:all", "b:y:all"]))
    assert h == {"previous": None, "new": ["a:x:all", "b:y:all"], "continuing": [], "resolved": []}
    assert not db.exists()


def test_new_continuing_resolved(db: Path) -> None:
    history.record_run(db, _doc("2026-W46", ["a:x:all", "b:y:all"]))
    h = history.compare(db, _doc("2026-W47", ["b:y:all", "c:z:all"]))
    assert h["previous"] == "2026-W46"
    assert h["new"] == ["c:z:all"]
    assert h["continuing"] == ["b:y:all"]
    assert h["resolved"] == [
        {"id": "a:x:all", "title": "title of a:x:all", "kind": "a", "period": "2026-W46"}
    ]


def test_fixture_document_round_trip(db: Path) -> None:
    earlier = document("2026-W46")
    earlier["period"] = {**earlier["period"], "label": "2026-W46", "start": "2026-11-09"}
    earlier["insights"] = [
        *earlier["insights"][3:],
        {"id": ID_RESOLVED, "title": "On-time deliveries fell in France", "kind": "metric_change"},
    ]
    history.record_run(db, earlier)
    h = history.compare(db, document())
    assert h["previous"] == "2026-W46"
    assert ID_CHECKOUT in h["new"]
    assert [r["id"] for r in h["resolved"]] == [ID_RESOLVED]
    assert len(h["new"]) + len(h["continuing"]) == len(document()["insights"])


def test_rerunning_a_period_replaces_its_rows(db: Path) -> None:
    history.record_run(db, _doc("2026-W46", ["a:x:all", "b:y:all"]))
    history.record_run(db, _doc("2026-W46", ["b:y:all"]))
    assert [r["label"] for r in history.runs(db)] == ["2026-W46"]
    assert [i["id"] for i in history.insights_of(db, "2026-W46", "Basketly")] == ["b:y:all"]
    h = history.compare(db, _doc("2026-W47", ["b:y:all"]))
    assert h["resolved"] == [] and h["continuing"] == ["b:y:all"]


def test_compares_with_the_latest_earlier_period(db: Path) -> None:
    history.record_run(db, _doc("2026-W45", ["a:x:all"]))
    history.record_run(db, _doc("2026-W47", ["c:z:all"]))
    # re-running W46 after W47 exists compares with W45, not with the later W47
    h = history.compare(db, _doc("2026-W46", ["a:x:all"]))
    assert h["previous"] == "2026-W45" and h["continuing"] == ["a:x:all"]
    history.record_run(db, _doc("2026-W46", ["a:x:all"]))
    assert [r["label"] for r in history.runs(db)] == ["2026-W47", "2026-W46", "2026-W45"]
    assert history.compare(db, _doc("2026-W48", []))["previous"] == "2026-W47"


def test_other_projects_and_grains_are_not_compared(db: Path) -> None:
    history.record_run(db, _doc("2026-W46", ["a:x:all"], project="Other"))
    history.record_run(db, _doc("2026-10", ["a:x:all"]))
    assert history.compare(db, _doc("2026-W47", ["a:x:all"]))["previous"] is None


def test_a_failed_write_leaves_the_history_as_it_was(db: Path) -> None:
    history.record_run(db, _doc("2026-W46", ["a:x:all", "b:y:all"]))
    bad = as_document(_doc("2026-W46", ["c:z:all"]))
    # cannot be stored: fails inside the transaction
    bad = replace(bad, insights=(replace(bad.insights[0], score=object()),))
    with pytest.raises(sqlite3.Error):
        history.record_run(db, bad)
    assert [i["id"] for i in history.insights_of(db, "2026-W46", "Basketly")] == [
        "a:x:all",
        "b:y:all",
    ]
    assert not Path(f"{db}-journal").exists()


def test_compare_does_not_modify_the_file(db: Path) -> None:
    history.record_run(db, _doc("2026-W46", ["a:x:all"]))
    before = db.read_bytes()
    history.compare(db, _doc("2026-W47", ["a:x:all"]))
    assert db.read_bytes() == before


def test_corrupt_file_is_a_clear_error(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunError, match="run history is unreadable.*Move the file aside"):
        history.compare(db, _doc("2026-W47", ["a:x:all"]))


def test_daily_runs_order_by_date(db: Path) -> None:
    start = date(2026, 11, 20)
    for n in range(3):
        history.record_run(db, _doc((start + timedelta(days=n)).isoformat(), [f"a:{n}:all"]))
    h = history.compare(db, _doc("2026-11-23", ["a:2:all"]))
    assert h["previous"] == "2026-11-22" and h["continuing"] == ["a:2:all"]
