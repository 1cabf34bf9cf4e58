"""Altair charts for the reports, and their conversion to static SVG.

One theme (``"insightlib"``) is registered and enabled on import: readable fonts, a muted
palette, and red/green kept for worse/better only. Every builder returns an Altair chart with
a fixed width, so nothing is wider than an A4 page (``small=True``: about 330 px for the board,
otherwise at most 640 px). :func:`to_svg` renders a chart to SVG with vl-convert: no
JavaScript and no network, so the charts work in exported HTML, in PDFs and offline.

Examples
--------
>>> import pandas as pd
>>> from insightlib import charts
>>> series = pd.DataFrame({"metric": "m", "segment": "all", "value": [0.3, 0.31, 0.25],
...                        "period_start": pd.date_range("2026-11-02", periods=3, freq="W-MON")})
>>> insight = {"metric": "m", "metric_kind": "conversion", "segment": {}, "current": 0.25,
...            "baseline": 0.305, "better": False, "window": {"start": "2026-11-16"}}
>>> svg = charts.to_svg(charts.metric_chart(series, insight, []))
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from insightlib.model import column_label, parse_segment, segment_key, segment_text
from insightlib.text import numbers as tf

__all__ = [
    "THEME",
    "PALETTE",
    "metric_chart",
    "driver_chart",
    "theme_chart",
    "anomaly_chart",
    "to_svg",
    "value_format",
    "value_axis",
    "segment_key_of",
    "legend",
    "from_zero",
    "driver_words",
]

THEME = "insightlib"
FONT = "Liberation Sans, Helvetica, Arial, sans-serif"

PALETTE = {
    "ink": "#1f2933",
    "muted": "#616e7c",
    "faint": "#9aa5b1",
    "grid": "#e4e7eb",
    "band": "#eef1f4",
    "primary": "#3e6990",
    "secondary": "#a9b8c6",
    "note": "#7b6a9c",
    "worse": "#b8423a",
    "better": "#2f7d4f",
}
CATEGORY = ["#3e6990", "#a9b8c6", "#7b6a9c", "#c2a36b", "#6f9a8d", "#8c8c8c"]

WIDTH, HEIGHT = 560, 200
SMALL_WIDTH, SMALL_HEIGHT = 270, 90


def _theme() -> alt.theme.ThemeConfig:
    label = {"labelFont": FONT, "labelColor": PALETTE["muted"], "labelFontSize": 11}
    title = {"titleFont": FONT, "titleColor": PALETTE["muted"], "titleFontSize": 11}
    title |= {"titleFontWeight": "normal"}
    return {
        "config": {
            "background": "white",
            "font": FONT,
            "padding": 4,
            "view": {"stroke": None},
            "title": {
                "font": FONT,
                "fontSize": 13,
                "fontWeight": "bold",
                "color": PALETTE["ink"],
                "anchor": "start",
                "offset": 8,
            },
            "axis": {
                **label,
                **title,
                "domainColor": PALETTE["faint"],
                "tickColor": PALETTE["faint"],
                "gridColor": PALETTE["grid"],
                "labelPadding": 3,
            },
            "axisX": {"grid": False, "labelAngle": 0},
            "axisY": {"domain": False, "ticks": False, "tickCount": 4},
            "legend": {**label, **title, "orient": "top"},
            "text": {"font": FONT, "fontSize": 11, "color": PALETTE["ink"]},
            "line": {"strokeWidth": 2, "color": PALETTE["primary"]},
            "point": {"filled": True, "size": 30, "color": PALETTE["primary"]},
            "bar": {"color": PALETTE["primary"]},
            "range": {"category": CATEGORY},
        }
    }


if THEME not in alt.theme.names():
    alt.theme.register(THEME, enable=True)(_theme)
else:  # pragma: no cover - re-import
    alt.theme.enable(THEME)


# --------------------------------------------------------------------------------------- helpers


def segment_key_of(segment: Mapping[str, str] | str | None) -> str:
    """The series key of a segment dict: ``{"platform": "android"}`` -> ``"platform=android"``."""
    return segment_key(parse_segment(segment))


def segment_words(segment: Mapping[str, str] | None) -> str:
    return segment_text(parse_segment(segment))


def value_format(
    metric_kind: str | None,
    unit: str | None = None,
    *,
    axis: bool = True,
    magnitude: float | None = None,
) -> str:
    """A d3 format string for values of a metric kind (``".0%"`` for conversions...).

    ``axis=False`` gives the format of a single labelled value; ``magnitude`` (the value) picks
    ``1,980`` below 100,000 and ``105k`` above.
    """
    digits = tf.AXIS_DIGITS if axis else tf.EXACT_DIGITS  # the tables' and texts' precision
    if metric_kind == "conversion":
        return f".{digits['conversion']}%"
    # d3's "$" is the currency of the locale to_svg renders with (its symbol, placed by locale)
    prefix = "$" if tf.currency_symbol(unit) else ""
    if metric_kind == "mean":
        return f"{prefix},.{digits['mean']}f"
    if axis:
        locale = tf.chart_locale(unit) if prefix else None
        if locale and locale["currency"][1]:  # "20k €": d3's own axis precision gives "20 €k"
            return f"{prefix}.3~s"
        return f"{prefix}~s"
    if magnitude is not None and abs(magnitude) < 100_000:
        return f"{prefix},.0f"
    return f"{prefix},.3~s"


def value_axis(metric_kind: str | None, unit: str | None = None) -> alt.Axis:
    """The value axis of a metric chart: :func:`value_format`'s format, and zero written "0"
    ("$0") and values below 1 without an SI prefix.

    An SI format (``~s``, counts and sums) makes Vega pick one prefix for every tick from the
    largest, so zero read "0k" / "$0k" and a tick of 0.2 read "200m" (which a reader takes
    for 200 million)."""
    fmt = value_format(metric_kind, unit)
    if not fmt.endswith("s"):
        return alt.Axis(format=fmt)
    cur = "$" if fmt.startswith("$") else ""
    expr = (
        f"datum.value == 0 ? format(0, '{cur},.0f') : "
        f"abs(datum.value) < 1 ? format(datum.value, '{cur},.2~f') : datum.label"
    )
    return alt.Axis(format=fmt, labelExpr=expr)


def from_zero(metric_kind: str | None) -> bool:
    """Whether a value axis starts at zero: counts, users, sums and shares do (a cut axis makes
    a small change look large); averages of amounts may zoom in."""
    return metric_kind != "mean"


def legend(
    insight: Mapping[str, Any], chart: str, *, context: bool = False
) -> list[dict[str, str]]:
    """What each band, line and marker of a chart means, as ``{"mark", "colour", "text"}``.

    ``chart`` is ``"metric"``, ``"anomaly"`` or ``"theme"``. Knowledge notes are listed with
    their full text (the labels on the chart may be shortened).
    """
    colour = _colour(insight.get("better"))
    items: list[dict[str, str]] = []
    if chart == "theme":
        items.append({"mark": "bar", "colour": PALETTE["secondary"], "text": "earlier periods"})
        items.append(
            {
                "mark": "bar",
                "colour": colour if insight.get("better") is not None else PALETTE["primary"],
                "text": "this period",
            }
        )
        return items
    if chart == "metric":
        bw = insight.get("baseline_window") or {}
        if bw.get("start"):
            items.append(
                {
                    "mark": "band",
                    "colour": PALETTE["band"],
                    "text": f"baseline ({date_label(bw['start'])} – {date_label(bw.get('end'))})",
                }
            )
        if insight.get("baseline") is not None:
            items.append(
                {"mark": "dash", "colour": PALETTE["muted"], "text": "average over the baseline"}
            )
        if (insight.get("window") or {}).get("start"):
            items.append(
                {
                    "mark": "band",
                    "colour": colour,
                    "text": "the period of the change",
                    "opacity": "0.15",
                }
            )
        if context:
            items.append({"mark": "line", "colour": PALETTE["secondary"], "text": "all customers"})
        items.append(
            {
                "mark": "line",
                "colour": PALETTE["primary"],
                "text": segment_words(insight.get("segment")),
            }
        )
        items.append({"mark": "dot", "colour": colour, "text": "this period"})
    elif chart == "anomaly":
        items.append(
            {
                "mark": "line",
                "colour": PALETTE["primary"],
                "text": f"per day, {segment_words(insight.get('segment'))}",
            }
        )
        if (insight.get("details") or {}).get("expected", insight.get("baseline")) is not None:
            items.append({"mark": "dash", "colour": PALETTE["muted"], "text": "a usual day"})
        items.append({"mark": "dot", "colour": colour, "text": "the unusual day"})
    for k in (insight.get("evidence") or {}).get("knowledge") or []:
        if k.get("date"):
            items.append(
                {
                    "mark": "rule",
                    "colour": PALETTE["note"],
                    "text": f"{date_label(k['date'])}: {k.get('title', '')}",
                }
            )
    return items


def _date(value: Any) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        return None


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def _stamp(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.normalize()
    return out.sort_values("period_start")


def _colour(better: bool | None) -> str:
    if better is None:
        return PALETTE["ink"]
    return PALETTE["better"] if better else PALETTE["worse"]


def _x(
    field: str, grain_days: int, *, scale: alt.Scale | None = None, small: bool = False
) -> alt.X:
    fmt = "%b %Y" if grain_days >= 28 else tf.chart_day_format()
    return alt.X(
        f"{field}:T",
        title=None,
        scale=scale or alt.Scale(type="utc"),
        # labels centred on their ticks (a last label pushed inside the plot touched the one
        # before it) and at least 6 px apart, or every other one is left out
        axis=alt.Axis(
            format=fmt,
            tickCount=4 if small else 6,
            labelOverlap=True,
            labelFlush=False,
            labelSeparation=6,
        ),
    )


def _grain_days(dates: pd.Series) -> int:
    diffs = dates.drop_duplicates().sort_values().diff().dropna()
    return int(diffs.dt.days.median()) if len(diffs) else 7


def _short(text: str, limit: int = 34) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _size(chart: alt.Chart | alt.LayerChart, small: bool, height: int | None = None):
    return chart.properties(
        width=SMALL_WIDTH if small else WIDTH,
        height=height or (SMALL_HEIGHT if small else HEIGHT),
    )


def _knowledge_layers(
    knowledge: Iterable[Mapping[str, Any]],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    small: bool,
    xscale: alt.Scale,
) -> list[alt.Chart]:
    """Knowledge entries as dashed vertical rules, labelled above the plot area."""
    rows = []
    for k in knowledge or ():
        day = _date(k.get("date"))
        if day is None or not lo <= day <= hi:
            continue
        rows.append({"date": _iso(day), "label": _short(k.get("title", ""), 30 if small else 40)})
    if not rows:
        return []
    rows.sort(key=lambda r: r["date"])
    mid = lo + (hi - lo) * 0.55
    for i, r in enumerate(rows):
        r["level"] = len(rows) - 1 - i if len(rows) <= 3 else i % 3
        r["align"] = "left" if pd.Timestamp(r["date"]) <= mid else "right"
    data = pd.DataFrame(rows)
    x = alt.X("date:T", scale=xscale)
    rule = (
        alt.Chart(data)
        .mark_rule(color=PALETTE["note"], strokeDash=[3, 3], strokeWidth=1.2)
        .encode(x=x)
    )
    layers: list[alt.Chart] = [rule]
    for (align, level), part in data.groupby(["align", "level"]):
        layers.append(
            alt.Chart(part)
            .mark_text(
                align=align,
                baseline="bottom",
                dx=3 if align == "left" else -3,
                fontSize=10,
                color=PALETTE["note"],
            )
            .encode(x=x, y=alt.value(-3 - 12 * int(level)), text="label:N")
        )
    return layers


# -------------------------------------------------------------------------------------- builders


def metric_chart(
    series: pd.DataFrame,
    insight: Mapping[str, Any],
    knowledge: Iterable[Mapping[str, Any]] | None = None,
    small: bool = False,
    *,
    context: bool | None = None,
    title: str | None = None,
) -> alt.LayerChart:
    """The metric of ``insight`` over time, with the change and the knowledge entries marked.

    Parameters
    ----------
    series
        ``data/series.parquet``: ``metric``, ``period_start``, ``segment`` (key), ``value``.
    insight
        An insight dict of ``insights.json``; uses ``metric``, ``segment``, ``window``,
        ``baseline_window``, ``baseline``, ``better`` and ``metric_kind``/``unit``.
    knowledge
        Knowledge entries (``date``, ``title``) drawn as labelled vertical rules; default: the
        insight's knowledge evidence.
    small
        The board size (about 330 px wide, no title, no context line).
    context
        Also draw the "all customers" line in grey when the insight is about a segment
        (default: when not small).
    """
    metric = insight.get("metric")
    key = segment_key_of(insight.get("segment"))
    df = _frame(series[(series["metric"] == metric) & (series["segment"] == key)])
    if df.empty:
        raise ValueError(f"no series for metric {metric!r} and segment {key!r}")
    kind, unit = insight.get("metric_kind"), insight.get("unit")
    if knowledge is None:
        knowledge = (insight.get("evidence") or {}).get("knowledge", [])
    grain_days = _grain_days(df["period_start"])
    half = timedelta(days=(grain_days - 1) / 2)
    lo, hi = df["period_start"].min(), df["period_start"].max()
    hi_edge = hi + timedelta(days=grain_days)
    domain = [_iso(lo), _iso(hi_edge)]
    xscale = alt.Scale(type="utc", domain=domain)

    window = insight.get("window") or {}
    # the run's period: the last one inside the window (a trend's window spans many periods)
    w_end, w_start = _date(window.get("end")), _date(window.get("start"))
    inside = df.loc[df["period_start"] <= w_end, "period_start"] if w_end is not None else None
    if inside is not None and len(inside):
        current_start = inside.max()
    else:
        current_start = w_start or hi
    df["date"] = (df["period_start"] + half).map(_stamp)
    df["is_current"] = df["period_start"] == current_start
    y_title = insight.get("metric_label") or str(metric).replace("_", " ").capitalize()
    if unit and not tf.currency_symbol(unit):
        y_title += f" ({unit})"
    y = alt.Y(
        "value:Q",
        title=None if small else y_title,
        scale=alt.Scale(zero=from_zero(kind), nice=True),
        axis=value_axis(kind, unit),
    )
    x = _x("date", grain_days, scale=xscale, small=small)
    colour = _colour(insight.get("better"))
    layers: list[Any] = []

    def span(start: Any, end: Any) -> pd.DataFrame | None:
        s, e = _date(start), _date(end)
        if s is None or e is None:
            return None
        s, e = max(s, lo), min(e + timedelta(days=1), hi_edge)
        return pd.DataFrame([{"start": _iso(s), "end": _iso(e)}]) if s < e else None

    bw = insight.get("baseline_window") or {}
    band = span(bw.get("start"), bw.get("end"))
    if band is not None:
        layers.append(
            alt.Chart(band)
            .mark_rect(color=PALETTE["band"])
            .encode(x=alt.X("start:T", scale=xscale), x2="end:T")
        )
        if insight.get("baseline") is not None:
            rule = band.assign(v=insight["baseline"])
            layers.append(
                alt.Chart(rule)
                .mark_rule(color=PALETTE["muted"], strokeDash=[4, 3], strokeWidth=1.2)
                .encode(x=alt.X("start:T", scale=xscale), x2="end:T", y="v:Q")
            )
    cur_band = span(window.get("start"), window.get("end"))
    if cur_band is not None:
        layers.append(
            alt.Chart(cur_band)
            .mark_rect(color=colour, opacity=0.08)
            .encode(x=alt.X("start:T", scale=xscale), x2="end:T")
        )

    if context is None:
        context = not small
    if context and key != "all" and kind in ("conversion", "mean"):
        ctx = _frame(series[(series["metric"] == metric) & (series["segment"] == "all")])
        if not ctx.empty:
            ctx["date"] = (ctx["period_start"] + half).map(_stamp)
            layers.append(
                alt.Chart(ctx)
                .mark_line(color=PALETTE["secondary"], strokeWidth=1.5)
                .encode(x=x, y=y)
            )
            first = ctx.head(1).assign(label="all customers")
            layers.append(
                alt.Chart(first)
                .mark_text(align="left", dy=12, fontSize=10, color=PALETTE["faint"])
                .encode(x=x, y=y, text="label:N")
            )

    tooltip = [alt.Tooltip("date:T", title="Period"), alt.Tooltip("value:Q", format=".4~g")]
    line = alt.Chart(df).encode(x=x, y=y, tooltip=tooltip)
    layers.append(line.mark_line())
    layers.append(line.mark_point(size=16 if small else 26))
    cur = df[df["is_current"]]
    if not cur.empty:
        layers.append(
            alt.Chart(cur).mark_point(size=80 if small else 100, color=colour).encode(x=x, y=y)
        )
        up = insight.get("direction") != "down"
        fmt = value_format(kind, unit, axis=False, magnitude=float(cur["value"].iloc[0]))
        layers.append(
            alt.Chart(cur)
            .mark_text(
                align="right",
                dx=-9,
                dy=-4 if up else 0,
                fontWeight="bold",
                color=colour,
                fontSize=11 if small else 12,
            )
            .encode(x=x, y=y, text=alt.Text("value:Q", format=fmt))
        )
    layers.extend(_knowledge_layers(knowledge, lo, hi_edge, small, xscale))
    chart = alt.layer(*layers)
    if not small:
        where = segment_words(insight.get("segment"))
        chart = chart.properties(title=title or f"{y_title}, {where}")
    return _size(chart, small).properties(usermeta={"unit": unit})


def driver_words(insight: Mapping[str, Any]) -> str:
    """The driver chart in words: what a share of the change means, and why shares can pass
    100% (the other segments of the same column moved the other way)."""
    drivers = list((insight.get("evidence") or {}).get("drivers") or [])
    over = [d for d in drivers if abs(float(d.get("share_of_change") or 0.0)) > 1.0]
    text = (
        "Each bar is the part of the overall change that one segment accounts for; the segments "
        "of one column (platform, country …) add up to the whole change."
    )
    if over:
        d = over[0]
        text += (
            f" {segment_words(d.get('segment'))} accounts for more than all of it "
            f"({tf.pct(float(d.get('share_of_change') or 0), 0)}): the other segments moved the other "
            "way a little."
        )
    return text


def driver_chart(insight: Mapping[str, Any], small: bool = False) -> alt.TopLevelMixin:
    """Where the change came from: each driver segment's share of the overall change, one group
    of bars per segment column (a segment of two columns, such as Android in the US, gets its
    own group), so the shares of a group are comparable.

    Bars are red where the segment moved the metric the worse way and green where it moved it
    the better way (grey when the metric has no better direction).
    """
    drivers = list((insight.get("evidence") or {}).get("drivers") or [])
    if not drivers:
        raise ValueError(f"insight {insight.get('id')!r} has no drivers")
    drivers.sort(key=lambda d: -abs(d.get("share_of_change") or 0.0))
    drivers = drivers[:8]
    better = insight.get("better")
    direction = insight.get("direction")
    good_up = None if better is None else (direction == "up") == bool(better)
    rows = []
    for d in drivers:
        contrib = d.get("contribution")
        if contrib is None:
            contrib = (d.get("share_of_change") or 0.0) * (insight.get("change_abs") or 0.0)
        if good_up is None or contrib == 0:
            effect = "neutral"
        else:
            effect = "better" if (contrib > 0) == good_up else "worse"
        share = float(d.get("share_of_change") or 0.0)
        column = " & ".join(column_label(c) for c in sorted((d.get("segment") or {}).keys()))
        column = column or "all"
        rows.append(
            {
                "segment": segment_words(d.get("segment")),
                "column": column,
                "share": share,
                "label": tf.pct(share, 0),
                "effect": effect,
            }
        )
    data = pd.DataFrame(rows)
    colours = alt.Scale(
        domain=["worse", "better", "neutral"],
        range=[PALETTE["worse"], PALETTE["better"], PALETTE["faint"]],
    )
    domain = [min(0.0, data["share"].min()), max(1.0, data["share"].max()) * 1.15]
    parts = []
    for column, part in data.groupby("column", sort=False):
        order = list(part["segment"])
        base = alt.Chart(part).encode(
            y=alt.Y("segment:N", sort=order, title=None, axis=alt.Axis(labelLimit=160)),
            x=alt.X(
                "share:Q",
                title=None,
                axis=alt.Axis(format=".0%", tickCount=4),
                scale=alt.Scale(domain=domain),
            ),
        )
        bars = base.mark_bar(height={"band": 0.65}, opacity=0.85).encode(
            color=alt.Color("effect:N", scale=colours, legend=None)
        )
        text = base.mark_text(align="left", dx=4, fontSize=10, color=PALETTE["muted"]).encode(
            text="label:N"
        )
        layer = alt.layer(bars, text).properties(
            title=alt.TitleParams(
                f"By {column if column[1:2].isupper() else column[:1].lower() + column[1:]}",
                fontSize=11,
                fontWeight="normal",
            ),
            width=SMALL_WIDTH if small else WIDTH - 160,
            height=max(26, 24 * len(part)),
        )
        parts.append(layer)
    chart = alt.vconcat(*parts, spacing=10)
    if not small:
        chart = chart.properties(title="Share of the overall change, by segment column")
    return chart


def theme_chart(
    theme_counts: pd.DataFrame,
    theme_id: str,
    small: bool = False,
    *,
    label: str | None = None,
    current: Any = None,
    segment: str = "all",
    better: bool | None = None,
) -> alt.LayerChart:
    """Mentions of one feedback theme per period, the current period highlighted.

    ``theme_counts`` is ``data/theme_counts.parquet`` (``theme``, ``period_start``,
    ``segment``, ``count``, ``total``). ``current`` is the start of the run's period (default:
    the latest period). ``better`` colours the current bar green (True) or red (False).
    """
    df = theme_counts[theme_counts["theme"] == theme_id]
    if segment in set(df["segment"]):
        df = df[df["segment"] == segment]
    else:  # no overall rows: add up the segments of the first segment column
        col = str(df["segment"].iloc[0]).split("=")[0] if len(df) else ""
        df = df[df["segment"].astype(str).str.startswith(col + "=")]
    if df.empty:
        raise ValueError(f"no counts for theme {theme_id!r}")
    df = _frame(df.groupby("period_start", as_index=False)[["count", "total"]].sum())
    cur = _date(current) or df["period_start"].max()
    df["date"] = df["period_start"].map(_iso)
    df["when"] = ["this period" if d == cur else "earlier" for d in df["period_start"]]
    grain_days = _grain_days(df["period_start"])
    highlight = PALETTE["primary"] if better is None else _colour(better)
    every = max(1, -(-len(df) // (4 if small else 8)))
    shown = list(df["date"])[::-1][::every][::-1]  # always label the latest period
    base = alt.Chart(df).encode(
        x=alt.X(
            "date:O",
            title=None,
            axis=alt.Axis(
                values=shown,
                labelExpr=(
                    "timeFormat(toDate(datum.value), '%b %Y')"
                    if grain_days >= 28
                    else f"timeFormat(toDate(datum.value), '{tf.chart_day_format()}')"
                ),
                labelAngle=0,
                labelOverlap=True,
            ),
        ),
        y=alt.Y("count:Q", title=None if small else "Mentions", axis=alt.Axis(tickCount=4)),
        tooltip=[alt.Tooltip("date:N", title="Period"), alt.Tooltip("count:Q", title="Mentions")],
    )
    bars = base.mark_bar(opacity=0.9).encode(
        color=alt.Color(
            "when:N",
            scale=alt.Scale(
                domain=["earlier", "this period"],
                range=[PALETTE["secondary"], highlight],
            ),
            legend=None,
        )
    )
    text = (
        alt.Chart(df[df["when"] == "this period"])
        .mark_text(dy=-6, fontWeight="bold", color=highlight)
        .encode(x="date:O", y="count:Q", text="count:Q")
    )
    chart = alt.layer(bars, text)
    if not small:
        name = label or theme_id.replace("_", " ")
        chart = chart.properties(title=_short(f"Mentions of “{name}”", 70))
    return _size(chart, small)


def anomaly_chart(
    daily: pd.DataFrame,
    insight: Mapping[str, Any],
    small: bool = False,
    *,
    days: int = 35,
    knowledge: Iterable[Mapping[str, Any]] | None = None,
) -> alt.LayerChart:
    """The metric per day around an anomaly, the unusual day(s) marked, the expected level dashed.

    Uses ``insight["details"]["day"]`` (or the insight's window) for the unusual day and
    ``details["expected"]`` (or ``baseline``) for the expected level.
    """
    metric = insight.get("metric")
    key = segment_key_of(insight.get("segment"))
    df = _frame(daily[(daily["metric"] == metric) & (daily["segment"] == key)])
    if df.empty:
        raise ValueError(f"no daily series for metric {metric!r} and segment {key!r}")
    details = insight.get("details") or {}
    window = insight.get("window") or {}
    day = _date(details.get("day"))  # the day a run's anomaly details name
    marked_lo = day or _date(window.get("start")) or df["period_start"].max()
    marked_hi = day or _date(window.get("end")) or marked_lo
    # through the end of the data: the days after an unusual day show whether it recovered
    end = max(_date(window.get("end")) or marked_hi, marked_hi, df["period_start"].max())
    df = df[(df["period_start"] > end - timedelta(days=days)) & (df["period_start"] <= end)].copy()
    df["date"] = df["period_start"].map(_iso)
    kind, unit = insight.get("metric_kind"), insight.get("unit")
    x = _x("date", 1, small=small)
    y = alt.Y(
        "value:Q",
        title=None if small else (insight.get("metric_label") or metric),
        scale=alt.Scale(zero=from_zero(kind), nice=True),
        axis=value_axis(kind, unit),
    )
    layers: list[Any] = []
    expected = details.get("expected", insight.get("baseline"))
    if expected is not None:
        layers.append(
            alt.Chart(pd.DataFrame([{"v": expected, "label": "expected"}]))
            .mark_rule(color=PALETTE["muted"], strokeDash=[4, 3], strokeWidth=1.2)
            .encode(y="v:Q")
        )
    line = alt.Chart(df).encode(x=x, y=y)
    layers.append(line.mark_line(strokeWidth=1.6))
    hit = df[(df["period_start"] >= marked_lo) & (df["period_start"] <= marked_hi)]
    colour = _colour(insight.get("better"))
    if not hit.empty:
        layers.append(
            alt.Chart(hit).mark_point(size=100 if small else 120, color=colour).encode(x=x, y=y)
        )
        fmt = value_format(kind, unit, axis=False, magnitude=float(hit["value"].iloc[-1]))
        # the value beside the unusual day, on its left in the last fifth of the window (on the
        # right it ran past the chart's edge: "25.4" with its "%" cut off)
        span = (df["period_start"].max() - df["period_start"].min()) or timedelta(days=1)
        late = hit["period_start"].iloc[-1] - df["period_start"].min() > 0.8 * span
        layers.append(
            alt.Chart(hit.tail(1))
            .mark_text(
                align="right" if late else "left",
                dx=-9 if late else 8,
                fontWeight="bold",
                color=colour,
            )
            .encode(x=x, y=y, text=alt.Text("value:Q", format=fmt))
        )
    if knowledge is None:
        knowledge = (insight.get("evidence") or {}).get("knowledge", [])
    lo, hi = df["period_start"].min(), df["period_start"].max()
    layers.extend(_knowledge_layers(knowledge, lo, hi, small, alt.Scale(type="utc")))
    chart = alt.layer(*layers)
    if not small:
        label = insight.get("metric_label") or metric
        chart = chart.properties(title=f"{label} per day, {segment_words(insight.get('segment'))}")
    return _size(chart, small).properties(usermeta={"unit": unit})


# ------------------------------------------------------------------------------------------- SVG

_ID = re.compile(r'\bid="([^"]+)"')
_counter = itertools.count(1)


def to_svg(chart: alt.TopLevelMixin | Mapping[str, Any]) -> str:
    """Render a chart to an SVG string with vl-convert (no JavaScript, no network).

    Element ids inside the SVG get a unique prefix, so several charts can share one HTML page
    without their clip paths or gradients colliding.
    """
    if isinstance(chart, Mapping):
        spec = dict(chart)
    else:
        with alt.theme.enable(THEME):
            spec = chart.to_dict()
    # numbers as the run's locale writes them, with the chart's currency (usermeta "unit")
    locale = tf.chart_locale((spec.get("usermeta") or {}).get("unit"))
    if locale is None:
        svg = vlc.vegalite_to_svg(spec, allowed_base_urls=[])
    else:
        svg = vlc.vegalite_to_svg(spec, allowed_base_urls=[], format_locale=locale)
    ids = set(_ID.findall(svg))
    if ids:
        prefix = f"c{next(_counter)}-"
        for old in sorted(ids, key=len, reverse=True):
            svg = svg.replace(f'id="{old}"', f'id="{prefix}{old}"')
            svg = svg.replace(f"url(#{old})", f"url(#{prefix}{old})")
            svg = svg.replace(f'href="#{old}"', f'href="#{prefix}{old}"')
    return svg


def date_label(value: Any) -> str:
    """``2026-11-17`` -> ``17 Nov`` (``Nov 17`` where the locale puts the month first)."""
    d = _date(value)
    return tf.day(d) if d is not None else str(value)
