"""Closing the loop: verdicts, answers, learning and the track record (feedback_loop.py)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fixtures_run import build_run, document

from insightlib.cli import main
from insightlib.errors import InputError
from insightlib.memory import history, store
from insightlib.memory import verdicts as fl
from insightlib.report import runfolder as report
from insightlib.report import views

REVENUE_PLUS = "trend:revenue:plan=plus"
USERS_PLUS = "trend:active_users:plan=plus"
ORDERS_DE = "metric_change:orders:country=DE"
REVENUE_DE = "metric_change:revenue:country=DE"
SIGNUP_ANDROID = "segment_driver:signup_completion:platform=android"
FINANCE_NOTE = "The Plus free-trial month drove it; the trial ends in December."
PRODUCT_NOTE = "A counting artefact of the new Plus login, not real users."
MARKETING_NOTE = (
    "Our German newsletter with a 10% voucher went out on 16 Nov. It ran for the whole week."
)


def _doc(run: Path) -> dict:
    return json.loads((run / "insights.json").read_text(encoding="utf-8"))


def _by_id(doc: dict) -> dict[str, dict]:
    return {i["id"]: i for i in doc["insights"]}


# ------------------------------------------------------------------ the two-week cycle (sample)
@pytest.fixture(scope="module")
def cycle(sample_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """W46 run → verdicts → W47 run → answer + verdict → W47 re-run; every stage kept."""
    out = tmp_path_factory.mktemp("loop") / "reports"
    stages: dict = {"out": out}
    assert main(["run", str(sample_ws), "--period", "2026-W46", "--out", str(out), "-q"]) == 0
    stages["w46"] = _doc(out / "2026-W46")
    w46 = _by_id(stages["w46"])
    assert REVENUE_PLUS in w46 and USERS_PLUS in w46  # the sample's W46 findings
    fl.annotate(out, REVENUE_PLUS, team="Finance", verdict="confirmed", note=FINANCE_NOTE)
    assert (
        main(
            ["annotate", str(out), USERS_PLUS, "--team", "Product", "--verdict", "refuted"]
            + ["--note", PRODUCT_NOTE]
        )
        == 0
    )

    assert main(["run", str(sample_ws), "--period", "2026-W47", "--out", str(out), "-q"]) == 0
    stages["w47"] = _doc(out / "2026-W47")
    stages["w47_team"] = (out / "2026-W47" / "team.html").read_text(encoding="utf-8")

    q = next(q for q in stages["w47"]["questions"] if q["insight_id"] == ORDERS_DE)
    stages["question"] = q
    later = datetime.now(UTC) + timedelta(days=2)  # the team answers two days after the run
    fl.answer(out, q["id"], team="Marketing", note=MARKETING_NOTE, now=later)
    csv = out.parent / "engineering.csv"
    csv.write_text(
        f"kind,id,team,verdict,note\nverdict,{SIGNUP_ANDROID},Engineering,investigating,\n",
        encoding="utf-8",
    )
    assert main(["annotate", str(out), "--csv", str(csv)]) == 0

    assert main(["run", str(sample_ws), "--period", "2026-W47", "--out", str(out), "-q"]) == 0
    stages["rerun"] = _doc(out / "2026-W47")
    stages["rerun_team"] = (out / "2026-W47" / "team.html").read_text(encoding="utf-8")
    stages["rerun_board"] = (out / "2026-W47" / "board.html").read_text(encoding="utf-8")
    return stages


def test_week2_shows_week1_verdicts(cycle: dict) -> None:
    ins = _by_id(cycle["w47"])
    rev = ins[REVENUE_PLUS]
    assert [(v["team"], v["verdict"], v["period"]) for v in rev["verdicts"]] == [
        ("Finance", "confirmed", "2026-W46")
    ]
    assert rev["recurrence"] is True
    assert "Finance confirmed this in 2026-W46" in rev["recurrence_note"]
    html = cycle["w47_team"]
    assert "Finance confirmed" in html and "Plus free-trial month drove it" in html
    assert "Back again: Finance confirmed this in 2026-W46" in html


def test_refuted_pattern_is_ranked_lower(cycle: dict) -> None:
    before = _by_id(cycle["w46"])[USERS_PLUS]["score"]
    doc = cycle["w47"]
    users = _by_id(doc)[USERS_PLUS]
    assert users["learning"]["factor"] == fl.REFUTED_FACTOR
    assert "Product refuted" in users["learning"]["why"]
    assert users["score"] < before * 0.6  # halved (this week's raw score is close to W46's)
    scores = [i["score"] for i in doc["insights"]]
    assert scores == sorted(scores, reverse=True)
    assert "recurrence" not in users
    assert "Product refuted" in cycle["w47_team"]


def test_track_record_after_week2(cycle: dict) -> None:
    raised = {i["id"] for i in cycle["w46"]["insights"]} | {
        i["id"] for i in cycle["w47"]["insights"]
    }
    tr = cycle["w47"]["track_record"]
    assert tr == {
        "insights_raised": len(raised),
        "confirmed": 1,
        "refuted": 1,
        "explained": 0,
        "investigating": 0,
        "still_open": len(raised) - 2,
        "questions_asked": len(cycle["w47"]["questions"]),
        "questions_answered": 0,
        "questions_open": len(cycle["w47"]["questions"]),
        "median_days_to_answer": None,
    }
    assert "Track record" in cycle["w47_team"]


def test_answer_becomes_credited_knowledge(cycle: dict) -> None:
    doc = cycle["rerun"]
    ins = _by_id(doc)
    for iid in (ORDERS_DE, REVENUE_DE):  # the question covered both German changes
        k = [k for k in ins[iid]["evidence"]["knowledge"] if k["team"] == "Marketing"]
        assert k, iid
        assert k[0]["kind"] == "note"
        assert k[0]["title"] == "Our German newsletter with a 10% voucher went out on 16 Nov."
        assert k[0]["date"] == "2026-11-16"  # the start of the change window
        assert ins[iid]["question"] is None  # explained now: no longer asked
        assert [(v["team"], v["verdict"], v["source"]) for v in ins[iid]["verdicts"]] == [
            ("Marketing", "explained", "answer")
        ]
    assert cycle["question"]["id"] not in {q["id"] for q in doc["questions"]}
    html = cycle["rerun_team"]
    assert "Marketing answered" in html
    assert "Marketing note: Our German newsletter with a 10% voucher went out on 16 Nov." in html
    assert "Engineering investigating" in html


def test_track_record_after_answer(cycle: dict) -> None:
    raised = {i["id"] for i in cycle["w46"]["insights"]} | {
        i["id"] for i in cycle["w47"]["insights"]
    }
    raised |= {i["id"] for i in cycle["rerun"]["insights"]}
    tr = cycle["rerun"]["track_record"]
    asked = {q["id"] for q in cycle["w47"]["questions"]} | {
        q["id"] for q in cycle["rerun"]["questions"]
    }
    assert tr["insights_raised"] == len(raised)
    assert (tr["confirmed"], tr["refuted"], tr["explained"], tr["investigating"]) == (1, 1, 2, 1)
    assert tr["still_open"] == len(raised) - 4  # investigating is still open
    assert tr["questions_asked"] == len(asked)
    assert tr["questions_answered"] == 1
    assert tr["questions_open"] == len(asked) - 1
    assert tr["median_days_to_answer"] == 2.0
    assert "2.0 days to be answered" in cycle["rerun_team"]


def test_board_shows_verdicts_of_its_findings(cycle: dict) -> None:
    doc = cycle["rerun"]
    board_ids = doc["audiences"]["board"]["insight_ids"][:5]
    with_verdicts = [i for i in doc["insights"] if i["id"] in board_ids and i.get("verdicts")]
    for ins in with_verdicts:
        v = ins["verdicts"][-1]
        word = "answered" if v["source"] == "answer" else v["verdict"]
        assert f"{v['team']} {word}" in cycle["rerun_board"]


def test_digest_carries_answers_and_verdicts_like_the_board(cycle: dict) -> None:
    """After `answer` and `annotate`, the digest (digest.md and insights.json) says what the
    teams said about the board's findings, as the board does."""
    doc = cycle["rerun"]
    digest_md = (cycle["out"] / "2026-W47" / "digest.md").read_text(encoding="utf-8")
    assert digest_md.strip() == doc["digest"].strip()
    board_ids = doc["audiences"]["board"]["insight_ids"]
    said = [i for i in doc["insights"] if i["id"] in board_ids and i.get("verdicts")]
    assert said, "the sample's W47 board should hold a finding with a verdict"
    assert "What teams said:" in digest_md
    for ins in said[:5]:
        v = ins["verdicts"][-1]
        word = "answered" if v["source"] == "answer" else v["verdict"]
        assert f"{v['team']} {word}" in digest_md
        assert f"{v['team']} {word}" in cycle["rerun_board"]
    # the links stay the last line
    assert digest_md.strip().splitlines()[-1].startswith("Full report")
    assert "What teams said:" not in cycle["w46"]["digest"]


# ------------------------------------------------------------------ bad input, no writes
@pytest.fixture
def fake_reports(tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    build_run(out)
    history.record_run(out / history.DB_NAME, document())
    return out


def _rows(out: Path) -> tuple:
    con = sqlite3.connect(out / history.DB_NAME)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return tuple(
            con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] if t in tables else None
            for t in ("verdicts", "answers", "insights")
        )
    finally:
        con.close()


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["annotate", "{out}", "metric_change:checkout_conversion:al", "--team", "Eng"]
            + ["--verdict", "confirmed"],
            "Did you mean metric_change:checkout_conversion:all",
        ),
        (
            ["annotate", "{out}", "metric_change:checkout_conversion:all", "--team", "Eng"]
            + ["--verdict", "maybe"],
            "unknown verdict 'maybe'; use one of confirmed, refuted, explained, investigating",
        ),
        (
            ["annotate", "{out}", "metric_change:checkout_conversion:all", "--team", " "]
            + ["--verdict", "refuted"],
            "a team name is needed",
        ),
        (
            ["answer", "{out}", "q-signups-e", "--team", "M", "--note", "x"],
            "Did you mean q-signups-es",
        ),
        (["answer", "{out}", "q-signups-es", "--team", "M", "--note", " "], "needs a note"),
        (["annotate", "{out}", "--team", "M"], "annotate needs INSIGHT_ID, --verdict"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    fake_reports: Path, argv: list[str], message: str, capsys
) -> None:
    before = _rows(fake_reports)
    assert main([a.replace("{out}", str(fake_reports)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _rows(fake_reports) == before


def test_bad_csv_row_names_file_column_row_and_writes_nothing(fake_reports: Path) -> None:
    csv = fake_reports.parent / "verdicts.csv"
    csv.write_text(
        "kind,id,team,verdict,note\n"
        "verdict,metric_change:checkout_conversion:all,Engineering,confirmed,SDK bug\n"
        "answer,q-signups-es,Marketing,,Spanish TV spot on 17 Nov.\n"
        "verdict,anomaly:active_users:all,Product,wrong,\n",
        encoding="utf-8",
    )
    before = _rows(fake_reports)
    with pytest.raises(InputError) as exc:
        fl.import_csv(fake_reports, csv)
    assert str(exc.value).startswith("verdicts.csv, column 'verdict', row 3: unknown verdict")
    assert _rows(fake_reports) == before
    csv.write_text(csv.read_text().replace("wrong", "refuted"), encoding="utf-8")
    assert fl.import_csv(fake_reports, csv) == {"verdicts": 2, "answers": 1}
    assert _rows(fake_reports)[:2] == (2, 1)


def _downgrade_to_version_1(db: Path) -> None:
    """Make ``db`` what insightlib 0.1 wrote: runs and insights only, ``user_version`` 1."""
    con = sqlite3.connect(db)
    try:
        for table in ("verdicts", "answers", "questions"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("PRAGMA user_version = 1")
        con.commit()
    finally:
        con.close()


def test_old_history_file_keeps_working(fake_reports: Path) -> None:
    db = fake_reports / history.DB_NAME
    _downgrade_to_version_1(db)
    assert _rows(fake_reports)[:2] == (None, None)  # written before feedback_loop existed
    doc = fl.apply_learning(document(), db).to_dict()
    assert doc["track_record"]["insights_raised"] == len(doc["insights"])
    assert all(i["verdicts"] == [] for i in doc["insights"])
    fl.annotate(fake_reports, "anomaly:active_users:all", team="Product", verdict="explained",
                note="Bot traffic. Blocked on 20 Nov.")  # fmt: skip
    assert [r["label"] for r in history.runs(db)] == ["2026-W47"]  # history still reads
    con = sqlite3.connect(db)  # the write migrated the file to the current schema version
    assert con.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION == 2
    con.close()
    frame = fl.knowledge_from_answers(db, "Basketly", before=date(2026, 11, 30))
    assert list(frame.columns) == fl.KNOWLEDGE_COLUMNS
    row = frame.iloc[0]
    assert (row["team"], row["kind"], row["title"]) == ("Product", "note", "Bot traffic.")
    assert fl.knowledge_from_answers(db, "Basketly", before=date(2026, 11, 1)).empty


def test_notes_are_escaped_in_reports(fake_reports: Path) -> None:
    fl.annotate(fake_reports, "metric_change:checkout_conversion:all", team="<b>Eng</b>",
                verdict="confirmed", note="<script>alert(1)</script> fixed")  # fmt: skip
    doc = fl.apply_learning(document(), fake_reports / history.DB_NAME).to_dict()
    run_dir = build_run(fake_reports.parent / "again", doc=doc)
    run = report.open_run(run_dir)
    ins = run.insight("metric_change:checkout_conversion:all")
    for audience in ("team", "board"):
        html = views.finding_html(run, ins, audience)
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "&lt;b&gt;Eng&lt;/b&gt; confirmed" in html
    assert "Track record" in views.track_record_html(run)


def test_week1_answer_is_linked_by_week2_fusion(tmp_path: Path) -> None:
    """An answer about a W46 change in Germany explains the W47 change there (story fixtures)."""
    from fixtures_story import ID_DE, PERIOD, config, knowledge, qual, quant

    from insightlib.fuse import fuse

    out = tmp_path / "reports"
    w46 = document("2026-W46")
    w46["period"].update({"start": "2026-11-09", "end": "2026-11-15"})
    de = {"id": "metric_change:orders:country=DE", "kind": "metric_change", "metric": "orders",
          "segment": {"country": "DE"}, "window": {"start": "2026-11-09", "end": "2026-11-15"},
          "question": {"id": "q-de"}}  # fmt: skip
    w46["insights"] = [de]
    w46["questions"] = [{"id": "q-de", "team": "Marketing", "text": "?", "insight_id": de["id"]}]
    build_run(out, "2026-W46", doc=w46)
    fl.answer(out, "q-de", team="Marketing", note="Black Friday preview mailing in Germany.")
    db = out / history.DB_NAME
    before, _ = fuse(quant(), qual(), knowledge(), config(), PERIOD)
    assert not [k for k in {i.id: i for i in before}[ID_DE].evidence.knowledge if k.kind == "note"]
    merged = fl.merge_knowledge(knowledge(), db, "Basketly", PERIOD.end)
    after, _ = fuse(quant(), qual(), merged, config(), PERIOD)
    links = {i.id: i for i in after}[ID_DE].evidence.knowledge
    note = [k for k in links if k.team == "Marketing" and k.kind == "note"]
    assert note and note[0].date == date(2026, 11, 9)
    assert note[0].title == "Black Friday preview mailing in Germany."


def test_refuted_findings_rank_lower_before_the_board_is_picked(fake_reports: Path) -> None:
    from fixtures_story import PERIOD, config, knowledge, qual, quant

    from insightlib.narrate.assemble import build_document

    def doc(factors: dict[str, float] | None) -> dict:
        return build_document(quant=quant(), qual=qual(), knowledge=knowledge(), glossary=None,
                              config=config(), period=PERIOD, check=False,
                              score_factors=factors).to_dict()  # fmt: skip

    plain = doc(None)
    top = plain["audiences"]["board"]["insight_ids"][0]
    # the factor comes from the history database: the latest verdict on `top` is "refuted"
    fl.annotate(fake_reports, "metric_change:checkout_conversion:all", team="Eng",
                verdict="refuted", note="Tracking bug")  # fmt: skip
    db = fake_reports / history.DB_NAME
    factors = fl.score_factors(db, "Basketly", "2026-W48", "2026-11-23")
    assert factors == {"metric_change:checkout_conversion:all": fl.REFUTED_FACTOR}
    learned = doc({top: fl.REFUTED_FACTOR})
    before = {i["id"]: i["score"] for i in plain["insights"]}
    after = {i["id"]: i["score"] for i in learned["insights"]}
    assert after[top] == round(before[top] * fl.REFUTED_FACTOR, 4)
    assert learned["audiences"]["board"]["insight_ids"][0] != top
    assert [i["id"] for i in learned["insights"]] == sorted(after, key=lambda i: (-after[i], i))


def test_notes_and_answers_are_redacted_where_they_are_recorded(fake_reports: Path) -> None:
    rec = fl.annotate(fake_reports, "metric_change:checkout_conversion:all", team="Eng",
                      verdict="confirmed",
                      note="Gina Rossi (gina@example.com, +44 7700 900123) paid with "
                           "4111.1111.1111.1111; fixed in 5.2.1")  # fmt: skip
    assert rec["note"] == "[name] ([email], [phone]) paid with [card]; fixed in 5.2.1"
    ans = fl.answer(fake_reports, "q-signups-es", team="Marketing",
                    note="Ask John Smith, booking ref BK-482913")  # fmt: skip
    assert ans["note"] == "Ask [name], booking ref [ref]"
    con = sqlite3.connect(fake_reports / history.DB_NAME)
    try:
        stored = " ".join(r[0] for r in con.execute("SELECT note FROM verdicts UNION ALL "
                                                    "SELECT note FROM answers"))  # fmt: skip
    finally:
        con.close()
    for leaked in ("Gina", "gina@", "7700", "4111", "John", "BK-482913"):
        assert leaked not in stored
