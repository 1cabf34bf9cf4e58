"""The whole CLI on the sample workspace, checked against the story planted in it."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from insightlib.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_run(sample_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    assert main(["run", str(sample_ws), "--out", str(out)]) == 0
    return out


def _doc(out: Path) -> dict:
    return json.loads((out / "2026-W47" / "insights.json").read_text())


def _find(doc: dict, kind: str, metric: str, segment: dict) -> dict | None:
    for ins in doc["insights"]:
        if ins["kind"] == kind and ins["metric"] == metric and ins["segment"] == segment:
            return ins
    return None


def test_run_folder_has_every_output(sample_run: Path) -> None:
    run = sample_run / "2026-W47"
    for name in ("insights.json", "run.json", "team.html", "board.html", "board.pdf", "digest.md"):
        assert (run / name).stat().st_size > 0, name
    assert (sample_run / "index.html").exists()
    info = json.loads((run / "run.json").read_text())
    assert set(info["timings_s"]) >= {"load", "quant", "qual", "fuse", "reports"}
    assert len(info["inputs"]["events"]["sha256"]) == 64
    assert not [p for p in sample_run.iterdir() if p.name.startswith((".tmp-", ".old-"))]


def test_a_run_leaves_the_imported_modules_out_of_full_collections(sample_run: Path) -> None:
    # the objects of pandas, Ibis, scipy ... are frozen once: full collections skip them
    assert gc.get_freeze_count() > 100_000


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) not installed")
def test_board_pdf_of_the_sample_fits_two_pages(sample_run: Path) -> None:
    """The real sample's board (scoreboard, four stories, questions) prints on at most 2 A4 pages."""
    done = subprocess.run(
        ["pdfinfo", sample_run / "2026-W47" / "board.pdf"],
        capture_output=True,
        text=True,
        check=True,
    )
    pages = int(re.search(r"^Pages:\s+(\d+)", done.stdout, flags=re.M).group(1))
    assert 1 <= pages <= 2


def test_latest_complete_week_is_reported(sample_run: Path) -> None:
    doc = _doc(sample_run)
    assert doc["period"] == {**doc["period"], "label": "2026-W47", "start": "2026-11-16"}
    assert doc["project"] == "Basketly"


def test_planted_story_android_signups(sample_run: Path) -> None:
    doc = _doc(sample_run)
    android = {"platform": "android"}
    overall = _find(doc, "metric_change", "signup_completion", {})
    assert overall is not None and overall["direction"] == "down"
    top = overall["evidence"]["drivers"][0]
    assert top["segment"] == android and top["share_of_change"] > 0.5
    driver = _find(doc, "segment_driver", "signup_completion", android)
    assert driver is not None and driver["direction"] == "down"
    assert driver["current"] < 0.5 < driver["baseline"]
    # the why: the complaint theme and Engineering's release are linked
    linked = driver["evidence"]
    assert "verification_code" in [t["id"] for t in linked["themes"]]
    assert any(k["team"] == "Engineering" and "5.2" in k["title"] for k in linked["knowledge"])
    emerging = [i for i in doc["insights"] if i["kind"] == "emerging_theme"]
    assert "verification_code" in [i["theme"] for i in emerging]


def test_other_planted_findings(sample_run: Path) -> None:
    doc = _doc(sample_run)
    kinds = {i["kind"] for i in doc["insights"]}
    assert {"metric_change", "segment_driver", "anomaly", "trend"} <= kinds
    anomalies = [i for i in doc["insights"] if i["kind"] == "anomaly"]
    assert any(i["segment"].get("platform") == "web" for i in anomalies)
    trends = [i for i in doc["insights"] if i["kind"] == "trend"]
    assert any(i["segment"].get("plan") == "plus" and i["direction"] == "up" for i in trends)
    de = [i for i in doc["insights"] if i["segment"].get("country") == "DE"]
    assert de and de[0]["direction"] == "up"
    assert any(q["team"] == "Marketing" for q in doc["questions"])


def test_distractors_are_not_reported(sample_run: Path) -> None:
    doc = _doc(sample_run)
    for ins in doc["insights"]:
        assert ins["segment"].get("country") not in ("FR", "IE"), ins["title"]
        for k in ins["evidence"]["knowledge"]:
            assert "newsletter" not in k["title"].lower(), ins["title"]
    themes = {t["id"]: t for t in doc["themes"]}
    emerging = {i["theme"] for i in doc["insights"] if i["kind"] == "emerging_theme"}
    late = [tid for tid, t in themes.items() if "late" in t["label"].lower()]
    assert late and not set(late) & emerging


def test_board_report_tells_the_story(sample_run: Path) -> None:
    html = (sample_run / "2026-W47" / "board.html").read_text()
    assert "Android" in html and "Engineering" in html
    assert "<script" not in html.lower()
    assert "cdn." not in html and "require.js" not in html


def test_rerun_replaces_the_period_and_keeps_history(sample_ws: Path, sample_run: Path) -> None:
    before = sorted(p.name for p in sample_run.iterdir())
    assert main(["run", str(sample_ws), "--out", str(sample_run), "--quiet"]) == 0
    assert sorted(p.name for p in sample_run.iterdir()) == before
    doc = _doc(sample_run)
    assert doc["history"]["previous"] in (None, "2026-W46")


def test_bad_input_exits_2_and_leaves_reports(sample_run: Path, tmp_path: Path, capsys) -> None:
    stamp = os.stat(sample_run / "2026-W47" / "insights.json").st_mtime_ns
    assert main(["run", str(tmp_path), "--out", str(sample_run)]) == 2
    assert "no insight.toml found" in capsys.readouterr().err
    assert os.stat(sample_run / "2026-W47" / "insights.json").st_mtime_ns == stamp


def test_team_report_carries_the_full_evidence(sample_run: Path) -> None:
    import html as htmllib
    import re

    page = (sample_run / "2026-W47" / "team.html").read_text()
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "verification code never arrives" in text
    assert "Android app 5.2 released" in text and "Engineering" in text
    assert "95% interval" in text and "Method:" in text
    assert page.count("<svg") >= 5
    # quotes shown to people are redacted: no raw e-mail address from the sample feedback
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)


def test_explore_notebook_on_the_sample(sample_run: Path, tmp_path: Path) -> None:
    import nbformat
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    root = Path(__file__).resolve().parents[1]
    pm.execute_notebook(
        str(root / "notebooks" / "explore.ipynb"),
        str(out),
        parameters={
            "run_dir": str(sample_run / "2026-W47"),
            "metric": "signup_completion",
            "segment": "platform=android",
            "period": "2026-W47",
        },
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert "error" not in [o.get("output_type") for o in outputs]
    kinds = [m for o in outputs for m in o.get("data", {})]
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 2
    # what the widgets show, driven the way a user would in JupyterLab
    from insightlib.report import explore
    from insightlib.report import runfolder as report

    run = report.open_run(sample_run / "2026-W47")
    ex = explore.MetricExplorer(run)
    ex.metric.value = "signup_completion"
    ex.segment.value = "platform=android"
    assert "<svg" in ex.view.value and "Sign-up completion fell on Android" in ex.view.value
    browser = explore.ThemeBrowser(run)
    browser.theme.value = "verification_code"
    assert "verification code" in browser.view.value.lower()
