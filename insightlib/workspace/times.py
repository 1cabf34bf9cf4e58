"""Date/time text read one way for a whole column, for every input file.

ISO 8601 (mixed offsets allowed) is always read; day/month numbers like 05/03/2026 are read in
ONE order for the whole column (a column that fits both orders and has no value to decide is
refused unless ``[sources] timestamp_format`` says which); ``timestamp_format`` may also be a
strftime pattern applied to every value. CSV files and Parquet files whose times are text go
through the same functions, so the same text gives the same date (or the same error).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from insightlib.errors import ConfigError, DataError

__all__ = ["first_row", "future_limit", "no_future", "parse_times"]


def first_row(mask: pd.Series | Any) -> int:
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
            pos = first_row((a != b).to_numpy()) if (a != b).any() else 0
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
            pos = first_row((day_first | month_first).to_numpy())
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
        pos = first_row(bad)
        raise DataError(
            f"cannot read {text.iloc[pos]!r} as a {fmt} date/time (month {month.iloc[pos]}, "
            f"day {day.iloc[pos]}).",
            file=name,
            column=column,
            row=int(text.index[pos]) + 1,
        )
    return out


def parse_times(
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
            pos = first_row(bad)
            raise DataError(
                f"cannot read {text.iloc[pos]!r} as a date/time; {hint}",
                file=name,
                column=column,
                row=int(text.index[pos]) + 1,
            )
        out = out.dt.tz_localize(None)
    missing = out.isna()
    if missing.any():
        pos = first_row(missing)
        raise DataError("is empty; every row needs a date.", file=name, column=column, row=pos + 1)
    return out.dt.normalize() if dates_only else out


def future_limit() -> pd.Timestamp:
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


def no_future(ts: pd.Series, raw: pd.Series, name: str, column: str) -> None:
    limit = future_limit()
    late = (ts >= limit).to_numpy()
    if late.any():
        pos = first_row(late)
        raise DataError(
            f"{str(raw.iloc[pos]).strip()!r} is in the future (after "
            f"{(limit - timedelta(days=1)).date()}); check the year, or the clock of the "
            "system that exported the file.",
            file=name,
            column=column,
            row=pos + 1,
        )
