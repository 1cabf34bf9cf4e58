"""The one events validator: every rule an events source must pass, written once.

A CSV file (its rows as text, the timestamps read by :func:`insightlib.workspace.times`), a
Parquet file (read in place) and a table in an engine (Spark, PostgreSQL, a DuckDB database)
are all checked here, by the same Ibis expressions over the source — one aggregate query for
every row rule, run where the data is — and a failure gives the same message for each:
the file (or ``backend:table``), the column and the first bad row. Files have row numbers
(1-based data rows, the header not counted: ``row`` names the column holding them); a table
has none, so its first bad row (by time) is named by its time and event instead.

The rules (:data:`ROW_RULES` and the checks around them):

* the columns insight.toml names (and ``timestamp``, ``user_id``, ``event``) exist; value
  columns are numbers (or, in a file, text that reads as numbers); ``timestamp`` is a
  timestamp, a date or text;
* every row has a time, a user and an event name; its time is not in the future;
* every value of a value column is a number, finite and within ±:data:`MAX_ABS_VALUE`;
* the source has rows; every event a metric names occurs in it;
* segment values that look like personal data are refused (or, with ``[privacy]
  segment_values = "redact"``, returned to be redacted).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from insightlib.errors import ConfigError, DataError
from insightlib.text.redact import looks_personal
from insightlib.workspace.times import future_limit

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: insightlib.workspace.config.Config (not imported: config reads [sources.events] through
#: sources.py, which runs this validator)
Config = Any

__all__ = [
    "EVENT_BASE",
    "MAX_ABS_VALUE",
    "TIME_TEXT",
    "Checked",
    "check_events",
    "utc_timestamp",
    "value_columns",
]

EVENT_BASE = ("timestamp", "user_id", "event")

#: The largest amount a value column may hold (in absolute value): far beyond any real revenue
#: or duration, and small enough that sums of squares over millions of rows stay finite.
MAX_ABS_VALUE = 1e15

#: A file's timestamps as written (before they were read), shown in messages when present.
TIME_TEXT = "_timestamp_text"

#: At most this many distinct values of a segment column are looked at for personal data.
SEGMENT_VALUES_CHECKED = 100_000


@dataclass(frozen=True)
class Checked:
    """What the validator learnt about a source that passed."""

    first: date
    last: date
    rows: int
    #: segment column -> {value: its first row (files) or None (tables)} for every value
    #: that looks like personal data (only with ``[privacy] segment_values = "redact"``)
    personal: dict[str, dict[str, str]] = field(default_factory=dict)
    #: segment column -> {value: first data row} (files; up to SEGMENT_VALUES_CHECKED values)
    segment_rows: dict[str, dict[str, int]] = field(default_factory=dict)


def value_columns(cfg: Config) -> list[str]:
    """The numeric columns the metrics read."""
    return sorted({m.column for m in cfg.metrics.values() if m.column})


@dataclass(frozen=True)
class _Rule:
    column: str
    bad: Callable[[Any], Any]  # table -> boolean expression: the row breaks the rule
    message: Callable[[str], str]  # the bad value as text -> the message


def _number(t: Any, col: str) -> Any:
    c = t[col]
    return c.strip().try_cast("float64") if c.type().is_string() else c.cast("float64")


def _rules(t: ir.Table, cfg: Config) -> list[_Rule]:
    """Every row rule, in the order a file's problems are reported for one row."""
    import ibis

    limit = future_limit()
    shown = (limit - timedelta(days=1)).date()

    def empty(col: str) -> Callable[[Any], Any]:
        def bad(x: Any) -> Any:
            c = x[col]
            return c.isnull() | (c.cast("string").strip() == "")

        return bad

    rules = [
        _Rule("timestamp", lambda x: x["timestamp"].isnull(), lambda v: _EMPTY_TIME),
        _Rule(
            "timestamp",
            lambda x: _utc(x["timestamp"]) >= ibis.timestamp(limit.to_pydatetime()),
            lambda v: (
                f"{v!r} is in the future (after {shown}); check the year, or the clock "
                "of the system that exported the file."
            ),
        ),
        _Rule("user_id", empty("user_id"), lambda v: "is empty; every event needs a user."),
        _Rule("event", empty("event"), lambda v: "is empty; every event needs a name."),
    ]
    for col in value_columns(cfg):
        if t[col].type().is_string():
            rules.append(
                _Rule(
                    col,
                    lambda x, c=col: (x[c].strip() != "") & _number(x, c).isnull(),
                    lambda v: f"value {v!r} is not a number (metrics need numbers here).",
                )
            )

        def absurd(x: Any, c: str = col) -> Any:
            v = _number(x, c)
            # NULL (a missing amount) passes; infinity is beyond the limit. No notnull() or
            # isinf(): Ibis compiles them for Spark as "not NaN" and FALSE
            return v.isnan() | (v.abs() > MAX_ABS_VALUE)

        rules.append(_Rule(col, absurd, _absurd_message))
    return rules


_EMPTY_TIME = "is empty; every row needs a date."


def _absurd_message(value: str) -> str:
    try:
        finite = pd.notna(float(value)) and abs(float(value)) != float("inf")
    except ValueError:
        finite = False
    what = "is out of range" if finite else "is not a finite number"
    return (
        f"value {value!r} {what}; amounts must lie within ±{MAX_ABS_VALUE:.0e} (a broken export "
        "or a wrong unit?)."
    )


def utc_timestamp(col: ir.Value) -> ir.TimestampValue:
    """UTC timestamps without a zone, whatever the source type."""
    dtype = col.type()
    if dtype.is_timestamp():
        return col.cast("timestamp") if dtype.timezone else col
    if dtype.is_date():
        return col.cast("timestamp")
    return col.cast("timestamp('UTC')").cast("timestamp")


_utc = utc_timestamp


def _columns(t: ir.Table, cfg: Config, label: str, what: str, text_numbers: bool) -> None:
    schema = t.schema()
    needed = [*EVENT_BASE, *cfg.segments, *value_columns(cfg), *cfg.entity_columns]
    for col in needed:
        if col not in schema:
            names = [n for n in schema.names if n not in ("_row", TIME_TEXT)]
            have = ", ".join(names[:12])
            raise DataError(
                f"missing column (named in insight.toml or required for events). The {what} "
                f"has: {have}.",
                file=label,
                column=col,
            )
    for col in value_columns(cfg):
        dtype = schema[col]
        if not (dtype.is_numeric() or (text_numbers and dtype.is_string())):
            raise DataError(f"column has type {dtype}, not a number.", file=label, column=col)
    ts = schema["timestamp"]
    if not (ts.is_timestamp() or ts.is_date() or ts.is_string()):
        raise DataError(f"column has type {ts}, not a timestamp.", file=label, column="timestamp")


def check_events(
    t: ir.Table,
    cfg: Config,
    label: str,
    *,
    row: str | None = None,
    what: str = "file",
    text_numbers: bool = True,
) -> Checked:
    """Check the events table ``t`` against every rule; raise the first problem as a
    :class:`DataError` naming ``label``, the column and the row.

    ``row`` names the column of ``t`` holding each row's 1-based data row (files); without it
    (a table) the first bad row by time is named by its time and event. ``timestamp`` may be
    text only in a table (a file's text times are read before, by
    :func:`insightlib.workspace.times.parse_times`, which refuses what this cannot see: an
    ambiguous day/month order, for one).
    """
    _columns(t, cfg, label, what, text_numbers)
    ts = _utc(t["timestamp"])
    rules = _rules(t, cfg)
    aggs: dict[str, Any] = {"n": t.count(), "lo": ts.min(), "hi": ts.max()}
    for i, rule in enumerate(rules):
        bad = rule.bad(t)
        aggs[f"b{i}"] = t.count(where=bad)
    text_ts = t["timestamp"].type().is_string()
    if text_ts:  # a table's text times (a file's are read before): readable?
        unread = t["timestamp"].notnull() & ts.isnull()
        aggs["bad_ts"] = t.count(where=unread)
    got = t.aggregate(**aggs).execute().iloc[0]
    if not got["n"]:
        raise DataError("has no rows.", file=label)
    if text_ts and got["bad_ts"]:
        raise DataError(
            f"{int(got['bad_ts'])} rows have a timestamp that cannot be read as a date/time; "
            "use ISO 8601 like 2026-11-17T09:30:00Z.",
            file=label,
            column="timestamp",
        )
    failed = [i for i in range(len(rules)) if got[f"b{i}"]]
    if failed:  # a second pass, only now: where each broken rule first fails
        at = t.aggregate(
            **{
                f"r{i}": t[row].min(where=rules[i].bad(t)) if row else ts.min(where=rules[i].bad(t))
                for i in failed
            }
        )
        first = at.execute().iloc[0]
        # the first bad row of all; among rules on the same row, the first rule
        i = min(failed, key=lambda k: (first[f"r{k}"], k))
        rule = rules[i]
        where, value = _locate(t, rule, row, first[f"r{i}"])
        raise DataError(rule.message(value), file=label, column=rule.column, row=where)
    names = {
        str(r)
        for r in t.select(e=t["event"].cast("string")).distinct().execute()["e"]
        if r is not None
    }
    _metric_events_occur(cfg, names, label)
    personal, segment_rows = _segments(t, cfg, label, row)
    return Checked(
        pd.Timestamp(got["lo"]).date(),
        pd.Timestamp(got["hi"]).date(),
        int(got["n"]),
        personal,
        segment_rows,
    )


def _locate(t: ir.Table, rule: _Rule, row: str | None, first: Any) -> tuple[Any, str]:
    """The first row breaking ``rule`` (found at ``first``: a row number or a time): its
    locator for the message and its value as text."""
    shown = TIME_TEXT if rule.column == "timestamp" and TIME_TEXT in t.columns else rule.column
    # a number is shown as Python writes it (inf, nan, 1e+307) whatever the engine's own text
    text = t[shown] if t[shown].type().is_numeric() else t[shown].cast("string")
    if row:
        hit = t.filter(t[row] == first).select(v=text).limit(1).execute()
        return int(first), _show(hit["v"].iloc[0] if len(hit) else None)
    ts = _utc(t["timestamp"])
    hit = (
        t.filter(rule.bad(t) & (ts == first))
        .select(v=text, e=t["event"].cast("string"))
        .limit(1)
        .execute()
    )
    value = hit["v"].iloc[0] if len(hit) else None
    event = hit["e"].iloc[0] if len(hit) else None
    when = pd.Timestamp(first).isoformat() if pd.notna(first) else "with no time"
    return f"at {when} (event {event!r})", _show(value)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return repr(float(value))
    if value is None or value is pd.NA:
        return ""
    return str(value).strip()


def _segments(
    t: ir.Table, cfg: Config, label: str, row: str | None
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, int]]]:
    """Segment values that look like personal data: refused, or (``redact`` mode) returned."""
    personal: dict[str, dict[str, str]] = {}
    rows: dict[str, dict[str, int]] = {}
    for col in cfg.segments:
        v = t[col].cast("string").strip()
        first = t[row].min() if row else _utc(t["timestamp"]).min()
        got = (
            t.filter(v.notnull() & (v != ""))
            .group_by(value=v)
            .aggregate(first=first)
            .order_by("first")
            .limit(SEGMENT_VALUES_CHECKED)
            .execute()
        )
        if row:
            rows[col] = {str(a): int(b) for a, b in zip(got["value"], got["first"], strict=True)}
        for value, at in zip(got["value"], got["first"], strict=True):
            kind = looks_personal(str(value))
            if kind is None:
                continue
            if cfg.privacy.segment_values == "redact":
                personal.setdefault(col, {})[str(value)] = kind
                continue
            where: int | str = (
                int(at) if row else f"at {pd.Timestamp(at).isoformat()}"  # a table: its time
            )
            raise DataError(
                f"segment value looks like personal data ({kind}); segment values appear in "
                "every report. Remove it, map it to a category, or set "
                '[privacy] segment_values = "redact" in insight.toml.',
                file=label,
                column=col,
                row=where,
            )
    return personal, rows


def _metric_events_occur(cfg: Config, names: set[str], name: str) -> None:
    """Every event a metric names must occur in the events (a typo gets a suggestion)."""
    for m in cfg.metrics.values():
        for key, ev in (("event", m.event), ("from", m.from_event), ("to", m.to_event)):
            if ev and ev not in names:
                close = difflib.get_close_matches(ev, sorted(names), n=1, cutoff=0.6)
                hint = (
                    f" Did you mean {close[0]!r}?"
                    if close
                    else f" It has {len(names)} event names, e.g. "
                    + ", ".join(repr(x) for x in sorted(names)[:5])
                    + "."
                )
                raise ConfigError(
                    f"[metrics.{m.name}] {key} {ev!r} never occurs in {name}, so the metric "
                    f"cannot be measured.{hint}",
                    file=cfg.rel(cfg.path),
                )
