"""Loading and validation: each bad input gives one message naming file, column and row."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from insightlib.cli import main
from insightlib.errors import DataError
from insightlib.workspace.load import load_workspace


def _edit_csv(path: Path, fn) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False)


def test_valid_workspace_loads(tiny: Path) -> None:
    ws = load_workspace(tiny)
    assert isinstance(ws.events, pd.DataFrame)
    assert ws.events["revenue"].dtype == "float64"
    assert str(ws.first_day) == "2026-11-02" and str(ws.last_day) == "2026-11-15"
    assert ws.files["events"]["rows"] == 14 * 12
    assert len(ws.files["events"]["sha256"]) == 64
    assert ws.feedback["created_at"].dtype.kind == "M"
    assert ws.knowledge["date"].iloc[0].isoformat() == "2026-11-10"
    assert list(ws.glossary.columns) == ["term", "plain"]


def test_parquet_events(tiny: Path) -> None:
    df = pd.read_csv(tiny / "events.csv")
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize(None)
    df.to_parquet(tiny / "events.parquet", index=False)
    toml = (tiny / "insight.toml").read_text().replace("events.csv", "events.parquet")
    (tiny / "insight.toml").write_text(toml)
    ws = load_workspace(tiny)
    assert ws.events == (tiny / "events.parquet").resolve()
    assert ws.files["events"]["rows"] == len(df)


def _expect(tiny: Path, pattern: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tiny.iterdir()}
    with pytest.raises(DataError, match=pattern):
        load_workspace(tiny)
    assert main(["check", str(tiny)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tiny.iterdir()}
    assert before == after, "validation must not modify input files"


def test_missing_file(tiny: Path, capsys) -> None:
    (tiny / "feedback.csv").unlink()
    _expect(tiny, r"feedback.csv: file not found", capsys)


def test_missing_column(tiny: Path, capsys) -> None:
    _edit_csv(tiny / "events.csv", lambda d: d.drop(columns=["user_id"]))
    _expect(tiny, r"events.csv, column 'user_id': missing column", capsys)


def test_missing_segment_column(tiny: Path, capsys) -> None:
    _edit_csv(tiny / "events.csv", lambda d: d.drop(columns=["platform"]))
    _expect(tiny, r"events.csv, column 'platform': missing column", capsys)


def test_unparseable_timestamp_names_first_bad_row(tiny: Path, capsys) -> None:
    def bad(d):
        d.loc[6, "timestamp"] = "yesterday"
        d.loc[9, "timestamp"] = "not a date"
        return d

    _edit_csv(tiny / "events.csv", bad)
    _expect(tiny, r"events.csv, column 'timestamp', row 7: cannot read 'yesterday'", capsys)


def test_non_numeric_metric_column(tiny: Path, capsys) -> None:
    def bad(d):
        d.loc[3, "revenue"] = "12,50 EUR"
        return d

    _edit_csv(tiny / "events.csv", bad)
    _expect(tiny, r"events.csv, column 'revenue', row 4: value '12,50 EUR' is not a number", capsys)


def test_empty_required_value_in_feedback(tiny: Path, capsys) -> None:
    def bad(d):
        d.loc[1, "source"] = ""
        return d

    _edit_csv(tiny / "feedback.csv", bad)
    _expect(tiny, r"feedback.csv, column 'source', row 2: is empty", capsys)


def test_knowledge_segment_must_name_a_segment_column(tiny: Path, capsys) -> None:
    _edit_csv(tiny / "knowledge.csv", lambda d: d.assign(segment="os=android"))
    _expect(tiny, r"knowledge.csv, column 'segment', row 1: segment 'os=android'", capsys)


@pytest.mark.parametrize("seg", ["platform", "=web", "platform=web&os=ios"])
def test_knowledge_segment_without_column_value_is_refused(tiny: Path, capsys, seg: str) -> None:
    _edit_csv(tiny / "knowledge.csv", lambda d: d.assign(segment=seg))
    _expect(tiny, rf"knowledge.csv, column 'segment', row 1: segment '{seg}' must look", capsys)


def test_knowledge_segment_values_may_hold_ampersands(tiny: Path) -> None:
    """A hand-written "platform=Food & drink" or "platform=B&B" is one value: an "&" starts a
    new pair only before "column=" (keys escape it; see model.segment_key)."""
    from insightlib.model import parse_segment, segment_pairs

    segs = ["platform=Food & drink", "platform=B&B&platform=web", "platform=a=b"]
    _edit_csv(tiny / "knowledge.csv", lambda d: pd.concat([d] * 3).assign(segment=segs))
    ws = load_workspace(tiny)
    assert [parse_segment(s) for s in ws.knowledge["segment"]] == [
        (("platform", "Food & drink"),),
        (("platform", "B&B"), ("platform", "web")),
        (("platform", "a=b"),),
    ]
    assert segment_pairs("plan=free&platform=Food & drink ") == [
        ("plan", "free"),
        ("platform", "Food & drink"),
    ]


def test_wrong_delimiter(tiny: Path, capsys) -> None:
    df = pd.read_csv(tiny / "glossary.csv")
    df.to_csv(tiny / "glossary.csv", index=False, sep=";")
    _expect(tiny, r"glossary.csv: has a single column .* another delimiter", capsys)


def test_ragged_row(tiny: Path, capsys) -> None:
    with open(tiny / "knowledge.csv", "a") as fh:
        fh.write("2026-11-11,Marketing,campaign,Promo,extra,fields,here\n")
    _expect(tiny, r"knowledge.csv, row 2: has 7 fields where the header has 5", capsys)


def test_latin1_file(tiny: Path, capsys) -> None:
    (tiny / "glossary.csv").write_bytes("term,plain\nCVR,taux de réussite\n".encode("latin-1"))
    _expect(tiny, r"glossary.csv: is not UTF-8 text", capsys)


def test_utf16_with_bom_is_read(tiny: Path) -> None:
    (tiny / "glossary.csv").write_bytes("term,plain\nCVR,conversion rate\n".encode("utf-16"))
    ws = load_workspace(tiny)
    assert ws.glossary.iloc[0].to_dict() == {"term": "CVR", "plain": "conversion rate"}


def test_mixed_time_zones_become_utc(tiny: Path) -> None:
    def tz(d):
        d.loc[0, "timestamp"] = "2026-11-02T12:00:00+02:00"
        return d

    _edit_csv(tiny / "events.csv", tz)
    ws = load_workspace(tiny)
    assert str(ws.events["timestamp"].iloc[0]) == "2026-11-02 10:00:00"


def test_exact_duplicate_feedback_rows_are_dropped_with_a_note(tiny: Path) -> None:
    _edit_csv(tiny / "feedback.csv", lambda d: pd.concat([d, d.iloc[[1]]]))
    ws = load_workspace(tiny)
    assert len(ws.feedback) == 3 and "duplicate" in ws.notes[0]


def test_conflicting_duplicate_ids_are_an_error(tiny: Path, capsys) -> None:
    def dup(d):
        d.loc[2, "id"] = "f1"
        return d

    _edit_csv(tiny / "feedback.csv", dup)
    _expect(tiny, r"feedback.csv, column 'id', row 3: id 'f1' is used by two", capsys)


def test_parquet_bad_timestamp_names_row(tiny: Path, capsys) -> None:
    df = pd.read_csv(tiny / "events.csv", dtype=str)
    df.loc[4, "timestamp"] = "garbage"
    df.to_parquet(tiny / "events.parquet", index=False)
    toml = (tiny / "insight.toml").read_text().replace("events.csv", "events.parquet")
    (tiny / "insight.toml").write_text(toml)
    _expect(
        tiny,
        r"events.parquet, column 'timestamp', row 5: cannot read 'garbage' as a date/time",
        capsys,
    )


def test_conflicting_id_is_named_even_after_an_exact_duplicate(tiny: Path, capsys) -> None:
    def dup(d):
        other = d.iloc[[1]].assign(text="Another text")  # row 5: id f2 again, other content
        return pd.concat([d, d.iloc[[0]], other], ignore_index=True)  # row 4: copy of row 1

    _edit_csv(tiny / "feedback.csv", dup)
    _expect(tiny, r"feedback.csv, column 'id', row 5: id 'f2' is used by two", capsys)


def _review(i: int) -> str:
    # long reviews in paragraphs, each paragraph holding about as many commas as a row has fields
    return (
        f"Update {i}. The layout is busy, the buttons moved, the inbox is slow, the search is gone, "
        "and I hate it.\nBefore, it was clean, simple, fast, and I could switch accounts.\n"
        "Please, please, bring back the old one, fix the search, and stop the ads."
    )


def test_multi_line_reviews_with_commas_are_valid_csv(tmp_path: Path) -> None:
    """Real review exports hold paragraphs with commas inside properly quoted fields: they load,
    cell for cell, and are not mistaken for rows swallowed by a stray quote."""
    from insightlib.workspace.load import read_table

    frame = pd.DataFrame(
        {
            "id": [f"Gmail-{i}" for i in range(40)],
            "created_at": [f"2019-02-{1 + i % 28:02d} 08:03:20" for i in range(40)],
            "source": "app_review",
            "text": [_review(i) for i in range(40)],
            "score": [1 + i % 5 for i in range(40)],
        }
    )
    path = tmp_path / "feedback.csv"
    frame.to_csv(path, index=False)
    back = read_table(path, "feedback.csv")
    assert back["text"].tolist() == frame["text"].tolist()
    # the same file with one quote lost is still refused, naming the file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"Update 5.', "Update 5.", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"^feedback\.csv.*(quote|ragged|fields)"):
        read_table(path, "feedback.csv")


def test_segment_value_that_is_personal_data_is_refused(tiny: Path, capsys) -> None:
    def plant(d):
        d.loc[6, "platform"] = "jo.doe@example.com"
        return d

    _edit_csv(tiny / "events.csv", plant)
    _expect(tiny, r"events.csv, column 'platform', row 7: segment value looks like personal "
            r"data \(email\)", capsys)  # fmt: skip


def test_segment_value_in_parquet_is_refused(tiny: Path, capsys) -> None:
    df = pd.read_csv(tiny / "events.csv")
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize(None)
    df.loc[9, "platform"] = "+44 7700 900123"
    df.to_parquet(tiny / "events.parquet", index=False)
    toml = (tiny / "insight.toml").read_text().replace("events.csv", "events.parquet")
    (tiny / "insight.toml").write_text(toml)
    _expect(tiny, r"events.parquet, column 'platform', row 10: .*personal data \(phone\)", capsys)


def test_segment_values_can_be_redacted_instead(tiny: Path) -> None:
    _edit_csv(tiny / "events.csv", lambda d: d.assign(platform=d["platform"].where(
        d.index != 3, "jo.doe@example.com")))  # fmt: skip
    toml = tiny / "insight.toml"
    toml.write_text(toml.read_text() + '\n[privacy]\nsegment_values = "redact"\n')
    ws = load_workspace(tiny)
    values = set(ws.events["platform"].dropna())
    assert "[email]" in values and not any("@" in v for v in values)
