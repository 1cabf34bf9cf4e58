"""Close the loop with other teams: verdicts on insights, answers to questions, a track record.

Teams react to a report in two ways, both recorded in the run history (``history.sqlite`` in
the reports root) with the author team and the time:

- a **verdict** on an insight (``insightlib annotate REPORTS INSIGHT_ID --team T --verdict V``):
  ``confirmed``, ``refuted``, ``explained`` or ``investigating``, with an optional note;
- an **answer** to an open question (``insightlib answer REPORTS QUESTION_ID --team T --note``).
  An answer counts as an ``explained`` verdict on every insight the question was attached to.

Both can come in bulk from a CSV a team fills in (``insightlib annotate REPORTS --csv FILE``),
columns ``kind`` (``verdict`` | ``answer``), ``id``, ``team``, ``verdict``, ``note``; the file
is checked row by row (errors name the file, column and row) and written all-or-nothing.
Ids are the ones in ``insights.json``: ``insights[].id`` (``kind:metric:segment``) and
``questions[].id`` (``q-…``), looked up in the run folders of the reports root (newest period
first); an unknown id is an :class:`~insightlib.errors.InputError` listing close matches, and
nothing is written.

What the next run does with them
--------------------------------
**Knowledge.** Every answer, and every ``explained`` verdict that has a note, becomes an entry
of the knowledge log for later runs (:func:`knowledge_from_answers`), credited to the answering
team: ``kind = "note"``, ``title`` = the note's first sentence, ``details`` = the note,
``segment`` = the insight's segment, and ``date`` = the **start of the insight's change window**
(the day of an anomaly). The date is when the change began, not when the team wrote: fusion
links knowledge dated inside a change window or up to a week before it, so a change that carries
on next week is linked to the explanation automatically, while an answer written today would
fall after next week's window. Entries apply to runs whose period ends on or after that date.

**Verdicts in the reports.** Each insight carries ``verdicts`` (every verdict and answer on its
id, oldest first: ``team``, ``verdict``, ``note``, ``date``, ``period``, ``source``); the
team and board reports show them under the finding ("Engineering confirmed: …").

**Learning** (:func:`apply_learning`), on the finding pattern kind + metric-or-theme + segment,
which is exactly the insight id:

- a pattern whose latest verdict is ``refuted`` has its score multiplied by
  :data:`REFUTED_FACTOR` (0.5) before the audiences are picked (:func:`score_factors`, passed
  to fusion), so it ranks lower on the board and in the digest; ``learning`` on the insight
  says so;
- a pattern ``confirmed`` or ``explained`` in an *earlier* period that is found again gets
  ``recurrence: true`` and a ``recurrence_note`` ("Back again: Engineering confirmed this in
  2026-W46 …").

**Track record** (:func:`track_record`, ``track_record`` in insights.json, shown in the team
report): distinct insights raised by the project's runs (this one included), how many of them
carry each latest verdict, how many are still open (no verdict, or only ``investigating``),
questions asked/answered/open, and the median days from a question's first report to its
answer.
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
import sqlite3
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from insightlib.document import Insight, InsightsDocument, Learning, Verdict, as_document
from insightlib.errors import DataError, InputError
from insightlib.memory.store import DB_NAME, connect, transaction
from insightlib.model import event_day
from insightlib.text.redact import neutralise

__all__ = [
    "VERDICTS",
    "REFUTED_FACTOR",
    "annotate",
    "answer",
    "import_csv",
    "verdicts_of",
    "knowledge_from_answers",
    "merge_knowledge",
    "track_record",
    "link_record",
    "score_factors",
    "learn",
    "Learned",
    "apply_learning",
    "record_questions",
]

VERDICTS = ("confirmed", "refuted", "explained", "investigating")
SETTLED = ("confirmed", "refuted", "explained")
REFUTED_FACTOR = 0.5
MAX_NOTE = 2000
#: the knowledge frame's columns; ``answers`` names the insight ids an answer is about, so
#: fusion credits it to those changes even when its words differ from the metric's
KNOWLEDGE_COLUMNS = ["date", "team", "kind", "title", "details", "segment", "end_date", "answers"]


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _clean(text: Any) -> str:
    return neutralise(text).strip()


# ------------------------------------------------------------------------------ run folders
def _catalog(reports: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """Insights and questions of every run folder, the newest period winning."""
    if not reports.is_dir():
        raise InputError(f"{reports}: no such reports folder (the --out of insightlib run).")
    docs: list[InsightsDocument] = []
    for sub in reports.iterdir():
        path = sub / "insights.json"
        if sub.name.startswith(".") or not path.is_file():
            continue
        try:
            docs.append(InsightsDocument.from_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, InputError):
            continue
    docs.sort(key=lambda d: d.period.start, reverse=True)
    insights: dict[str, dict] = {}
    questions: dict[str, dict] = {}
    for doc in docs:
        label = doc.period.label
        by_id = {i.id: i for i in doc.insights}
        for iid, ins in by_id.items():
            insights.setdefault(iid, {"doc": doc, "period": label, "insight": ins})
        for q in doc.questions:
            if q.id in questions:
                continue
            covered = [i for i, x in by_id.items() if x.question and x.question.id == q.id]
            questions[q.id] = {
                "doc": doc,
                "period": label,
                "question": q,
                "insight": by_id.get(q.insight_id),
                "covered": sorted(set(covered) | {q.insight_id}),
            }
    if not docs:
        raise InputError(f"{reports}: holds no run (no <period>/insights.json); run first.")
    return insights, questions


def _unknown(what: str, value: str, known: list[str], where: Path, **loc: Any) -> InputError:
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    if not close and known:
        hint = f" Known {what}s include {', '.join(sorted(known)[:5])}."
    return InputError(f"unknown {what} {value!r} in the runs of {where}.{hint}", **loc)


def _window_start(ins: Insight | None) -> str:
    """When the insight's change began: the day of an anomaly, else its window's start."""
    if ins is None or ins.window_start == date.min:
        return ""
    return (event_day(ins) if ins.kind == "anomaly" else ins.window_start).isoformat()


def _segment_key(ins: Insight | None) -> str:
    return ins.segment_key if ins is not None else "all"


def _check_team(team: Any, **loc: Any) -> str:
    text = _clean(team)
    if not text:
        raise InputError("a team name is needed (who says this?).", **loc)
    if len(text) > 100:
        raise InputError("the team name is longer than 100 characters.", **loc)
    return text


def _check_note(note: Any, required: bool, **loc: Any) -> str | None:
    """The note as recorded: neutralised and with personal data redacted *here*, where it
    enters, so that no report, notebook, e-mail or history row built from it can leak it."""
    from insightlib.text.redact import redact

    text = _clean(note)
    if not text:
        if required:
            raise InputError("an answer needs a note (the answer itself).", **loc)
        return None
    if len(text) > MAX_NOTE:
        raise InputError(f"the note is longer than {MAX_NOTE} characters.", **loc)
    return redact(text)


def _verdict_row(cat, reports, insight_id, team, verdict, note, created, loc_id, loc_v, loc):
    insights, _ = cat
    v = str(verdict or "").strip().lower()
    if not v:
        raise InputError(f"a verdict is needed: one of {', '.join(VERDICTS)}.", **loc, **loc_v)
    if v not in VERDICTS:
        raise InputError(
            f"unknown verdict {verdict!r}; use one of {', '.join(VERDICTS)}.", **loc, **loc_v
        )
    iid = str(insight_id or "").strip()
    if iid not in insights:
        raise _unknown("insight id", iid, list(insights), reports, **loc, **loc_id)
    found = insights[iid]
    ins = found["insight"]
    return (
        found["doc"].project,
        iid,
        found["period"],
        _check_team(team, **loc, **({"column": "team"} if loc else {})),
        v,
        _check_note(note, False, **loc, **({"column": "note"} if loc else {})),
        created,
        _segment_key(ins),
        _window_start(ins),
    )


def _answer_row(cat, reports, question_id, team, note, created, loc_id, loc):
    _, questions = cat
    qid = str(question_id or "").strip()
    if qid not in questions:
        raise _unknown("question id", qid, list(questions), reports, **loc, **loc_id)
    found = questions[qid]
    ins = found["insight"]
    return (
        found["doc"].project,
        qid,
        found["question"].insight_id,
        json.dumps(found["covered"]),
        found["period"],
        _check_team(team, **loc, **({"column": "team"} if loc else {})),
        _check_note(note, True, **loc, **({"column": "note"} if loc else {})),
        created,
        _segment_key(ins),
        _window_start(ins),
    )


def _write(reports: Path, verdict_rows: list[tuple], answer_rows: list[tuple]) -> None:
    with transaction(reports / DB_NAME) as con:
        con.executemany("INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", verdict_rows)
        con.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", answer_rows)


def annotate(
    reports: str | os.PathLike[str],
    insight_id: str,
    *,
    team: str,
    verdict: str,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record ``team``'s verdict on an insight of a run in ``reports``; returns the record."""
    root = Path(reports)
    row = _verdict_row(_catalog(root), root, insight_id, team, verdict, note, _now(now), {}, {}, {})
    _write(root, [row], [])
    keys = ("project", "insight_id", "period", "team", "verdict", "note", "created_at")
    return dict(zip(keys, row[:7], strict=True))


def answer(
    reports: str | os.PathLike[str],
    question_id: str,
    *,
    team: str,
    note: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record ``team``'s answer to an open question of a run in ``reports``; returns it."""
    root = Path(reports)
    row = _answer_row(_catalog(root), root, question_id, team, note, _now(now), {}, {})
    _write(root, [], [row])
    keys = ("project", "question_id", "insight_id", "insight_ids", "period", "team", "note")
    out = dict(zip(keys, row[:7], strict=True))
    out["insight_ids"] = json.loads(out["insight_ids"])
    return out


def import_csv(
    reports: str | os.PathLike[str], path: str | os.PathLike[str], *, now: datetime | None = None
) -> dict[str, int]:
    """Record the verdicts and answers of a CSV (all rows or none); returns the counts."""
    root, src = Path(reports), Path(path)
    name = src.name
    try:
        with open(src, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            rows = [{(k or "").strip().lower(): v for k, v in r.items()} for r in reader]
    except FileNotFoundError:
        raise DataError("file not found.", file=str(src)) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read it as CSV ({exc}).", file=name) from None
    for col in ("kind", "id", "team"):
        if col not in header:
            raise DataError(
                "missing column; the CSV needs kind, id, team, verdict, note "
                "(kind = verdict or answer).",
                file=name,
                column=col,
            )
    if not rows:
        raise DataError("no rows: nothing to record.", file=name)
    cat = _catalog(root)
    created = _now(now)
    verdicts, answers = [], []
    for n, r in enumerate(rows, start=1):
        loc = {"file": name, "row": n}
        kind = str(r.get("kind") or "").strip().lower()
        if kind == "verdict":
            verdicts.append(
                _verdict_row(
                    cat,
                    root,
                    r.get("id"),
                    r.get("team"),
                    r.get("verdict"),
                    r.get("note"),
                    created,
                    {"column": "id"},
                    {"column": "verdict"},
                    loc,
                )
            )
        elif kind == "answer":
            answers.append(
                _answer_row(
                    cat,
                    root,
                    r.get("id"),
                    r.get("team"),
                    r.get("note"),
                    created,
                    {"column": "id"},
                    loc,
                )
            )
        else:
            raise DataError(
                f"kind must be 'verdict' or 'answer', not {r.get('kind')!r}.", column="kind", **loc
            )
    _write(root, verdicts, answers)
    return {"verdicts": len(verdicts), "answers": len(answers)}


# ------------------------------------------------------------------------------ reading
def _read(db: Path, sql: str, args: tuple) -> list[tuple]:
    """Rows of ``sql`` on the table it names after FROM; none if the file or table is missing."""
    table = re.search(r"\bFROM (\w+)", sql).group(1)  # type: ignore[union-attr]
    if not Path(db).exists():
        return []
    with connect(db, write=False) as con:
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return con.execute(sql, args).fetchall() if found else []


def verdicts_of(db: str | os.PathLike[str], project: str) -> list[dict[str, Any]]:
    """Every verdict and answer of ``project`` as verdicts, oldest first.

    Each: ``insight_id``, ``period``, ``team``, ``verdict``, ``note``, ``date`` (ISO time),
    ``source`` (``verdict`` | ``answer``), ``question_id``, ``segment``, ``window_start``.
    """
    out = []
    for iid, period, team, verdict, note, created, seg, start in _read(
        Path(db),
        "SELECT insight_id, period, team, verdict, note, created_at, segment, window_start "
        "FROM verdicts WHERE project = ?",
        (project,),
    ):
        out.append(
            {
                "insight_id": iid,
                "period": period,
                "team": team,
                "verdict": verdict,
                "note": note,
                "date": created,
                "source": "verdict",
                "question_id": None,
                "segment": seg,
                "window_start": start,
            }
        )
    for qid, iid, iids, period, team, note, created, seg, start in _read(
        Path(db),
        "SELECT question_id, insight_id, insight_ids, period, team, note, created_at, segment, "
        "window_start FROM answers WHERE project = ?",
        (project,),
    ):
        for one in json.loads(iids or "[]") or [iid]:
            out.append(
                {
                    "insight_id": one,
                    "period": period,
                    "team": team,
                    "verdict": "explained",
                    "note": note,
                    "date": created,
                    "source": "answer",
                    "question_id": qid,
                    "segment": seg,
                    "window_start": start,
                    "primary": one == iid,
                }
            )
    out.sort(key=lambda v: (v["date"], v["source"], v["insight_id"]))
    return out


def _first_sentence(note: str, limit: int = 120) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", note)
    text = (m.group(1) if m else note).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def knowledge_from_answers(
    db: str | os.PathLike[str], project: str, before: date | None = None
) -> pd.DataFrame:
    """Answers (and explained verdicts with a note) as knowledge entries, credited to the team.

    Shape of the knowledge frame (``date``, ``team``, ``kind``, ``title``, ``details``,
    ``segment``, ``end_date``); ``date`` is the start of the insight's change window, and only
    entries dated on or before ``before`` (the reported period's end) are returned.
    """
    rows = []
    seen: set[tuple] = set()
    verdicts = verdicts_of(db, project)
    about: dict[tuple, set[str]] = {}  # every insight an answer (or verdict note) is about
    for v in verdicts:
        if v["verdict"] == "explained" and v["note"]:
            k = (v["source"], v.get("question_id") or v["insight_id"], v["team"], v["note"])
            about.setdefault(k, set()).add(v["insight_id"])
    for v in verdicts:
        if v["verdict"] != "explained" or not v["note"]:
            continue
        if v["source"] == "answer" and not v.get("primary"):
            continue  # one entry per answer, not per covered insight
        try:
            day = date.fromisoformat(str(v["window_start"])[:10])
        except ValueError:
            continue
        if before is not None and day > before:
            continue
        seg = "" if v["segment"] in (None, "", "all") else v["segment"]
        key = (day, v["team"], v["note"], seg)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "date": day,
                "team": v["team"],
                "kind": "note",
                "title": _first_sentence(v["note"]),
                "details": v["note"],
                "segment": seg or None,
                "end_date": None,
                "answers": " ".join(
                    sorted(
                        about.get(
                            (
                                v["source"],
                                v.get("question_id") or v["insight_id"],
                                v["team"],
                                v["note"],
                            ),
                            {v["insight_id"]},
                        )
                    )
                ),
            }
        )
    return pd.DataFrame(rows, columns=KNOWLEDGE_COLUMNS)


def merge_knowledge(
    knowledge: pd.DataFrame | None, db: str | os.PathLike[str], project: str, before: date
) -> pd.DataFrame | None:
    """The workspace knowledge dated up to ``before`` (the reported period's end: a report
    never uses what was written later) plus :func:`knowledge_from_answers`."""
    if knowledge is not None and len(knowledge) and "date" in knowledge.columns:
        days = pd.to_datetime(knowledge["date"], errors="coerce").dt.date
        knowledge = knowledge[~(days > before).fillna(False).astype(bool)].reset_index(drop=True)
    extra = knowledge_from_answers(db, project, before)
    if extra.empty:
        return knowledge
    if knowledge is None or len(knowledge) == 0:
        return extra
    return pd.concat([knowledge.astype(object), extra.astype(object)], ignore_index=True)


def record_questions(
    db: str | os.PathLike[str],
    doc: InsightsDocument | Mapping[str, Any],
    *,
    con: sqlite3.Connection | None = None,
) -> None:
    """Remember when each question of a run was first asked (for days-to-answer).

    With ``con`` (an open ``store.transaction``) the rows join that transaction.
    """
    doc = as_document(doc)
    asked = _now(None)
    rows = [
        (doc.project, q.id, q.insight_id, q.team, doc.period.label, asked) for q in doc.questions
    ]
    if con is not None:
        con.executemany("INSERT OR IGNORE INTO questions VALUES (?, ?, ?, ?, ?, ?)", rows)
        return
    with transaction(db) as con:
        con.executemany("INSERT OR IGNORE INTO questions VALUES (?, ?, ?, ?, ?, ?)", rows)


def _latest(verdicts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for v in verdicts:  # oldest first: the last one wins
        latest[v["insight_id"]] = v
    return latest


def track_record(
    db: str | os.PathLike[str],
    project: str,
    doc: InsightsDocument | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The project's track record; ``doc`` (the current run) is counted in as well.

    As of the run's period: only runs, questions, verdicts and answers about periods starting
    no later than it count, so a backfilled earlier week shows the record as it stood then
    (and backfills in any order give the same reports)."""
    doc = as_document(doc) if doc is not None else None
    label = doc.period.label if doc else ""
    start = doc.period.start.isoformat() if doc and doc.period.start != date.min else ""
    starts = dict(
        _read(Path(db), "SELECT label, period_start FROM runs WHERE project = ?", (project,))
    )
    if label:
        starts[label] = start

    def upto(lbl: Any) -> bool:
        return not start or starts.get(str(lbl), "9999") <= start

    raised = {
        r[0]
        for r in _read(
            Path(db), "SELECT DISTINCT id, label FROM insights WHERE project = ?", (project,)
        )
        if upto(r[1])
    }
    raised |= {i.id for i in doc.insights} if doc else set()
    latest = _latest(
        [v for v in verdicts_of(db, project) if v["insight_id"] in raised and upto(v["period"])]
    )
    counts = {k: sum(1 for v in latest.values() if v["verdict"] == k) for k in VERDICTS}
    settled = sum(counts[k] for k in SETTLED)
    asked = {
        qid: at
        for qid, at, lbl in _read(
            Path(db),
            "SELECT question_id, asked_at, period FROM questions WHERE project = ?",
            (project,),
        )
        if upto(lbl)
    }
    for q in doc.questions if doc else ():
        asked.setdefault(q.id, _now(None))
    first_answer: dict[str, str] = {}
    for qid, created, lbl in _read(
        Path(db),
        "SELECT question_id, MIN(created_at), MIN(period) FROM answers WHERE project = ? "
        "GROUP BY question_id",
        (project,),
    ):
        if upto(lbl):
            first_answer[qid] = created
    days = []
    for qid, at in first_answer.items():
        if qid in asked:
            delta = datetime.fromisoformat(at) - datetime.fromisoformat(asked[qid])
            days.append(max(0.0, delta.total_seconds() / 86400))
    questions = set(asked) | set(first_answer)
    return {
        "insights_raised": len(raised),
        **counts,
        "still_open": len(raised) - settled,
        "questions_asked": len(questions),
        "questions_answered": len(first_answer),
        "questions_open": len(questions) - len(first_answer),
        "median_days_to_answer": round(statistics.median(days), 1) if days else None,
    }


def _public(v: Mapping[str, Any]) -> Verdict:
    return Verdict(
        team=v["team"],
        verdict=v["verdict"],
        note=v.get("note"),
        date=v.get("date"),
        period=v.get("period"),
        source=v.get("source") or "verdict",
        question_id=v.get("question_id"),
    )


def _verdicts_by_id(
    db: str | os.PathLike[str], project: str, label: str, start: str
) -> dict[str, list[dict[str, Any]]]:
    """Every verdict recorded up to the period starting ``start``, per insight id, oldest first."""
    periods = dict(
        _read(Path(db), "SELECT label, period_start FROM runs WHERE project = ?", (project,))
    )
    periods[label] = start
    by_id: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts_of(db, project):
        if periods.get(v["period"], "") <= start:
            by_id.setdefault(v["insight_id"], []).append(v)
    return by_id


def link_record(
    db: str | os.PathLike[str], project: str, label: str, start: str
) -> dict[tuple[str, str], float]:
    """The teams' past verdicts on credited notes: ``(team, kind) -> mean`` in -1..1.

    For each insight with a verdict up to this period, the note its run credited first (the
    run folders next to ``db``): ``confirmed`` counts +1 for that note's team and kind,
    ``refuted`` -1, ``explained`` +1 when the explaining team wrote the note, else -1 (the
    change had another explanation). Fusion adds a tenth of it to a candidate's rank.
    """
    if not Path(db).exists():
        return {}
    try:
        catalog, _ = _catalog(Path(db).parent)
    except InputError:
        return {}
    votes: dict[tuple[str, str], list[float]] = {}
    for iid, vs in _verdicts_by_id(db, project, label, start).items():
        v = vs[-1]
        ins = (catalog.get(iid) or {}).get("insight")
        links = [k for k in ins.evidence.knowledge if k.role == "cause"] if ins else []
        if not links or v["verdict"] not in ("confirmed", "refuted", "explained"):
            continue
        top = links[0]
        team, kind = top.team, top.kind
        if v["verdict"] == "explained":
            vote = 1.0 if str(v["team"]).lower() == team.lower() else -1.0
        else:
            vote = 1.0 if v["verdict"] == "confirmed" else -1.0
        votes.setdefault((team, kind), []).append(vote)
    return {k: sum(x) / len(x) for k, x in votes.items()}


def score_factors(
    db: str | os.PathLike[str], project: str, label: str, start: str
) -> dict[str, float]:
    """Score multipliers learned from verdicts, for fusion to apply before it picks what each
    audience sees: :data:`REFUTED_FACTOR` for a finding whose latest verdict is "refuted"."""
    if not Path(db).exists():
        return {}
    return {
        iid: REFUTED_FACTOR
        for iid, vs in _verdicts_by_id(db, project, label, start).items()
        if vs[-1]["verdict"] == "refuted"
    }


@dataclass(frozen=True)
class Learned:
    """What teams' verdicts say about a run's insights, per insight id (see
    :meth:`insightlib.document.InsightsDocument.remember`)."""

    verdicts: dict[str, tuple[Verdict, ...]]
    learning: dict[str, Learning]
    recurrence: dict[str, str]
    track_record: dict[str, Any]


def learn(doc: InsightsDocument, db: str | os.PathLike[str]) -> Learned:
    """Verdicts, learning, recurrence notes and the track record for a run's document.

    See the module docstring for the rules. Scores are not changed here: the pipeline passes
    :func:`score_factors` to fusion, so the board is picked from the learned ranking; this only
    says why (``learning``).
    """
    project, label = doc.project, doc.period.label
    by_id = _verdicts_by_id(db, project, label, doc.period.start.isoformat())
    verdicts: dict[str, tuple[Verdict, ...]] = {}
    learning: dict[str, Learning] = {}
    recurrence: dict[str, str] = {}
    for ins in doc.insights:
        mine = by_id.get(ins.id, [])
        verdicts[ins.id] = tuple(_public(v) for v in mine)
        if not mine:
            continue
        last = mine[-1]
        if last["verdict"] == "refuted":
            learning[ins.id] = Learning(
                REFUTED_FACTOR, f"{last['team']} refuted this finding in {last['period']}"
            )
        earlier = [
            v for v in mine if v["period"] != label and v["verdict"] in ("confirmed", "explained")
        ]
        if earlier and last["verdict"] != "refuted":
            e = earlier[-1]
            note = f": {e['note']}" if e.get("note") else ""
            recurrence[ins.id] = (
                f"Back again: {e['team']} {e['verdict']} this in {e['period']}{note}"
            )
    return Learned(verdicts, learning, recurrence, track_record(db, project, doc))


def apply_learning(
    doc: InsightsDocument | Mapping[str, Any], db: str | os.PathLike[str]
) -> InsightsDocument:
    """``doc`` with the verdicts, learning and track record of :func:`learn` (a new document)."""
    doc = as_document(doc)
    learned = learn(doc, db)
    return doc.remember(
        doc.history,
        verdicts=learned.verdicts,
        learning=learned.learning,
        recurrence=learned.recurrence,
        track_record=learned.track_record,
    )
