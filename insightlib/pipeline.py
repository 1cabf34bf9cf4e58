"""``insightlib run``: load → quant → qual → fuse/narrate → history → reports, atomically.

The run is built in a temporary folder next to its destination and renamed into place at the
end, under a lock on the reports root: a failed or killed run leaves earlier runs and the history
database as they were, and a second run into the same folder at the same time stops with a clear
message.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from insightlib import __version__
from insightlib.errors import InputError, RunError
from insightlib.workspace.load import Workspace, load_workspace
from insightlib.workspace.periods import Period, latest_complete, parse_period

if TYPE_CHECKING:
    from insightlib.document import InsightsDocument

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


def _check_out(root: Path) -> None:
    """``--out`` must be a folder (or not exist yet), not a file or a path through a file."""
    for p in (root, *root.parents):
        if p.exists():
            if not p.is_dir():
                where = "is a file" if p == root else f"goes through the file {p}"
                raise InputError(
                    f"--out {where}; it must name a folder for the reports (e.g. reports).",
                    file=str(root),
                )
            return


@contextmanager
def reports_lock(root: Path) -> Iterator[None]:
    """An exclusive lock on the reports root for the duration of a run."""
    _check_out(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the reports folder: {exc.strerror or exc}; pass another --out.",
            file=str(root),
        ) from None
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


# ------------------------------------------------------------------------------ publishing
#
# A run is published as one transaction over three things that must agree: the run folder
# ``ROOT/<label>``, its rows in ``history.sqlite`` and ``index.html``.
#
#  1. the run is built in ``.tmp-<label>-<pid>`` and the new index in ``.tmp-index-<pid>.html``;
#  2. a journal ``.publish-<label>-<pid>.json`` names them (and the run's ``run_id``);
#  3. the history rows are written in an open transaction (nothing committed yet);
#  4. the folders are swapped: ``renameat2(RENAME_EXCHANGE)`` where the system has it, so the
#     label names the old or the new folder at every instant (elsewhere two renames, the old
#     folder parked as ``.old-<label>-<pid>``);
#  5. the index is renamed into place; 6. the history is committed (busy timeout + retry);
#  7. the old folder and the journal are removed.
#
# A failure in 3-6 rolls the folder and the index back and the history transaction with them.
# A kill leaves the journal: the next run (:func:`recover`) keeps the new folder if the history
# holds exactly its insights (the commit happened) and the old one otherwise, removes the other,
# and rewrites the index from the folders.

JOURNAL_PREFIX = ".publish-"
#: The named points of the publish transaction, in order (tests fail or kill a run at each).
PUBLISH_STEPS = ("staged", "journal", "history-written", "swapped", "index-replaced", "committed")
#: Only where the folders are swapped by two renames: between them.
FALLBACK_STEPS = ("parked",)


def _checkpoint(step: str) -> None:
    """Called at each of :data:`PUBLISH_STEPS`; does nothing (tests replace it)."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``).

    Returns False where the system or file system cannot (the caller then renames twice).
    """
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _swap_in(new: Path, dest: Path, park: Path) -> Path | None:
    """Put folder ``new`` under the name ``dest``; return where the folder ``dest`` held before
    now is (``new``'s old name after an exchange, else ``park``), or None if there was none."""
    if not dest.exists():
        os.replace(new, dest)
        return None
    if _exchange(new, dest):
        return new
    os.replace(dest, park)  # a kill here leaves only park: recover() renames it back
    try:
        _checkpoint("parked")
        os.replace(new, dest)
    except BaseException:
        os.replace(park, dest)
        raise
    return park


def _run_id(folder: Path) -> str | None:
    try:
        return json.loads((folder / "run.json").read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None


def _history_holds(db: Path, folder: Path) -> bool:
    """True when the history's record of the folder's period is exactly the folder's insights."""
    from insightlib.document import InsightsDocument
    from insightlib.memory import history

    try:
        text = (folder / "insights.json").read_text(encoding="utf-8")
        doc = InsightsDocument.from_json(text)
    except (OSError, ValueError, InputError):
        return False
    label, project = doc.period.label, doc.project
    try:
        if not any(r["label"] == label for r in history.runs(db, project)):
            return False
        rows = history.insights_of(db, label, project)
    except sqlite3.OperationalError as exc:  # a history that never got its first commit
        if "no such table" in str(exc):
            return False
        raise
    want = [(i.id, i.title, i.narrative.headline) for i in doc.insights]
    return want == [(r["id"], r["title"], r["headline"]) for r in rows]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def recover(root: Path) -> list[str]:
    """Finish or undo publishes that a killed run left half done; returns what was done.

    Called with the reports lock held, so no live run owns the leftovers. For each journal the
    folder the history agrees with is kept under the label and the other removed; a parked
    ``.old-<label>-…`` folder whose label is missing (a kill between two renames) is renamed
    back, never deleted; staging folders and files without a journal are removed; the index is
    rewritten from the folders when anything changed.
    """
    from insightlib.memory import history
    from insightlib.report import publish as report

    done: list[str] = []
    if not root.is_dir():
        return done
    db = root / history.DB_NAME
    for journal in sorted(root.glob(f"{JOURNAL_PREFIX}*.json")):
        try:
            j = json.loads(journal.read_text(encoding="utf-8"))
            label, run_id = str(j["label"]), str(j["run_id"])
            cands = [root / label, root / str(j["stage"]), root / str(j["park"])]
        except (OSError, ValueError, KeyError, TypeError):
            journal.unlink()  # written atomically: unreadable means not ours
            continue
        dest = cands[0]
        present = [c for c in cands if c.is_dir()]
        new = next((c for c in present if _run_id(c) == run_id), None)
        old = next((c for c in present if c != new), None)
        keep = new if new is not None and _history_holds(db, new) else old
        if keep is not None and keep != dest:
            _swap_in(keep, dest, root / f".old-{label}-{os.getpid()}")
        elif keep is None and dest.exists():
            os.replace(dest, cands[1])  # the run never committed and had no earlier folder
        for c in cands[1:]:
            _remove(c)
        journal.unlink()
        which = "no" if keep is None else "the new" if keep is new else "the earlier"
        done.append(f"{label}: kept {which} run folder")
    for p in sorted(root.iterdir()):
        if p.name.startswith(".old-") and p.is_dir():
            label = p.name[len(".old-") :].rsplit("-", 1)[0]
            if label and not (root / label).exists():
                os.replace(p, root / label)  # a kill between two renames: put it back
                done.append(f"{label}: restored the earlier run")
            else:
                _remove(p)
        elif p.name.startswith(".tmp-"):
            _remove(p)
    if done:
        report.write_index(root)
    return done


def publish(root: Path, stage: Path, doc: InsightsDocument | Mapping[str, Any]) -> Path:
    """Publish the staged run folder ``stage`` as ``root/<label>`` with its history rows and
    the index, as one transaction (see the comment above). Returns the run folder."""
    from insightlib.document import as_document
    from insightlib.memory import history, store
    from insightlib.memory import verdicts as feedback_loop
    from insightlib.report import publish as report

    doc = as_document(doc)
    label = doc.period.label
    pid = os.getpid()
    dest, park = root / label, root / f".old-{label}-{pid}"
    db = root / history.DB_NAME
    index, index_tmp = root / "index.html", root / f".tmp-index-{pid}.html"
    journal = root / f"{JOURNAL_PREFIX}{label}-{pid}.json"
    parked: Path | None = None
    swapped = False
    old_index = index.read_bytes() if index.exists() else None
    try:
        report.write_index(root, replace={label: stage}, target=index_tmp)
        _checkpoint("staged")
        payload = {"label": label, "run_id": _run_id(stage), "stage": stage.name, "park": park.name}
        tmp = root / f".tmp-journal-{pid}.json"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)
        _checkpoint("journal")
        # the history commits when the block ends (busy timeout and retry in store.py)
        with store.transaction(db) as con:
            history.record_run(db, doc, con=con)
            feedback_loop.record_questions(db, doc, con=con)
            _checkpoint("history-written")
            parked = _swap_in(stage, dest, park)
            swapped = True
            _checkpoint("swapped")
            os.replace(index_tmp, index)
            _checkpoint("index-replaced")
    except BaseException:
        # the history transaction is rolled back; put the earlier folder and index back
        if swapped:
            if parked is not None:
                _swap_in(parked, dest, root / f".old-back-{label}-{pid}")
                _remove(parked)  # after the swap back it holds the new run
                _remove(root / f".old-back-{label}-{pid}")
            else:
                _remove(dest)
            if old_index is None:
                index.unlink(missing_ok=True)
            else:
                report._write_atomic(index, old_index)
        _remove(stage)
        index_tmp.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)
        raise
    # committed: from here on the new run stands; a kill or failure before the journal is
    # gone only leaves the earlier folder for recover() to remove
    _checkpoint("committed")
    if parked is not None:
        _remove(parked)
    journal.unlink(missing_ok=True)
    return dest


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
    :class:`RunError` or other exceptions for failures (earlier runs stay untouched). The texts
    are written in the workspace's ``[report] locale`` and ``[segments.labels]``; what the
    caller had in use is back afterwards.
    """
    from insightlib.text import numbers as tf

    before = tf.current()
    try:
        return _run(workspace, period=period, out=out, audiences=audiences, progress=progress)
    finally:
        tf.restore(before)


_FROZEN = False


def _freeze_imports() -> None:
    """Leave the objects of the modules imported so far (a few hundred thousand: pandas, Ibis,
    scipy, ...) out of the garbage collector's full passes, once per process: they live as
    long as the process. In a 1M-event run (``benchmarks/bench_run.py``, load 8.5) the full
    passes took 1.0 s in all (two passes); with them frozen 0.5-0.6 s (four, smaller)."""
    global _FROZEN
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True


def _run(
    workspace: str | Path,
    *,
    period: str | None,
    out: str | Path,
    audiences: list[str] | None,
    progress: Progress | None,
) -> Path:
    from dataclasses import replace

    from insightlib.document import History
    from insightlib.memory import history
    from insightlib.memory import verdicts as feedback_loop
    from insightlib.narrate import assemble
    from insightlib.narrate.digest import with_verdicts
    from insightlib.qual import analyse as qual
    from insightlib.quant import changes as quant
    from insightlib.quant import engine
    from insightlib.report import publish as report
    from insightlib.text import numbers as tf
    from insightlib.text.redact import inert_markup

    _freeze_imports()
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
    _check_out(root)  # before the slow steps
    started = datetime.now(UTC)

    def step(i: int) -> float:
        show(i + 1, total, steps[i])
        return time.perf_counter()

    t = step(0)
    ws = load_workspace(workspace)
    cfg = ws.config
    tf.use(cfg.locale, cfg.segment_labels)  # every text below names and formats by them
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
    if ws.events is None:  # feedback only: nothing to measure (each section says so)
        q = quant.no_events()
    else:
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
        provenance={
            "files": ws.files,
            "parameters": parameters,
            "notes": list(ws.notes),
            # the reports format and name segments as the texts did (runfolder.open_run)
            "presentation": tf.presentation(cfg.locale, cfg.segment_labels),
        },
        # refuted findings rank lower before the board is picked (feedback_loop.py)
        score_factors=feedback_loop.score_factors(
            root / history.DB_NAME, cfg.project, per.label, per.start.isoformat()
        ),
        # the teams' past verdicts on credited notes move candidate causes (issue 19)
        link_record=feedback_loop.link_record(
            root / history.DB_NAME, cfg.project, per.label, per.start.isoformat()
        ),
        segment_rows=ws.segment_rows,  # a note on a segment value names its row
    )
    timings["fuse"] = time.perf_counter() - t

    with reports_lock(root):
        recover(root)
        stage = root / f".tmp-{per.label}-{os.getpid()}"
        shutil.rmtree(stage, ignore_errors=True)
        (stage / "data").mkdir(parents=True)
        try:
            t = step(4)
            db = root / history.DB_NAME
            learned = feedback_loop.learn(doc, db)  # verdicts, track record
            doc = doc.remember(
                History.from_dict(history.compare(db, doc)),
                verdicts=learned.verdicts,
                learning=learned.learning,
                recurrence=learned.recurrence,
                track_record=learned.track_record,
            )
            # the digest says what teams said about the board's findings, as the board does
            doc = replace(doc, digest=inert_markup(with_verdicts(doc.digest, doc)))
            timings["history"] = time.perf_counter() - t

            t = step(5)
            (stage / "insights.json").write_text(doc.to_json(), encoding="utf-8")
            q.series.to_parquet(stage / "data" / "series.parquet", index=False)
            q.daily.to_parquet(stage / "data" / "daily.parquet", index=False)
            ql.theme_counts.to_parquet(stage / "data" / "theme_counts.parquet", index=False)
            (stage / "digest.md").write_text(doc.digest + "\n", encoding="utf-8")
            report.build_reports(stage, audiences=audiences, timings=timings)
            timings["reports"] = time.perf_counter() - t

            t = step(6)
            run_info: dict[str, Any] = {
                "run_id": uuid.uuid4().hex,
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
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        try:
            return publish(root, stage, doc)
        except RunError as exc:
            raise RunError(f"{exc} Nothing was published; earlier reports are untouched.") from None
        except InputError as exc:  # e.g. another program writing to history.sqlite
            raise InputError(
                f"{exc} Nothing was published; earlier reports are untouched."
            ) from None
