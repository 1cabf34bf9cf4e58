"""Load a workspace and validate every file against the config.

Each file is checked with a pandera schema (or, for large Parquet event files, by one DuckDB
query over the file) and the first problem is raised as a :class:`~insightlib.errors.DataError`
that names the file, the column and the first bad row (1-based data row; the header is not
counted). Input files are only read, never written.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq

from insightlib.errors import ConfigError, DataError
from insightlib.workspace.config import Config, load_config
from insightlib.workspace.sources import load_events

__all__ = ["Workspace", "load_workspace", "sha256_file", "read_table"]

EVENT_BASE = ("timestamp", "user_id", "event")
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


def _first_row(mask: pd.Series | Any) -> int:
    """Position (0-based) of the first True in a boolean Series or array."""
    values = mask.to_numpy() if hasattr(mask, "to_numpy") else mask
    return int(values.nonzero()[0][0])


def _to_datetime_mixed(text: pd.Series) -> pd.Series:
    """pandas' mixed-format parser, value by value where it raises (e.g. "year 0 is out of range")
    instead of returning NaT; a value it cannot read becomes NaT."""
    try:
        return pd.to_datetime(text, utc=True, format="mixed", errors="coerce")
    except (ValueError, OverflowError):

        def one(value: object) -> pd.Timestamp:
            try:
                return pd.to_datetime(value, utc=True, format="mixed", errors="coerce")
            except (ValueError, OverflowError):
                return pd.NaT

        return pd.to_datetime(text.map(one), utc=True)


_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:([ T])(.+))?$")


def _numeric_dates(
    text: pd.Series, fmt: str | None, name: str, column: str, notes: list[str] | None
) -> pd.Series:
    """Read ``dd/mm/yyyy``-like values (``/``, ``.`` or ``-``) in ONE order for the whole column.

    The order is ``fmt`` ("day-first" / "month-first") when the config gives one; otherwise
    the values decide: a first number above 12 means day-first, a second above 12 month-first.
    A column that fits both orders (every number 12 or less) or neither is refused.
    """
    parts = text.str.extract(_NUMERIC_DATE.pattern)
    a, b = parts[0].astype(int), parts[2].astype(int)
    if fmt not in ("day-first", "month-first"):
        day_first = a > 12
        month_first = b > 12
        if day_first.any() and month_first.any():
            i, j = day_first.to_numpy().nonzero()[0][0], month_first.to_numpy().nonzero()[0][0]
            pos = max(i, j)
            raise DataError(
                f"{text.iloc[pos]!r} cannot share a column with {text.iloc[min(i, j)]!r}: one is "
                "day-first, the other month-first. Export the dates in one order (ISO 8601 like "
                "2026-03-17 is safest).",
                file=name,
                column=column,
                row=int(text.index[pos]) + 1,
            )
        if not day_first.any() and not month_first.any():
            pos = _first_row((a != b).to_numpy()) if (a != b).any() else 0
            raise DataError(
                f"{text.iloc[pos]!r} can be read as day/month or month/day, and no value in the "
                "column decides. Say which in insight.toml: [sources] timestamp_format = "
                '"day-first" (or "month-first"), or export ISO 8601 like 2026-03-05.',
                file=name,
                column=column,
                row=int(text.index[pos]) + 1,
            )
        fmt = "day-first" if day_first.any() else "month-first"
        if notes is not None:
            pos = _first_row((day_first | month_first).to_numpy())
            notes.append(
                f"{name}, column '{column}': dates read {fmt} (dd/mm vs mm/dd) for the whole "
                f"column, as row {int(text.index[pos]) + 1} ({text.iloc[pos]!r}) requires."
            )
    day, month = (a, b) if fmt == "day-first" else (b, a)
    year = parts[3].astype(int)
    year = year.where(year >= 100, year + 2000)
    rest = parts[5].fillna("00:00:00")
    iso = (
        year.astype(str).str.zfill(4)
        + "-"
        + month.astype(str).str.zfill(2)
        + "-"
        + day.astype(str).str.zfill(2)
        + "T"
        + rest.str.strip()
    )
    out = pd.to_datetime(iso, utc=True, format="ISO8601", errors="coerce")
    bad = out.isna()
    if bad.any():
        pos = _first_row(bad)
        raise DataError(
            f"cannot read {text.iloc[pos]!r} as a {fmt} date/time (month {month.iloc[pos]}, "
            f"day {day.iloc[pos]}).",
            file=name,
            column=column,
            row=int(text.index[pos]) + 1,
        )
    return out


def _parse_times(
    s: pd.Series,
    name: str,
    column: str,
    *,
    dates_only: bool = False,
    fmt: str | None = None,
    notes: list[str] | None = None,
) -> pd.Series:
    """Parse date/time text to naive UTC; name the first bad row.

    ISO 8601 (mixed offsets allowed) is always read. Day/month numbers like 05/03/2026 are read
    in one order for the whole column (see :func:`_numeric_dates`); ``fmt`` is the file's
    ``[sources] timestamp_format``: "iso" (nothing else), "day-first", "month-first" or a
    strftime pattern applied to every value of the column. Other text (month names) goes to
    pandas' mixed-format parser.
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_convert("UTC").dt.tz_localize(None) if s.dt.tz is not None else s
    else:
        text = s.astype("string").str.strip()
        filled = text.notna() & (text != "")
        hint = "use ISO 8601 like 2026-11-17T09:30:00Z."
        if fmt and fmt not in ("iso", "day-first", "month-first"):
            out = pd.to_datetime(text, utc=True, format=fmt, errors="coerce")
            hint = f"[sources] timestamp_format says {fmt!r}."
            bad = out.isna() & filled
        else:
            out = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
            bad = out.isna() & filled
            numeric = bad & text.str.match(_NUMERIC_DATE.pattern).fillna(False).astype(bool)
            if numeric.any() and fmt != "iso":
                read = _numeric_dates(text[numeric], fmt, name, column, notes)
                out = out.where(~numeric, read)
                bad &= ~numeric
            if bad.any() and fmt != "iso":
                # month names and other unambiguous text: pandas' mixed-format parser
                retry = _to_datetime_mixed(text[bad])
                out = out.where(~bad, retry)
                bad = out.isna() & filled
            if fmt == "iso":
                hint = "[sources] timestamp_format says 'iso' (like 2026-11-17T09:30:00Z)."
        # parsers accept years like 0 that no product data holds (and Python's dates
        # cannot even print): treat them as unreadable
        bad |= out.notna() & (out.dt.year < 1900)
        if bad.any():
            pos = _first_row(bad)
            raise DataError(
                f"cannot read {text.iloc[pos]!r} as a date/time; {hint}",
                file=name,
                column=column,
                row=int(text.index[pos]) + 1,
            )
        out = out.dt.tz_localize(None)
    missing = out.isna()
    if missing.any():
        pos = _first_row(missing)
        raise DataError("is empty; every row needs a date.", file=name, column=column, row=pos + 1)
    return out.dt.normalize() if dates_only else out


def _future_limit() -> pd.Timestamp:
    """The latest believable timestamp: now (or ``INSIGHTLIB_TODAY``) plus one day of clock skew.

    Events and feedback cannot come from the future; a row dated later is a typo (a wrong year)
    or a broken export, and would silently shift the "latest complete period".
    """
    today = os.environ.get("INSIGHTLIB_TODAY")
    try:
        now = pd.Timestamp(date.fromisoformat(today)) if today else None
    except ValueError:
        raise ConfigError(
            f"INSIGHTLIB_TODAY={today!r} is not a date like 2026-11-24.", file="environment"
        ) from None
    now = now if now is not None else pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
    return (now + timedelta(days=1)).normalize() + timedelta(days=1)


def _no_future(ts: pd.Series, raw: pd.Series, name: str, column: str) -> None:
    limit = _future_limit()
    late = (ts >= limit).to_numpy()
    if late.any():
        pos = _first_row(late)
        raise DataError(
            f"{str(raw.iloc[pos]).strip()!r} is in the future (after "
            f"{(limit - timedelta(days=1)).date()}); check the year, or the clock of the "
            "system that exported the file.",
            file=name,
            column=column,
            row=pos + 1,
        )


#: The largest amount a value column may hold (in absolute value): far beyond any real revenue
#: or duration, and small enough that sums of squares over millions of rows stay finite.
MAX_ABS_VALUE = 1e15


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
            pos = _first_row(bad)
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
        pos = _first_row(absurd)
        what = "is not a finite number" if not np.isfinite(values[pos]) else "is out of range"
        raise DataError(
            f"value {str(text.iloc[pos]).strip()!r} {what}; amounts must lie within "
            f"±{MAX_ABS_VALUE:.0e} (a broken export or a wrong unit?).",
            file=name,
            column=col,
            row=pos + 1,
        )
    return out


def _events_parquet(path: Path, cfg: Config, name: str, needed: list[str]) -> tuple[date, date]:
    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise DataError(f"cannot be read as Parquet: {exc}.", file=name) from None
    cols = set(schema.names)
    for col in needed:
        if col not in cols:
            have = ", ".join(schema.names[:12])
            raise DataError(
                f"missing column (named in insight.toml or required). The file has: {have}.",
                file=name,
                column=col,
            )
    numeric = {m.column for m in cfg.metrics.values() if m.column}
    con = duckdb.connect()
    rel = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}', file_row_number=true)"
    checks = (
        [
            (
                "timestamp",
                "TRY_CAST(timestamp AS TIMESTAMP) IS NULL",
                "is not a readable timestamp",
            ),
            ("user_id", "user_id IS NULL", "is empty; every event needs a user"),
            ("event", "event IS NULL", "is empty; every event needs a name"),
        ]
        + [
            (c, f'"{c}" IS NOT NULL AND TRY_CAST("{c}" AS DOUBLE) IS NULL', "is not a number")
            for c in sorted(numeric)
        ]
        + [
            (
                c,
                f'NOT (abs(TRY_CAST("{c}" AS DOUBLE)) <= {MAX_ABS_VALUE})',
                f"is not a finite number within ±{MAX_ABS_VALUE:.0e}",
            )
            for c in sorted(numeric)
        ]
    )
    for col, cond, what in checks:
        hit = con.execute(
            f'SELECT file_row_number, CAST("{col}" AS VARCHAR) FROM {rel} WHERE {cond} '
            "ORDER BY file_row_number LIMIT 1"
        ).fetchone()
        if hit:
            raise DataError(f"value {hit[1]!r} {what}.", file=name, column=col, row=hit[0] + 1)
    lo, hi, n = con.execute(
        f"SELECT min(CAST(timestamp AS TIMESTAMP)), max(CAST(timestamp AS TIMESTAMP)), count(*) "
        f"FROM {rel}"
    ).fetchone()
    if not n:
        raise DataError("has no rows.", file=name)
    limit = _future_limit().to_pydatetime()
    if hi >= limit:
        row, value = con.execute(
            f"SELECT file_row_number, CAST(timestamp AS VARCHAR) FROM {rel} "
            "WHERE CAST(timestamp AS TIMESTAMP) >= ? ORDER BY file_row_number LIMIT 1",
            [limit],
        ).fetchone()
        raise DataError(
            f"{value!r} is in the future (after {(limit - timedelta(days=1)).date()}); check the "
            "year, or the clock of the system that exported the file.",
            file=name,
            column="timestamp",
            row=row + 1,
        )
    names = {
        r[0] for r in con.execute(f"SELECT DISTINCT CAST(event AS VARCHAR) FROM {rel}").fetchall()
    }
    _metric_events_occur(cfg, names, name)
    _personal_segments_parquet(con, rel, cfg, name)
    return lo.date(), hi.date()


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
    from insightlib.text.redact import looks_personal, redact

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


def _personal_segments_parquet(con: Any, rel: str, cfg: Config, name: str) -> None:
    """:func:`_personal_segments` for a Parquet events file, through DuckDB (values only)."""
    from insightlib.text.redact import looks_personal

    for col in cfg.segments:
        rows = con.execute(
            f'SELECT CAST("{col}" AS VARCHAR) AS v, min(file_row_number) FROM {rel} '
            f'WHERE "{col}" IS NOT NULL GROUP BY 1 LIMIT 100000'
        ).fetchall()
        for value, row in sorted(rows, key=lambda r: r[1]):
            kind = looks_personal(value)
            if kind is not None:
                raise DataError(
                    f"segment value looks like personal data ({kind}); segment values appear "
                    "in every report. Remove it or map it to a category before the export.",
                    file=name,
                    column=col,
                    row=int(row) + 1,
                )


def _metric_events_occur(cfg: Config, names: set[str], name: str) -> None:
    """Every event a metric names must occur in the events file (a typo gets a suggestion)."""
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


def _load_events(
    cfg: Config, files: dict[str, dict[str, Any]], notes: list[str]
) -> tuple[Any, date, date]:
    if cfg.events_source is None and cfg.source("events") is None:  # a feedback-only workspace
        return None, date.min, date.min
    if cfg.events_source is not None:  # [sources.events] names an engine's table: sources.py
        return load_events(cfg, files, list(EVENT_BASE))
    path = cfg.sources["events"]
    name = cfg.rel(path)
    if not path.exists():
        raise DataError("file not found; check [sources] events in insight.toml.", file=name)
    needed = list(EVENT_BASE) + list(cfg.segments)
    needed += sorted({m.column for m in cfg.metrics.values() if m.column})
    if path.suffix.lower() == ".parquet":
        first, last = _events_parquet(path, cfg, name, needed)
        rows = pq.ParquetFile(path).metadata.num_rows
        files["events"] = {"path": name, "sha256": sha256_file(path), "rows": rows}
        return path, first, last
    df = read_table(path, name)
    _require(df, needed, name, "named in insight.toml or required for events")
    if df.empty:
        raise DataError("has a header but no data rows.", file=name)
    fmt = cfg.timestamp_formats.get("events")
    times = _parse_times(df["timestamp"], name, "timestamp", fmt=fmt, notes=notes)
    out = pd.DataFrame({"timestamp": times})
    _no_future(out["timestamp"], df["timestamp"], name, "timestamp")
    schema = pa.DataFrameSchema(
        {
            c: pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1))
            for c in ("user_id", "event")
        },
        strict=False,
    )
    valid = _validate(df[["user_id", "event"]], schema, name)
    out["user_id"] = valid["user_id"].astype(str)
    out["event"] = valid["event"].astype(str)
    for col in cfg.segments:
        out[col] = df[col].astype("string").str.strip().replace("", pd.NA).astype(object)
    _personal_segments(out, cfg, name)
    for col in sorted({m.column for m in cfg.metrics.values() if m.column}):
        out[col] = _numeric(df, col, name)
    _metric_events_occur(cfg, set(out["event"].unique()), name)
    files["events"] = {"path": name, "sha256": sha256_file(path), "rows": len(out)}
    dup = int(out.duplicated().sum())
    if dup:  # kept: two identical events can be real; said so, so the user can check the export
        files["events"]["duplicate_rows"] = dup
    return out, out["timestamp"].min().date(), out["timestamp"].max().date()


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
    df["created_at"] = _parse_times(df["created_at"], name, "created_at", fmt=fmt, notes=notes)
    _no_future(df["created_at"], raw_created, name, "created_at")
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
    dates = _parse_times(df["date"], name, "date", dates_only=True, fmt=fmt, notes=notes)
    df["date"] = dates.dt.date
    if "end_date" in df.columns and df["end_date"].notna().any():
        filled = df["end_date"].notna()
        parsed = _parse_times(
            df.loc[filled, "end_date"], name, "end_date", dates_only=True, fmt=fmt, notes=notes
        )
        df["end_date"] = None
        df.loc[filled, "end_date"] = parsed.dt.date.to_numpy()
    if "segment" in df.columns:
        for i, seg in df["segment"].items():
            if isinstance(seg, str) and seg:
                for part in seg.split("&"):
                    col = part.split("=", 1)[0].strip()
                    if "=" not in part or col not in cfg.segments:
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
    files["knowledge"] = {"path": name, "sha256": sha256_file(path), "rows": len(df)}
    return df[cols + [c for c in df.columns if c not in cols]].reset_index(drop=True)


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
    events, first, last = _load_events(cfg, files, notes)
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
            row = _first_row(conflict)
            raise DataError(
                f"id {feedback['id'].iloc[row]!r} is used by two different rows; "
                "feedback ids must be unique.",
                file=name,
                column="id",
                row=row + 1,
            )
        feedback = feedback[~same].reset_index(drop=True)
        notes.append(f"{name}: dropped {dup} exact duplicate rows.")
    return Workspace(cfg, events, feedback, knowledge, glossary, first, last, files, tuple(notes))
