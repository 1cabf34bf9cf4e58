"""The hand-written run fixture (tests/fixtures_run.py) has the shape of a real run.

Report, chart, history and delivery tests render ``fixtures_run.document()`` and its frames
(it holds hostile strings and every kind of insight on purpose). This module builds a real run
of the bundled sample with the pipeline and checks that the fixture has the same document
shape (keys at every level, per insight kind, and value types) and the same frame columns and
dtypes, so the other tests cannot drift onto a shape the code no longer writes. It also draws
the charts of every insight of the real run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fixtures_run import daily_frame, document, hand_written, series_frame, theme_counts_frame

from insightlib.document import InsightsDocument
from insightlib.report import charts

# dicts whose keys are data (segment values, sources, theme ids, audience or file names)
_DATA_KEYED = re.compile(
    r"(segment|segments|segments\.\*|sources|concentrated_in|theme_mentions|audiences|files"
    r"|track_record_by_kind)$"
)


def _walk(value: Any, path: str, out: dict[str, list[tuple[set[str], dict[str, str]]]]) -> None:
    if isinstance(value, dict):
        if _DATA_KEYED.search(path):
            for v in value.values():
                _walk(v, path + ".*", out)
            return
        types = {k: _type(v) for k, v in value.items()}
        out.setdefault(path, []).append((set(value), types))
        for k, v in value.items():
            sub = f"{path}.{k}" if path else k
            if path == "insights[]" and k == "details":
                sub = f"insights[].details<{value.get('kind')}>"
            _walk(v, sub, out)
    elif isinstance(value, list):
        for v in value:
            _walk(v, path + "[]", out)


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return type(v).__name__


def shape(doc: dict[str, Any]) -> dict[str, list[tuple[set[str], dict[str, str]]]]:
    out: dict[str, list[tuple[set[str], dict[str, str]]]] = {}
    _walk(doc, "", out)
    return out


def shape_problems(fake: dict[str, Any], real: dict[str, Any]) -> list[str]:
    """Where ``fake`` departs from ``real``: a key every real dict at that place has is missing,
    a key no real dict there has is present, or a value has a type real values there never have."""
    rs, fs = shape(real), shape(fake)
    problems = []
    for path, fakes in fs.items():
        if path not in rs:
            continue  # e.g. an insight kind or a list the real run leaves empty
        reals = rs[path]
        required = set.intersection(*(k for k, _ in reals))
        allowed = set.union(*(k for k, _ in reals))
        seen: dict[str, set[str]] = {}
        for _, types in reals:
            for k, t in types.items():
                seen.setdefault(k, set()).add(t)
        for keys, types in fakes:
            if missing := required - keys:
                problems.append(f"{path or 'document'}: missing {sorted(missing)}")
            if extra := keys - allowed:
                problems.append(f"{path or 'document'}: not in real runs {sorted(extra)}")
            for k, t in types.items():
                real_types = seen.get(k, set()) - {"null"}
                if t != "null" and real_types and t not in real_types:
                    problems.append(f"{path}.{k}: {t} where real runs have {sorted(real_types)}")
    return sorted(set(problems))


@pytest.fixture(scope="module")
def real_doc(sample_run: Path) -> dict[str, Any]:
    return json.loads((sample_run / "insights.json").read_text(encoding="utf-8"))


def test_shape_check_notices_a_departure(real_doc: dict[str, Any]) -> None:
    assert shape_problems(real_doc, real_doc) == []
    broken = json.loads(json.dumps(real_doc))
    ins = broken["insights"][0]
    ins["details"]["date"] = ins["details"].pop(next(iter(ins["details"])))
    del broken["track_record"]
    ins["score"] = "high"
    problems = "\n".join(shape_problems(broken, real_doc))
    assert "document: missing ['track_record']" in problems
    assert "not in real runs ['date']" in problems
    assert "insights[].score: str" in problems


def _typed_round_trip(doc: dict[str, Any]) -> dict[str, Any]:
    return json.loads(InsightsDocument.from_dict(doc).to_json())


def test_fixture_document_is_what_the_typed_writer_writes() -> None:
    """fixtures_run.document() is the hand-written dict read and written back by the real
    InsightsDocument; the round trip must change nothing, or the hand-written part drifted
    (a key the writer drops or adds, a value it derives differently)."""
    raw = json.loads(json.dumps(hand_written()))
    assert _typed_round_trip(raw) == raw
    assert json.loads(json.dumps(document())) == raw
    # the check notices drift: a derived value written by hand, a key the writer does not
    # know, a key it needs that is missing (free-form ``details`` are left to the shape test)
    for change in (
        lambda d: d["insights"][0]["evidence"]["drivers"][0].update(segment_text="android"),
        lambda d: d["summary"].update(n_checks=210),
        lambda d: d["insights"][0]["evidence"]["drivers"][0].pop("why"),
    ):
        drift = json.loads(json.dumps(raw))
        change(drift)
        assert _typed_round_trip(drift) != drift


def test_fixture_document_has_the_real_shape(real_doc: dict[str, Any]) -> None:
    fake = document()
    assert shape_problems(fake, real_doc) == []
    assert shape_problems(hand_written(), real_doc) == []
    # and the fixture covers what the real run has: every kind it writes, every top-level key
    assert set(fake) == set(real_doc)
    real_kinds = {i["kind"] for i in real_doc["insights"]}
    assert real_kinds <= {i["kind"] for i in fake["insights"]}


@pytest.mark.parametrize(
    ("name", "make"),
    [("series", series_frame), ("daily", daily_frame), ("theme_counts", theme_counts_frame)],
)
def test_fixture_frames_have_the_real_columns(sample_run: Path, name: str, make) -> None:
    real = pd.read_parquet(sample_run / "data" / f"{name}.parquet")
    fake = make()
    assert list(fake.columns) == list(real.columns)
    assert {c: str(t) for c, t in fake.dtypes.items()} == {
        c: str(t) for c, t in real.dtypes.items()
    }


def _marked(spec: dict[str, Any]) -> list[str]:
    """The dates of the point layer of a chart spec."""
    (layer,) = [lay for lay in spec["layer"] if lay["mark"]["type"] == "point"]
    return [row["date"] for row in spec["datasets"][layer["data"]["name"]]]


def test_charts_of_every_real_insight(sample_run: Path, real_doc: dict[str, Any]) -> None:
    series = pd.read_parquet(sample_run / "data" / "series.parquet")
    daily = pd.read_parquet(sample_run / "data" / "daily.parquet")
    counts = pd.read_parquet(sample_run / "data" / "theme_counts.parquet")
    drawn = 0
    for ins in real_doc["insights"]:
        if ins["kind"] == "emerging_theme":
            svg = charts.to_svg(charts.theme_chart(counts, ins["theme"]))
            assert f">{ins['details']['count_current']}<" in svg  # this period's count
        elif ins["kind"] == "anomaly":
            chart = charts.anomaly_chart(daily, ins)
            assert charts.to_svg(chart).startswith("<svg")
            # the unusual day, and only that day, is marked
            assert _marked(chart.to_dict()) == [ins["details"]["day"]]
        else:
            svg = charts.to_svg(charts.metric_chart(series, ins))
            assert svg.startswith("<svg")
        if ins["evidence"]["drivers"]:
            charts.to_svg(charts.driver_chart(ins))
        drawn += 1
    assert drawn == len(real_doc["insights"]) > 0
