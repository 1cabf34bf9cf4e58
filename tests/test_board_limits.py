"""A board text that breaks the plain-English limits never fails a run (issue 17).

Before, a metric label full of jargon made ``build_document`` raise "Shorten the metric labels"
(exit 1, naming no input). Now the headline or board text is replaced by a plainer template,
every text of the document passes the limits, and the provenance notes name the input whose
words caused it (file and key, or file and row).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from fixtures_story import config, document

from insightlib.text.plain import BOARD_LIMITS, HEADLINE_LIMITS, lint_text

JARGON = (
    "Heteroscedasticity-normalised multichannel checkout-funnel attribution coefficient "
    "(orthogonalised)"
)


def _cfg(label: str):
    cfg = config()
    metrics = dict(cfg.metrics)
    metrics["checkout_completion"] = replace(metrics["checkout_completion"], label=label)
    return replace(cfg, metrics=metrics)


def test_a_jargon_label_is_rewritten_and_named_not_fatal() -> None:
    doc = document(config=_cfg(JARGON))
    touched = [i for i in doc["insights"] if i.get("metric") == "checkout_completion"]
    assert touched, "the story has checkout findings"
    for ins in doc["insights"]:
        nar = ins["narrative"]
        assert lint_text(nar["headline"], (), HEADLINE_LIMITS, explain=False).ok, nar["headline"]
        assert lint_text(nar["board"], (), BOARD_LIMITS, explain=False).ok, nar["board"]
        if ins in touched:
            assert "Heteroscedasticity" not in nar["board"]
    notes = " ".join(doc["provenance"].get("notes") or [])
    assert "broke the plain-English limits" in notes
    assert "the words came from insight.toml [metrics.checkout_completion] label" in notes


def test_plain_labels_are_left_alone() -> None:
    doc = document()
    assert not any("plain-English" in n for n in doc["provenance"].get("notes") or [])
    assert document(config=_cfg("Checkout completion"))["insights"] == doc["insights"]


def test_the_cause_is_named_by_file_and_row() -> None:
    from pathlib import Path
    from types import SimpleNamespace

    import pandas as pd

    from insightlib.narrate.assemble import _cause

    cfg = replace(
        config(),
        sources={
            "events": Path("/nonexistent/events.csv"),
            "knowledge": Path("/nonexistent/k.csv"),
        },
    )
    knowledge = pd.DataFrame({"title": ["App 2.0", JARGON], "team": ["A", "B"]})
    ins = SimpleNamespace(
        metric="orders",
        metric_label="Orders",
        theme=None,
        theme_label=None,
        segment=(("platform", "web"),),
        evidence=SimpleNamespace(knowledge=[SimpleNamespace(title=JARGON)]),
    )
    broken = f"Orders on the website fell after “{JARGON}”. We asked why."
    assert _cause(ins, broken, BOARD_LIMITS, (), cfg, knowledge) == "k.csv, row 2 (title)"
    seg = replace_ns(ins, segment=(("platform", JARGON),), evidence=SimpleNamespace(knowledge=[]))
    broken = f"Orders among {JARGON} customers fell. We asked why."
    got = _cause(seg, broken, BOARD_LIMITS, (), cfg, knowledge, {"platform": {JARGON: 31}})
    assert got.startswith("events.csv, column 'platform', row 31, value"), got


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_run_names_the_row_of_a_segment_value(
    kind: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader finds each segment value's first row (CSV and Parquet alike) and the run
    passes it to the document, so a note on a segment value names file, column and row."""
    import pandas as pd
    from conftest import write_tiny

    from insightlib import pipeline
    from insightlib.narrate import assemble

    root = write_tiny(tmp_path / "ws")
    df = pd.read_csv(root / "events.csv", dtype=str, keep_default_na=False)
    df.loc[df["platform"] == "web", "platform"] = JARGON
    if kind == "parquet":
        (root / "events.csv").unlink()
        df.to_parquet(root / "events.parquet", index=False)
        toml = (root / "insight.toml").read_text().replace("events.csv", "events.parquet")
        (root / "insight.toml").write_text(toml)
    else:
        df.to_csv(root / "events.csv", index=False)
    seen = {}

    class Stop(Exception):
        pass

    def build_document(**kwargs):
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(assemble, "build_document", build_document)
    with pytest.raises(Stop):
        pipeline.run(root, out=tmp_path / "reports")
    rows = seen["segment_rows"]["platform"]
    # day one: u0 opens the app (row 1) and buys (row 2), then u1 (rows 3-4), u2 (rows 5-6)
    assert rows == {"ios": 1, "android": 3, JARGON: 5}, rows


def replace_ns(ns, **kw):
    from types import SimpleNamespace

    return SimpleNamespace(**{**vars(ns), **kw})
