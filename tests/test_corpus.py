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


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_bad_input_gives_one_clear_error(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = build(tmp_path / "ws", case)
    out = tmp_path / "reports"
    before = _sums(ws)
    for argv in (["check", str(ws)], ["run", str(ws), "--out", str(out)]):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        err = captured.err
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert err.startswith("insightlib: error: "), err
        assert re.search(case.error or "", err), f"{case.name}: {err!r}"
    assert _sums(ws) == before, "input files must not change"
    assert not out.exists() or not any(p.name.startswith("2026") for p in out.iterdir())


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
