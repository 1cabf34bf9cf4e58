"""Odd shapes: too little data gets a clear error or an honest report, never invented findings.

Decisions (README, "Data safety"):

- **one week only** (or one day/month at the grain): there is nothing to compare with, so the
  run stops with exit code 2 and says so — no report is better than a report of nothing.
- **a single segment value, no feedback file, no knowledge file, too few users to test**: the
  run succeeds and the reports say what cannot be concluded: too little data to test a change,
  no customer feedback so no "why", a baseline that names only the weeks the data covers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_tiny

from insightlib.cli import main

pytestmark = pytest.mark.slow


def test_one_week_only_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ws = write_tiny(tmp_path / "ws")
    ev = pd.read_csv(ws / "events.csv", dtype=str, keep_default_na=False)
    ev[ev["timestamp"] >= "2026-11-09"].to_csv(ws / "events.csv", index=False)
    out = tmp_path / "reports"
    assert main(["run", str(ws), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "holds only one week up to 2026-W46" in err and "at least one earlier week" in err
    assert not (out / "2026-W46").exists()


@pytest.fixture(scope="module")
def bare_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No feedback, no knowledge, one platform, six users: nothing can be concluded."""
    base = tmp_path_factory.mktemp("bare")
    ws = write_tiny(base / "ws")
    toml = (ws / "insight.toml").read_text()
    toml = toml.replace('feedback = "feedback.csv"\n', "").replace(
        'knowledge = "knowledge.csv"\n', ""
    )
    (ws / "insight.toml").write_text(toml)
    (ws / "feedback.csv").unlink()
    (ws / "knowledge.csv").unlink()
    ev = pd.read_csv(ws / "events.csv", dtype=str, keep_default_na=False)
    ev.assign(platform="ios").to_csv(ws / "events.csv", index=False)
    out = base / "reports"
    assert main(["run", str(ws), "--out", str(out)]) == 0
    return out / "2026-W46"


def _text(html: str) -> str:
    import html as h
    import re

    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(h.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_no_findings_are_invented(bare_run: Path) -> None:
    doc = json.loads((bare_run / "insights.json").read_text())
    assert doc["insights"] == [] and doc["themes"] == [] and doc["questions"] == []
    assert doc["summary"]["nothing_found"] is True


def test_digest_says_what_cannot_be_concluded(bare_run: Path) -> None:
    digest = (bare_run / "digest.md").read_text()
    assert "Too little data to test for a change this week" in digest
    assert "no customer feedback, so we cannot say why" in digest
    assert "read what customers wrote" not in digest and "nothing stood out" not in digest


@pytest.mark.parametrize("name", ["team.html", "board.html"])
def test_reports_say_what_cannot_be_concluded(bare_run: Path, name: str) -> None:
    text = _text((bare_run / name).read_text())
    assert "too little data to test any change" in text
    assert "no customer feedback this period, so we cannot say why" in text
    assert "customer theme moved" not in text
    assert "every finding has a known explanation" not in text


def test_baseline_names_only_weeks_the_data_covers(bare_run: Path) -> None:
    doc = json.loads((bare_run / "insights.json").read_text())
    assert doc["baseline"]["start"] == "2026-11-02", doc["baseline"]
    text = _text((bare_run / "team.html").read_text())
    assert "12 Oct" not in text


def test_thousands_of_segment_values_run_without_inventing_findings(tmp_path: Path) -> None:
    """A segment column holding an id (3,000+ values): no blow-up, no segment tested alone."""
    ws = write_tiny(tmp_path / "ws")
    rows = []
    for d in pd.date_range("2026-11-02", "2026-11-15"):
        for u in range(300):
            rows.append((f"{d:%Y-%m-%d}T10:00:00Z", f"u{u}", "app_open", f"store-{u:04d}", ""))
            store = f"store-{(u * 7 + d.day) % 3000:04d}"
            rows.append((f"{d:%Y-%m-%d}T11:00:00Z", f"u{u}", "purchase", store, "3.5"))
    cols = ["timestamp", "user_id", "event", "platform", "revenue"]
    pd.DataFrame(rows, columns=cols).to_csv(ws / "events.csv", index=False)
    out = tmp_path / "reports"
    assert main(["run", str(ws), "--out", str(out)]) == 0
    doc = json.loads((out / "2026-W46" / "insights.json").read_text())
    assert doc["insights"] == []
