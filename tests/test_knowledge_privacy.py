"""Other teams' notes are redacted once, at load: no later step holds their personal data.

A knowledge note naming a person, with her e-mail address and phone number, is loaded; the
loaded frame already holds only the redacted forms, and after a full run none of the raw
pieces is in insights.json, team.html, board.html or the digest (while the note itself, in
its redacted form, is there).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from insightlib.cli import main
from insightlib.workspace.load import load_workspace

RAW = ("Gina Rossi", "Gina", "gina.rossi@example.co.uk", "020 7946 0958", "BK-482913")
TITLE = "Hotfix shipped after a call with Gina Rossi"
DETAILS = "Reach her at gina.rossi@example.co.uk or on 020 7946 0958; booking ref BK-482913."


@pytest.fixture
def noted(tiny: Path) -> Path:
    kn = pd.read_csv(tiny / "knowledge.csv", dtype=str, keep_default_na=False)
    kn["details"] = ""
    kn.loc[len(kn)] = {"date": "2026-11-11", "team": "Support", "kind": "note", "title": TITLE,
                       "details": DETAILS, "segment": ""}  # fmt: skip
    kn.to_csv(tiny / "knowledge.csv", index=False)
    return tiny


def test_notes_are_redacted_when_loaded(noted: Path) -> None:
    kn = load_workspace(noted).knowledge
    row = kn[kn["team"] == "Support"].iloc[0]
    assert row["title"] == "Hotfix shipped after a call with [name]"
    assert row["details"] == "Reach her at [email] or on [phone]; booking ref [ref]."
    text = kn.to_csv()
    assert not [r for r in RAW if r in text]
    assert (noted / "knowledge.csv").read_text().count(
        "gina.rossi@example.co.uk"
    ) == 1  # input kept


def test_notes_reach_no_shared_output_with_personal_data(noted: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["run", str(noted), "--out", str(out), "-q"]) == 0
    run = next(p for p in out.iterdir() if p.is_dir() and (p / "insights.json").exists())
    doc = json.loads((run / "insights.json").read_text(encoding="utf-8"))
    assert "Hotfix shipped after a call with [name]" in json.dumps(doc)  # the note is there
    for name in ("insights.json", "team.html", "board.html", "digest.md"):
        text = (run / name).read_text(encoding="utf-8")
        assert not [r for r in RAW if r in text], name
