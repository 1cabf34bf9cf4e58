"""The in-process DuckDB of a run has bounded memory (spilling beyond it), settable by variable."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from insightlib.errors import InputError
from insightlib.quant import engine


def _setting(table: object, name: str) -> str:
    con = table._find_backend()  # type: ignore[attr-defined]
    return str(con.raw_sql(f"SELECT current_setting('{name}')").fetchall()[0][0])


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.parquet"
    pd.DataFrame(
        {"timestamp": pd.to_datetime(["2026-11-02T10:00:00"]), "user_id": ["u1"], "event": ["x"]}
    ).to_parquet(path)
    return path


def test_duckdb_memory_is_limited_and_spills_to_a_private_folder(
    events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(engine.MEMORY_ENV, raising=False)
    table = engine.connect(events)
    assert _setting(table, "memory_limit") == "1.3 GiB"  # 1.5GB as DuckDB prints it
    assert _setting(table, "temp_directory").endswith(f"insightlib-duckdb-{os.getpid()}")
    assert int(table.count().execute()) == 1


def test_memory_limit_from_the_environment(events: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(engine.MEMORY_ENV, "512MB")
    assert _setting(engine.connect(events), "memory_limit") == "488.2 MiB"
    monkeypatch.setenv(engine.MEMORY_ENV, "lots'; DROP TABLE x; --")
    with pytest.raises(InputError, match="INSIGHTLIB_DUCKDB_MEMORY must be a size"):
        engine.connect(events)
