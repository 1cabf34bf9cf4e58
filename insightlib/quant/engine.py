"""The aggregation engine: every number the quantitative step needs, computed where the data is.

All aggregations over events live here, written once as Ibis expressions (run on an embedded,
in-process DuckDB by default; the same expressions compile for Spark or a warehouse through
another Ibis backend). Only aggregated rows come back into Python as small pandas frames.
``tests/test_backends.py`` runs the same expressions on Spark (local mode) and PostgreSQL and
checks every number against DuckDB; ``[sources.events]`` in ``insight.toml`` (see
:mod:`insightlib.workspace.sources`) points a workspace at such an engine.

Portability rules the expressions keep (each one broke a backend once): segment values of a
group are taken with ``min`` (PostgreSQL has no ``arbitrary``/``first``), booleans are counted
with ``ifelse(1, 0)`` (PostgreSQL casts no boolean to bigint), day bits are int32 (PostgreSQL
shifts only by an int4 count; 31 days fit), timestamps are read as UTC (Ibis sets Spark's
session time zone to UTC), weeks are ISO Monday weeks (``truncate("W")`` on every backend),
distinct users are exact (``count`` of per-user rows, never approximate). The one shim:
:func:`_shim_spark_bit_or`.

How a metric series is computed (:func:`metric_series`), in one query per grain:

1. **Per user and period.** Events are bucketed into periods (day, ISO week, month; UTC) and
   grouped by ``(period, user_id)``: one row per active user with the counts, sums and value
   counts the metrics need, the user's segment values and a hash of them, which tells whether
   the user kept the same values all period (the normal case: "stable").
2. **Cells.** The per-user rows of stable users are summed per period and combination of segment
   values (a cell: say iOS / DE / plus). Cells partition the users, so every total below is an
   exact sum of cells; besides totals, a cell carries sums of per-user squares so the
   statistics can use per-user (clustered) variances. Only cells leave the database.
3. **Segments.** Everyone (``"all"``), each value of each segment column and (``pairs=True``)
   each pair of values of two columns are sums of cells (pandas, on the small cell frame).
4. **Changing segment values.** A user whose events carry different segment values in one
   period (say iOS and web) belongs to every segment found on their events, as the rows say.
   Such users are rare; a second, exact query over their events only (per segment, per user)
   runs only when there are any, and the two parts add up exactly.

:func:`series_and_daily` also returns the daily series (overall and per value) from the same
per-user pass: each user row carries bit masks of the days of the period it was active on (and
did each conversion step on), so daily distinct users and conversions need no second pass over
users; daily counts and sums come from a light per-day aggregation of the events. In the daily
frame the variance columns are per event (``sumsq`` is the sum of squared event values), not
per user.

Segment values are read as strings; missing and empty values become ``"(unknown)"`` (a segment
of its own, so totals add up). Segment keys follow :func:`insightlib.model.segment_key`
(columns sorted by name; ``%``, ``&`` and ``=`` in a value escaped, so any value round-trips).

Columns of a series frame (one row per metric x period x segment):
``metric, grain, period_start, segment, users`` (active users of the segment in the period),
``numerator, denominator, value``, ``events`` (events behind the number), ``sumsq`` (sum over
users of the square of their numerator part), ``cross`` and ``densq`` (sum over users of their
sum x value count, and value count squared; ``mean`` only) and ``sumsq_values`` (sum of squared
values; ``sum`` and ``mean``).

====================  =================  =================  ==========================
kind                  numerator          denominator        value
====================  =================  =================  ==========================
``distinct_users``    users (with E)     active users       numerator
``count``             events named E     active users       numerator
``sum``               sum of column      active users       numerator
``mean``              sum of column      values counted     numerator / denominator
``conversion``        users with both    users with from    numerator / denominator
====================  =================  =================  ==========================
"""

from __future__ import annotations

import os
import re
import tempfile
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from insightlib.errors import DataError, InputError
from insightlib.model import key_part
from insightlib.workspace.config import Config, MetricSpec
from insightlib.workspace.periods import GRAINS
from insightlib.workspace.validate import utc_timestamp

__all__ = ["connect", "data_range", "metric_series", "series_and_daily", "SERIES_COLUMNS"]

UNKNOWN = "(unknown)"
SERIES_COLUMNS = (
    "metric",
    "grain",
    "period_start",
    "segment",
    "users",
    "numerator",
    "denominator",
    "value",
    "events",
    "sumsq",
    "cross",
    "densq",
    "sumsq_values",
)
_TRUNC = {"week": "W", "month": "M"}
_SLOTS = {"week": 7, "month": 31}


def _shim_spark_bit_or() -> None:
    """The one backend shim: Ibis 12 has no Spark translation for ``bit_or`` (an aggregate
    Spark SQL has had since 3.0), so teach its PySpark compiler the same one-line rule DuckDB
    and PostgreSQL get. Metric logic stays in one copy; this only fills a gap in Ibis.
    """
    try:
        from ibis.backends.sql.compilers.pyspark import PySparkCompiler
    except ImportError:  # pragma: no cover - Ibis without the SQL compilers
        return

    def visit_bit_or(self: Any, op: Any, *, arg: Any, where: Any) -> Any:
        return self.agg.bit_or(arg, where=where)

    PySparkCompiler.visit_BitOr = visit_bit_or  # type: ignore[attr-defined]


_shim_spark_bit_or()


# ============================================================================================
# Sources
# ============================================================================================
#: The memory the in-process DuckDB may use for one run; beyond it its hash tables spill to a
#: temporary folder. Without a limit DuckDB takes up to 80% of the machine, and a 30M-event run
#: peaked at 4.7 GB; with it the whole run stays under 2 GB at 10M events and 4 GB at 30M
#: (``benchmarks/bench_run.py``; the rest of a run takes about 0.3 GB besides, so 2GB let a
#: 10M-event run peak at 2.3 GB once the window grew to 12 weeks). At 30M events the lower
#: limit costs about 10% more CPU time in spilling. ``INSIGHTLIB_DUCKDB_MEMORY`` (a DuckDB
#: size, e.g. ``8GB``) overrides it.
MEMORY_LIMIT = "1.5GB"
MEMORY_ENV = "INSIGHTLIB_DUCKDB_MEMORY"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def memory_limit() -> str:
    """DuckDB's memory limit for a run: ``$INSIGHTLIB_DUCKDB_MEMORY`` or :data:`MEMORY_LIMIT`."""
    value = os.environ.get(MEMORY_ENV, "").strip() or MEMORY_LIMIT
    if not _SIZE.match(value):
        raise InputError(f"{MEMORY_ENV} must be a size such as 2GB or 512MB, got {value!r}.")
    return value.replace(" ", "")


def connect(source: Any) -> ir.Table:
    """An Ibis table over the events, on an in-process DuckDB.

    ``source`` is a path to a ``.parquet`` or ``.csv`` file (read in place), a pandas DataFrame,
    or an Ibis table (returned as is, whatever its backend). DuckDB's memory is limited to
    :func:`memory_limit` (spilling to the system's temporary folder beyond it).
    """
    if isinstance(source, ir.Table):
        return source
    limit = memory_limit()
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    con.raw_sql(f"SET memory_limit = '{limit}'")
    # one folder per process: DuckDB names its spill files alike in every process
    spill = Path(tempfile.gettempdir()) / f"insightlib-duckdb-{os.getpid()}"
    con.raw_sql(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    if isinstance(source, pd.DataFrame):
        return con.create_table("events", source, temp=True)
    path = Path(source)
    if not path.exists():
        raise DataError("file not found.", file=str(path))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table = con.read_parquet(path, table_name="events")
    elif suffix == ".csv":
        table = con.read_csv(path, table_name="events")
    else:
        raise DataError("events must be a .parquet or .csv file.", file=str(path))
    # the view over the file, so a second connection can run a query beside the first
    sql = con.con.sql(
        "SELECT sql FROM duckdb_views() WHERE temporary AND view_name = 'events'"
    ).fetchall()
    if sql:
        _VIEWS[id(con)] = sql[0][0]
        weakref.finalize(con, _VIEWS.pop, id(con), None)
    return table


#: The events view of each in-process DuckDB made by :func:`connect`, by the identity of its
#: Ibis backend (a temporary view is private to its connection, so a second connection replays
#: it). Not keyed by the backend itself: Ibis counts every in-memory DuckDB as equal.
_VIEWS: dict[int, str] = {}


def _beside(events: ir.Table, query: ir.Table) -> Future[pd.DataFrame]:
    """Start executing ``query`` while the caller goes on (its result: ``.result()``).

    On the in-process DuckDB of :func:`connect` it runs on a second connection in a thread
    (DuckDB runs queries side by side, and a small file is read by one thread per query, so
    two queries use both cores); on any other engine it runs at once, here.
    """
    backend = events._find_backend()
    view = _VIEWS.get(id(backend))
    if view is None:
        done: Future[pd.DataFrame] = Future()
        done.set_result(query.execute())
        return done
    cursor = backend.con.cursor()
    cursor.execute("SET enable_progress_bar = false")
    cursor.execute(view)
    side = ibis.duckdb.from_connection(cursor)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insightlib-query")
    future = pool.submit(side.execute, query)
    future.add_done_callback(lambda _: cursor.close())
    pool.shutdown(wait=False)
    return future


def _value_columns(config: Config) -> list[str]:
    return sorted({m.column for m in config.metrics.values() if m.column})


def _prepare(events: ir.Table, config: Config, start: date | None, end: date | None) -> ir.Table:
    """Normalised columns: ts, user_id, event, g0..gN (segments), v0..vM (numeric columns)."""
    needed = ("timestamp", "user_id", "event", *config.segments, *_value_columns(config),
              *config.entity_columns)  # fmt: skip
    missing = [c for c in needed if c not in events.columns]
    if missing:
        raise DataError(
            f"missing column '{missing[0]}' (named in insight.toml or required).",
            file="events",
            column=missing[0],
        )
    cols: dict[str, ir.Value] = {
        "ts": utc_timestamp(events["timestamp"]),
        "user_id": events["user_id"].cast("string"),
        "event": events["event"].cast("string"),
    }
    for i, c in enumerate(config.segments):
        cols[f"g{i}"] = events[c].cast("string").nullif("").fill_null(UNKNOWN)
    for j, c in enumerate(_value_columns(config)):
        v = events[c]
        if v.type().is_string():  # numbers as text (a Parquet file): a blank is missing
            v = v.strip().nullif("")
        cols[f"v{j}"] = v.cast("float64")
    for k, c in enumerate(config.entity_columns):  # an order id: "" or null counts as none
        cols[f"n{k}"] = events[c].cast("string").nullif("")
    t = events.select(**cols)
    if start is not None:
        t = t.filter(t.ts >= ibis.timestamp(pd.Timestamp(start)))
    if end is not None:
        t = t.filter(t.ts < ibis.timestamp(pd.Timestamp(end + timedelta(days=1))))
    segs = [f"g{i}" for i in range(len(config.segments))]
    if not segs:
        return t.mutate(h=ibis.literal(0, "int64"))
    combo = t[segs[0]]
    for s in segs[1:]:
        combo = combo + "\x1f" + t[s]
    return t.mutate(h=combo.hash())


def data_range(events: ir.Table) -> tuple[date, date]:
    """The first and the last day (UTC) with events."""
    ts = utc_timestamp(events["timestamp"])
    row = events.aggregate(lo=ts.min(), hi=ts.max(), n=events.count()).execute().iloc[0]
    if not row["n"] or pd.isna(row["lo"]):
        raise DataError("the events have no rows.", file="events")
    return pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()


def period_start(ts: ir.TimestampValue, grain: str) -> ir.DateValue:
    """The first day of the `grain` period holding each timestamp, in SQL (see periods.py)."""
    if grain == "day":
        return ts.date()
    return ts.truncate(_TRUNC[grain]).date()


# ============================================================================================
# What to aggregate
# ============================================================================================
class _Plan:
    """Per-user features and per-cell aggregates the metrics need (deduplicated)."""

    def __init__(self, config: Config) -> None:
        self.metrics = list(config.metrics.values())
        self.events: list[str] = []  # event names counted per user
        self.values: list[tuple[str, str]] = []  # (event, column) summed per user
        self.value_col = {c: f"v{j}" for j, c in enumerate(_value_columns(config))}
        self.steps: list[tuple[str, str]] = []  # conversions: (from, to)
        self.distinct: list[str] = []  # distinct users who did event E
        for m in self.metrics:
            if m.kind == "distinct_users" and m.event:
                self._event(m.event)
                if m.event not in self.distinct:
                    self.distinct.append(m.event)
            elif m.kind == "count":
                self._event(m.event)
            elif m.kind in ("sum", "mean") and (m.event, m.column) not in self.values:
                self.values.append((m.event, m.column))  # type: ignore[arg-type]
            elif m.kind == "conversion":
                self._event(m.from_event)
                self._event(m.to_event)
                if (m.from_event, m.to_event) not in self.steps:
                    self.steps.append((m.from_event, m.to_event))  # type: ignore[arg-type]

    @property
    def step_events(self) -> list[str]:
        """Events whose days are tracked per user (conversion steps, distinct users of E)."""
        steps = [e for pair in self.steps for e in pair]
        return list(dict.fromkeys([*steps, *self.distinct]))

    def _event(self, name: str | None) -> None:
        if name and name not in self.events:
            self.events.append(name)

    def n(self, event: str | None) -> str:
        return f"n{self.events.index(event)}"  # type: ignore[arg-type]

    def sv(self, m: MetricSpec) -> int:
        return self.values.index((m.event, m.column))  # type: ignore[arg-type]

    def conv(self, m: MetricSpec) -> int:
        return self.steps.index((m.from_event, m.to_event))  # type: ignore[arg-type]

    def user_features(self, t: ir.Table, slots: bool = False) -> dict[str, ir.Value]:
        """Aggregates of one user's events (in a period, or in a period and segment)."""
        out: dict[str, ir.Value] = {}
        for i, e in enumerate(self.events):
            out[f"n{i}"] = t.count(where=t.event == e)
        for j, (e, c) in enumerate(self.values):
            v = t[self.value_col[c]]
            hit = t.event == e
            out[f"s{j}"] = v.sum(where=hit).fill_null(0.0)
            out[f"k{j}"] = v.count(where=hit)
            out[f"q{j}"] = (v * v).sum(where=hit).fill_null(0.0)
        if slots:  # bit d set: active on (did the step on) day d of the period
            out["m_all"] = t.bit.bit_or()
            for e in self.step_events:
                i = self.events.index(e)
                out[f"m{i}"] = t.bit.bit_or(where=t.event == e).fill_null(0)
        return out

    def cell_aggs(self, u: ir.Table, n_slots: int = 0) -> dict[str, ir.Value]:
        """Sums over per-user rows: everything a series row needs, additive over users."""
        out: dict[str, ir.Value] = {"users": u.count()}
        for m in self.metrics:
            if m.kind == "count":
                n = u[self.n(m.event)]
                out[f"{self.n(m.event)}_sum"] = n.sum()
                out[f"{self.n(m.event)}_sq"] = (n * n).sum()
        for j in range(len(self.values)):
            s, k = u[f"s{j}"], u[f"k{j}"]
            out[f"s{j}_sum"] = s.sum()
            out[f"s{j}_sq"] = (s * s).sum()
            out[f"k{j}_sum"] = k.sum()
            out[f"q{j}_sum"] = u[f"q{j}"].sum()
            if any(m.kind == "mean" and self.sv(m) == j for m in self.metrics):
                out[f"k{j}_sq"] = (k * k).sum()
                out[f"s{j}_k"] = (s * k).sum()
        for c, (a, b) in enumerate(self.steps):
            f, t = u[self.n(a)] > 0, u[self.n(b)] > 0
            out[f"c{c}_den"] = f.ifelse(1, 0).sum()  # CASE: PostgreSQL casts no bool to int8
            out[f"c{c}_num"] = (f & t).ifelse(1, 0).sum()
        for e in self.distinct:
            out[f"du{self.events.index(e)}"] = (u[self.n(e)] > 0).ifelse(1, 0).sum()
        for d in range(n_slots):
            out[f"u_{d}"] = ((u.m_all >> d) & 1).sum()
            for e in self.distinct:
                i = self.events.index(e)
                out[f"dd{i}_{d}"] = ((u[f"m{i}"] >> d) & 1).sum()
            for c, (a, b) in enumerate(self.steps):
                first = u[f"m{self.events.index(a)}"]
                both = first & u[f"m{self.events.index(b)}"]
                out[f"c{c}_den_{d}"] = ((first >> d) & 1).sum()
                out[f"c{c}_num_{d}"] = ((both >> d) & 1).sum()
        return out

    def event_aggs(self, t: ir.Table) -> dict[str, ir.Value]:
        """Per-event sums (for the daily series): counts, sums and sums of squares of values."""
        out: dict[str, ir.Value] = {}
        for m in self.metrics:
            if m.kind == "count":
                out[f"{self.n(m.event)}_sum"] = t.count(where=t.event == m.event)
        for j, (e, c) in enumerate(self.values):
            v = t[self.value_col[c]]
            hit = t.event == e
            out[f"s{j}_sum"] = v.sum(where=hit).fill_null(0.0)
            out[f"k{j}_sum"] = v.count(where=hit)
            out[f"q{j}_sum"] = (v * v).sum(where=hit).fill_null(0.0)
        return out


def _groupings(n_segments: int, pairs: bool) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()] + [(i,) for i in range(n_segments)]
    if pairs:
        out += list(combinations(range(n_segments), 2))
    return out


# ============================================================================================
# Series
# ============================================================================================
def metric_series(
    events: ir.Table,
    config: Config,
    grain: str,
    start: date | None = None,
    end: date | None = None,
    pairs: bool = True,
) -> pd.DataFrame:
    """Every metric per period of ``grain``, overall, per segment value and per pair of values.

    ``start`` and ``end`` (inclusive days) limit the events read. Returns the long frame
    described in the module docstring, sorted by metric, segment and period.
    """
    if grain not in GRAINS:
        raise InputError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}.")
    wide, _ = _series(events, config, grain, start, end, pairs, daily_from=None)
    return _long(wide, _Plan(config), grain)


def series_and_daily(
    events: ir.Table,
    config: Config,
    grain: str,
    start: date | None,
    end: date | None,
    daily_from: date,
    pairs: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``grain`` series (as :func:`metric_series`) and the daily series from ``daily_from``
    to ``end`` (overall and per segment value), from one pass over users.
    """
    if grain == "day":
        return (
            metric_series(events, config, grain, start, end, pairs),
            metric_series(events, config, "day", daily_from, end, pairs=False),
        )
    if grain not in GRAINS:
        raise InputError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}.")
    plan = _Plan(config)
    t = _prepare(events, config, daily_from, end).mutate(p=lambda x: x.ts.date())
    segs = [f"g{i}" for i in range(len(config.segments))]
    # the light per-day query runs beside the per-user pass
    per_day = _beside(
        events,
        t.group_by(["p", "h"]).aggregate(**{s: t[s].min() for s in segs}, **plan.event_aggs(t)),
    )
    try:
        wide, daily_users = _series(events, config, grain, start, end, pairs, daily_from)
    except BaseException:
        wait([per_day])  # not left running on the connection
        raise
    cells = per_day.result()
    ev = _segments(cells, list(config.segments), _groupings(len(segs), False))
    ev["p"] = pd.to_datetime(ev["p"])
    daily_users = daily_users[~daily_users["segment"].str.contains("&", regex=False)].copy()
    daily_users["p"] = pd.to_datetime(daily_users["p"])
    daily = ev.merge(daily_users, on=["p", "segment"], how="outer").fillna(0)
    return _long(wide, plan, grain), _long(daily, plan, "day", per_event=True)


def _series(
    events: ir.Table,
    config: Config,
    grain: str,
    start: date | None,
    end: date | None,
    pairs: bool,
    daily_from: date | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide per-period frame and (with ``daily_from``) the daily user-based frame."""
    names = list(config.segments)
    segs = [f"g{i}" for i in range(len(names))]
    plan = _Plan(config)
    groupings = _groupings(len(names), pairs)
    n_slots = _SLOTS.get(grain, 0) if daily_from is not None else 0
    t = _prepare(events, config, start, end)
    t = t.mutate(p=period_start(t.ts, grain))
    if n_slots:
        slot = t.ts.day_of_week.index() if grain == "week" else t.ts.day() - 1
        # int32 throughout (31 slots fit): PostgreSQL shifts only by an int4 count
        t = t.mutate(bit=ibis.literal(1, "int32") << slot.cast("int32"))
    per_user = t.group_by(["p", "user_id"]).aggregate(
        **plan.user_features(t, slots=bool(n_slots)),
        **{s: t[s].min() for s in segs},
        h=t.h.min(),
        h_max=t.h.max(),
    )
    per_user = per_user.mutate(stable=per_user.h == per_user.h_max)
    cells = (
        per_user.group_by(["p", "stable", "h"])
        .aggregate(**{s: per_user[s].min() for s in segs}, **plan.cell_aggs(per_user, n_slots))
        .execute()
    )
    stable = cells["stable"].astype(bool)
    wide = _segments(cells[stable], names, groupings)
    if not stable.all():
        keys = per_user.filter(~per_user.stable).select("p", "user_id")
        rows = t.semi_join(keys, ["p", "user_id"])
        parts = []
        for g in groupings:
            by = ["p", *(segs[i] for i in g)]
            u = rows.group_by([*by, "user_id"]).aggregate(
                **plan.user_features(rows, slots=bool(n_slots))
            )
            agg = u.group_by(by).aggregate(**plan.cell_aggs(u, n_slots)).execute()
            parts.append(_keyed(agg, g, names))
        wide = pd.concat([wide, *parts], ignore_index=True)
        wide = wide.groupby(["p", "segment"], as_index=False, sort=False).sum(numeric_only=True)
    daily = _unslot(wide, plan, grain, n_slots, daily_from, end) if n_slots else pd.DataFrame()
    slot_cols = ("u_", "dd")
    keep = [
        c for c in wide.columns if not (c.startswith(slot_cols) or "_den_" in c or "_num_" in c)
    ]
    return wide[keep], daily


def _keyed(agg: pd.DataFrame, g: tuple[int, ...], names: Sequence[str]) -> pd.DataFrame:
    """Add the segment key column to an aggregate of grouping ``g`` (columns g0..gN)."""
    agg = agg.copy()
    if not g:
        agg["segment"] = "all"
    else:
        parts = sorted(g, key=lambda i: names[i])
        key = None
        for i in parts:
            values = agg[f"g{i}"].astype(str)
            written = {v: key_part(v) for v in values.unique()}  # "B&B" -> "B%26B"
            pair = f"{key_part(names[i])}=" + values.map(written)
            key = pair if key is None else key + "&" + pair
        agg["segment"] = key
    return agg.drop(columns=[f"g{i}" for i in g])


def _segments(
    cells: pd.DataFrame, names: Sequence[str], groupings: list[tuple[int, ...]]
) -> pd.DataFrame:
    """Sum the cells into everyone, each segment value and each pair of values."""
    skip = {"p", "stable", "h", *(f"g{i}" for i in range(len(names)))}
    cols = [c for c in cells.columns if c not in skip]
    out = []
    for g in groupings:
        by = ["p", *(f"g{i}" for i in g)]
        agg = cells.groupby(by, sort=False, dropna=False)[cols].sum().reset_index()
        out.append(_keyed(agg, g, names))
    if not out:
        return pd.DataFrame(columns=["p", "segment", *cols])
    return pd.concat(out, ignore_index=True)


def _unslot(
    wide: pd.DataFrame, plan: _Plan, grain: str, n_slots: int, first: date, end: date | None
) -> pd.DataFrame:
    """Daily user-based columns (users, conversion steps) from the per-slot sums."""
    frames = []
    days = pd.to_datetime(wide["p"])
    for d in range(n_slots):
        day = days + pd.Timedelta(days=d)
        f = pd.DataFrame({"p": day, "segment": wide["segment"], "users": wide[f"u_{d}"]})
        for c in range(len(plan.steps)):
            f[f"c{c}_den"] = wide[f"c{c}_den_{d}"]
            f[f"c{c}_num"] = wide[f"c{c}_num_{d}"]
        for e in plan.distinct:
            i = plan.events.index(e)
            f[f"du{i}"] = wide[f"dd{i}_{d}"]
        ok = (day.dt.date >= first) & (day.dt.date <= (end or date.max)) & (f["users"] > 0)
        if grain == "month":
            ok &= day.dt.month == days.dt.month
        frames.append(f[ok.to_numpy()])
    return pd.concat(frames, ignore_index=True)


def _long(wide: pd.DataFrame, plan: _Plan, grain: str, per_event: bool = False) -> pd.DataFrame:
    """The long series frame (see the module docstring) from a wide per-segment frame."""
    if wide.empty:
        return pd.DataFrame({c: [] for c in SERIES_COLUMNS})
    wide = wide.fillna(0)
    n = len(wide)
    users = wide["users"].to_numpy(dtype=float)
    nan = np.full(n, np.nan)

    def col(name: str) -> np.ndarray:
        return wide[name].to_numpy(dtype=float) if name in wide else np.zeros(n)

    frames = []
    for m in plan.metrics:
        cross = densq = ssv = ev = nan
        if m.kind == "distinct_users" and m.event:
            # users who did E; each counts once, so the sum of squares is the count
            num = col(f"du{plan.events.index(m.event)}")
            den, sq = users, num
        elif m.kind == "distinct_users":
            num, den, sq = users, users, users
        elif m.kind == "count":
            c = plan.n(m.event)
            num = col(f"{c}_sum")
            den, ev, sq = users, num, num if per_event else col(f"{c}_sq")
        elif m.kind in ("sum", "mean"):
            j = plan.sv(m)
            num, ev, ssv = col(f"s{j}_sum"), col(f"k{j}_sum"), col(f"q{j}_sum")
            sq = ssv if per_event else col(f"s{j}_sq")
            den = users if m.kind == "sum" else ev
            if m.kind == "mean":
                cross = num if per_event else col(f"s{j}_k")
                densq = ev if per_event else col(f"k{j}_sq")
        else:
            c = plan.conv(m)
            num, den = col(f"c{c}_num"), col(f"c{c}_den")
            sq = num
        if m.is_ratio:
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        else:
            value = num
        frames.append(
            pd.DataFrame(
                {
                    "metric": m.name,
                    "grain": grain,
                    "period_start": pd.to_datetime(wide["p"]).dt.date.to_numpy(),
                    "segment": wide["segment"].to_numpy(dtype=object),
                    "users": users,
                    "numerator": num,
                    "denominator": den,
                    "value": value,
                    "events": ev,
                    "sumsq": sq,
                    "cross": cross,
                    "densq": densq,
                    "sumsq_values": ssv,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["metric", "segment", "period_start"], ignore_index=True)


def top_contributors(
    events: ir.Table,
    config: Config,
    metric: str,
    grain: str,
    current: date,
    baseline: Sequence[date],
    segment: dict[str, str],
    direction: int,
    n: int = 3,
) -> dict[str, Any]:
    """The ``n`` users (or entities: the metric's ``entity`` column, such as an order id)
    whose own change makes most of a count or sum change, in the database. Events without an
    entity count as their user's.

    Each user's change is their part of the metric in the ``current`` period minus their mean
    part over the ``baseline`` periods (period starts at ``grain``), among the events of
    ``segment`` (column -> value). Returns ``top`` (the largest changes in ``direction``, most
    first), ``total`` (the change of everyone), ``largest_event`` (the largest single event of
    the current period: 1 for counts, the largest value for sums) and ``users`` (users with a
    part now). Only these few numbers leave the database.
    """
    m = config.metrics[metric]
    if m.kind not in ("count", "sum"):
        raise InputError(f"top contributors are for count and sum metrics, not {m.kind}.")
    days = [current, *baseline]
    first = min(days)
    last = max(days) + timedelta(days=31)
    t = _prepare(events, config, first, last)
    t = t.filter(t.event == m.event).mutate(p=period_start(t.ts, grain))
    for i, c in enumerate(config.segments):
        if c in segment:
            t = t.filter(t[f"g{i}"] == str(segment[c]))
    t = t.filter(t.p.isin(days))
    if m.kind == "count":
        t = t.mutate(x=ibis.literal(1.0, "float64"))
    else:
        t = t.mutate(x=t[f"v{_value_columns(config).index(m.column)}"].fill_null(0.0))
    if m.entity:
        n_col = t[f"n{config.entity_columns.index(m.entity)}"]
        t = t.mutate(who=n_col.fill_null("\x1fuser:" + t.user_id))
    else:
        t = t.mutate(who=t.user_id)
    now = t.p == current
    k = float(len(baseline))
    u = t.group_by("who").aggregate(
        cur=t.x.sum(where=now).fill_null(0.0),
        base=t.x.sum(where=~now).fill_null(0.0),
        big=t.x.max(where=now),
    )
    u = u.mutate(d=u.cur - u.base / k)
    totals = u.aggregate(
        total=u.d.sum(), big=u.big.max(), users=(u.cur != 0).ifelse(1, 0).sum()
    ).execute()
    key = u.d * float(direction)
    top = u.order_by(key.desc()).limit(n).select("d", "cur").execute()
    row = totals.iloc[0]
    return {
        "top": [float(x) for x in top["d"]],
        "top_current": [float(x) for x in top["cur"]],
        "total": float(row["total"]) if pd.notna(row["total"]) else 0.0,
        "largest_event": float(row["big"]) if pd.notna(row["big"]) else None,
        "users": int(row["users"]) if pd.notna(row["users"]) else 0,
    }
