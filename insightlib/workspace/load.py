"""Load a workspace and validate every file against the config.

Events — a CSV file, a Parquet file (read in place) or a table — are checked by the one events
validator, :mod:`insightlib.workspace.validate`; feedback, knowledge and glossary files by pandera
schemas. The first problem is raised as a :class:`~insightlib.errors.DataError` that names the
file, the column and the first bad row (1-based data row; the header is not counted). Input
files are only read, never written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq

from insightlib.errors import DataError
from insightlib.model import segment_pairs
from insightlib.text.redact import looks_personal, redact
from insightlib.workspace.config import Config, load_config
from insightlib.workspace.sources import load_events
from insightlib.workspace.times import first_row, no_future, parse_times
from insightlib.workspace.validate import (
    EVENT_BASE,
    MAX_ABS_VALUE,
    TIME_TEXT,
    Checked,
    check_events,
    value_columns,
)

__all__ = ["Workspace", "load_workspace", "sha256_file", "read_table"]

FEEDBACK_REQUIRED = ("id", "created_at", "source", "text")
KNOWLEDGE_REQUIRED = ("date", "team", "kind", "title")
GLOSSARY_REQUIRED = ("term", "plain")


@dataclass(frozen=True)
class Workspace:
    """A validated workspace: the config and its data, ready for the analysis steps.

    ``events`` is the source the engine reads: the Parquet path (read in place by DuckDB) or a
    typed DataFrame (for CSV input). ``files`` maps each source name to its path relative to the
    workspace, sha256 and row count (the provenance of a run).
    """

    config: Config
    events: Path | pd.DataFrame | None  # None: a feedback-only workspace
    feedback: pd.DataFrame
    knowledge: pd.DataFrame
    glossary: pd.DataFrame
    first_day: date
    last_day: date
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: segment column -> {value: the first data row holding it} (files; for messages)
    segment_rows: dict[str, dict[str, int]] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _utf16_without_bom(raw: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when text looks like UTF-16 saved without a BOM (every
    other byte NUL for the ASCII a CSV header is made of), else None."""
    head = raw[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _looks_single_byte(raw: bytes, start: int) -> str:
    """A hint for a file that is not UTF-8: what the bytes read as in Windows-1252 / Latin-1."""
    line_start = raw.rfind(b"\n", 0, start) + 1
    chunk = raw[max(line_start, start - 40) : start + 20].split(b"\n")[0]
    try:
        shown = chunk.decode("cp1252")
    except UnicodeDecodeError:
        shown = chunk.decode("latin-1")
    shown = " ".join(shown.split())
    return f"it looks like Latin-1 / Windows-1252 ({shown!r})"


def _decode_check(path: Path, name: str) -> str:
    """The file's text: UTF-8 (with or without BOM) or UTF-16 (with or without BOM).

    Anything else — Latin-1, Windows-1252, binary — is refused naming the byte and line, since
    guessing a single-byte encoding would misread letters silently.
    """
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataError(
            "is a folder, not a file; [sources] in insight.toml must name a .csv or .parquet file.",
            file=name,
        ) from None
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror or exc}.", file=name) from None
    encoding = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = _utf16_without_bom(raw)
    if encoding:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"looks like UTF-16 text but byte {exc.start} cannot be read as UTF-16; save "
                "it as UTF-8 (e.g. in a spreadsheet: 'CSV UTF-8').",
                file=name,
            ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = _looks_single_byte(raw, exc.start) if b"\x00" not in raw[:4096] else "binary?"
        raise DataError(
            f"is not UTF-8 text (byte {exc.start}, line {line}; {hint}); save it as UTF-8 "
            "(e.g. in a spreadsheet: 'CSV UTF-8').",
            file=name,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError(
            f"holds a NUL byte on line {line}: it is not a text (CSV) file, or is damaged.",
            file=name,
        )
    return text


def read_table(path: Path, name: str) -> pd.DataFrame:
    """Read a CSV (every column as text) or Parquet file into a DataFrame."""
    if not path.exists():
        raise DataError("file not found; check [sources] in insight.toml.", file=name)
    if path.suffix.lower() == ".parquet":
        try:
            return pq.read_table(path).to_pandas()
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise DataError(f"cannot be read as Parquet: {exc}.", file=name) from None
    text = _decode_check(path, name)
    if not text.strip():
        raise DataError("is empty; it needs a header row and data rows.", file=name)
    rows, starts = _csv_rows(text, name)
    header = [h.strip() for h in rows[0]]
    if not any(header):
        raise DataError(
            "the first line is empty; it must be the header (the column names).", file=name
        )
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        raise DataError(
            f"has a single column {header[0][:60]!r}: the file seems to use another delimiter "
            "than a comma; save it as comma-separated CSV.",
            file=name,
        )
    for pos, col in enumerate(header, start=1):
        if not col:
            raise DataError(
                f"the header has no name for column {pos}; every column needs a name "
                "(is the first line a header?).",
                file=name,
            )
        if header.index(col) != pos - 1:
            raise DataError("appears twice in the header; rename one.", file=name, column=col)
    for i, row in enumerate(rows[1:], start=1):
        if len(row) != len(header) and any(cell.strip() for cell in row):
            first, last = starts[i], starts[i + 1] - 1 if i + 1 < len(starts) else None
            if last is not None and last > first and any("\n" in cell for cell in row):
                raise DataError(
                    f"has {len(row)} fields where the header has {len(header)}: a quote opened "
                    f"on line {first} runs to line {last} (an unclosed or stray quote?).",
                    file=name,
                    row=i,
                )
            raise DataError(
                f"has {len(row)} fields where the header has {len(header)} (ragged row on line "
                f"{first}; a stray comma or quote?).",
                file=name,
                row=i,
            )
    _swallowed_rows(rows, starts, len(header), name)
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    return pd.DataFrame(body, columns=header, dtype="string").astype(object)


#: The longest field a CSV may hold, in characters (a long but validly quoted feedback text is
#: read; beyond this the file is refused, naming the line where the field starts).
MAX_FIELD_CHARS = 16 * 1024 * 1024


def _csv_rows(text: str, name: str) -> tuple[list[list[str]], list[int]]:
    """Every row of a CSV text and the line each row starts on (plus one past the end).

    An unclosed quote is reported at the line where the quoted field opened, not where the
    parser gave up (which may be thousands of lines later, or the end of the file).
    """
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                msg = str(exc)
                if "field larger than field limit" in msg:
                    raise DataError(
                        f"a field that starts on line {start} is longer than "
                        f"{MAX_FIELD_CHARS:,} characters, the limit for one value (an unclosed "
                        "quote?).",
                        file=name,
                    ) from None
                if "unexpected end of data" in msg or "EOF" in msg:
                    raise DataError(
                        f"the quote opened on line {start} is never closed (the file ends inside "
                        "it); close the quote or remove it.",
                        file=name,
                    ) from None
                raise DataError(
                    f"is not valid CSV in the row that starts on line {start} (the parser "
                    f"stopped on line {reader.line_num}: {msg}); a stray or unclosed quote?",
                    file=name,
                ) from None
            rows.append(row)
            starts.append(start)
    finally:
        csv.field_size_limit(previous)
    starts.append(reader.line_num + 1)
    return rows, starts


def _compact_columns(rows: list[list[str]], width: int) -> list[int]:
    """Columns whose values, in rows without line breaks, are never empty and never hold a space
    (ids, dates, codes, numbers): prose split at its commas does not look like them."""
    sample = [r for r in rows[1:2001] if len(r) == width and not any("\n" in c for c in r)]
    if not sample:
        return []
    return [
        j
        for j in range(width)
        if all(r[j].strip() and not any(ch.isspace() for ch in r[j].strip()) for r in sample)
    ]


def _swallowed_rows(rows: list[list[str]], starts: list[int], width: int, name: str) -> None:
    """Refuse a quoted field that holds two or more lines shaped like whole rows of the file:
    a stray quote that a later quote closed, so the rows between vanished into one value.

    A line is shaped like a row when it splits into as many fields as the header and, in every
    column whose real values are compact (never empty, no spaces: ids, dates, numbers), holds a
    compact value too — so a long review whose paragraphs hold commas is not mistaken for rows.
    """
    import csv

    if width < 2:
        return
    compact = None
    for i, row in enumerate(rows[1:], start=1):
        for cell in row:
            if "\n" not in cell:
                continue
            if compact is None:
                compact = _compact_columns(rows, width)
            if not compact:
                return
            lines = [ln for ln in cell.split("\n") if ln.count(",") >= width - 1]
            shaped = sum(
                1
                for parsed in csv.reader(lines)
                if len(parsed) == width
                and all(
                    parsed[j].strip() and not any(ch.isspace() for ch in parsed[j].strip())
                    for j in compact
                )
            )
            if shaped >= 2:
                raise DataError(
                    f"a quote opened on line {starts[i]} runs to line {starts[i + 1] - 1} and "
                    f"swallows {shaped} lines that look like rows (a stray or unclosed quote?).",
                    file=name,
                    row=i,
                )


def _require(df: pd.DataFrame, cols: tuple[str, ...] | list[str], name: str, why: str) -> None:
    for col in cols:
        if col not in df.columns:
            have = ", ".join(map(str, df.columns[:12]))
            raise DataError(f"missing column ({why}). The file has: {have}.", file=name, column=col)


def _first_failure(exc: pa.errors.SchemaErrors, name: str) -> DataError:
    fc = exc.failure_cases.copy()
    fc["_row"] = pd.to_numeric(fc["index"], errors="coerce")
    fc = fc.sort_values(["_row"], na_position="first")
    first = fc.iloc[0]
    column = None if pd.isna(first["column"]) else str(first["column"])
    row = None if pd.isna(first["_row"]) else int(first["_row"]) + 1
    check = str(first["check"])
    value = first["failure_case"]
    if check == "not_nullable":
        msg = "is empty; every row needs a value here."
    elif "coerce" in check or "dtype" in check:
        msg = f"value {value!r} is not of the expected type ({check})."
    else:
        msg = f"value {value!r} fails the check {check}."
    return DataError(msg, file=name, column=column, row=row)


def _validate(df: pd.DataFrame, schema: pa.DataFrameSchema, name: str) -> pd.DataFrame:
    if df.empty:  # a header-only file: nothing to check (and no dtype to infer)
        return df
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise _first_failure(exc, name) from None


def _numeric(df: pd.DataFrame, col: str, name: str) -> pd.Series:
    s = df[col]
    if pd.api.types.is_numeric_dtype(s):
        out = s.astype("float64")
        text = s.astype("string")
    else:
        text = s.astype("string").str.strip().replace("", pd.NA)
        out = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = out.isna() & text.notna()
        if bad.any():
            pos = first_row(bad)
            raise DataError(
                f"value {text.iloc[pos]!r} is not a number (metrics need numbers here).",
                file=name,
                column=col,
                row=pos + 1,
            )
    values = out.to_numpy(dtype="float64", na_value=0.0)
    with np.errstate(invalid="ignore"):
        absurd = ~np.isfinite(values) | (np.abs(values) > MAX_ABS_VALUE)
    if s.isna().any() and pd.api.types.is_numeric_dtype(s):
        absurd &= s.notna().to_numpy()  # a missing value is not a NaN amount
    if absurd.any():
        pos = first_row(absurd)
        what = "is not a finite number" if not np.isfinite(values[pos]) else "is out of range"
        raise DataError(
            f"value {str(text.iloc[pos]).strip()!r} {what}; amounts must lie within "
            f"±{MAX_ABS_VALUE:.0e} (a broken export or a wrong unit?).",
            file=name,
            column=col,
            row=pos + 1,
        )
    return out


def _scores_in_scale(df: pd.DataFrame, cfg: Config, name: str) -> None:
    """A score outside its source's scale declared in ``[scores]`` stops the load."""
    for source, (lo, hi) in sorted(cfg.score_scales.items()):
        mine = df["source"].astype(str).str.lower() == source
        bad = mine & df["score"].notna() & ~df["score"].between(lo, hi)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"score {df['score'].iloc[pos]:g} of source {source!r} is outside its scale "
                f"{lo:g}–{hi:g} declared in [scores] of insight.toml.",
                file=name,
                column="score",
                row=pos + 1,
            )


def _personal_segments(df: pd.DataFrame, cfg: Config, name: str) -> None:
    """Refuse (or, with ``[privacy] segment_values = "redact"``, redact in place) segment values
    that look like personal data: a segment value is printed in every report."""
    for col in cfg.segments:
        if col not in df.columns:
            continue
        values = df[col].dropna().astype(str).unique()
        bad = {v: k for v in values if (k := looks_personal(v)) is not None}
        if not bad:
            continue
        if cfg.privacy.segment_values == "redact":
            swap = {v: redact(v) for v in bad}
            df[col] = df[col].map(lambda v, swap=swap: swap.get(v, v) if isinstance(v, str) else v)
            continue
        first = df.index[df[col].astype("string").isin(list(bad))][0]
        raise DataError(
            f"segment value looks like personal data ({bad[str(df.at[first, col])]}); segment "
            "values appear in every report. Remove it, map it to a category, or set "
            '[privacy] segment_values = "redact" in insight.toml.',
            file=name,
            column=col,
            row=int(df.index.get_loc(first)) + 1,
        )


def _events_frame(frame: pd.DataFrame, cfg: Config, name: str) -> tuple[pd.DataFrame, Checked]:
    """Validate events held in memory (a CSV file's text, or a Parquet file read whole) by the
    one validator and return them typed. ``frame`` has every needed column, parsed timestamps
    and ``_row`` (the 1-based data row)."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    t = con.create_table("events", frame, temp=True)
    checked = check_events(t, cfg, name, row="_row")
    cols: dict[str, Any] = {
        "timestamp": t["timestamp"],
        "user_id": t["user_id"].cast("string"),
        "event": t["event"].cast("string"),
    }
    for col in cfg.segments:
        cols[col] = t[col].cast("string").strip().nullif("")
    for col in value_columns(cfg):
        c = t[col]
        cols[col] = c.strip().try_cast("float64") if c.type().is_string() else c.cast("float64")
    for col in cfg.entity_columns:  # what an event belongs to (an order id): kept as text
        if col not in cols:
            cols[col] = t[col].cast("string").strip().nullif("")
    out = t.order_by("_row").select(**cols).execute()
    out["timestamp"] = pd.to_datetime(out["timestamp"]).astype("datetime64[ns]")
    for col in cfg.segments:
        out[col] = out[col].astype(object).where(out[col].notna(), pd.NA)
    for col, bad in checked.personal.items():  # [privacy] segment_values = "redact"
        swap = {v: redact(v) for v in bad}
        out[col] = out[col].map(lambda v, swap=swap: swap.get(v, v) if isinstance(v, str) else v)
    return out, checked


def _needed(cfg: Config) -> list[str]:
    return list(
        dict.fromkeys([*EVENT_BASE, *cfg.segments, *value_columns(cfg), *cfg.entity_columns])
    )


def _events_parquet(
    path: Path, cfg: Config, name: str, notes: list[str]
) -> tuple[Path | pd.DataFrame, Checked]:
    """A Parquet events file, validated in place by the one validator; returned as the path
    (the engine reads it in place) unless its times are text DuckDB cannot read as ISO 8601
    (day/month numbers, month names, a ``timestamp_format``: read as a CSV file's are) or a
    segment value is to be redacted — then as a typed frame."""
    try:
        pq.read_schema(path)
    except Exception as exc:
        raise DataError(f"cannot be read as Parquet: {exc}.", file=name) from None
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    quoted = str(path).replace("'", "''")
    con.raw_sql(
        "CREATE TEMP VIEW events AS SELECT * EXCLUDE (file_row_number), "
        f"file_row_number + 1 AS _row FROM read_parquet('{quoted}', file_row_number = true)"
    )
    t = con.table("events")
    fmt = cfg.timestamp_formats.get("events")
    if "timestamp" in t.columns and t["timestamp"].type().is_string():
        text = t["timestamp"].strip()
        # empty or not ISO 8601: read as a CSV file's times are (the same messages)
        unread = text.isnull() | (text == "") | text.try_cast("timestamp('UTC')").isnull()
        if fmt not in (None, "iso") or t.count(where=unread).execute():
            return _events_text_times(cfg, name, notes, t)
    checked = check_events(t, cfg, name, row="_row")
    if checked.personal:  # redact: the values are rewritten in memory
        frame = t.order_by("_row").select(*_needed(cfg), "_row").execute()
        frame["timestamp"] = parse_times(frame["timestamp"], name, "timestamp", fmt=fmt)
        return _events_frame(frame, cfg, name)
    return path, checked


def _events_text_times(
    cfg: Config, name: str, notes: list[str], t: Any
) -> tuple[pd.DataFrame, Checked]:
    """Events whose times are text DuckDB cannot read: the times are read as a CSV file's
    (one day/month order per column, ``timestamp_format``), then the one validator runs."""
    needed = _needed(cfg)
    if any(c not in t.columns for c in needed):
        check_events(t, cfg, name, row="_row")  # raises: names the missing column
    frame = t.order_by("_row").select(*needed, "_row").execute()
    fmt = cfg.timestamp_formats.get("events")
    text = frame["timestamp"].astype(object).where(frame["timestamp"].notna(), "")
    frame["timestamp"] = parse_times(text, name, "timestamp", fmt=fmt, notes=notes)
    frame[TIME_TEXT] = text.astype(str).str.strip()
    return _events_frame(frame, cfg, name)


def _load_events(
    cfg: Config, files: dict[str, dict[str, Any]], notes: list[str]
) -> tuple[Any, date, date, dict[str, dict[str, int]]]:
    if cfg.events_source is None and cfg.source("events") is None:  # a feedback-only workspace
        return None, date.min, date.min, {}
    if cfg.events_source is not None:  # [sources.events] names an engine's table: sources.py
        table, first, last = load_events(cfg, files)
        return table, first, last, {}
    path = cfg.sources["events"]
    name = cfg.rel(path)
    if not path.exists():
        raise DataError("file not found; check [sources] events in insight.toml.", file=name)
    needed = _needed(cfg)
    if path.suffix.lower() == ".parquet":
        events, checked = _events_parquet(path, cfg, name, notes)
        files["events"] = {"path": name, "sha256": sha256_file(path), "rows": checked.rows}
        return events, checked.first, checked.last, checked.segment_rows
    df = read_table(path, name)
    _require(df, needed, name, "named in insight.toml or required for events")
    if df.empty:
        raise DataError("has a header but no data rows.", file=name)
    frame = df[needed].copy()
    fmt = cfg.timestamp_formats.get("events")
    frame["timestamp"] = parse_times(df["timestamp"], name, "timestamp", fmt=fmt, notes=notes)
    frame[TIME_TEXT] = df["timestamp"].astype(str).str.strip()  # shown in messages
    frame["_row"] = np.arange(1, len(frame) + 1)
    out, checked = _events_frame(frame, cfg, name)
    files["events"] = {"path": name, "sha256": sha256_file(path), "rows": len(out)}
    dup = int(out.duplicated().sum())
    if dup:  # kept: two identical events can be real; said so, so the user can check the export
        files["events"]["duplicate_rows"] = dup
    return out, checked.first, checked.last, checked.segment_rows


_FEEDBACK_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
        "source": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
        "text": pa.Column(str, nullable=True),
    },
    strict=False,
)
_KNOWLEDGE_SCHEMA = pa.DataFrameSchema(
    {
        "team": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
        "kind": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
        "title": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
    },
    strict=False,
)
_GLOSSARY_SCHEMA = pa.DataFrameSchema(
    {
        "term": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
        "plain": pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1)),
    },
    strict=False,
)


def _blank_to_na(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            s = out[col].astype("string").str.strip()
            out[col] = s.where(s != "", pd.NA).astype(object)
    return out


def _load_feedback(cfg: Config, files: dict[str, dict[str, Any]], notes: list[str]) -> pd.DataFrame:
    cols = ["id", "created_at", "source", "text", "score", "user_id", "team", *cfg.segments]
    path = cfg.source("feedback")
    if path is None:
        return pd.DataFrame(columns=cols)
    name = cfg.rel(path)
    df = _blank_to_na(read_table(path, name))
    _require(df, FEEDBACK_REQUIRED, name, "feedback needs id, created_at, source, text")
    df = _validate(df, _FEEDBACK_SCHEMA, name)
    raw_created = df["created_at"]
    fmt = cfg.timestamp_formats.get("feedback")
    df["created_at"] = parse_times(df["created_at"], name, "created_at", fmt=fmt, notes=notes)
    no_future(df["created_at"], raw_created, name, "created_at")
    df["text"] = df["text"].fillna("").astype(str)
    df["source"] = df["source"].astype(str).str.lower()
    if "score" in df.columns:
        df["score"] = _numeric(df, "score", name)
        _scores_in_scale(df, cfg, name)
    for col in cols:
        if col not in df.columns:
            df[col] = pd.NA
    _personal_segments(df, cfg, name)
    files["feedback"] = {"path": name, "sha256": sha256_file(path), "rows": len(df)}
    return df.reset_index(drop=True)


def _load_knowledge(
    cfg: Config, files: dict[str, dict[str, Any]], notes: list[str]
) -> pd.DataFrame:
    cols = ["date", "team", "kind", "title", "details", "segment", "end_date"]
    path = cfg.source("knowledge")
    if path is None:
        return pd.DataFrame(columns=cols)
    name = cfg.rel(path)
    df = _blank_to_na(read_table(path, name))
    _require(df, KNOWLEDGE_REQUIRED, name, "knowledge needs date, team, kind, title")
    df = _validate(df, _KNOWLEDGE_SCHEMA, name)
    fmt = cfg.timestamp_formats.get("knowledge")
    dates = parse_times(df["date"], name, "date", dates_only=True, fmt=fmt, notes=notes)
    df["date"] = dates.dt.date
    if "end_date" in df.columns and df["end_date"].notna().any():
        filled = df["end_date"].notna()
        parsed = parse_times(
            df.loc[filled, "end_date"], name, "end_date", dates_only=True, fmt=fmt, notes=notes
        )
        df["end_date"] = None
        df.loc[filled, "end_date"] = parsed.dt.date.to_numpy()
    if "segment" in df.columns:
        for i, seg in df["segment"].items():
            if isinstance(seg, str) and seg:
                try:  # "category=Food & drink": an "&" starts a pair only before "column="
                    named = [c for c, _ in segment_pairs(seg)]
                except ValueError:
                    named = [""]
                for col in named:
                    if col not in cfg.segments:
                        raise DataError(
                            f"segment {seg!r} must look like 'column=value' with a column of "
                            f"[segments] columns ({', '.join(cfg.segments) or 'none defined'}).",
                            file=name,
                            column="segment",
                            row=int(i) + 1,
                        )
    for col in cols:
        if col not in df.columns:
            df[col] = None
    df["kind"] = df["kind"].astype(str).str.lower()
    _redact_notes(df, cfg)
    files["knowledge"] = {"path": name, "sha256": sha256_file(path), "rows": len(df)}
    return df[cols + [c for c in df.columns if c not in cols]].reset_index(drop=True)


def _redact_notes(df: pd.DataFrame, cfg: Config) -> None:
    """Other teams' notes are user text: their personal data (e-mails, phones, names, ...,
    and the ``[privacy]`` patterns and names) is redacted here, once, at load, so that no
    later step (fuse, reports, notebooks, the history database) ever holds the raw text."""
    from insightlib.text.redact import redact

    privacy = cfg.privacy
    for col in ("title", "details"):
        df[col] = [
            redact(v, patterns=privacy.patterns, names=privacy.names) if isinstance(v, str) else v
            for v in df[col]
        ]


def _load_glossary(cfg: Config, files: dict[str, dict[str, Any]]) -> pd.DataFrame:
    path = cfg.source("glossary")
    if path is None:
        return pd.DataFrame(columns=["term", "plain"])
    name = cfg.rel(path)
    df = _blank_to_na(read_table(path, name))
    _require(df, GLOSSARY_REQUIRED, name, "glossary needs term, plain")
    df = _validate(df, _GLOSSARY_SCHEMA, name)
    files["glossary"] = {"path": name, "sha256": sha256_file(path), "rows": len(df)}
    return df[["term", "plain"]].reset_index(drop=True)


def load_workspace(path: str | Path) -> Workspace:
    """Read ``insight.toml`` and every file it names, validating all of them.

    Raises
    ------
    ConfigError, DataError
        The first problem found, naming the file, the column and the row.

    Examples
    --------
    >>> ws = load_workspace("data/sample")  # doctest: +SKIP
    >>> ws.config.project
    'Basketly'
    """
    cfg = load_config(path)
    files: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    events, first, last, segment_rows = _load_events(cfg, files, notes)
    feedback = _load_feedback(cfg, files, notes)
    knowledge = _load_knowledge(cfg, files, notes)
    glossary = _load_glossary(cfg, files)
    if events is None:  # feedback only: the data's days are the feedback's
        if feedback.empty:
            raise DataError(
                "the feedback has no rows, and there are no events; nothing to report on.",
                file=cfg.rel(cfg.sources["feedback"]),
            )
        days = pd.to_datetime(feedback["created_at"], utc=True).dt.date
        first, last = days.min(), days.max()
        notes.append("No events file: numbers are not tracked; only feedback is read.")
    elif files["events"].get("duplicate_rows"):
        notes.append(
            f"{files['events']['path']}: {files['events']['duplicate_rows']} exact duplicate event "
            "rows (same time, user, event and values) were kept; check the export if unexpected."
        )
    id_dup = feedback.duplicated(subset=["id"])
    dup = int(id_dup.sum())
    if dup:
        name = cfg.rel(cfg.sources["feedback"])
        same = feedback.duplicated(keep="first")
        conflict = id_dup & ~same  # a repeated id whose row differs from the first one
        if conflict.any():
            row = first_row(conflict)
            raise DataError(
                f"id {feedback['id'].iloc[row]!r} is used by two different rows; "
                "feedback ids must be unique.",
                file=name,
                column="id",
                row=row + 1,
            )
        feedback = feedback[~same].reset_index(drop=True)
        notes.append(f"{name}: dropped {dup} exact duplicate rows.")
    return Workspace(
        cfg, events, feedback, knowledge, glossary, first, last, files, tuple(notes), segment_rows
    )
