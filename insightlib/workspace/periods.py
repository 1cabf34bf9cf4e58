"""Reporting periods: ISO weeks (``2026-W47``), months (``2026-11``) and days (``2026-11-22``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from insightlib.errors import InputError

__all__ = ["Period", "parse_period", "period_of", "period_starts", "latest_complete", "GRAINS"]

GRAINS = ("day", "week", "month")

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A closed date range ``[start, end]`` with a grain and a label.

    Examples
    --------
    >>> p = parse_period("2026-W47")
    >>> p.start, p.end
    (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))
    >>> p.previous().label
    '2026-W46'
    """

    start: date
    end: date
    grain: str
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self, n: int = 1) -> Period:
        """The period ``n`` steps before this one, at the same grain."""
        p = self
        for _ in range(n):
            p = period_of(p.start - timedelta(days=1), p.grain)
        return p

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.grain)

    def human(self) -> str:
        """A label for people: '16–22 Nov 2026', '29 Dec 2025 – 4 Jan 2026', 'November 2026',
        'Sunday 22 Nov 2026'."""
        if self.grain == "day":
            return f"{self.start:%A} {self.start.day} {self.start:%b %Y}"
        if self.grain == "month":
            return f"{self.start:%B %Y}"
        if self.start.month == self.end.month:
            return f"{self.start.day}–{self.end.day} {self.end:%b %Y}"
        if self.start.year != self.end.year:  # the week of New Year names both years
            return f"{self.start.day} {self.start:%b %Y} – {self.end.day} {self.end:%b %Y}"
        return f"{self.start.day} {self.start:%b} – {self.end.day} {self.end:%b %Y}"


def period_of(day: date, grain: str) -> Period:
    """The period of ``grain`` that contains ``day``."""
    if grain == "day":
        return Period(day, day, "day", day.isoformat())
    if grain == "week":
        start = day - timedelta(days=day.weekday())
        iso = start.isocalendar()
        return Period(start, start + timedelta(days=6), "week", f"{iso[0]}-W{iso[1]:02d}")
    if grain == "month":
        start = day.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return Period(start, nxt - timedelta(days=1), "month", f"{start:%Y-%m}")
    raise InputError(f"grain must be one of 'day', 'week', 'month', got {grain!r}.")


def parse_period(label: str) -> Period:
    """Parse a period label; the grain follows from its form."""
    try:
        if m := _WEEK.match(label):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return period_of(start, "week")
        if m := _MONTH.match(label):
            return period_of(date(int(m[1]), int(m[2]), 1), "month")
        if m := _DAY.match(label):
            return period_of(date(int(m[1]), int(m[2]), int(m[3])), "day")
    except ValueError as exc:
        raise InputError(f"period {label!r} is not a real date: {exc}.") from None
    raise InputError(
        f"period must look like 2026-W47 (ISO week), 2026-11 (month) or 2026-11-22 (day), "
        f"got {label!r}."
    )


def latest_complete(first_day: date, last_day: date, grain: str) -> Period:
    """The latest period of ``grain`` fully covered by data from ``first_day`` to ``last_day``.

    A period counts as complete when the data reaches its last day.
    """
    p = period_of(last_day, grain)
    if p.end > last_day:
        p = p.previous()
    if p.start < first_day and p.end < first_day:
        raise InputError(
            f"the data covers {first_day} to {last_day}, which holds no complete {grain}; "
            f"pass --period or use a finer grain in [report] grain."
        )
    return p


def period_starts(when: pd.Series, grain: str) -> pd.Series:
    """The first day (midnight) of the ``grain`` period each timestamp falls in (vectorised).

    The same bucketing as :func:`period_of`, for a whole column at once; the engine does it in
    SQL (``truncate``), and ``tests/test_periods.py`` checks that the three agree.
    """
    ts = pd.to_datetime(when).dt.tz_localize(None) if _is_tz(when) else pd.to_datetime(when)
    day = ts.dt.normalize()
    if grain == "day":
        return day
    if grain == "week":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    if grain == "month":
        return day - pd.to_timedelta(day.dt.day - 1, unit="D")
    raise ValueError(f"unknown grain {grain!r}")


def _is_tz(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.DatetimeTZDtype)
