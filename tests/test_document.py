"""The typed, versioned insights document: round trip, upgrade, and readers of an old run.

``tests/data/run_v1/insights.json`` was written by the real builder and memory step at schema
version 1 (``tests/data/make_v1_run.py`` says how); every reader must still read it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fixtures_story import ID_ANDROID, ID_DE, ID_SIGNUP, PERIOD, config, knowledge, qual, quant

from insightlib.document import (
    SCHEMA_VERSION,
    History,
    InsightsDocument,
    Learning,
    Verdict,
    as_document,
    upgrade,
)
from insightlib.errors import InputError
from insightlib.memory import history
from insightlib.memory import verdicts as loop
from insightlib.narrate.assemble import build_document
from insightlib.report import publish, runfolder, views

V1_RUN = Path(__file__).parent / "data" / "run_v1"


@pytest.fixture(scope="module")
def built() -> InsightsDocument:
    return build_document(
        quant=quant(), qual=qual(), knowledge=knowledge(), glossary=None, config=config(),
        period=PERIOD,
    )  # fmt: skip


def test_the_builder_writes_the_current_version(built: InsightsDocument) -> None:
    assert SCHEMA_VERSION == 2 and built.schema_version == 2
    raw = json.loads(built.to_json())
    assert raw["schema_version"] == 2
    assert raw["metrics"] == []  # the scoreboard rows: none until a step writes them
    assert raw["track_record"] is None
    assert all(i["verdicts"] == [] and i["learning"] is None for i in raw["insights"])
    # the titles and questions narrate wrote are in the document built once
    android = built.insight(ID_ANDROID)
    assert android is not None and android.title == "Sign-up completion fell on Android"
    assert all(q.text.startswith(q.team + ": ") for q in built.questions)


def test_round_trip_is_exact(built: InsightsDocument) -> None:
    text = built.to_json()
    again = InsightsDocument.from_json(text)
    assert again.to_json() == text
    assert [i.id for i in again.insights] == [i.id for i in built.insights]
    assert again.insight(ID_ANDROID).evidence == built.insight(ID_ANDROID).evidence
    assert again.insight(ID_ANDROID).narrative == built.insight(ID_ANDROID).narrative
    assert again.questions == built.questions and again.history == built.history


def test_remember_builds_a_new_document(built: InsightsDocument) -> None:
    done = built.remember(
        History(previous="2026-W46", new=(ID_ANDROID,), continuing=(ID_SIGNUP,)),
        verdicts={ID_SIGNUP: (Verdict("Engineering", "confirmed", period="2026-W46"),)},
        learning={ID_DE: Learning(0.5, "Marketing refuted this finding in 2026-W46")},
        recurrence={ID_SIGNUP: "Back again: Engineering confirmed this in 2026-W46"},
        track_record={"insights_raised": 7},
    )
    assert built.insight(ID_SIGNUP).status == "new" and built.track_record is None  # unchanged
    assert done.insight(ID_SIGNUP).status == "continuing"
    assert done.insight(ID_ANDROID).status == "new"
    raw = json.loads(done.to_json())
    signup = next(i for i in raw["insights"] if i["id"] == ID_SIGNUP)
    assert signup["recurrence"] is True and signup["verdicts"][0]["team"] == "Engineering"
    assert raw["history"]["continuing"] == [ID_SIGNUP]
    assert raw["track_record"] == {"insights_raised": 7}


def test_upgrade_from_version_1() -> None:
    raw = json.loads((V1_RUN / "insights.json").read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1 and "metrics" not in raw
    up = upgrade(raw)
    assert up["schema_version"] == 2
    assert up["metrics"] == [] and up["track_record"] == raw["track_record"]
    assert all("learning" in i and "verdicts" in i for i in up["insights"])
    assert raw["schema_version"] == 1  # the input is not changed


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"schema_version": 3}, "must be one of 1, 2, got 3.*upgrade insightlib"),
        ({"schema_version": "1"}, "got '1'"),
        ([1, 2], "got 'list'"),
        ({}, "got None"),
    ],
)
def test_unknown_versions_are_refused(raw, match) -> None:
    with pytest.raises(InputError, match=match):
        InsightsDocument.from_dict(raw)


def test_readers_open_a_run_written_by_version_1(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(V1_RUN, reports / "2026-W47")
    run = runfolder.open_run(reports / "2026-W47")
    doc = run.document
    assert doc.schema_version == 2 and doc.period.label == "2026-W47"
    assert doc.history.previous == "2026-W46" and doc.history.continuing == (ID_SIGNUP, ID_DE)
    assert [r.id for r in doc.history.resolved] == ["metric_change:orders:all"]
    signup = doc.insight(ID_SIGNUP)
    assert signup.status == "continuing"
    assert signup.recurrence_note == (
        "Back again: Engineering confirmed this in 2026-W46: SMS provider bug"
    )
    assert doc.insight(ID_DE).learning.factor == 0.5
    assert doc.track_record["refuted"] == 1
    assert runfolder.metric_info(run, "signup_completion") == {
        "label": "Sign-up completion",
        "kind": "conversion",
        "unit": None,
    }
    # report views read it
    board = run.selected("board")
    assert board and board[0].id == doc.audiences["board"].insight_ids[0]
    html = views.finding_html(run, run.insight(ID_SIGNUP), "team")
    assert "Back again: Engineering confirmed this in 2026-W46" in html
    assert "Ranked lower: Marketing refuted" in views.finding_html(run, run.insight(ID_DE), "team")
    assert "Track record" in views.track_record_html(run)
    # the index, the history and the verdicts loop read it
    assert publish.list_runs(reports)[0]["n_resolved"] == 1
    db = reports / history.DB_NAME
    history.record_run(db, doc)
    assert [i["id"] for i in history.insights_of(db, "2026-W47", "Basketly")][:2] == [
        ID_ANDROID,
        ID_SIGNUP,
    ]
    loop.annotate(reports, ID_ANDROID, team="Engineering", verdict="confirmed")
    learned = loop.apply_learning(doc, db)
    assert [v.team for v in learned.insight(ID_ANDROID).verdicts] == ["Engineering"]


def test_a_dict_in_the_version_1_shape_is_read_as_one() -> None:
    doc = as_document(
        {"project": "P", "period": {"label": "2026-W47", "start": "2026-11-16"},
         "insights": [{"id": "trend:x:all", "kind": "trend"}]}
    )  # fmt: skip
    assert doc.insights[0].id == "trend:x:all" and doc.period.end.isoformat() == "2026-11-16"
