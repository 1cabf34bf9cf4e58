"""Workspaces without events (feedback only) or without feedback run; what needs the missing
input says so once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from insightlib.errors import ConfigError
from insightlib.narrate import assemble
from insightlib.qual import analyse as qual
from insightlib.quant import changes as quant
from insightlib.workspace.config import load_config
from insightlib.workspace.load import load_workspace
from insightlib.workspace.periods import parse_period


def _feedback_only(sample_ws: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "fb"
    ws.mkdir()
    shutil.copy(sample_ws / "feedback.csv", ws / "feedback.csv")
    (ws / "insight.toml").write_text(
        '[project]\nname = "Reviews"\n\n[sources]\nfeedback = "feedback.csv"\n'
    )
    return ws


def test_a_feedback_only_workspace_runs_and_says_numbers_were_not_checked(
    sample_ws: Path, tmp_path: Path
) -> None:
    ws = load_workspace(_feedback_only(sample_ws, tmp_path))
    assert ws.events is None and ws.config.metrics == {}
    assert ws.first_day < ws.last_day  # the feedback's days
    per = parse_period("2026-W47")
    q = quant.no_events()
    ql = qual.analyse_feedback(ws.feedback, ws.config, per)
    doc = assemble.build_document(
        quant=q, qual=ql, knowledge=ws.knowledge, glossary=ws.glossary, config=ws.config,
        period=per, provenance={"files": ws.files},
    ).to_dict()  # fmt: skip
    assert doc["summary"]["missing"][0] == (
        "Numbers: there is no events file, so no metrics were measured."
    )
    assert doc["summary"]["inputs_missing"] == ["events", "knowledge"]
    assert doc["metrics"] == [] and doc["summary"]["n_tests"] == 0
    assert "no event data, so no numbers were checked" in doc["digest"]
    assert any(i["kind"] == "emerging_theme" for i in doc["insights"])  # feedback still read


def test_a_workspace_without_feedback_says_so_once(sample_ws: Path) -> None:
    from insightlib.quant import engine

    ws = load_workspace(sample_ws)
    ws_cfg = ws.config
    per = parse_period("2026-W47")
    empty = ws.feedback.iloc[0:0]
    q = quant.analyse(engine.connect(ws.events), ws_cfg, per)
    doc = assemble.build_document(
        quant=q, qual=qual.analyse_feedback(empty, ws_cfg, per), knowledge=None, glossary=None,
        config=ws_cfg, period=per, provenance={"files": {}}, check=False,
    )  # fmt: skip
    assert doc.summary.missing == (
        "Customer words: there is no feedback, so nothing customers wrote was read.",
        "Other teams' notes: there is no knowledge log, so no finding was matched with a "
        "release, campaign or incident.",
    )
    assert len(doc.metrics) == len(ws_cfg.metrics)


def test_sources_need_events_or_feedback_and_metrics_need_events(tmp_path: Path) -> None:
    (tmp_path / "insight.toml").write_text(
        '[project]\nname = "X"\n\n[sources]\nglossary = "g.csv"\n'
    )
    with pytest.raises(ConfigError, match="events file .* feedback"):
        load_config(tmp_path)
    (tmp_path / "insight.toml").write_text(
        '[project]\nname = "X"\n\n[sources]\nfeedback = "f.csv"\n\n'
        '[metrics.users]\nkind = "distinct_users"\n'
    )
    with pytest.raises(ConfigError, match="need event data"):
        load_config(tmp_path)


# ============================================================================================
# Each section that needs a missing input says so, once, where the reader looks
# ============================================================================================
def _sections(doc, tmp_path: Path, audience: str) -> dict:
    import json

    from insightlib.report import views
    from insightlib.report.runfolder import open_run

    folder = tmp_path / f"run-{audience}"
    folder.mkdir(exist_ok=True)
    (folder / "insights.json").write_text(json.dumps(doc.to_dict()), encoding="utf-8")
    got = views.sections(open_run(folder), audience)
    return {k: "".join(v) if isinstance(v, list) else v for k, v in got.items()}


def _count(text: str, line: str) -> int:
    from html import escape

    return text.count(escape(line))


def test_without_feedback_or_knowledge_each_section_says_so_once(
    sample_ws: Path, tmp_path: Path
) -> None:
    from insightlib.quant import engine
    from insightlib.report.views import LACKING

    ws = load_workspace(sample_ws)
    per = parse_period("2026-W47")
    empty = ws.feedback.iloc[0:0]
    q = quant.analyse(engine.connect(ws.events), ws.config, per)
    doc = assemble.build_document(
        quant=q, qual=qual.analyse_feedback(empty, ws.config, per), knowledge=None,
        glossary=None, config=ws.config, period=per, provenance={"files": {}}, check=False,
    )  # fmt: skip
    assert doc.summary.inputs_missing == ("feedback", "knowledge")
    assert len([i for i in doc.insights if i.metric]) >= 2  # several findings, one line each
    for audience in ("team", "board"):
        page = _sections(doc, tmp_path, audience)
        assert _count(page["findings"], LACKING["feedback"]) == 1, audience
        assert _count(page["findings"], LACKING["knowledge"]) == 1, audience
        assert _count(page["questions"], LACKING["asks"]) == 1, audience
        assert _count(page["header"], LACKING["events"]) == 0
    team = _sections(doc, tmp_path, "team")
    assert _count(team["themes"], LACKING["themes"]) == 1
    assert "What customers talk about" in team["themes"]


def test_without_events_the_scoreboard_and_findings_say_so_once(
    sample_ws: Path, tmp_path: Path
) -> None:
    from insightlib.report.views import LACKING

    ws = load_workspace(_feedback_only(sample_ws, tmp_path))
    per = parse_period("2026-W47")
    doc = assemble.build_document(
        quant=quant.no_events(), qual=qual.analyse_feedback(ws.feedback, ws.config, per),
        knowledge=None, glossary=None, config=ws.config, period=per,
        provenance={"files": ws.files}, check=False,
    )  # fmt: skip
    for audience in ("team", "board"):
        page = _sections(doc, tmp_path, audience)
        assert _count(page["header"], LACKING["events"]) == 1, audience
        assert _count(page["findings"], LACKING["feedback"]) == 0
    team = _sections(doc, tmp_path, "team")
    assert _count(team["themes"], LACKING["themes"]) == 0  # the feedback is there


def test_with_every_input_no_section_says_one_is_missing(sample_run: Path) -> None:
    from insightlib.report import views
    from insightlib.report.runfolder import open_run

    run = open_run(sample_run)
    assert run.document.summary.inputs_missing == ()
    for audience in ("team", "board"):
        page = views.sections(run, audience)
        text = "".join("".join(v) if isinstance(v, list) else v for v in page.values())
        assert "missing-input" not in text, audience
