"""Shared fixtures: a tiny hand-made workspace and the bundled sample (generated once)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# CI runs the property-based tests with a fixed seed, so a green build stays green; locally they
# explore new examples on every run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TOML = """
[project]
name = "Tiny"

[sources]
events = "events.csv"
feedback = "feedback.csv"
knowledge = "knowledge.csv"
glossary = "glossary.csv"

[segments]
columns = ["platform"]

[metrics.active_users]
kind = "distinct_users"
label = "Active users"

[metrics.revenue]
kind = "sum"
event = "purchase"
column = "revenue"
label = "Revenue"
unit = "USD"

[report]
grain = "week"
"""


def write_tiny(root: Path, toml: str = TOML) -> Path:
    """A small valid workspace in CSV: two weeks of events, feedback, knowledge, glossary."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "insight.toml").write_text(textwrap.dedent(toml))
    rows = []
    for day in pd.date_range("2026-11-02", "2026-11-15", freq="D"):
        for u in range(6):
            plat = ("ios", "android", "web")[u % 3]
            rows.append((f"{day:%Y-%m-%d}T10:0{u}:00Z", f"u{u}", "app_open", plat, ""))
            rows.append((f"{day:%Y-%m-%d}T11:0{u}:00Z", f"u{u}", "purchase", plat, "12.5"))
    pd.DataFrame(rows, columns=["timestamp", "user_id", "event", "platform", "revenue"]).to_csv(
        root / "events.csv", index=False
    )
    pd.DataFrame(
        {
            "id": ["f1", "f2", "f3"],
            "created_at": ["2026-11-03T09:00:00Z", "2026-11-10T09:00:00Z", "2026-11-12"],
            "source": ["nps", "support_ticket", "survey"],
            "text": ["Love it", "The code never arrives", ""],
            "score": ["9", "", ""],
        }
    ).to_csv(root / "feedback.csv", index=False)
    pd.DataFrame(
        {
            "date": ["2026-11-10"],
            "team": ["Engineering"],
            "kind": ["release"],
            "title": ["App 2.0"],
            "segment": ["platform=android"],
        }
    ).to_csv(root / "knowledge.csv", index=False)
    pd.DataFrame({"term": ["CVR"], "plain": ["conversion rate"]}).to_csv(
        root / "glossary.csv", index=False
    )
    return root


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "ws")


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample workspace, generated once per test session."""
    from insightlib.sample.story import write_sample

    return write_sample(tmp_path_factory.mktemp("sample") / "ws")


@pytest.fixture(scope="session")
def sample_run(sample_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder written by the real pipeline on the bundled sample, generated once per
    session: insights.json, data/*.parquet, digest.md, run.json (the notebooks and their HTML
    and PDF are not built here; tests that need them build them on a copy)."""
    from insightlib import pipeline
    from insightlib.report import publish

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(publish, "build_reports", lambda *args, **kwargs: None)
        return pipeline.run(sample_ws, out=tmp_path_factory.mktemp("sample_run") / "reports")


@pytest.fixture(scope="session")
def sample_reports(sample_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole sample run with its reports (board, team, digest, index), once per session.

    The sample's ``free`` plan is renamed ``free_trial`` in its events and feedback, so the
    tests can check that no raw segment value reaches a reader (issue 14). Returns the run
    folder.
    """
    import shutil

    from insightlib import pipeline

    ws = tmp_path_factory.mktemp("sample_reports") / "ws"
    shutil.copytree(sample_ws, ws)
    events = pd.read_parquet(ws / "events.parquet")
    events["plan"] = events["plan"].replace({"free": "free_trial"})
    events.to_parquet(ws / "events.parquet", index=False)
    feedback = pd.read_csv(ws / "feedback.csv", dtype=str, keep_default_na=False)
    feedback["plan"] = feedback["plan"].replace({"free": "free_trial"})
    feedback.to_csv(ws / "feedback.csv", index=False)
    return pipeline.run(ws, out=ws.parent / "reports")


@pytest.fixture(autouse=True)
def _default_presentation():
    """Each test starts and ends with the default locale and no segment labels (``open_run``
    and ``send`` switch them for the process, as a report kernel does)."""
    from insightlib.text import numbers as tf

    tf.use(None, None)
    yield
    tf.use(None, None)
