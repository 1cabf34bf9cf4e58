"""Nothing lost: a killed or failing run leaves earlier runs and the history intact; runs lock.

One earlier run of the ``tiny`` workspace is made; then a second run is killed (SIGKILL) while it
builds its reports, another fails inside the report step, and another meets a lock held by a
"concurrent" run. After each, the earlier run folder, ``index.html`` and ``history.sqlite`` are
byte-identical and the database passes ``PRAGMA integrity_check``; the next run cleans the
staging folder the killed run left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_tiny

from insightlib import pipeline
from insightlib.cli import main
from insightlib.report import publish as report

pytestmark = pytest.mark.slow
PERIOD = "2026-W46"


def _snapshot(out: Path) -> dict[str, str]:
    """sha256 of every published file under ``out`` (not the lock, not staging folders)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
        and p.name != pipeline.LOCK_NAME
        and not p.relative_to(out).parts[0].startswith((".tmp-", ".old-", ".publish-"))
    }


def _integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("interrupt")
    ws = write_tiny(base / "ws")
    out = base / "reports"
    assert main(["run", str(ws), "--out", str(out)]) == 0
    assert (out / PERIOD / "board.html").exists() and (out / "history.sqlite").exists()
    return ws, out


def test_a_killed_run_leaves_earlier_runs_intact(earlier: tuple[Path, Path]) -> None:
    ws, out = earlier
    before = _snapshot(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "insightlib", "run", str(ws), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[1],
    )
    deadline = time.monotonic() + 240
    killed_in_reports = False
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            stages = list(out.glob(".tmp-*"))
            # the report step has begun once insights.json is staged
            if stages and any((s / "insights.json").exists() for s in stages):
                os.kill(proc.pid, signal.SIGKILL)
                killed_in_reports = True
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None and not killed_in_reports:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert killed_in_reports, "the run finished before it could be killed in the report step"
    assert proc.returncode == -signal.SIGKILL
    assert list(out.glob(".tmp-*")), "the killed run should have left its staging folder"
    assert _snapshot(out) == before, "a killed run changed published files"
    assert _integrity(out / "history.sqlite") == "ok"

    # the next run succeeds, replaces the period and removes the stale staging folder
    assert main(["run", str(ws), "--out", str(out)]) == 0
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".old-*"))
    assert _integrity(out / "history.sqlite") == "ok"
    assert (out / PERIOD / "board.pdf").stat().st_size > 0


def test_a_failing_run_leaves_earlier_runs_intact(
    earlier: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    ws, out = earlier
    before = _snapshot(out)

    def broken(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(report, "build_reports", broken)
    assert main(["run", str(ws), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "disk full (simulated)" in err and "Earlier reports are untouched" in err
    assert "Traceback" not in err
    assert _snapshot(out) == before
    assert not list(out.glob(".tmp-*"))
    assert _integrity(out / "history.sqlite") == "ok"


def test_a_second_run_into_the_same_folder_is_refused(
    earlier: tuple[Path, Path], capsys: pytest.CaptureFixture
) -> None:
    ws, out = earlier
    before = _snapshot(out)
    with pipeline.reports_lock(out):  # a run in progress holds the lock
        assert main(["run", str(ws), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another insightlib run is writing to" in err, err
    assert _snapshot(out) == before
    assert _integrity(out / "history.sqlite") == "ok"


def test_a_writer_on_the_history_makes_a_rerun_fail_cleanly(
    earlier: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Another program holding a write transaction on history.sqlite: the rerun stops with
    exit 2 before anything is published and the earlier report stays whole."""
    ws, out = earlier
    before = _snapshot(out)
    monkeypatch.setenv("INSIGHTLIB_HISTORY_TIMEOUT", "0.2")
    writer = sqlite3.connect(out / "history.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert main(["run", str(ws), "--out", str(out)]) == 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    err = capsys.readouterr().err
    assert "history.sqlite: the run history stayed locked" in err, err
    assert "earlier reports are untouched" in err and "Traceback" not in err
    assert _snapshot(out) == before
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".publish-*"))


def test_a_reader_on_the_history_does_not_stop_a_rerun(
    earlier: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program holding a read transaction on history.sqlite (the adversarial case):
    the rerun publishes (the history is in WAL mode) and folder, history and index agree."""
    from insightlib.memory import history

    ws, out = earlier
    monkeypatch.setenv("INSIGHTLIB_HISTORY_TIMEOUT", "0.2")
    old_id = json.loads((out / PERIOD / "run.json").read_text())["run_id"]
    reader = sqlite3.connect(out / "history.sqlite", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM runs").fetchone()
    try:
        assert main(["run", str(ws), "--out", str(out)]) == 0
    finally:
        reader.execute("COMMIT")
        reader.close()
    doc = json.loads((out / PERIOD / "insights.json").read_text())
    assert json.loads((out / PERIOD / "run.json").read_text())["run_id"] != old_id
    rows = history.insights_of(out / "history.sqlite", PERIOD, doc["project"])
    assert [r["id"] for r in rows] == [i["id"] for i in doc["insights"]]
    assert _integrity(out / "history.sqlite") == "ok"
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".publish-*"))


def test_a_failing_history_write_leaves_earlier_runs_intact(
    earlier: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from insightlib.memory import history

    ws, out = earlier
    before = _snapshot(out)

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(history, "record_run", broken)
    assert main(["run", str(ws), "--out", str(out)]) == 1
    assert "disk I/O error (simulated)" in capsys.readouterr().err
    assert _snapshot(out) == before
    assert not list(out.glob(".tmp-*")) and not list(out.glob(".publish-*"))
