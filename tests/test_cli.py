"""The command line itself: help with descriptions and examples, did-you-mean, progress lines
with each step's time, and the final hint on a terminal only."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from insightlib import cli
from insightlib.cli import main


def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_is_plain_words_with_examples(capsys) -> None:
    out = _help(capsys)
    assert "``" not in out and "The insightlib command" not in out
    assert "plain-English insight reports" in out
    assert "examples:" in out and "insightlib run data/sample" in out
    for name in cli.COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\b", out, re.M), name


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_has_a_description_and_examples(capsys, name: str) -> None:
    out = _help(capsys, name)
    description, examples = cli.COMMANDS[name]
    assert description.split("\n")[0] in out
    assert "examples:" in out and f"insightlib {name}" in out.split("examples:")[1]
    assert "``" not in out


def test_a_mistyped_command_gets_a_suggestion(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["rnu", "x"])
    assert info.value.code == 2
    assert "Did you mean 'run'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["annotat", "x"])
    assert "Did you mean 'annotate'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["zzzzqq"])
    assert "Did you mean" not in capsys.readouterr().err


def test_progress_lines_carry_step_times_and_the_terminal_gets_a_hint(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    out = tmp_path / "reports"
    # not a terminal, --verbose: one plain line per finished step, with its time; no hint
    assert main(["run", str(tiny), "--out", str(out), "-v"]) == 0
    err = capsys.readouterr().err
    steps = re.findall(r"^\[(\d)/(\d)\] .+ \((\d+\.\d) s\)$", err, re.M)
    assert len(steps) >= 5 and steps[0][0] == "1" and steps[-1][0] == steps[-1][1]
    assert "Reports written to" in err and "index.html" not in err and "…" not in err
    # a terminal: the step's line first, its time added when it ends, then the hint
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["run", str(tiny), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    timed = re.findall(r"^\[(\d)/(\d)\] .+ … (\d+\.\d) s$", err, re.M)
    assert len(timed) == len(steps)
    assert err.rstrip().splitlines()[-1] == f"Open {out / 'index.html'} in a browser to read them."
    assert (out / "index.html").is_file()
