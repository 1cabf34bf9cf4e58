"""The quantitative step where the data lives: DuckDB, Spark and PostgreSQL give the same insights.

The sample workspace's events are loaded into a local Spark session (pyspark, local mode) and
into a throwaway PostgreSQL cluster started here; the workspace's ``insight.toml`` then points
``[sources.events]`` at each engine, and the whole quantitative step (series, daily series, every
test, findings) plus the fused ``insights.json`` document must equal the DuckDB run exactly
(floats to 1e-9 relative). A counter on Ibis' ``execute`` shows that only aggregated rows come
back: at most periods x segment cells, however many events there are.

Marked ``backends`` (together about a minute and a half on 2 CPUs); deselect with ``-m 'not backends'``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types.core as ibis_core
import pandas as pd
import pytest
from quantdata import config, make_events

from insightlib.errors import ConfigError
from insightlib.narrate import assemble
from insightlib.qual import analyse as qual
from insightlib.quant import changes as quant
from insightlib.quant import engine
from insightlib.workspace.load import load_workspace
from insightlib.workspace.periods import parse_period

PERIOD = "2026-W47"
URL_ENV = "INSIGHTLIB_TEST_EVENTS_URL"


# ============================================================================================
# Helpers
# ============================================================================================
@contextmanager
def fetched_rows() -> Iterator[list[int]]:
    """Record the number of rows of every result Ibis brings back into Python."""
    sizes: list[int] = []
    original = ibis_core.Expr.execute

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = original(self, *args, **kwargs)
        sizes.append(len(out) if hasattr(out, "__len__") else 1)
        return out

    ibis_core.Expr.execute = execute  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        ibis_core.Expr.execute = original  # type: ignore[method-assign]


def row_bound(events: pd.DataFrame, segments: tuple[str, ...], n_periods: int) -> int:
    """Periods x (segment cells + segment keys) x queries: what aggregated results can hold."""
    values = [events[c].astype(object).where(events[c].notna(), "?").nunique() for c in segments]
    cells = math.prod(values)
    keys = 1 + sum(values) + sum(a * b for i, a in enumerate(values) for b in values[i + 1 :])
    return n_periods * (cells + keys) * 3


def with_source(ws: Path, dest: Path, table: str) -> Path:
    """A copy of the workspace whose insight.toml points [sources.events] at ``table``."""
    shutil.copytree(ws, dest)
    toml = (dest / "insight.toml").read_text()
    toml = toml.replace('events = "events.parquet"\n', "")
    (dest / "events.parquet").unlink()
    (dest / "insight.toml").write_text(toml + f"\n[sources.events]\n{table}\n")
    return dest


def assert_same(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON-like structures; floats to 1e-9 relative."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: keys differ"
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{path}: lengths {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9), (
            f"{path}: {a} != {b}"
        )
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def assert_same_result(a: quant.QuantResult, b: quant.QuantResult) -> None:
    for name in ("series", "daily", "tests"):
        pd.testing.assert_frame_equal(
            getattr(a, name), getattr(b, name), check_dtype=False, rtol=1e-9, obj=name
        )
    assert len(a.findings) == len(b.findings)
    for i, (fa, fb) in enumerate(zip(a.findings, b.findings, strict=True)):
        assert_same(dataclasses.asdict(fa), dataclasses.asdict(fb), f"findings[{i}]")


# ============================================================================================
# The DuckDB reference (the sample workspace as shipped)
# ============================================================================================
@pytest.fixture(scope="module")
def reference(sample_ws: Path) -> dict[str, Any]:
    ws = load_workspace(sample_ws)
    period = parse_period(PERIOD)
    q = quant.analyse(engine.connect(ws.events), ws.config, period)
    ql = qual.analyse_feedback(ws.feedback, ws.config, period)
    return {"ws": ws, "period": period, "quant": q, "qual": ql, "doc": _document(ws, q, ql)}


def _document(ws: Any, q: quant.QuantResult, ql: Any) -> dict[str, Any]:
    doc = assemble.build_document(
        quant=q,
        qual=ql,
        knowledge=ws.knowledge,
        glossary=ws.glossary,
        config=ws.config,
        period=parse_period(PERIOD),
    ).to_dict()
    doc.pop("provenance", None)  # names the input (a file or a table): differs by design
    return doc


def check_backend(reference: dict[str, Any], ws_path: Path, backend: str) -> Any:
    """Load the workspace through [sources.events], analyse, compare with DuckDB."""
    ws = load_workspace(ws_path)
    assert ws.files["events"]["backend"] == backend
    assert ws.files["events"]["rows"] == reference["ws"].files["events"]["rows"]
    assert (ws.first_day, ws.last_day) == (reference["ws"].first_day, reference["ws"].last_day)
    with fetched_rows() as sizes:
        q = quant.analyse(ws.events, ws.config, reference["period"])
    assert_same_result(reference["quant"], q)
    assert_same(reference["doc"], _document(ws, q, reference["qual"]))
    n_periods = len(q.series["period_start"].unique()) + len(q.daily["period_start"].unique())
    events = pd.read_parquet(reference["ws"].events)
    assert sum(sizes) <= row_bound(events, ws.config.segments, n_periods) < len(events)
    return ws


# ============================================================================================
# Only aggregates cross back (DuckDB: fast, any event count)
# ============================================================================================
def test_rows_fetched_are_bounded_by_periods_and_segments_not_events() -> None:
    cfg = config()
    period = parse_period("2026-W44")
    fetched = []
    for n_users in (1000, 4000):
        df = make_events(seed=3, n_users=n_users, days=63, null_share=0.02, unstable=0.01)
        with fetched_rows() as sizes:
            res = quant.analyse(df, cfg, period)
        n_periods = res.series["period_start"].nunique() + res.daily["period_start"].nunique()
        bound = row_bound(df, cfg.segments, n_periods)
        assert sum(sizes) <= bound, (sum(sizes), bound)
        fetched.append((len(df), sum(sizes)))
    (small_ev, small_rows), (big_ev, big_rows) = fetched
    assert big_ev > 3.5 * small_ev  # four times the events ...
    assert big_rows < 1.3 * small_rows  # ... about the same aggregated rows
    assert big_rows < big_ev / 50


# ============================================================================================
# Config: [sources.events] as a table
# ============================================================================================
def test_config_refuses_a_url_with_a_password(sample_ws: Path, tmp_path: Path) -> None:
    ws = with_source(
        sample_ws, tmp_path / "ws", 'backend = "postgres"\nurl = "postgres://u:secret@db/x"'
    )
    with pytest.raises(ConfigError, match="not read from insight.toml") as exc:
        load_workspace(ws)
    assert "secret" not in str(exc.value)
    (ws / "insight.toml").write_text(
        (ws / "insight.toml")
        .read_text()
        .replace('url = "postgres://u:secret@db/x"', 'url_env = "postgres://u:secret@db/x"')
    )
    with pytest.raises(ConfigError, match="password|NAME of an environment variable"):
        load_workspace(ws)


def test_config_needs_the_url_variable_set(
    sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = with_source(
        sample_ws, tmp_path / "ws", f'backend = "postgres"\ntable = "events"\nurl_env = "{URL_ENV}"'
    )
    monkeypatch.delenv(URL_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"{URL_ENV}.*not set"):
        load_workspace(ws)
    bad = with_source(sample_ws, tmp_path / "bad", 'backend = "oracle"')
    with pytest.raises(ConfigError, match="backend must be one of"):
        load_workspace(bad)


def test_duckdb_database_source(
    reference: dict[str, Any], sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = ibis.duckdb.connect(db)
    con.create_table("events", con.read_parquet(sample_ws / "events.parquet").to_pyarrow())
    con.disconnect()
    monkeypatch.setenv(URL_ENV, str(db))
    ws = with_source(
        sample_ws, tmp_path / "ws", f'backend = "duckdb"\ntable = "events"\nurl_env = "{URL_ENV}"'
    )
    check_backend(reference, ws, "duckdb")


# ============================================================================================
# Spark (local mode)
# ============================================================================================
@pytest.fixture(scope="module")
def spark(sample_ws: Path) -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[backends]')")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java (17): no java on PATH and no JAVA_HOME")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("insightlib-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.read.parquet(str(sample_ws / "events.parquet")).createOrReplaceTempView("events")
    yield session
    session.stop()


@pytest.mark.backends
def test_spark_gives_the_same_insights(
    reference: dict[str, Any], spark: Any, sample_ws: Path, tmp_path: Path
) -> None:
    ws = with_source(sample_ws, tmp_path / "ws", 'backend = "pyspark"\ntable = "events"')
    check_backend(reference, ws, "pyspark")


# ============================================================================================
# PostgreSQL (a throwaway cluster on a loopback port)
# ============================================================================================
def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return roots[0] if roots and (roots[0] / "pg_ctl").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_load(url: str, name: str, events: pd.DataFrame) -> None:
    """Create table ``name`` and COPY the frame into it (fast; an empty field is NULL)."""
    con = ibis.connect(url)
    con.create_table(name, schema=ibis.memtable(events.head(0)).schema())
    with con.con.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:
        copy.write(events.to_csv(index=False, header=False))
    con.con.commit()
    con.disconnect()


@pytest.fixture(scope="module")
def postgres_url(sample_ws: Path) -> Iterator[str]:
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[backends]')")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql; .ci/run)")
    tmp = Path(tempfile.mkdtemp(prefix="insightlib-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use the postgres account
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server")
        if not shutil.which("runuser"):
            pytest.skip("running as root and runuser is missing")
        shutil.chown(tmp, user="postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = tmp / "data"

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "insight", "--no-sync")
    opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w", "start")
    url = f"postgres://insight@127.0.0.1:{port}/postgres"
    try:
        pg_load(url, "events", pd.read_parquet(sample_ws / "events.parquet"))
        yield url
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.backends
def test_postgres_gives_the_same_insights(
    reference: dict[str, Any],
    postgres_url: str,
    sample_ws: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(URL_ENV, postgres_url)
    ws = with_source(
        sample_ws, tmp_path / "ws", f'backend = "postgres"\ntable = "events"\nurl_env = "{URL_ENV}"'
    )
    loaded = check_backend(reference, ws, "postgres")
    assert postgres_url not in repr(loaded.files) and "127.0.0.1" not in repr(loaded.files)


@pytest.mark.backends
def test_postgres_missing_column_is_named(
    postgres_url: str, sample_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from insightlib.errors import DataError

    monkeypatch.setenv(URL_ENV, postgres_url)
    ws = with_source(
        sample_ws, tmp_path / "ws", f'backend = "postgres"\ntable = "events"\nurl_env = "{URL_ENV}"'
    )
    toml = (ws / "insight.toml").read_text().replace('"plan"]', '"plan", "tier"]')
    (ws / "insight.toml").write_text(toml)
    with pytest.raises(DataError, match="tier") as exc:
        load_workspace(ws)
    assert "postgres:events" in str(exc.value)


# ============================================================================================
# The exactness traps, on purpose: missing segment values, users who change segment values
# (the second, exact query), a month grain (31 day bits), time-zone-aware timestamps
# ============================================================================================
@pytest.fixture(scope="module")
def tricky() -> pd.DataFrame:
    df = make_events(seed=5, n_users=400, days=75, null_share=0.05, unstable=0.03)
    assert df["timestamp"].dt.tz is not None and df["country"].isna().any()
    return df


def _tricky_series(table: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    from datetime import date

    cfg = config(segments=("platform", "country"), grain="month")  # fewer queries on Spark
    return engine.series_and_daily(
        table, cfg, "month", date(2026, 9, 1), date(2026, 10, 31), daily_from=date(2026, 10, 1)
    )


def _assert_tricky(tricky: pd.DataFrame, table: Any) -> None:
    want = _tricky_series(engine.connect(tricky))
    got = _tricky_series(table)
    assert (want[0]["segment"] == "country=(unknown)").any()
    for a, b in zip(want, got, strict=True):
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


@pytest.mark.backends
def test_spark_exactness_traps(spark: Any, tricky: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "tricky.parquet"
    tricky.to_parquet(path, index=False)
    spark.read.parquet(str(path)).createOrReplaceTempView("tricky")
    _assert_tricky(tricky, ibis.pyspark.connect(spark).table("tricky"))


@pytest.mark.backends
def test_postgres_exactness_traps(postgres_url: str, tricky: pd.DataFrame) -> None:
    pg_load(postgres_url, "tricky", tricky)
    _assert_tricky(tricky, ibis.connect(postgres_url).table("tricky"))


# ============================================================================================
# The one events validator runs in the engine: inf, NaN and absurd amounts in a table are
# refused as in a file (exit 2 naming the table, the column and the row: by its time and event)
# ============================================================================================
BAD_AMOUNTS = [
    ("inf", "CAST('Infinity' AS DOUBLE PRECISION)", "'inf' is not a finite number"),
    ("nan", "CAST('NaN' AS DOUBLE PRECISION)", "'nan' is not a finite number"),
    ("huge", "1e307", "is out of range; amounts must lie within"),
]
#: the spoilt row of the tiny workspace: user u3's purchase on 5 November
BAD_AT = "2026-11-05T11:03:00"


def _tiny_events(tmp_path: Path) -> pd.DataFrame:
    from conftest import write_tiny

    df = pd.read_csv(write_tiny(tmp_path / "src") / "events.csv", dtype={"platform": str})
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.tz_localize(None)
    return df


def _tiny_on(tmp_path: Path, source: str) -> Path:
    from conftest import write_tiny

    root = write_tiny(tmp_path / "ws")
    toml = (root / "insight.toml").read_text().replace('events = "events.csv"\n', "")
    (root / "insight.toml").write_text(toml + f"\n[sources.events]\n{source}\n")
    (root / "events.csv").unlink()
    return root


def _spoil_sql(table: str, base: str, value_sql: str) -> str:
    return (
        f"CREATE TABLE {table} AS SELECT timestamp, user_id, event, platform, CASE WHEN "
        f"user_id = 'u3' AND event = 'purchase' AND timestamp = TIMESTAMP '{BAD_AT}' "
        f"THEN {value_sql} ELSE revenue END AS revenue FROM {base}"
    )


def _expect_refused(ws: Path, label: str, message: str) -> None:
    from insightlib.errors import DataError

    with pytest.raises(DataError) as exc:
        load_workspace(ws)
    got = str(exc.value)
    assert got.startswith(f"{label}, column 'revenue', row at {BAD_AT} (event 'purchase'): "), got
    assert message in got, got


@pytest.mark.parametrize(("name", "value_sql", "message"), BAD_AMOUNTS)
def test_duckdb_table_refuses_absurd_amounts(
    name: str, value_sql: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = ibis.duckdb.connect(db)
    con.create_table("base", _tiny_events(tmp_path))
    con.raw_sql(_spoil_sql("events", "base", value_sql.replace("DOUBLE PRECISION", "DOUBLE")))
    con.disconnect()
    monkeypatch.setenv(URL_ENV, str(db))
    ws = _tiny_on(tmp_path, f'backend = "duckdb"\ntable = "events"\nurl_env = "{URL_ENV}"')
    _expect_refused(ws, "duckdb:events", message)


@pytest.mark.backends
@pytest.mark.parametrize(("name", "value_sql", "message"), BAD_AMOUNTS)
def test_spark_table_refuses_absurd_amounts(
    name: str, value_sql: str, message: str, spark: Any, tmp_path: Path
) -> None:
    df = _tiny_events(tmp_path)
    df["revenue"] = df["revenue"].astype(object).where(df["revenue"].notna(), None)  # NULL
    spark.createDataFrame(
        df,
        schema="timestamp timestamp, user_id string, event string, platform string, revenue double",
    ).createOrReplaceTempView("tiny_base")
    sql = _spoil_sql("x", "tiny_base", value_sql.replace("DOUBLE PRECISION", "DOUBLE"))
    spark.sql(sql.replace("CREATE TABLE x AS ", "")).createOrReplaceTempView(f"bad_{name}")
    ws = _tiny_on(tmp_path, f'backend = "pyspark"\ntable = "bad_{name}"')
    _expect_refused(ws, f"pyspark:bad_{name}", message)


@pytest.mark.backends
@pytest.mark.parametrize(("name", "value_sql", "message"), BAD_AMOUNTS)
def test_postgres_table_refuses_absurd_amounts(
    name: str,
    value_sql: str,
    message: str,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pg_load(postgres_url, f"base_{name}", _tiny_events(tmp_path))
    con = ibis.connect(postgres_url)
    con.raw_sql(_spoil_sql(f"bad_{name}", f"base_{name}", value_sql))
    con.con.commit()
    con.disconnect()
    monkeypatch.setenv(URL_ENV, postgres_url)
    ws = _tiny_on(tmp_path, f'backend = "postgres"\ntable = "bad_{name}"\nurl_env = "{URL_ENV}"')
    _expect_refused(ws, f"postgres:bad_{name}", message)
