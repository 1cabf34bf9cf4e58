"""The bad-input corpus: each case gives a correct result or one clear error, nothing changed.

For every case in :mod:`corpus`, both ``insightlib check`` and ``insightlib run`` are called
through the CLI: a bad case exits 2 with one line naming the file (and column and row where they
apply), no traceback and no report written; an odd-but-valid case loads and gives the right
values. In every case, the input files' checksums are unchanged.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from corpus import BAD, ODD_BUT_OK, Case, build

from insightlib.cli import main
from insightlib.workspace.load import load_workspace


def _sums(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _earlier_reports(out: Path) -> dict[str, str]:
    """A reports root holding an earlier run (its files stand for any content); their sums."""
    run = out / "2026-W45"
    (run / "data").mkdir(parents=True)
    (run / "insights.json").write_text('{"schema_version": 1, "period": {"label": "2026-W45"}}')
    (run / "board.html").write_text("<p>earlier</p>")
    (run / "data" / "series.parquet").write_bytes(b"PAR1 earlier")
    (out / "index.html").write_text("<p>index</p>")
    (out / "history.sqlite").write_bytes(b"")
    return {k: v for k, v in _sums(out).items() if not k.startswith(".")}


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_bad_input_gives_one_clear_error(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = build(tmp_path / "ws", case)
    out = tmp_path / "reports"
    earlier = _earlier_reports(out)
    before = _sums(ws)
    for argv in (["check", str(ws)], ["run", str(ws), "--out", str(out)]):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        err = captured.err
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert err.startswith("insightlib: error: "), err
        assert re.search(case.error or "", err), f"{case.name}: {err!r}"
    assert _sums(ws) == before, "input files must not change"
    after = {k: v for k, v in _sums(out).items() if not k.startswith(".")}
    assert after == earlier, "earlier reports must not change"


def test_out_pointing_at_a_file_is_bad_input(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "reports.txt"
    target.write_text("not a folder")
    before = _sums(tiny)
    for out in (target, target / "sub"):
        assert main(["run", str(tiny), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert re.search(rf"{re.escape(str(out))}: --out (is a file|goes through the file)", err)
    assert target.read_text() == "not a folder" and _sums(tiny) == before


def test_a_field_beyond_the_documented_limit_names_its_line(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from insightlib.errors import DataError
    from insightlib.workspace import load

    monkeypatch.setattr(load, "MAX_FIELD_CHARS", 1024 * 1024)  # the real limit is 16 MiB
    with open(tiny / "feedback.csv", "a", encoding="utf-8") as fh:
        fh.write('big,2026-11-13T09:00:00Z,survey,"' + "x" * (1024 * 1024 + 10) + '",1\n')
    with pytest.raises(DataError, match=r"feedback\.csv: a field that starts on line 5 is longer"):
        load_workspace(tiny)


@pytest.mark.parametrize("case", ODD_BUT_OK, ids=lambda c: c.name)
def test_odd_but_valid_input_loads_correctly(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = build(tmp_path / "ws", case)
    before = _sums(ws)
    assert main(["check", str(ws)]) == 0, capsys.readouterr().err
    assert "Traceback" not in capsys.readouterr().err
    loaded = load_workspace(ws)
    assert case.check is None or case.check(loaded), (case.name, loaded.notes)
    assert _sums(ws) == before, "input files must not change"
