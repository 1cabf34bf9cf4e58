"""Numbers, dates and groups of customers, in words for people.

Pure functions, no state: every text the narrator writes formats its numbers here, so a figure
reads the same everywhere ("down 30%", "from 62% to 43%", "about 1 in 3", "€45,600").

Rounding is half-up on the decimal form of the number (``0.355`` gives ``36%``), which is what
a reader checking by hand expects.

Examples
--------
>>> pct(0.3), change_words(-0.3), about_one_in(0.33), per_hundred(0.402)
('30%', 'down 30%', 'about 1 in 3', '40 in 100')
>>> money(45612.4, "EUR"), count(1234567), points(-0.219)
('€45,612', '1.2 million', '22 points')
>>> who((("platform", "android"),)), where((("country", "DE"),))
('Android users', 'in Germany')
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from insightlib.model import (
    Segment,
    column_label,
    humanise,
    segment_labels,
    set_segment_labels,
    value_label,
)

__all__ = [
    "finite_number",
    "use",
    "restore",
    "current",
    "use_presentation",
    "presentation",
    "presenting",
    "chart_locale",
    "chart_day_format",
    "round_half_up",
    "country_code",
    "fixed",
    "exact_text",
    "signed",
    "EXACT_DIGITS",
    "AXIS_DIGITS",
    "pct",
    "pct_change",
    "points",
    "change_words",
    "about_one_in",
    "per_hundred",
    "count",
    "number",
    "money",
    "times",
    "day",
    "weekday_day",
    "date_range",
    "who",
    "where",
    "qualify",
    "country_name",
    "value_text",
    "change_text",
    "metric_noun",
    "CURRENCY_SYMBOLS",
    "currency_symbol",
]

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
_COUNT_KINDS = ("distinct_users", "count")


def currency_symbol(unit: str | None) -> str | None:
    """The symbol written before an amount for a currency unit given as a code or a symbol
    (``"USD"`` or ``"$"`` → ``"$"``, ``"eur"`` → ``"€"``); None for any other unit."""
    u = (unit or "").strip()
    if u in CURRENCY_SYMBOLS.values():
        return u
    return CURRENCY_SYMBOLS.get(u.upper())


_WIDE = Context(prec=400)  # wide enough for any float with its decimals (no InvalidOperation)
UNKNOWN = "–"  # what a formatter shows for a missing or non-finite number (never "nan"/"inf")


def round_half_up(x: float, digits: int = 0) -> float:
    """Round like people do: ``round_half_up(2.5) == 3``, ``round_half_up(0.355, 2) == 0.36``."""
    x = float(x)
    if not math.isfinite(x):
        return x
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP, context=_WIDE))


def finite_number(value: Any) -> float | None:
    """``value`` as a float, ``None`` when it is missing, not a number, NaN or infinite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def _finite(fn):
    """Show :data:`UNKNOWN` for None, NaN and infinities instead of "nan" or an exception."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if x is None or not math.isfinite(float(x)):
            return UNKNOWN
        return fn(x, *args, **kwargs)

    return wrapper


# ------------------------------------------------------------------------------------------
# Locale ([report] locale): separators, the place of "%" and of a currency symbol, day order
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Style:
    locale: str | None = None  # None: the en_US style ("1,234.5", "30%", "$22,226", "17 Nov")
    group: str = ","
    decimal: str = "."
    percent_gap: str = ""  # between a number and "%": "\u00a0" in de_DE ("30 %")
    currency_after: bool = False  # "22.226 €" in de_DE
    currency_gap: str = ""  # between symbol and number
    day_first: bool = True


_STYLE = _Style()


def _style_of(locale: str | None) -> _Style:
    """The number style of a Babel locale ("de_DE"); English words are kept in any locale."""
    if not locale:
        return _Style()
    from babel import Locale

    loc = Locale.parse(str(locale).replace("-", "_"))
    symbols = loc.number_symbols.get("latn", {})
    pct = loc.percent_formats[None].pattern.split(";")[0]
    cur = loc.currency_formats["standard"].pattern.split(";")[0]
    after = not cur.startswith("¤")
    gap = cur[cur.rindex("0") + 1 : cur.index("¤")] if after else cur[1 : cur.index("#")]
    mmmd = loc.datetime_skeletons["MMMd"].pattern
    return _Style(
        locale=str(locale),
        group=symbols.get("group", ","),
        decimal=symbols.get("decimal", "."),
        percent_gap=pct[pct.rindex("0") + 1 : pct.index("%")] if pct.endswith("%") else "",
        currency_after=after,
        currency_gap=gap.replace("#", "").replace(",", ""),
        day_first=mmmd.find("d") < mmmd.find("M"),
    )


def use(locale: str | None = None, segment_labels: Mapping[str, str] | None = None) -> tuple:
    """Format for ``locale`` and name segments by ``segment_labels`` from now on (a run's
    ``[report] locale`` and ``[segments.labels]``); returns what was in use, for :func:`restore`.
    """
    global _STYLE
    before = (_STYLE.locale, set_segment_labels(segment_labels))
    _STYLE = _style_of(locale)
    return before


def current() -> tuple:
    """What is in use now (the locale and the segment labels), for :func:`restore`."""
    return (_STYLE.locale, segment_labels())


def restore(before: tuple) -> None:
    """Go back to what :func:`use` returned."""
    use(*before)


def use_presentation(presentation: Mapping[str, Any] | None) -> tuple:
    """:func:`use` with a run's ``provenance["presentation"]`` (``locale``, ``segment_labels``)."""
    p = presentation or {}
    return use(p.get("locale"), p.get("segment_labels"))


def presentation(locale: str | None, segment_labels: Mapping[str, str] | None) -> dict[str, Any]:
    """What a run records so its reports format as the run did (``provenance["presentation"]``)."""
    return {"locale": locale, "segment_labels": dict(segment_labels or {})}


@contextmanager
def presenting(locale: str | None = None, segment_labels: Mapping[str, str] | None = None):
    """:func:`use` for the duration of a ``with`` block."""
    before = use(locale, segment_labels)
    try:
        yield
    finally:
        restore(before)


def chart_locale(unit: str | None = None) -> dict[str, Any] | None:
    """The number locale a chart renderer (Vega's d3-format) needs to write like this module:
    separators, "%" and the currency symbol of ``unit`` in its place (d3's ``$`` stands for
    it). None when d3's own default (en-US, "$" first) already does."""
    sym = currency_symbol(unit)
    if _STYLE.locale is None and sym in (None, "$"):
        return None
    if sym is None:
        currency = ["", ""]
    elif _STYLE.currency_after:
        currency = ["", _STYLE.currency_gap + sym]
    else:
        currency = [sym + _STYLE.currency_gap, ""]
    return {
        "decimal": _STYLE.decimal,
        "thousands": _STYLE.group,
        "grouping": [3],
        "currency": currency,
        "percent": _STYLE.percent_gap + "%",
    }


def chart_day_format() -> str:
    """The d3 time format of a day on a chart axis: ``"%-d %b"`` (17 Nov) or, where the locale
    puts the month first, ``"%b %-d"``."""
    return "%-d %b" if _STYLE.day_first else "%b %-d"


def _fmt(x: float, digits: int, commas: bool = True) -> str:
    r = round_half_up(x, digits)
    if not math.isfinite(r):  # e.g. a huge share times 100
        return UNKNOWN
    if r == 0:
        r = 0.0  # no "-0"
    text = f"{r:,.{digits}f}" if commas else f"{r:.{digits}f}"
    if _STYLE.locale is None:
        return text
    return text.translate({ord(","): _STYLE.group, ord("."): _STYLE.decimal})


def _percent(number_text: str) -> str:
    return f"{number_text}{_STYLE.percent_gap}%"


def _with_currency(symbol: str, body: str) -> str:
    if _STYLE.currency_after:
        return f"{body}{_STYLE.currency_gap}{symbol}"
    return f"{symbol}{_STYLE.currency_gap}{body}"


def _auto_digits(v: float) -> int:
    """0 decimals from 10 up, 1 below 10, 2 below 1 (two significant digits for small numbers)."""
    a = abs(v)
    if a >= 10 or a == 0:
        return 0
    if a >= 1:
        return 0 if round_half_up(a, 1) == round_half_up(a) else 1
    return 2 if a < 0.1 else 1


@_finite
def fixed(x: float, digits: int = 0) -> str:
    """A number with ``digits`` decimals, rounded half up, with thousands commas:
    ``fixed(1234.5) == "1,235"``, ``fixed(-0.04, 1) == "0.0"`` (no minus zero)."""
    return _fmt(x, digits)


@_finite
def pct(x: float, digits: int | None = None) -> str:
    """A share as a percentage: ``pct(0.3) == "30%"``, ``pct(0.004) == "0.4%"``.

    ``digits`` fixes the number of decimals; by default whole percents from 10% up, and up to
    two decimals for very small shares so they do not read as 0%.
    """
    v = x * 100
    d = _auto_digits(v) if digits is None else digits
    return _percent(_fmt(v, d))


@_finite
def pct_change(rel: float) -> str:
    """A relative change, unsigned, in whole percents from 1% up: ``-0.099`` → ``"10%"``."""
    return pct(abs(rel), 0 if abs(rel) >= 0.01 else None)


@_finite
def points(delta: float, digits: int = 0) -> str:
    """A difference of two shares in percentage points, unsigned: ``points(-0.219) == "22 points"``."""
    v = abs(delta) * 100
    text = _fmt(v, digits)
    return f"{text} point" if text == "1" else f"{text} points"


def change_words(rel: float | None, digits: int = 0) -> str:
    """A relative change in words: ``-0.3`` → ``"down 30%"``, ``0.25`` → ``"up 25%"``.

    Changes that round to 0% read ``"unchanged"``; an unknown change (baseline 0) ``"new"``.
    """
    if rel is None or not math.isfinite(float(rel)):
        return "new"
    text = pct(abs(rel), digits)
    if round_half_up(abs(rel) * 100, digits) == 0:
        return "unchanged"
    return f"{'up' if rel > 0 else 'down'} {text}"


@_finite
def about_one_in(x: float) -> str:
    """A share as a simple fraction: ``0.33`` → ``"about 1 in 3"``, ``0.62`` → ``"about 3 in 5"``.

    Below 10% it is always "1 in N"; from 10% to 90% the nearest fraction with a denominator of
    2, 3, 4, 5 or 10 (the smaller denominator wins a tie); "about" is dropped when exact.
    """
    if not 0 < x < 1:
        if x <= 0:
            return "none"
        return "all"
    if x < 0.000_001:
        return "fewer than 1 in a million"
    if x < 0.1:
        n = max(2, int(round_half_up(1 / x)))
        exact = math.isclose(1 / n, x, rel_tol=1e-9)
        return f"{'' if exact else 'about '}1 in {n}"
    if x > 0.9:
        return f"about {int(round_half_up(x * 10))} in 10" if x < 0.95 else "almost all"
    best = min(
        ((abs(k / n - x), n, k) for n in (2, 3, 4, 5, 10) for k in range(1, n)),
        key=lambda t: (round(t[0], 9), t[1]),
    )
    err, n, k = best
    return f"{'' if err < 1e-9 else 'about '}{k} in {n}"


@_finite
def per_hundred(x: float) -> str:
    """A share as "N in 100": ``0.402`` → ``"40 in 100"``."""
    return f"{_fmt(x * 100, 0)} in 100"


@_finite
def count(n: float) -> str:
    """A count: ``1234`` → ``"1,234"``, ``1234567`` → ``"1.2 million"``, ``2.25`` → ``"2.3"``."""
    a = abs(n)
    if a >= 1_000_000_000:
        return f"{_fmt(n / 1e9, 1)} billion"
    if a >= 1_000_000:
        return f"{_fmt(n / 1e6, 1)} million"
    return _fmt(n, _auto_digits(n) if a < 10 else 0)


@_finite
def number(x: float, unit: str | None = None) -> str:
    """A plain number, with its unit if any: ``number(12.34, "min") == "12 min"``."""
    text = count(x) if abs(x) >= 10 else _fmt(x, _auto_digits(x))
    return f"{text} {unit}" if unit else text


@_finite
def money(x: float, unit: str | None = None) -> str:
    """An amount of money: ``"€45,612"``, ``"$52.30"``, ``"1.2 million CHF"``.

    Amounts under 100 keep cents; larger ones are whole; millions are shortened.
    """
    sym = currency_symbol(unit)
    a = abs(x)
    if a >= 1_000_000:
        body = count(a)
    elif a >= 100:
        body = _fmt(a, 0)
    else:
        body = _fmt(a, 2)
    sign = "-" if x < 0 and body.strip("0.,") else ""
    if sym:
        return sign + _with_currency(sym, body)
    return f"{sign}{body} {unit}" if unit else f"{sign}{body}"


@_finite
def times(ratio: float) -> str:
    """A ratio: ``3.42`` → ``"3.4 times"``; ``2.0`` → ``"2 times"``."""
    d = 0 if ratio >= 10 else 1
    text = _fmt(ratio, d)
    if text.endswith(_STYLE.decimal + "0"):
        text = text[:-2]
    return f"{text} times"


# ------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------
def day(d: date, year: bool = False) -> str:
    """``17 Nov`` (``17 Nov 2026`` with ``year``); ``Nov 17`` where the locale puts the month
    first (``[report] locale = "en_US"``)."""
    text = f"{d.day} {d:%b}" if _STYLE.day_first else f"{d:%b} {d.day}"
    return text + ((f" {d.year}" if _STYLE.day_first else f", {d.year}") if year else "")


def weekday_day(d: date) -> str:
    """``Tue 17 Nov``."""
    return f"{d:%a} {day(d)}"


def date_range(start: date, end: date, year: bool = False) -> str:
    """``16–22 Nov``, ``30 Nov – 6 Dec``, ``17 Nov`` for a single day."""
    y = f" {end.year}" if year else ""
    if start == end:
        return day(start, year)
    if start.month == end.month and start.year == end.year:
        if not _STYLE.day_first:
            return f"{end:%b} {start.day}–{end.day}" + (f", {end.year}" if year else "")
        return f"{start.day}–{end.day} {end:%b}{y}"
    if start.year != end.year and year:
        return f"{day(start, True)} – {day(end, True)}"
    return f"{day(start)} – {day(end)}{y}"


# ------------------------------------------------------------------------------------------
# Groups of customers
# ------------------------------------------------------------------------------------------
COUNTRIES = {
    "US": "the US",
    "GB": "the UK",
    "UK": "the UK",
    "DE": "Germany",
    "FR": "France",
    "ES": "Spain",
    "IT": "Italy",
    "IE": "Ireland",
    "NL": "the Netherlands",
    "BE": "Belgium",
    "AT": "Austria",
    "CH": "Switzerland",
    "PT": "Portugal",
    "PL": "Poland",
    "SE": "Sweden",
    "NO": "Norway",
    "DK": "Denmark",
    "FI": "Finland",
    "CZ": "Czechia",
    "GR": "Greece",
    "CA": "Canada",
    "MX": "Mexico",
    "BR": "Brazil",
    "AR": "Argentina",
    "AU": "Australia",
    "NZ": "New Zealand",
    "JP": "Japan",
    "CN": "China",
    "IN": "India",
    "SG": "Singapore",
    "ZA": "South Africa",
}
_PLATFORMS = {
    "android": ("Android", "on Android"),
    "ios": ("iPhone", "on iPhone"),
    "iphone": ("iPhone", "on iPhone"),
    "web": ("website", "on the website"),
    "desktop": ("desktop", "on desktop"),
    "mobile": ("mobile", "on mobile"),
}
_COUNTRY_COLS = ("country", "market", "region", "country_code")
_PLATFORM_COLS = ("platform", "os", "device", "channel_platform")
_PLAN_COLS = ("plan", "tier", "subscription")


def country_name(code: str) -> str:
    """``"DE"`` → ``"Germany"``; unknown codes are returned as given."""
    return COUNTRIES.get(str(code).upper(), str(code))


def _inline(label: str) -> str:
    """A column's label inside a sentence: ``"Plan type"`` → ``"plan type"`` (``"OS"`` stays)."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _plan(value: str, column: str = "plan") -> str:
    named = value_label(column, str(value))
    if named:
        return named if named.lower().endswith(" plan") else f"{named} plan"
    v = str(value)
    low = v.lower()
    if low.endswith(" plan"):
        return v
    name = humanise(v) if v.islower() and low not in ("free",) else v
    return f"{name} plan" if low != "free" else "free plan"


def _platform(col: str, val: str) -> tuple[str, str]:
    """A platform's name and its "on ..." phrase: ``("Android", "on Android")``."""
    named = value_label(col, str(val))
    if named:
        return named, f"on {named}"
    if str(val).lower() in _PLATFORMS:
        return _PLATFORMS[str(val).lower()]
    name = humanise(str(val))
    return name, f"on {name}"


def _country(col: str, val: str) -> str:
    return value_label(col, str(val)) or country_name(val)


def _other(col: str, val: str) -> tuple[str, str]:
    """A column no rule knows: its label (inline) and its value's label."""
    return _inline(column_label(col)), value_label(col, str(val)) or humanise(str(val))


def _parts(segment: Segment) -> tuple[list[str], list[str]]:
    """Split a segment into words before the noun (``Android``) and after it (``in Germany``).

    A plan stands before the noun when alone ("Plus plan customers") and after it in a cross
    ("website users on the free plan"). Values and columns read through ``[segments.labels]``.
    """
    before: list[str] = []
    after: list[str] = []
    alone = len(segment) == 1
    for col, val in segment:
        c = col.lower()
        if c in _PLATFORM_COLS:
            before.append(_platform(col, val)[0])
        elif c in _PLAN_COLS:
            if alone:
                before.append(_plan(val, col))
            else:
                after.insert(0, f"on the {_plan(val, col)}")
        elif c in _COUNTRY_COLS:
            after.append(f"in {_country(col, val)}")
        else:
            name, value = _other(col, val)
            after.append(f"with {name} {value}")
    return before, after


def qualify(noun: str, segment: Segment) -> str:
    """A noun narrowed to a segment: ``qualify("sign-ups", android)`` → ``"Android sign-ups"``."""
    before, after = _parts(segment)
    return " ".join([*before, noun, *after])


def who(segment: Segment) -> str:
    """The people of a segment: ``"Android users"``, ``"Plus plan customers in Germany"``."""
    if not segment:
        return "all customers"
    cols = {c.lower() for c, _ in segment}
    noun = "users" if cols & set(_PLATFORM_COLS) else "customers"
    return qualify(noun, segment)


def where(segment: Segment) -> str:
    """Where, as a phrase after a noun: ``"on Android"``, ``"in Germany"``, ``"overall"``."""
    if not segment:
        return "overall"
    words: list[str] = []
    for col, val in segment:
        c = col.lower()
        if c in _PLATFORM_COLS:
            words.append(_platform(col, val)[1])
        elif c in _PLAN_COLS:
            words.append(f"on the {_plan(val, col)}")
        elif c in _COUNTRY_COLS:
            words.append(f"in {_country(col, val)}")
        else:
            name, value = _other(col, val)
            words.append(f"with {name} {value}")
    return " ".join(words)


# ------------------------------------------------------------------------------------------
# Metric values
# ------------------------------------------------------------------------------------------
#: Decimals of a value shown exactly — in a table or on a chart's point label — by metric kind
#: (texts round further: "26%" in a sentence is "25.5%" in the table). ``None``: whole from 10
#: up, one decimal below.
EXACT_DIGITS: dict[str | None, int | None] = {"conversion": 1, "mean": 2}
#: Decimals on a chart axis, by metric kind.
AXIS_DIGITS: dict[str | None, int] = {"conversion": 0, "mean": 0}


def exact_text(x: float, kind: str | None, unit: str | None = None) -> str:
    """A metric value for a table: ``25.5%``, ``$104,950``, ``1,900``, ``44.10``, ``-1,150``.

    One rule set with :func:`value_text`, at the precision of :data:`EXACT_DIGITS`.
    """
    if x is None or not math.isfinite(float(x)):
        return UNKNOWN
    if kind == "conversion":
        return pct(x, EXACT_DIGITS["conversion"])
    a = abs(x)
    digits = EXACT_DIGITS.get(kind)
    if digits is None:
        digits = 0 if a >= 10 or x == int(x) else 1
    text = fixed(a, digits)
    sym = currency_symbol(unit)  # "$", "€", ... placed by the locale, given as a code or a symbol
    if sym:
        text = _with_currency(sym, text)
    elif unit:
        text += f" {unit}"
    return f"-{text}" if x < 0 and any(c in "123456789" for c in text) else text


def signed(text: str, x: float) -> str:
    """``text`` (unsigned) with the sign of ``x``: ``signed("4.6 points", -0.046)`` is
    ``"-4.6 points"``; zero gets ``+``, a missing ``x`` no sign."""
    if x is None or not math.isfinite(float(x)) or text == UNKNOWN:
        return text
    return ("+" if x >= 0 else "-") + text


def value_text(x: float, kind: str | None, unit: str | None = None) -> str:
    """A metric value: a share for conversions, money for currency units, else a number."""
    if kind == "conversion":
        return pct(x, 1 if abs(x) < 0.1 else 0)
    if currency_symbol(unit) or (unit and len(unit) == 3 and unit.isupper()):
        return money(x, unit)
    if kind in _COUNT_KINDS:
        return count(x)
    return number(x, unit)


def change_text(delta: float, kind: str | None, unit: str | None = None) -> str:
    """An absolute change, unsigned: ``"22 points"``, ``"€1,200"``, ``"340"``."""
    if kind == "conversion":
        return points(delta, 1 if abs(delta) < 0.1 else 0)
    return value_text(abs(delta), kind, unit)


_NOUN_PATTERNS = (
    re.compile(r"^(?P<stem>.+?)\s+(?:completion|conversion|success)(?:\s+rate)?$", re.I),
    re.compile(r"^(?P<stem>.+?)\s+(?:completed|converted)$", re.I),
)


def metric_noun(label: str, kind: str | None) -> tuple[str, str] | None:
    """For a conversion labelled like "Sign-up completion": ``("sign-ups", "finish")``.

    Returns ``None`` when the label does not name a step that people finish.
    """
    if kind != "conversion":
        return None
    for pat in _NOUN_PATTERNS:
        m = pat.match(label.strip())
        if m:
            stem = m["stem"].strip()
            stem = stem[0].lower() + stem[1:] if stem[:2] != stem[:2].upper() else stem
            if stem.endswith("s"):
                return stem, "finish"
            return f"{stem}s", "finish"
    return None


def country_code(value: Any) -> str | None:
    """The ``holidays`` package's code of a country given as an ISO code (``DE``) or an English
    name (``Germany``, ``United Kingdom``); ``None`` when it has no calendar for it."""
    import holidays

    by_name = {v.lower(): k for k, v in COUNTRIES.items()}
    by_name.update({"united kingdom": "GB", "uk": "GB", "eire": "IE", "usa": "US"})
    supported = holidays.list_supported_countries()
    text = str(value).strip()
    code = text.upper() if text.upper() in supported else by_name.get(text.lower())
    return code if code in supported else None
