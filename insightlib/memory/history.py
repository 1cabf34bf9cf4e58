"""The run history: which insights each run found, in a SQLite file in the reports root.

Every run records its insights with :func:`record_run`; before that, :func:`compare` tells the
next run which of its insights are new, which continue from the latest earlier run, and which
earlier insights were resolved (no longer hold). Insights are matched on their ``id``
(``kind:metric-or-theme:segment``), which fuse keeps stable across runs.

Runs are keyed on project and period label: re-running a period replaces its rows. Each write
is one transaction, so a crash leaves the file as it was before the run.

Examples
--------
>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / DB_NAME
>>> week = lambda label, start, ids: {"project": "P", "period": {"label": label,
...     "start": start, "end": start, "grain": "week"},
...     "insights": [{"id": i, "title": i, "kind": "trend"} for i in ids]}
>>> record_run(db, week("2026-W46", "2026-11-09", ["a", "b"]))
>>> h = compare(db, week("2026-W47", "2026-11-16", ["b", "c"]))
>>> h["previous"], h["new"], h["continuing"], [r["id"] for r in h["resolved"]]
('2026-W46', ['c'], ['b'], ['a'])
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from insightlib.document import InsightsDocument, as_document
from insightlib.errors import RunError
from insightlib.memory.store import DB_NAME, SCHEMA_VERSION, connect, transaction
from insightlib.model import segment_dict

__all__ = ["DB_NAME", "SCHEMA_VERSION", "record_run", "compare", "runs", "insights_of"]


def _period(doc: InsightsDocument) -> dict[str, str]:
    period = doc.period
    if not period.label:
        raise RunError("insights document has no period label; cannot record it in the history.")
    return {
        "label": period.label,
        "start": _iso(period.start),
        "end": _iso(period.end) or _iso(period.start),
        "grain": period.grain,
    }


def _iso(d: date) -> str:
    return "" if d == date.min else d.isoformat()


def record_run(
    db: str | os.PathLike[str],
    doc: InsightsDocument | Mapping[str, Any],
    *,
    con: sqlite3.Connection | None = None,
) -> None:
    """Record the insights of a run, replacing an earlier record of the same period.

    Parameters
    ----------
    db
        The history file, ``REPORTS_ROOT/history.sqlite`` (created if missing).
    doc
        The run's insights document (a dict in the ``insights.json`` shape is read as one).
    con
        An open :func:`~insightlib.memory.store.transaction` to write into (the publish step
        commits it together with the run folder); by default a transaction of its own.
    """
    doc = as_document(doc)
    period = _period(doc)
    project = doc.project
    rows = []
    for rank, ins in enumerate(doc.insights):
        rows.append(
            (
                project,
                period["label"],
                ins.id,
                rank,
                ins.kind,
                ins.title,
                ins.narrative.headline,
                ins.metric or ins.theme,
                json.dumps(segment_dict(ins.segment), sort_keys=True),
                ins.direction,
                None if ins.better is None else int(bool(ins.better)),
                ins.score,
            )
        )
    if con is None:
        with transaction(db) as own:
            record_run(db, doc, con=own)
        return
    con.execute("DELETE FROM runs WHERE project = ? AND label = ?", (project, period["label"]))
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project,
            period["label"],
            period["grain"],
            period["start"],
            period["end"],
            doc.title,
            len(rows),
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    # insights of a replaced run go with it (ON DELETE CASCADE)
    con.executemany(
        "INSERT OR REPLACE INTO insights VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _has_runs(con: sqlite3.Connection) -> bool:
    found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
    return con.execute(found).fetchone() is not None


def _previous(con: sqlite3.Connection, project: str, period: Mapping[str, str]) -> str | None:
    row = con.execute(
        "SELECT label FROM runs WHERE project = ? AND grain = ? AND period_start < ? "
        "ORDER BY period_start DESC, label DESC LIMIT 1",
        (project, period["grain"], period["start"]),
    ).fetchone()
    return row[0] if row else None


def compare(
    db: str | os.PathLike[str], doc: InsightsDocument | Mapping[str, Any]
) -> dict[str, Any]:
    """What changed since the latest earlier run of the same project and grain.

    Returns
    -------
    dict
        ``{"previous": label | None, "new": [ids], "continuing": [ids],
        "resolved": [{"id", "title", "kind", "period"}]}`` — the ``history`` of insights.json.
        Without an earlier run every insight is new and nothing is resolved. Nothing is
        written.
    """
    doc = as_document(doc)
    period = _period(doc)
    ids = [i.id for i in doc.insights]
    empty = {"previous": None, "new": ids, "continuing": [], "resolved": []}
    if not Path(db).exists():
        return empty
    with connect(db, write=False) as con:
        has_runs = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
        ).fetchone()
        if not has_runs:
            return empty
        project = doc.project
        previous = _previous(con, project, period)
        if previous is None:
            return empty
        before = con.execute(
            "SELECT id, title, kind FROM insights WHERE project = ? AND label = ? ORDER BY rank",
            (project, previous),
        ).fetchall()
    earlier = {row[0] for row in before}
    now = set(ids)
    return {
        "previous": previous,
        "new": [i for i in ids if i not in earlier],
        "continuing": [i for i in ids if i in earlier],
        "resolved": [
            {"id": i, "title": title, "kind": kind, "period": previous}
            for i, title, kind in before
            if i not in now
        ],
    }


def runs(db: str | os.PathLike[str], project: str | None = None) -> list[dict[str, Any]]:
    """The recorded runs, newest period first."""
    if not Path(db).exists():
        return []
    with connect(db, write=False) as con:
        if not _has_runs(con):  # a file whose first write was rolled back
            return []
        sql = (
            "SELECT project, label, grain, period_start, period_end, title, n_insights, "
            "recorded_at FROM runs"
        )
        args: tuple[Any, ...] = ()
        if project is not None:
            sql += " WHERE project = ?"
            args = (project,)
        rows = con.execute(sql + " ORDER BY period_start DESC, label DESC", args).fetchall()
    keys = ("project", "label", "grain", "start", "end", "title", "n_insights", "recorded_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def insights_of(db: str | os.PathLike[str], label: str, project: str = "") -> list[dict]:
    """The insights recorded for one run, in their order in the report."""
    if not Path(db).exists():
        return []
    with connect(db, write=False) as con:
        if not _has_runs(con):  # a file whose first write was rolled back
            return []
        rows = con.execute(
            "SELECT id, kind, title, headline, metric, segment, direction, better, score "
            "FROM insights WHERE project = ? AND label = ? ORDER BY rank",
            (project, label),
        ).fetchall()
    keys = ("id", "kind", "title", "headline", "metric", "segment", "direction", "better", "score")
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        d["segment"] = json.loads(d["segment"] or "{}")
        d["better"] = None if d["better"] is None else bool(d["better"])
        out.append(d)
    return out
