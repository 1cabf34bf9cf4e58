"""Online Retail (UCI, real invoices) mapped into a workspace; every number checked with DuckDB.

Run ``python benchmarks/retail_check.py`` (``--weeks N``: how many weeks, newest first). It reads
``../shared/realdata/online_retail.parquet`` (or ``$INSIGHTLIB_REALDATA``), writes a workspace
(one event per invoice: ``order`` or ``cancellation`` for the invoices whose number starts with
C; ``user_id`` is the customer, lines without a customer are left out; ``amount`` is the
invoice's sum of quantity x unit price; segment ``country``) and reports each week with
insightlib (quantitative step, fusion, the ``insights.json`` document; no notebooks). Then it
recomputes every number the document states — each metric's current value, baseline and last
12 weeks on the scoreboard, each finding's current value and baseline (overall or per country)
— straight from the raw invoice *lines* with DuckDB SQL written independently of insightlib,
and prints how many agree. Exit 1 on any mismatch. ``tests/test_realdata.py`` runs it on a few
weeks and skips when the data are absent.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

TOML = """[project]
name = "Online Retail"

[sources]
events = "events.parquet"

[segments]
columns = ["country"]

[metrics.customers]
kind = "distinct_users"
event = "order"
label = "Customers who ordered"

[metrics.orders]
kind = "count"
event = "order"
label = "Orders"

[metrics.revenue]
kind = "sum"
event = "order"
column = "amount"
label = "Revenue"
unit = "GBP"

[metrics.order_value]
kind = "mean"
event = "order"
column = "amount"
label = "Order value"
unit = "GBP"

[metrics.cancellations]
kind = "count"
event = "cancellation"
label = "Cancellations"
good = "down"

[report]
grain = "week"
"""

# the metric's value per ISO week (and country), from the raw lines, in DuckDB SQL
SQL = {
    "customers": "count(DISTINCT CustomerID) FILTER (WHERE NOT cancel)",
    "orders": "count(DISTINCT InvoiceNo) FILTER (WHERE NOT cancel)",
    "revenue": "coalesce(sum(Quantity * UnitPrice) FILTER (WHERE NOT cancel), 0)",
    "order_value": "sum(Quantity * UnitPrice) FILTER (WHERE NOT cancel)"
    " / count(DISTINCT InvoiceNo) FILTER (WHERE NOT cancel)",
    "cancellations": "count(DISTINCT InvoiceNo) FILTER (WHERE cancel)",
}


def data_path() -> Path:
    env = os.environ.get("INSIGHTLIB_REALDATA")
    base = Path(env) if env else ROOT.parent / "shared" / "realdata"
    return base / "online_retail.parquet"


def write_workspace(src: Path, dest: Path) -> Path:
    """The invoice lines as one event per invoice (see the module docstring)."""
    con = duckdb.connect()
    ev = con.execute(
        f"""
        SELECT min(InvoiceDate) AS timestamp, CAST(CustomerID AS VARCHAR) AS user_id,
               CASE WHEN InvoiceNo LIKE 'C%' THEN 'cancellation' ELSE 'order' END AS event,
               min(Country) AS country, sum(Quantity * UnitPrice) AS amount,
               InvoiceNo AS invoice
        FROM read_parquet('{src}') WHERE CustomerID IS NOT NULL
        GROUP BY InvoiceNo, CustomerID ORDER BY timestamp
        """
    ).df()
    ev["timestamp"] = pd.to_datetime(ev["timestamp"], utc=True)
    dest.mkdir(parents=True, exist_ok=True)
    ev.to_parquet(dest / "events.parquet", index=False)
    (dest / "insight.toml").write_text(TOML, encoding="utf-8")
    return dest


def truth(src: Path) -> pd.DataFrame:
    """Every metric per ISO week, overall and per country, from the raw lines."""
    con = duckdb.connect()
    lines = f"""
        SELECT *, InvoiceNo LIKE 'C%' AS cancel,
               CAST(date_trunc('week', CAST(InvoiceDate AS TIMESTAMP)) AS DATE) AS week
        FROM read_parquet('{src}') WHERE CustomerID IS NOT NULL"""
    cols = ", ".join(f"{sql} AS {name}" for name, sql in SQL.items())
    q = f"""
        WITH l AS ({lines})
        SELECT week, 'all' AS segment, {cols} FROM l GROUP BY week
        UNION ALL
        SELECT week, 'country=' || Country AS segment, {cols} FROM l GROUP BY week, Country
    """
    df = con.execute(q).df()
    df["week"] = pd.to_datetime(df["week"]).dt.date
    return df.melt(["week", "segment"], var_name="metric", value_name="value")


def report(ws: Path, label: str) -> dict:
    from insightlib.narrate import assemble
    from insightlib.qual import analyse as qual
    from insightlib.quant import changes as quant
    from insightlib.quant import engine
    from insightlib.workspace.load import load_workspace
    from insightlib.workspace.periods import parse_period

    w = load_workspace(ws)
    per = parse_period(label)
    q = quant.analyse(engine.connect(w.events), w.config, per)
    ql = qual.analyse_feedback(w.feedback, w.config, per)
    return assemble.build_document(
        quant=q,
        qual=ql,
        knowledge=w.knowledge,
        glossary=w.glossary,
        config=w.config,
        period=per,
        provenance={"files": w.files},
        check=False,
    ).to_dict()  # fmt: skip  (the insights.json shape, as the report reads it)


def _week(label: str) -> date:
    from insightlib.workspace.periods import parse_period

    return parse_period(label).start


def check(doc: dict, table: pd.DataFrame) -> tuple[int, list[str]]:
    """(numbers checked, mismatches) of one document against the DuckDB table."""
    val = {(r.week, r.segment, r.metric): r.value for r in table.itertuples()}
    cur = date.fromisoformat(doc["period"]["start"])
    n, bad = 0, []

    def same(what: str, got: float | None, want: float | None) -> None:
        nonlocal n
        n += 1
        if got is None or want is None or (isinstance(want, float) and math.isnan(want)):
            if not (got is None and (want is None or math.isnan(want))):
                bad.append(f"{what}: insightlib {got}, DuckDB {want}")
            return
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6):
            bad.append(f"{what}: insightlib {got}, DuckDB {want}")

    def baseline(metric: str, segment: str, labels: list[str]) -> float:
        weeks = [_week(x) for x in labels]
        if metric == "order_value":  # a pooled mean: all the baseline's revenue over its orders
            rev = sum(val.get((w, segment, "revenue"), 0.0) for w in weeks)
            return rev / sum(val.get((w, segment, "orders"), 0) for w in weeks)
        return sum(val.get((w, segment, metric), 0.0) for w in weeks) / len(weeks)

    for row in doc["metrics"]:
        m = row["metric"]
        same(f"{m} now", row["current"], val.get((cur, "all", m), 0.0))
        same(f"{m} baseline", row["baseline"], baseline(m, "all", row["baseline_periods"]))
        for p in row["recent"]:
            if p["value"] is not None:
                same(f"{m} {p['period']}", p["value"], val.get((_week(p["period"]), "all", m), 0.0))
    for ins in doc["insights"]:
        if ins.get("metric") not in SQL or ins["kind"] not in (
            "metric_change", "segment_driver", "hidden_change"
        ):  # fmt: skip
            continue
        seg = "&".join(f"{c}={v}" for c, v in sorted(ins["segment"].items())) or "all"
        if "&" in seg:
            continue
        m = ins["metric"]
        same(f"{ins['id']} now", ins["current"], val.get((cur, seg, m), 0.0))
        periods = ins["details"]["baseline_periods"]
        same(f"{ins['id']} baseline", ins["baseline"], baseline(m, seg, periods))
    return n, bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weeks", type=int, default=8)
    args = ap.parse_args(argv)
    src = data_path()
    if not src.exists():
        print(f"no data at {src}; set INSIGHTLIB_REALDATA")
        return 2
    table = truth(src)
    last = date(2011, 12, 4)  # the last complete ISO week ends on Sunday 4 December 2011
    labels = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"
              for d in (last - timedelta(weeks=i) for i in range(args.weeks))]  # fmt: skip
    total, wrong, findings = 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(src, Path(tmp) / "retail")
        for label in labels:
            doc = report(ws, label)
            n, bad = check(doc, table)
            total += n
            findings += len(doc["insights"])
            wrong += [f"{label} {b}" for b in bad]
            print(f"{label}: {len(doc['insights'])} findings, {n} numbers checked, "
                  f"{len(bad)} wrong; watch: {len(doc['summary']['watch'])}")  # fmt: skip
    print(f"Online Retail: {total} numbers checked against DuckDB over {len(labels)} weeks, "
          f"{len(wrong)} wrong; {findings} findings")  # fmt: skip
    for w in wrong[:20]:
        print("  ", w)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
