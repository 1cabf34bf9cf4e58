"""Publishing is one transaction: the run folder, history.sqlite and index.html always agree.

A staged run is published over an earlier one while a failure is injected, or the process is
killed (SIGKILL), at every named step of :func:`insightlib.pipeline.publish`. After the failure,
and after the next start's :func:`~insightlib.pipeline.recover`, the folder under the period's
name, the history rows and the index all show the same run — the earlier one when the history
commit had not happened, the new one when it had — the earlier run's files are byte-identical
when it is kept, and no staging leftovers remain. A reader holding a read transaction on
history.sqlite does not stop the publish (WAL mode); another writer holding it makes the publish
fail cleanly (exit 2), never lose the earlier report.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from insightlib import pipeline
from insightlib.errors import InputError
from insightlib.memory import history

LABEL = "2026-W46"
REPO = Path(__file__).resolve().parents[1]


def _make(folder: Path, which: str) -> Path:
    """A minimal run folder; ``which`` ("old"/"new") shows in its ids, headlines and run_id."""
    folder.mkdir(parents=True)
    ids = ["trend:a:all", "trend:b:all"] if which == "old" else ["trend:c:all"]
    doc = {
        "schema_version": 1,
        "project": "Tiny",
        "title": "Tiny",
        "period": {
            "label": LABEL,
            "start": "2026-11-09",
            "end": "2026-11-15",
            "grain": "week",
            "human": "the week of 9 November 2026",
        },
        "insights": [
            {
                "id": i,
                "title": f"{which} {i}",
                "kind": "trend",
                "narrative": {"headline": f"H-{which}-{i}"},
            }
            for i in ids
        ],
        "questions": [{"id": f"q-{which}", "insight_id": ids[0], "team": "Product"}],
    }
    (folder / "insights.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({"run_id": f"id-{which}"}), encoding="utf-8")
    (folder / "board.html").write_text(f"<p>{which}</p>", encoding="utf-8")
    return folder


def _doc(folder: Path) -> dict:
    return json.loads((folder / "insights.json").read_text(encoding="utf-8"))


def _publish(root: Path, which: str) -> None:
    stage = _make(root / f".tmp-{LABEL}-{which}", which)
    pipeline.publish(root, stage, _doc(stage))


def _state(root: Path) -> dict[str, str]:
    """Which run ("old", "new" or "none") the folder, the history and the index show."""
    dest = root / LABEL
    folder = pipeline._run_id(dest) if dest.exists() else None
    ids = [r["id"] for r in history.insights_of(root / history.DB_NAME, LABEL, "Tiny")]
    index = (
        (root / "index.html").read_text(encoding="utf-8") if (root / "index.html").exists() else ""
    )
    return {
        "folder": {"id-old": "old", "id-new": "new", None: "none"}[folder],
        "history": "new" if ids == ["trend:c:all"] else "old" if ids else "none",
        "index": "new" if "H-new" in index else "old" if "H-old" in index else "none",
    }


def _sums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _leftovers(root: Path) -> list[str]:
    return sorted(
        p.name for p in root.iterdir() if p.name.startswith((".tmp-", ".old-", ".publish-"))
    )


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    root = tmp_path / "reports"
    root.mkdir()
    _publish(root, "old")
    assert _state(root) == {"folder": "old", "history": "old", "index": "old"}
    return root


def _expected(step: str) -> str:
    return "new" if step == "committed" else "old"


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("step", pipeline.PUBLISH_STEPS + pipeline.FALLBACK_STEPS)
def test_a_failure_at_any_step_keeps_folder_history_and_index_in_agreement(
    earlier: Path, step: str, exchange: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if step in pipeline.FALLBACK_STEPS and exchange:
        pytest.skip("only the two-rename swap has this step")
    if not exchange:
        monkeypatch.setattr(pipeline, "_exchange", lambda a, b: False)
    before = _sums(earlier / LABEL)

    def fail(name: str) -> None:
        if name == step:
            raise OSError(f"injected failure at {name}")

    monkeypatch.setattr(pipeline, "_checkpoint", fail)
    with pytest.raises(OSError, match="injected"):
        _publish(earlier, "new")
    want = _expected(step)
    assert set(_state(earlier).values()) == {want}, (step, _state(earlier))
    if want == "old":
        assert _sums(earlier / LABEL) == before and not _leftovers(earlier)
    monkeypatch.setattr(pipeline, "_checkpoint", lambda name: None)
    pipeline.recover(earlier)
    assert set(_state(earlier).values()) == {want}
    assert not _leftovers(earlier)


_KILL = """
import os, signal, sys, json
from pathlib import Path
sys.path.insert(0, {tests!r})
import test_publish_txn as t
from insightlib import pipeline
step = {step!r}
if not {exchange!r}:
    pipeline._exchange = lambda a, b: False
def kill(name):
    if name == step:
        os.kill(os.getpid(), signal.SIGKILL)
pipeline._checkpoint = kill
t._publish(Path({root!r}), "new")
"""


def _kill_cases() -> list:
    """Every step with both swaps; each kill costs a fresh interpreter, so most are ``slow``."""
    fast = {("swapped", True), ("parked", False), ("committed", True)}
    out = []
    for step in pipeline.PUBLISH_STEPS + pipeline.FALLBACK_STEPS:
        for exchange in (True, False):
            if step in pipeline.FALLBACK_STEPS and exchange:
                continue
            marks = () if (step, exchange) in fast else (pytest.mark.slow,)
            name = f"{step}-{'exchange' if exchange else 'two-renames'}"
            out.append(pytest.param(step, exchange, marks=marks, id=name))
    return out


@pytest.mark.parametrize(("step", "exchange"), _kill_cases())
def test_a_kill_at_any_step_is_recovered_at_the_next_start(
    earlier: Path, step: str, exchange: bool
) -> None:
    before = _sums(earlier / LABEL)
    script = _KILL.format(
        tests=str(REPO / "tests"), step=step, exchange=exchange, root=str(earlier)
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    if step == "parked":  # the instant the two-rename swap exposes: only the parked folder
        assert not (earlier / LABEL).exists() and list(earlier.glob(f".old-{LABEL}-*"))
    done = pipeline.recover(earlier)
    want = _expected(step)
    assert set(_state(earlier).values()) == {want}, (step, done, _state(earlier))
    assert not _leftovers(earlier), _leftovers(earlier)
    if want == "old":
        assert _sums(earlier / LABEL) == before
    con = sqlite3.connect(earlier / history.DB_NAME)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


@pytest.mark.parametrize(
    "step", [pytest.param("swapped", marks=pytest.mark.slow), "index-replaced", "committed"]
)
def test_a_first_run_killed_mid_publish_leaves_nothing_half_made(tmp_path: Path, step: str) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    script = _KILL.format(tests=str(REPO / "tests"), step=step, exchange=True, root=str(root))
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    pipeline.recover(root)
    want = "new" if step == "committed" else "none"
    assert set(_state(root).values()) == {want}, _state(root)
    assert not _leftovers(root)


def _hold(db: Path, sql: str) -> sqlite3.Connection:
    """Another program's connection in an open transaction (``BEGIN`` + a read, or
    ``BEGIN IMMEDIATE``: a writer)."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute(sql)
    con.execute("SELECT count(*) FROM runs").fetchone()
    return con


def test_a_reader_holding_a_read_transaction_does_not_stop_a_rerun(
    earlier: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database browser or backup reading history.sqlite: the rerun publishes (WAL mode),
    and the reader keeps seeing the snapshot it started with."""
    monkeypatch.setenv("INSIGHTLIB_HISTORY_TIMEOUT", "0.1")
    reader = _hold(earlier / history.DB_NAME, "BEGIN")
    try:
        _publish(earlier, "new")
        assert _state(earlier) == {"folder": "new", "history": "new", "index": "new"}
        seen = reader.execute("SELECT id FROM insights ORDER BY id").fetchall()
        assert [r[0] for r in seen] == ["trend:a:all", "trend:b:all"]  # its own snapshot
        assert not _leftovers(earlier)
    finally:
        reader.execute("COMMIT")
        reader.close()
    mode = sqlite3.connect(earlier / history.DB_NAME).execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


@pytest.mark.parametrize("holder", ["writer", "reader-of-a-rollback-journal-file"])
def test_a_history_that_stays_locked_is_exit_2_and_costs_nothing(
    earlier: Path, monkeypatch: pytest.MonkeyPatch, holder: str
) -> None:
    """Another writer (or a reader of a file still in the older rollback-journal mode, which
    cannot switch while it is open) keeps the commit from happening: an InputError (exit 2)
    naming the file, and the earlier folder, history and index stay as they were."""
    monkeypatch.setenv("INSIGHTLIB_HISTORY_TIMEOUT", "0.1")
    db = earlier / history.DB_NAME
    if holder == "writer":
        other = _hold(db, "BEGIN IMMEDIATE")
    else:
        sqlite3.connect(db, isolation_level=None).execute("PRAGMA journal_mode = DELETE")
        other = _hold(db, "BEGIN")
    before = _sums(earlier / LABEL)
    index_before = (earlier / "index.html").read_bytes()
    try:
        with pytest.raises(InputError, match=r"history\.sqlite: the run history stayed locked"):
            _publish(earlier, "new")
        assert _state(earlier) == {"folder": "old", "history": "old", "index": "old"}
        assert _sums(earlier / LABEL) == before
        assert (earlier / "index.html").read_bytes() == index_before
        assert not _leftovers(earlier)
    finally:
        other.execute("ROLLBACK")
        other.close()
    _publish(earlier, "new")  # once it is gone the same publish goes through
    assert _state(earlier) == {"folder": "new", "history": "new", "index": "new"}


def test_a_parked_folder_from_an_older_insightlib_is_restored_not_deleted(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    parked = _make(root / f".old-{LABEL}-12345", "old")
    before = _sums(parked)
    assert pipeline.recover(root)
    assert _sums(root / LABEL) == before and not _leftovers(root)
    assert "H-old" in (root / "index.html").read_text(encoding="utf-8")


def test_the_swap_is_one_atomic_exchange_where_the_system_has_it(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not pipeline._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not available here")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"
