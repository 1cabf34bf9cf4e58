"""One events validator (issue 15): the same bad rows as CSV and as Parquet give the same error.

Each case spoils the ``tiny`` workspace's events; the events are then written once as CSV and
once as Parquet (the same text values, and for amounts also a typed float column), and the
one-line CLI message (exit 2) must be the same, but for the file's name. Parquet text
timestamps go through the same day/month check as CSV's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_tiny

from insightlib.cli import main


def _set(row: int, col: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return fn


def _ambiguous(df: pd.DataFrame) -> pd.DataFrame:
    """Only 2-12 November, written dd/mm/yyyy: every value fits both orders."""
    ts = pd.to_datetime(df["timestamp"], utc=True)
    df = df[ts.dt.day <= 12].copy()
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.strftime("%d/%m/%Y %H:%M")
    return df.reset_index(drop=True)


def _mixed_orders(df: pd.DataFrame) -> pd.DataFrame:
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.strftime("%d/%m/%Y %H:%M")
    df.loc[40, "timestamp"] = "11/14/2026 10:00"  # month first, among day-first values
    return df


CASES: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "infinite_amount": _set(3, "revenue", "inf"),
    "nan_amount": _set(5, "revenue", "NaN"),
    "huge_amount": _set(3, "revenue", "1e307"),
    "text_amount": _set(7, "revenue", "12,50 EUR"),
    "empty_user": _set(6, "user_id", ""),
    "blank_event": _set(8, "event", "   "),
    "future_time": _set(12, "timestamp", "2062-11-03T10:00:00Z"),
    "unreadable_time": _set(10, "timestamp", "last tuesday"),
    "empty_time": _set(9, "timestamp", ""),
    "ambiguous_day_month": _ambiguous,
    "two_day_month_orders": _mixed_orders,
    "personal_segment_value": _set(20, "platform", "jane.doe@example.com"),
    "missing_column": lambda df: df.drop(columns=["user_id"]),
    "misspelt_metric_event": lambda df: df.replace({"event": {"purchase": "purchse"}}),
}


def _message(root: Path, events: str, capsys: pytest.CaptureFixture[str]) -> str:
    toml = (root / "insight.toml").read_text().replace('"events.csv"', f'"{events}"')
    (root / "insight.toml").write_text(toml)
    capsys.readouterr()
    assert main(["check", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.replace(events, "EVENTS")


def _spoilt(tmp_path: Path, name: str, case: str) -> tuple[Path, pd.DataFrame]:
    root = write_tiny(tmp_path / name)
    df = CASES[case](pd.read_csv(root / "events.csv", dtype=str, keep_default_na=False))
    (root / "events.csv").unlink()
    return root, df


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_bad_rows_give_the_same_message_as_csv_and_as_parquet(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, df = _spoilt(tmp_path, "csv", case)
    df.to_csv(root / "events.csv", index=False)
    from_csv = _message(root, "events.csv", capsys)
    root, df = _spoilt(tmp_path, "parquet", case)
    df.to_parquet(root / "events.parquet", index=False)  # every column as text
    from_parquet = _message(root, "events.parquet", capsys)
    assert from_parquet == from_csv
    if case not in ("missing_column", "misspelt_metric_event", "ambiguous_day_month"):
        assert ", row " in from_csv, from_csv  # file, column and row


@pytest.mark.parametrize("case", ["infinite_amount", "nan_amount", "huge_amount"])
def test_a_typed_parquet_amount_gives_the_message_of_its_text(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, df = _spoilt(tmp_path, "csv", case)
    df.to_csv(root / "events.csv", index=False)
    from_csv = _message(root, "events.csv", capsys)
    root, df = _spoilt(tmp_path, "parquet", case)
    text = df.loc[3 if case != "nan_amount" else 5, "revenue"]
    amounts = pa.array([None if v == "" else float(v) for v in df["revenue"]], pa.float64())
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    table = pa.Table.from_pandas(df.drop(columns=["revenue"]), preserve_index=False)
    pq.write_table(table.append_column("revenue", amounts), root / "events.parquet")
    from_parquet = _message(root, "events.parquet", capsys)
    shown = {"infinite_amount": "inf", "nan_amount": "nan", "huge_amount": "1e+307"}[case]
    assert from_parquet == from_csv.replace(f"'{text}'", f"'{shown}'")
    assert "column 'revenue', row " in from_parquet


def test_parquet_text_times_in_day_first_order_are_read_as_csv_ones(tmp_path: Path) -> None:
    """dd/mm text in a Parquet file is read in one order for the whole column (the value
    decides, or [sources] timestamp_format), as in a CSV file, never value by value."""
    from insightlib.workspace.load import load_workspace

    root, df = _spoilt(tmp_path, "parquet", "infinite_amount")
    df.loc[3, "revenue"] = "12.5"
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.strftime("%d/%m/%Y %H:%M")
    df.to_parquet(root / "events.parquet", index=False)
    toml = (root / "insight.toml").read_text().replace('"events.csv"', '"events.parquet"')
    (root / "insight.toml").write_text(toml)
    ws = load_workspace(root)
    assert ws.first_day.isoformat() == "2026-11-02" and ws.last_day.isoformat() == "2026-11-15"
    assert ws.events["timestamp"].iloc[0] == pd.Timestamp("2026-11-02 10:00")
    assert any("dates read day-first" in n for n in ws.notes), ws.notes
