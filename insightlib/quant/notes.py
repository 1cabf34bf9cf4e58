"""Plain sentences for what the quantitative step found beside its findings: the watch list
(large moves that are not significant), the series too small to tell, and the scoreboard rows
carried in ``insights.json`` under ``metrics``. Every number comes from
:class:`insightlib.quant.changes.QuantResult`; narration only places these lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from insightlib.text import numbers as tf

__all__ = [
    "watch_lines",
    "too_small_line",
    "metrics_rows",
    "concentration_phrase",
    "mix_phrase",
    "seasonal_phrase",
    "SEASON_UNKNOWN",
]

#: Said of a trend or a whole metric's change when the data cover less than a year.
SEASON_UNKNOWN = (
    "We have less than a year of data, so we cannot tell whether this is the usual season."
)

_PER = {"day": "a day", "week": "a week", "month": "a month"}
COUNTRY_COLUMNS = ("country", "market", "region", "country_code")  # segment columns of countries


def _signed_pct(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return ("+" if x > 0 else "−" if x < 0 else "") + tf.pct_change(x)


def watch_lines(watch: Sequence[dict[str, Any]], grain: str) -> list[str]:
    """One "worth watching" line per large move that is not significant, with its interval
    (relative to the baseline): "Orders: +30% on the usual level, but it could be anything
    from −5% to +65%, so not yet a finding."""
    out = []
    for w in watch:
        b = w["baseline"]
        lo, hi = (w["ci_low"] / b, w["ci_high"] / b) if b else (math.nan, math.nan)
        line = (
            f"{w['label']}: {_signed_pct(w['change_rel'])} on the usual level, but it could be "
            f"anything from {_signed_pct(lo)} to {_signed_pct(hi)}, so not yet a finding."
        )
        conc = w.get("concentration")
        if conc:
            line += f" {concentration_phrase(conc, w.get('unit'), w.get('kind'))}"
        out.append(line)
    return out


def concentration_phrase(conc: dict[str, Any], unit: str | None, kind: str | None) -> str:
    """ "One order of $40,000 makes 81% of the rise." / "Two customers make 64% of the fall."

    The largest single event is named when it alone makes most of the change; else the few
    users. Not a trend, and said so."""
    rise = "rise" if conc["total_change"] > 0 else "fall"
    n = conc["users"]
    share = tf.pct(min(conc["share"], 1.0), 0)
    if conc.get("entity"):  # per the metric's entity column: "One order of $40,000 makes 81%"
        noun = conc["entity"]
        of = ""
        if kind == "sum" and conc.get("entity_amount") and conc["total_change"] > 0:
            of = f" of {tf.value_text(conc['entity_amount'], kind, unit)}"
        who = f"One {noun}{of}" if n == 1 else f"{tf.count(n).capitalize()} {noun}s{of}"
        verb = "makes" if n == 1 else "make"
        if n > 1 and of:
            who = f"{tf.count(n).capitalize()} {noun}s, together{of},"
        return f"{who} {verb} {share} of the {rise}: a one-off, not a trend."
    big = conc.get("largest_event_share")
    if kind == "sum" and big is not None and big >= 0.5:
        v = tf.value_text(conc["largest_event"], kind, unit)
        if big >= 0.995:
            return f"One order of {v} is the whole {rise}: a one-off, not a trend."
        return f"One order of {v} makes {tf.pct(big, 0)} of the {rise}: a one-off, not a trend."
    who = "One customer" if n == 1 else f"{tf.count(n).capitalize()} customers"
    verb = "makes" if n == 1 else "make"
    return (
        f"{who} {verb} {tf.pct(min(conc['share'], 1.0), 0)} of the {rise}: a one-off, not a trend."
    )


def too_small_line(items: Sequence[dict[str, Any]], grain: str) -> str:
    """One line naming the metrics too small to tell a doubling from noise (and how many
    segment series were), with about how many a period they would need; "" when none."""
    per = _PER.get(grain, f"a {grain}")
    overall = [x for x in items if not x["segment"]]
    segs = [x for x in items if x["segment"]]
    parts = []
    for x in overall:
        need = x.get("need")
        needs = f"needs about {tf.count(math.ceil(need))} {per}" if need else "too jumpy"
        vol = tf.count(round(x["volume"]))
        what = (
            f"about {vol}"
            if x.get("unit") == "events" and x.get("kind") == "count"
            else (f"from about {vol} {x.get('unit', 'events')}")
        )
        parts.append(f"{x['label']} ({what} {per}; {needs})")
    if not parts and not segs:
        return ""
    text = "Too small to tell whether they changed: " + "; ".join(parts) if parts else ""
    if segs:
        n = len(segs)
        tail = f"{n} segment series {'is' if n == 1 else 'are'} too small to tell (still checked)"
        text = f"{text}. Also, {tail}" if text else f"{tail[0].upper()}{tail[1:]}"
    return text + "."


def metrics_rows(scoreboard: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scoreboard rows for ``insights.json`` (JSON-safe: non-finite numbers become null)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        return v

    return [clean(dict(r)) for r in scoreboard]


def mix_phrase(mix: dict[str, Any], kind: str | None, unit: str | None = None) -> str:
    """ "It moved because more of the mix came from paid (45% of users, from 30%), which
    converts less; no channel's own rate changed."""
    col = mix["column"].replace("_", " ")
    value = ", ".join(str(v) for v in mix["segment"].values())
    low = mix["segment_rate"] < mix["overall_rate_before"]
    if kind == "conversion":
        noun, how = "users", ("convert less" if low else "convert more")
    else:
        noun, how = "values", ("are lower" if low else "are higher")
    within = mix.get("within") or {}
    inside = f" in {', '.join(str(v) for v in within.values())}" if within else ""
    there = " there" if within else ""
    return (
        f"The mix moved, not the rates: {tf.pct(mix['share_now'], 0)} of {noun}{inside} now "
        f"come from {value} ({col}), up from {tf.pct(mix['share_before'], 0)}, and they {how}; "
        f"no {col}'s own rate changed{there}."
    )


def seasonal_phrase(season: dict[str, Any], grain: str) -> str:
    """In line: "As last year (+38% then, +41% now), this is the season." Beyond: "The same
    weeks last year moved +38%; about +25% of this is beyond the season."."""
    gw = {"day": "day", "week": "weeks", "month": "month"}.get(grain, grain)
    then, now = _signed_pct(season["last_year_change_rel"]), _signed_pct(season["change_rel"])
    if season.get("last_year_day"):  # an unusual day against the same day last year
        from datetime import date

        d = date.fromisoformat(season["last_year_day"])
        same = f"The same day last year ({tf.weekday_day(d)} {d.year})"
        if season["in_line"]:
            return f"{same} was as unusual ({then} then, {now} now): the usual season."
        extra = _signed_pct(season["beyond_season_rel"])
        return f"{same} moved {then}; about {extra} of this is beyond the season."
    if season["in_line"]:
        return f"The same {gw} last year moved as much ({then} then, {now} now): the usual season."
    extra = _signed_pct(season["beyond_season_rel"])
    return f"The same {gw} last year moved {then}; about {extra} of this is beyond the season."


def public_holidays(
    segment_values: Sequence[tuple[str, str]], periods: Sequence[tuple[Any, Any]]
) -> list[dict[str, str]]:
    """Public holidays (the ``holidays`` package, offline) of the countries named in a
    segment's country column, inside the given ``(start, end)`` date ranges: what may explain a
    move at this time of year. Country values may be ISO codes (``DE``) or English names
    (``Germany``); others are skipped."""
    import holidays

    out = []
    for col, val in segment_values:
        if col.lower() not in COUNTRY_COLUMNS:
            continue
        code = tf.country_code(val)
        if code is None:
            continue
        for start, end in periods:
            years = range(start.year, end.year + 1)
            for day, name in sorted(holidays.country_holidays(code, years=years).items()):
                if start <= day <= end:
                    out.append({"country": str(val), "date": day.isoformat(), "name": name})
    return out
