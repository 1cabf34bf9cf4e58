"""Result objects shared by the steps of the flow.

Everything here is a frozen dataclass: steps return new objects instead of mutating. ``to_dict``
gives the JSON form used in ``insights.json``.

A *segment* is a tuple of ``(column, value)`` pairs, sorted by column: ``()`` is everyone,
``(("platform", "android"),)`` one segment, two pairs a cross of two segment columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, TypedDict

import pandas as pd

__all__ = [
    "Segment",
    "segment_key",
    "key_part",
    "segment_pairs",
    "segment_dict",
    "theme_shift",
    "fields_json",
    "segment_from_key",
    "segment_text",
    "set_segment_labels",
    "segment_labels",
    "humanise",
    "column_label",
    "value_label",
    "parse_segment",
    "as_date",
    "find_root",
    "to_json",
    "event_day",
    "ONSET",
    "ANOMALY_DAY",
    "THEME_NOW",
    "TONE_CLEAR",
    "tone_word",
    "THEME_BASE",
    "FindingDetails",
    "ChangeDetails",
    "TrendDetails",
    "AnomalyDetails",
    "ThemeDetails",
    "DETAILS_BY_KIND",
    "undeclared_details",
    "trend_start",
    "theme_counts",
    "Driver",
    "Finding",
    "Quote",
    "Theme",
    "FINDING_KINDS",
    "CHANGE_KINDS",
    "THEME_KINDS",
]

Segment = tuple[tuple[str, str], ...]

FINDING_KINDS = (
    "metric_change",
    "segment_driver",
    "hidden_change",
    "anomaly",
    "trend",
    "emerging_theme",
    "fading_theme",
)
#: Findings about numbers, and findings about what customers say.
CHANGE_KINDS = ("metric_change", "segment_driver", "hidden_change", "anomaly", "trend")
THEME_KINDS = ("emerging_theme", "fading_theme")


def segment_key(segment: Segment) -> str:
    """``"platform=android"``, ``"country=DE&platform=web"``; ``"all"`` for everyone.

    ``%``, ``&`` and ``=`` in a column or value (a category "B&B", "Food & drink") are written
    ``%25``, ``%26`` and ``%3D`` (and white space at either end as its ``%XX`` bytes), so
    :func:`parse_segment` gives back exactly the same pairs for any value.

    >>> segment_key((("category", "Food & drink"), ("plan", "a=b")))
    'category=Food %26 drink&plan=a%3Db'
    """
    return "&".join(f"{key_part(c)}={key_part(v)}" for c, v in segment) or "all"


def key_part(text: str) -> str:
    """A segment column or value as written in a key (see :func:`segment_key`)."""
    out = str(text).replace("%", "%25").replace("&", "%26").replace("=", "%3D")
    if out[:1].isspace():  # parse_segment strips white space at the ends of a hand-written key
        out = _percent(out[0]) + out[1:]
    if out[-1:].isspace():
        out = out[:-1] + _percent(out[-1])
    return out


def _percent(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))


_ESCAPED = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unquote(text: str) -> str:
    """Undo :func:`key_part`; a ``%`` that starts no UTF-8 escape (a hand-written "50%") stays."""

    def one(m: re.Match[str]) -> str:
        raw = bytes.fromhex(m.group().replace("%", ""))
        try:
            return raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return m.group()

    return _ESCAPED.sub(one, text) if "%" in text else text


def segment_from_key(key: str) -> Segment:
    """The segment of a key: ``"country=DE&platform=web"`` -> pairs; see :func:`parse_segment`."""
    return parse_segment(key)


def segment_dict(segment: Segment) -> dict[str, str]:
    return dict(segment)


def segment_text(segment: Segment) -> str:
    """Words for people: 'Android', 'DE on web', 'all customers'."""
    if not segment:
        return "all customers"
    return " / ".join(_value_text(c, v) for c, v in segment)


def parse_segment(value: Any) -> Segment:
    """A segment from a key (``"platform=android&country=DE"``), a dict, ``"all"`` or empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, dict):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    text = str(value).strip()
    if not text or text.lower() in ("all", "nan", "none"):
        return ()
    return tuple(sorted(segment_pairs(text)))


# "&" starts a new pair only before "column=": a key escapes "&" in values (see segment_key),
# and a hand-written "category=Food & drink" or "category=B&B" keeps its value whole
_PAIR_SPLIT = re.compile(r"&(?=[^&=]*=)")


def segment_pairs(text: str) -> list[tuple[str, str]]:
    """The ``(column, value)`` pairs of a key or a hand-written segment, in written order.

    Raises ``ValueError`` for a part without ``=`` ("android" alone).

    >>> segment_pairs("category=Food & drink&plan=free")
    [('category', 'Food & drink'), ('plan', 'free')]
    """
    pairs = []
    for part in _PAIR_SPLIT.split(text):
        if not part.strip():
            continue
        column, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"segment part {part.strip()!r} is not 'column=value'")
        pairs.append((_unquote(column.strip()), _unquote(value.strip())))
    return pairs


def find_root(parent: list[int], i: int) -> int:
    """The root of ``i`` in a union-find forest (``parent[i]`` is ``i``'s parent, a root its
    own), halving the path on the way; callers link roots as their rule says (the lower index,
    the first finding). Used by the theme merges (qual/themes.py) and stories (narrate/stories.py).

    >>> parent = [0, 0, 1, 2]
    >>> find_root(parent, 3), parent
    (0, [0, 0, 1, 1])
    """
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def as_date(v: Any) -> date | None:
    """A date from a date, timestamp or ISO string; ``None`` for missing or unreadable values."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, date):
        return v if type(v) is date else date(v.year, v.month, v.day)
    try:
        return pd.Timestamp(str(v)).date()
    except (ValueError, TypeError):
        return None


_NICE = {"ios": "iOS", "android": "Android", "web": "web", "plus": "Plus", "free": "free plan"}

#: The run's ``[segments.labels]``: ``"plan"`` → a column's name, ``"plan.free_trial"`` → a
#: value's name. Set by :func:`set_segment_labels` (the pipeline for a run, ``open_run`` for the
#: reports); every text that shows a segment to a reader reads it.
_LABELS: dict[str, str] = {}


def set_segment_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    """Use ``labels`` (flat ``[segments.labels]`` keys) from now on; returns the labels before."""
    global _LABELS
    before, _LABELS = _LABELS, dict(labels or {})
    return before


def segment_labels() -> dict[str, str]:
    """The segment labels in use (a copy)."""
    return dict(_LABELS)


def humanise(text: str) -> str:
    """A raw name made readable: ``"free_trial"`` → ``"Free trial"``; ``"DE"``, ``"iOS"`` stay."""
    t = str(text).replace("_", " ").strip()
    t = " ".join(t.split())
    return t[:1].upper() + t[1:] if t[:1].islower() else t


def column_label(column: str) -> str:
    """A segment column's name for readers: its label, else ``humanise`` (``"Plan"``)."""
    return _LABELS.get(column) or humanise(column)


def value_label(column: str, value: str) -> str | None:
    """The label ``[segments.labels]`` gives a column's value, or None."""
    return _LABELS.get(f"{column}.{value}")


def _value_text(column: str, value: str) -> str:
    named = value_label(column, str(value))
    if named:
        return named
    return _NICE.get(str(value).lower()) or humanise(str(value))


def to_json(value: Any) -> Any:
    """JSON-safe: dates as ISO strings, NaN as None, tuples as lists, numpy scalars as Python."""
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def fields_json(obj: Any) -> dict[str, Any]:
    """A result dataclass in its JSON form: every field through :func:`to_json`, and a segment
    (a tuple of pairs) as its ``{column: value}`` dict."""
    out = {f.name: to_json(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(getattr(obj, "segment", None), tuple):
        out["segment"] = segment_dict(obj.segment)
    return out


@dataclass(frozen=True)
class Driver:
    """One segment's part in an overall change.

    ``share_of_change`` is the fraction of the overall change this segment accounts for
    (contributions sum to 1 across a segment column). For ratio metrics the contribution is
    split into ``mix_effect`` (the segment's share of the volume moved) and ``rate_effect``
    (the rate inside the segment moved).
    """

    segment: Segment
    share_of_change: float
    contribution: float
    current: float
    baseline: float
    n_current: int
    n_baseline: int
    mix_effect: float | None = None
    rate_effect: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


# ------------------------------------------------------------------------------------------
# The details a finding keeps, typed per kind
# ------------------------------------------------------------------------------------------
# Each producer writes only the keys declared for its kind below (``Finding`` refuses any
# other: a reader can never guess at a key no producer writes); every key is optional.


class PreviousPeriod(TypedDict):
    """The current period against the previous one alone (quant/changes.py ``_prev``)."""

    period: str
    value: float
    change_abs: float
    change_rel: float | None
    p_value: float


class Overall(TypedDict, total=False):
    """The whole metric's own test, kept on the segment finding that leads it."""

    current: float
    expected: float
    slope_per_period: float
    change_rel: float | None
    p_value: float
    q_value: float | None


class Seasonal(TypedDict, total=False):
    """The same move a year earlier (quant/changes.py ``_seasonal``, ``_seasonal_days``)."""

    last_year_period: str
    last_year_day: str
    last_year_change_rel: float
    last_year_p_value: float
    change_rel: float
    beyond_season_rel: float
    p_value: float
    in_line: bool


class SeasonUnknown(TypedDict):
    """Less than a year of data: the season cannot be told apart (first day of the data)."""

    data_from: str


class Holiday(TypedDict):
    country: str
    date: str
    name: str


class LatestChange(TypedDict):
    """A segment's change this period folded into a trend or an unusual day."""

    segment: str
    change_abs: float
    change_rel: float | None
    p_value: float


class _MetricDetails(TypedDict, total=False):
    """Keys every metric finding (change, trend, unusual day) may carry."""

    metric_kind: str
    covers: list[str]  # segment keys whose own significant move this finding explains
    latest_change: list[LatestChange]
    share_of_change: float  # of the whole metric's move, for a segment finding
    overall: Overall
    seasonal: Seasonal
    season_unknown: SeasonUnknown
    holidays: list[Holiday]


class ChangeDetails(_MetricDetails, total=False):
    """``metric_change``, ``segment_driver``, ``hidden_change`` (quant/changes.py)."""

    previous: PreviousPeriod | None
    baseline_periods: list[str]
    tau: float  # the between-period wobble (standard deviation of log values)
    missing_periods: list[str]
    contribution: float  # in the metric's units
    parent: str
    concentration: dict[str, Any]  # users/entities making most of the move (``_concentrated``)
    mix_shift: dict[str, Any]  # the segment whose share moved (``_mix_shift``)
    onset: str  # ONSET: the first day the change shows (ISO date)
    note: str


class TrendDetails(_MetricDetails, total=False):
    """``trend`` (quant/timeseries.py)."""

    slope_per_period: float
    sen_slope_per_period: float
    mann_kendall_tau: float
    mann_kendall_p: float
    periods: list[str]
    values: list[float]
    already_trending_last_period: bool
    onset: str


class AnomalyDetails(_MetricDetails, total=False):
    """``anomaly``: an unusual day (quant/timeseries.py)."""

    day: str  # ANOMALY_DAY (ISO date)
    weekday: str
    expected: float
    expected_low: float  # the usual range: the 95% prediction interval of the day
    expected_high: float
    history_days: list[str]
    period_level: float
    other_days: list[str]


class ThemeDetails(TypedDict, total=False):
    """``emerging_theme``, ``fading_theme`` (qual/analyse.py)."""

    label: str
    count_current: int  # THEME_NOW
    count_baseline: int
    count_baseline_per_period: float  # THEME_BASE
    overdispersion: float
    concentrated_in: dict[str, str] | None
    denominator_excludes: list[str]
    quotes: list[dict[str, Any]]


FindingDetails = ChangeDetails | TrendDetails | AnomalyDetails | ThemeDetails

#: the details type of each finding kind
DETAILS_BY_KIND: dict[str, type] = {
    "metric_change": ChangeDetails,
    "segment_driver": ChangeDetails,
    "hidden_change": ChangeDetails,
    "trend": TrendDetails,
    "anomaly": AnomalyDetails,
    "emerging_theme": ThemeDetails,
    "fading_theme": ThemeDetails,
}


def undeclared_details(kind: str, details: Mapping[str, Any]) -> list[str]:
    """The keys of ``details`` that the type of ``kind``'s details does not declare."""
    typ = DETAILS_BY_KIND.get(kind)
    if typ is None:
        return []
    return sorted(set(details) - typ.__required_keys__ - typ.__optional_keys__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Finding:
    """A quantitative or qualitative finding, before fusion with evidence and narrative.

    Attributes
    ----------
    kind
        One of :data:`FINDING_KINDS`.
    metric
        The metric name (``None`` for theme findings, which set ``theme``).
    segment
        Where: ``()`` for everyone.
    direction
        ``"up"`` or ``"down"``.
    current, baseline
        The metric value in the current window and in the baseline.
    change_abs, change_rel
        ``current - baseline`` and ``change_abs / baseline`` (``None`` when baseline is 0).
    ci_low, ci_high
        A 95% confidence interval of ``change_abs``.
    p_value, q_value
        The raw p-value and the Benjamini–Hochberg adjusted one across the run's tests.
    effect_size
        A standardised effect (Cohen's h for proportions, d for means, log rate ratio for
        counts).
    n_current, n_baseline
        The number of units (users, events) behind ``current`` and ``baseline``.
    window_start, window_end, baseline_start, baseline_end
        The dates compared.
    better
        Whether the move is good news, from the metric's ``good`` setting.
    score
        Ranking score in [0, 1]; see :mod:`insightlib.quant.changes` for the formula.
    """

    kind: str
    metric: str | None
    segment: Segment
    direction: str
    current: float
    baseline: float
    change_abs: float
    change_rel: float | None
    p_value: float
    q_value: float | None
    ci_low: float | None
    ci_high: float | None
    effect_size: float | None
    n_current: int
    n_baseline: int
    window_start: date
    window_end: date
    baseline_start: date
    baseline_end: date
    method: str
    better: bool | None = None
    score: float = 0.0
    drivers: tuple[Driver, ...] = ()
    theme: str | None = None
    details: FindingDetails = field(default_factory=dict)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        bad = undeclared_details(self.kind, self.details or {})
        if bad:
            raise TypeError(
                f"{self.kind} finding with undeclared details {bad}: declare them in "
                f"insightlib/model.py ({DETAILS_BY_KIND[self.kind].__name__})"
            )

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Quote:
    """A representative, PII-redacted piece of feedback."""

    id: str
    text: str
    source: str
    date: date
    segment: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Theme:
    """A theme of customer feedback.

    ``count``/``share`` describe the whole feedback set; ``count_current``/``count_baseline``
    the current period and the per-period baseline average.
    """

    id: str
    label: str
    terms: tuple[str, ...]
    count: int
    share: float
    sentiment: float
    count_current: int
    count_baseline: float
    share_current: float
    share_baseline: float
    change_rel: float | None
    sources: dict[str, int]
    segments: dict[str, dict[str, int]]
    quotes: tuple[Quote, ...]
    codebook: bool = False

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


# ------------------------------------------------------------------------------------------
# Dates and counts a finding keeps in ``details`` (read by fusion and narration alike)
# ------------------------------------------------------------------------------------------
#: The one key each producer writes (quant/changes.py, quant/timeseries.py, qual/analyse.py).
ONSET = "onset"  # metric changes: the first day the change shows (ISO date)
ANOMALY_DAY = "day"  # anomalies: the unusual day (ISO date)
THEME_NOW, THEME_BASE = "count_current", "count_baseline_per_period"  # theme findings' counts


#: |mean sentiment| from which a theme or phrase counts as praise or complaint (qual's labels
#: and merges, the reports' "Tone" column)
TONE_CLEAR = 0.15


def tone_word(sentiment: float | None) -> str:
    """How a theme's texts sound on the whole: "complaints", "praise" or "mixed"."""
    if sentiment is None or not math.isfinite(sentiment) or abs(sentiment) < TONE_CLEAR:
        return "mixed"
    return "praise" if sentiment > 0 else "complaints"


def trend_start(f: Any) -> date:
    """The first day of a trend: its window's start, or the onset quant found if earlier."""
    d = as_date(f.details.get(ONSET)) if f.details else None
    return d if d is not None and d < f.window_start else f.window_start


def event_day(f: Any) -> date:
    """The day of an anomaly (``details["day"]``), else the first day of the window."""
    d = as_date(f.details.get(ANOMALY_DAY)) if f.details else None
    return d if d is not None else f.window_start


def theme_counts(f: Any) -> tuple[float, float]:
    """(mentions now, mentions per baseline period) of a theme finding.

    qual's findings compare *shares* of feedback (``current``/``baseline``) and keep the counts
    in ``details``; a finding without them is taken to hold counts.
    """
    d = f.details or {}
    if THEME_NOW in d:
        return float(d[THEME_NOW]), float(d.get(THEME_BASE, 0.0))
    return float(f.current), float(f.baseline)


def theme_shift(f: Any) -> str:
    """How a theme finding's first words say it moved: "More" or "Fewer" when the count of
    mentions moved the way the share did, else "A larger share of" / "A smaller share of"
    (a theme can fall as a share of all feedback while its count rises with the volume)."""
    up = f.direction == "up"
    now, before = theme_counts(f)
    if (now > before) == up or now == before:
        return "More" if up else "Fewer"
    return "A larger share of" if up else "A smaller share of"
