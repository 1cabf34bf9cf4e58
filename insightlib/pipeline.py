"""``insightlib run``: load → quant → qual → fuse/narrate → history → reports, atomically.

The run is built in a temporary folder next to its destination and renamed into place at the
end, under a lock on the reports root: a failed or killed run leaves earlier runs and the history
database as they were, and a second run into the same folder at the same time stops with a clear
message.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from insightlib import __version__
from insightlib.errors import InputError, RunError
from insightlib.workspace.load import Workspace, load_workspace
from insightlib.workspace.periods import Period, latest_complete, parse_period

__all__ = ["run", "choose_period", "reports_lock"]

Progress = Callable[[int, int, str], None]
LOCK_NAME = ".insightlib.lock"


def choose_period(ws: Workspace, label: str | None) -> Period:
    """The period to report on: ``label`` if given, else the latest complete one in the data."""
    cfg = ws.config
    if label:
        period = parse_period(label)
        if period.end < ws.first_day or period.start > ws.last_day:
            raise InputError(
                f"period {label} ({period.start} to {period.end}) is outside the data, which "
                f"covers {ws.first_day} to {ws.last_day}."
            )
        if period.end > ws.last_day:
            raise InputError(
                f"period {label} is not complete: the data ends on {ws.last_day}, the period "
                f"on {period.end}. Pick an earlier period."
            )
    else:
        period = latest_complete(ws.first_day, ws.last_day, cfg.grain)
    if period.previous().end < ws.first_day:
        raise InputError(
            f"the data ({ws.first_day} to {ws.last_day}) holds only one {period.grain} up to "
            f"{period.label}: a change needs at least one earlier {period.grain} to compare "
            "with. Add older data or use a finer grain."
        )
    return period


@contextmanager
def reports_lock(root: Path) -> Iterator[None]:
    """An exclusive lock on the reports root for the duration of a run."""
    root.mkdir(parents=True, exist_ok=True)
    fh = open(root / LOCK_NAME, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"another insightlib run is writing to {root} right now; wait for it to finish "
                "(or use another --out folder)."
            ) from None
        yield
    finally:
        fh.close()


def _baseline(ws: Workspace, per: Period) -> tuple[Any, Any]:
    """The baseline window the data really covers: up to ``baseline_periods`` complete periods
    before ``per``, fewer when the data starts later (so the reports never claim a comparison
    with periods that hold no data)."""
    k = ws.config.baseline_periods
    while k > 1 and per.previous(k).start < ws.first_day:
        k -= 1
    return per.previous(k).start, per.previous().end


def _clean_stale(root: Path) -> list[Path]:
    """Remove staging folders left by killed runs (``.tmp-*``, ``.old-*``).

    Called with the lock held, so no live run owns them.
    """
    gone = []
    for p in root.iterdir():
        if p.is_dir() and p.name.startswith((".tmp-", ".old-")):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
    return gone


def safe_json(doc: Any) -> str:
    """``doc`` as indented JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes.

    The data is the same, but user text in it cannot become markup if a tool pastes the JSON
    into a web page.
    """
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _replace_dir(stage: Path, dest: Path) -> None:
    """Move ``stage`` to ``dest``, replacing an earlier run of the same period."""
    if dest.exists():
        old = dest.with_name(f".old-{dest.name}-{os.getpid()}")
        os.replace(dest, old)
        os.replace(stage, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(stage, dest)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"insightlib": __version__}
    for pkg in ("pandas", "duckdb", "ibis-framework", "scikit-learn", "altair", "papermill"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def run(
    workspace: str | Path,
    *,
    period: str | None = None,
    out: str | Path = "reports",
    audiences: list[str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Run the whole flow on ``workspace`` and write ``out/<period label>/``.

    Returns the run folder. Raises :class:`InputError` for bad input (nothing is written) and
    :class:`RunError` or other exceptions for failures (earlier runs stay untouched).
    """
    from insightlib.memory import history
    from insightlib.memory import verdicts as feedback_loop
    from insightlib.narrate import assemble
    from insightlib.qual import analyse as qual
    from insightlib.quant import changes as quant
    from insightlib.quant import engine
    from insightlib.report import publish as report

    steps = [
        "Loading and checking the workspace",
        "Measuring metrics and changes",
        "Reading customer feedback",
        "Joining evidence and writing the story",
        "Comparing with earlier runs",
        "Building the reports",
        "Publishing",
    ]
    total = len(steps)
    timings: dict[str, float] = {}
    show = progress or (lambda *_: None)
    root = Path(out)
    started = datetime.now(UTC)

    def step(i: int) -> float:
        show(i + 1, total, steps[i])
        return time.perf_counter()

    t = step(0)
    ws = load_workspace(workspace)
    cfg = ws.config
    per = choose_period(ws, period)
    if audiences:
        unknown = [a for a in audiences if a not in cfg.audiences]
        if unknown:
            raise InputError(
                f"unknown audience {unknown[0]!r}; insight.toml defines "
                f"{', '.join(sorted(cfg.audiences))}."
            )
    timings["load"] = time.perf_counter() - t

    t = step(1)
    q = quant.analyse(engine.connect(ws.events), cfg, per)
    timings["quant"] = time.perf_counter() - t

    t = step(2)
    ql = qual.analyse_feedback(ws.feedback, cfg, per)
    timings["qual"] = time.perf_counter() - t

    t = step(3)
    parameters = {
        "period": per.label,
        "grain": per.grain,
        "alpha": cfg.alpha,
        "min_volume": cfg.min_volume,
        "baseline_periods": cfg.baseline_periods,
        "audiences": audiences or sorted(cfg.audiences),
    }
    doc = assemble.build_document(
        quant=q,
        qual=ql,
        # answers teams gave to earlier questions join the knowledge log (feedback_loop.py)
        knowledge=feedback_loop.merge_knowledge(
            ws.knowledge, root / history.DB_NAME, cfg.project, per.end
        ),
        glossary=ws.glossary,
        config=cfg,
        period=per,
        baseline=_baseline(ws, per),
        provenance={"files": ws.files, "parameters": parameters, "notes": list(ws.notes)},
        # refuted findings rank lower before the board is picked (feedback_loop.py)
        score_factors=feedback_loop.score_factors(
            root / history.DB_NAME, cfg.project, per.label, per.start.isoformat()
        ),
    )
    timings["fuse"] = time.perf_counter() - t

    with reports_lock(root):
        _clean_stale(root)
        stage = root / f".tmp-{per.label}-{os.getpid()}"
        shutil.rmtree(stage, ignore_errors=True)
        (stage / "data").mkdir(parents=True)
        try:
            t = step(4)
            db = root / history.DB_NAME
            doc["history"] = history.compare(db, doc)
            feedback_loop.apply_learning(doc, db, rescore=False)  # verdicts, track record
            continuing = set(doc["history"].get("continuing", []))
            for ins in doc["insights"]:
                ins["status"] = "continuing" if ins["id"] in continuing else "new"
            timings["history"] = time.perf_counter() - t

            t = step(5)
            (stage / "insights.json").write_text(safe_json(doc), encoding="utf-8")
            q.series.to_parquet(stage / "data" / "series.parquet", index=False)
            q.daily.to_parquet(stage / "data" / "daily.parquet", index=False)
            ql.theme_counts.to_parquet(stage / "data" / "theme_counts.parquet", index=False)
            (stage / "digest.md").write_text(doc["digest"] + "\n", encoding="utf-8")
            report.build_reports(stage, audiences=audiences, timings=timings)
            timings["reports"] = time.perf_counter() - t

            t = step(6)
            run_info: dict[str, Any] = {
                "period": per.label,
                "workspace": str(cfg.root),
                "started": started.isoformat(timespec="seconds"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "parameters": parameters,
                "inputs": ws.files,
                "versions": _versions(),
                "timings_s": {k: round(v, 3) for k, v in timings.items()},
                "notes": list(ws.notes),
            }
            (stage / "run.json").write_text(json.dumps(run_info, indent=2), encoding="utf-8")
            dest = root / per.label
            _replace_dir(stage, dest)
            history.record_run(db, doc)
            feedback_loop.record_questions(db, doc)
            report.write_index(root)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
    return root / per.label
