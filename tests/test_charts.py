"""Chart builders and SVG rendering on the fixture run."""

from __future__ import annotations

import re
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from fixtures_run import (
    HOSTILE_TITLE,
    ID_BASKET_WEB,
    ID_CHECKOUT,
    ID_OUTAGE,
    ID_REVENUE_DE,
    daily_frame,
    insights,
    series_frame,
    theme_counts_frame,
)

from insightlib.report import charts

INS = {i["id"]: i for i in insights()}


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return series_frame()


def _size(svg: str) -> tuple[int, int]:
    m = re.search(r'<svg[^>]*\bwidth="([\d.]+)" height="([\d.]+)"', svg)
    assert m, svg[:200]
    return int(float(m[1])), int(float(m[2]))


def test_theme_is_registered_and_active() -> None:
    assert charts.THEME in alt.theme.names()
    assert alt.theme.active == charts.THEME
    config = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x").to_dict()["config"]
    assert "Liberation Sans" in config["font"]
    assert config["range"]["category"][0] == charts.PALETTE["primary"]


def test_metric_chart_marks_change_and_knowledge(series: pd.DataFrame) -> None:
    svg = charts.to_svg(charts.metric_chart(series, INS[ID_CHECKOUT]))
    assert svg.startswith("<svg")
    assert "Android app 5.2 released" in svg  # knowledge entry drawn as a labelled rule
    assert charts.PALETTE["worse"] in svg  # the current point in the "worse" colour
    assert charts.PALETTE["better"] not in svg
    assert "25.5%" in svg  # the current value labelled
    width, height = _size(svg)
    assert width <= 640 and height <= 320


def test_better_is_green(series: pd.DataFrame) -> None:
    svg = charts.to_svg(charts.metric_chart(series, INS[ID_REVENUE_DE]))
    assert charts.PALETTE["better"] in svg and charts.PALETTE["worse"] not in svg


def test_small_charts_fit_beside_text(series: pd.DataFrame) -> None:
    for chart in (
        charts.metric_chart(series, INS[ID_CHECKOUT], small=True),
        charts.metric_chart(series, INS[ID_BASKET_WEB], small=True),
        charts.theme_chart(theme_counts_frame(), "delivery_slots", small=True),
        charts.anomaly_chart(daily_frame(), INS[ID_OUTAGE], small=True),
    ):
        width, height = _size(charts.to_svg(chart))
        assert width <= 340 and height <= 180


def test_hostile_text_is_escaped_in_svg(series: pd.DataFrame) -> None:
    svg = charts.to_svg(charts.metric_chart(series, INS[ID_CHECKOUT]))
    assert "<img" not in svg and "<script" not in svg
    assert "&lt;img src=x" in svg
    assert HOSTILE_TITLE.startswith("Payment SDK hotfix")


def test_driver_chart_colours_by_effect() -> None:
    svg = charts.to_svg(charts.driver_chart(INS[ID_CHECKOUT]))
    assert ">86%<" in svg and "Android" in svg and "By platform" in svg
    assert charts.PALETTE["worse"] in svg
    assert _size(svg)[0] <= 640
    # one group of bars per segment column, and the shares explained in words
    ins = {
        **INS[ID_CHECKOUT],
        "evidence": {
            "drivers": [
                {"segment": {"platform": "android"}, "share_of_change": 1.08},
                {"segment": {"platform": "web"}, "share_of_change": -0.08},
                {"segment": {"country": "DE"}, "share_of_change": 0.6},
            ]
        },
    }
    svg = charts.to_svg(charts.driver_chart(ins))
    assert "By platform" in svg and "By country" in svg
    words = charts.driver_words(ins)
    assert "more than all of it (108%)" in words and "other way" in words
    with pytest.raises(ValueError, match="has no drivers"):
        charts.driver_chart(INS[ID_OUTAGE])


def test_theme_chart_highlights_current_period() -> None:
    tc = theme_counts_frame()
    svg = charts.to_svg(charts.theme_chart(tc, "delivery_slots", label="no delivery slots"))
    assert "no delivery slots" in svg and ">41<" in svg
    assert charts.PALETTE["primary"] in svg and charts.PALETTE["secondary"] in svg
    # no overall rows: the segments of one column are added up
    only_platforms = tc[tc["segment"] != "all"]
    svg2 = charts.to_svg(charts.theme_chart(only_platforms, "delivery_slots"))
    assert svg2.startswith("<svg")
    with pytest.raises(ValueError, match="no counts for theme"):
        charts.theme_chart(tc, "nope")


def test_anomaly_chart_marks_the_day() -> None:
    svg = charts.to_svg(charts.anomaly_chart(daily_frame(), INS[ID_OUTAGE]))
    assert "Login outage (2 hours)" in svg
    assert charts.PALETTE["worse"] in svg
    assert _size(svg)[0] <= 640


def test_missing_series_is_a_clear_error(series: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no series for metric 'nope'"):
        charts.metric_chart(series, {**INS[ID_CHECKOUT], "metric": "nope"})


def test_svg_ids_are_unique_across_charts(series: pd.DataFrame) -> None:
    spec = charts.metric_chart(series, INS[ID_CHECKOUT]).to_dict()
    spec["layer"][0]["mark"] = {"type": "rect", "clip": True, "color": "#eef1f4"}
    a, b = charts.to_svg(spec), charts.to_svg(spec)
    ids_a = set(re.findall(r'\bid="([^"]+)"', a))
    ids_b = set(re.findall(r'\bid="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    for ref in re.findall(r"url\(#([^)]+)\)", a):
        assert ref in ids_a


def test_value_format() -> None:
    assert charts.value_format("conversion") == ".0%"
    assert charts.value_format("sum", "USD") == "$~s"
    assert charts.value_format("count", axis=False, magnitude=1978) == ",.0f"
    assert charts.value_format("sum", "USD", axis=False, magnitude=250_000) == "$,.3~s"


def test_charts_render_without_network(series: pd.DataFrame, tmp_path: Path) -> None:
    spec = charts.metric_chart(series, INS[ID_CHECKOUT]).to_dict()
    spec["layer"][0]["data"] = {"url": "https://example.invalid/data.json"}
    with pytest.raises(Exception, match="(?i)url|access|allowed|denied"):
        charts.to_svg(spec)


def _dates_in(chart: alt.TopLevelMixin) -> set[str]:
    spec = chart.to_dict()
    out = set()
    for rows in (spec.get("datasets") or {}).values():
        for r in rows:
            for key in ("date", "period_start"):
                if isinstance(r.get(key), str):
                    out.add(r[key][:10])
    return out


def test_anomaly_chart_runs_through_the_end_of_the_data() -> None:
    daily = daily_frame()
    # Thursday 19 Nov (a window of one day, as runs write it); the data ends on Sunday 22 Nov
    ins = {**INS[ID_OUTAGE], "window": {"start": "2026-11-19", "end": "2026-11-19"}}
    dates = _dates_in(charts.anomaly_chart(daily, ins))
    assert "2026-11-19" in dates
    assert max(dates) == str(pd.to_datetime(daily["period_start"]).max().date()) == "2026-11-22"


def _y_scales(spec: dict) -> list[dict]:
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            y = (node.get("encoding") or {}).get("y")
            if isinstance(y, dict) and "scale" in y and y.get("field") == "value":
                found.append(y["scale"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def test_counts_and_sums_start_at_zero(series: pd.DataFrame) -> None:
    for iid in (ID_REVENUE_DE, ID_CHECKOUT):  # a sum and a share
        scales = _y_scales(charts.metric_chart(series, INS[iid]).to_dict())
        assert scales and all(s.get("zero") is True for s in scales), iid
    scales = _y_scales(charts.anomaly_chart(daily_frame(), INS[ID_OUTAGE]).to_dict())
    assert scales and all(s.get("zero") is True for s in scales)
    # an average amount may zoom in
    assert charts.from_zero("mean") is False


def test_every_band_line_and_marker_has_a_legend_entry() -> None:
    ins = INS[ID_CHECKOUT]
    items = charts.legend(ins, "metric")
    marks = [i["mark"] for i in items]
    assert {"band", "dash", "line", "dot", "rule"} <= set(marks)
    assert marks.count("band") == 2  # the baseline and the period of the change
    # knowledge notes with their full text (the chart's own labels may be shortened)
    for k in ins["evidence"]["knowledge"]:
        assert any(k["title"] in i["text"] for i in items)
    anomaly = [i["mark"] for i in charts.legend(INS[ID_OUTAGE], "anomaly")]
    assert {"line", "dash", "dot", "rule"} <= set(anomaly)
    assert [i["mark"] for i in charts.legend({}, "theme")] == ["bar", "bar"]


def _x_labels(svg: str) -> list[tuple[float, float]]:
    """(left, right) of each x-axis label in an SVG, measured with the chart's font."""
    from PIL import ImageFont

    font_file = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
    font = ImageFont.truetype(str(font_file), 11) if font_file.exists() else None
    out = []
    for anchor, x, y, text in re.findall(
        r'<text text-anchor="(\w+)" transform="translate\(([\d.]+),([\d.]+)\)"[^>]*>([^<]*)</text>',
        svg,
    ):
        if float(y) < 10:  # the x axis' labels sit below it, a y axis' beside it at their value
            continue
        width = font.getlength(text) if font else len(text) * 6.2
        left = {"start": float(x), "middle": float(x) - width / 2, "end": float(x) - width}[anchor]
        out.append((left, left + width))
    return sorted(out)


@pytest.mark.parametrize("small", [True, False])
def test_outage_chart_date_labels_do_not_touch(small: bool) -> None:
    """Issue 14: the board's outage chart read "15 Nov22 Nov" (the last label was pushed inside
    the plot against the one before it). Labels keep at least 4 px between them."""
    svg = charts.to_svg(charts.anomaly_chart(daily_frame(), INS[ID_OUTAGE], small))
    axis = svg[svg.index("role-axis-label") :]
    axis = axis[: axis.index("</g>")]
    labels = _x_labels(axis)
    assert len(labels) >= 3, labels
    gaps = [b[0] - a[1] for a, b in zip(labels, labels[1:], strict=False)]
    assert min(gaps) >= 4, (labels, gaps)


def test_the_unusual_days_value_stays_inside_the_chart() -> None:
    """Issue 14: the value beside an unusual day near the end of the window ran past the
    chart's right edge in a browser ("25.4" with its "%" cut off); it goes on the left there."""
    ins = INS[ID_OUTAGE]  # Thursday 19 Nov; the data ends on Sunday 22 Nov
    for small in (True, False):
        svg = charts.to_svg(charts.anomaly_chart(daily_frame(), ins, small))
        plot_right = float(re.search(r'<path class="background"[^>]*d="M0,0h([\d.]+)', svg)[1])
        value = re.search(
            r'<text[^>]*text-anchor="(\w+)" transform="translate\(([\d.]+),[\d.]+\)"[^>]*'
            r'font-weight="bold"[^>]*>([\d.,%$k]+)</text>',
            svg,
        )
        assert value, "the unusual day's value is labelled"
        anchor, x, text = value[1], float(value[2]), value[3]
        # DejaVu Sans (what a browser without Liberation Sans uses) is wider: 0.65 em a letter
        right = x if anchor == "end" else x + len(text) * 0.65 * 12
        assert right <= plot_right, (anchor, x, text, plot_right)


def _y_labels(svg: str) -> list[str]:
    """The tick labels of a rendered chart's y axes (Vega's ``role-axis-label`` groups inside
    an axis group whose ``aria-label`` starts with "Y-axis")."""
    found = re.findall(
        r'aria-label="Y-axis[^"]*">.*?role-axis-label"[^>]*>(.*?)</g>', svg, flags=re.S
    )
    assert found, "no y axis in the chart"
    return [t for group in found for t in re.findall(r">([^<]+)</text>", group)]


def test_value_axes_write_zero_as_zero_without_a_prefix(series: pd.DataFrame) -> None:
    """Counts and sums use an SI axis format (20k); Vega gives every tick the prefix of the
    largest, so zero read "0k" / "$0k" and a tick of 0.2 "200m". Zero reads "0" / "$0"."""
    sums = _y_labels(charts.to_svg(charts.metric_chart(series, INS[ID_REVENUE_DE], [], True)))
    assert sums[0] == "$0" and "$20k" in sums and "$120k" in sums, sums
    users = _y_labels(charts.to_svg(charts.anomaly_chart(daily_frame(), INS[ID_OUTAGE], True)))
    assert users == ["0", "1k", "2k", "3k", "4k"]
    # every axis format of the module: no tick reads "0" with a unit prefix, none reads milli
    for kind, unit, values in [
        ("count", None, [0, 20_000, 40_000]),
        ("sum", "USD", [0, 120_000, 140_000]),
        ("sum", "EUR", [-2_000, 0, 1_500]),
        ("sum", None, [0, 0.4, 0.6]),
        ("mean", "USD", [0, 10, 20]),
        ("conversion", None, [0, 0.3, 0.6]),
    ]:
        df = pd.DataFrame({"x": range(3), "value": values})
        y = alt.Y("value:Q", axis=charts.value_axis(kind, unit), scale=alt.Scale(zero=True))
        chart = alt.Chart(df).mark_line().encode(x=alt.X("x:Q", axis=None), y=y)
        labels = _y_labels(charts.to_svg(chart.properties(usermeta={"unit": unit})))
        zero = {"conversion": "0%"}.get(kind, ("$0" if unit == "USD" else "€0" if unit else "0"))
        assert zero in labels, (kind, unit, labels)
        assert not any(re.fullmatch(r"[$€]?0[.,]?0*[a-zA-Zµ]+", t) for t in labels), labels
        assert not any(t.endswith("m") for t in labels), labels
    # below 1 the ticks are written as numbers ("0.2"), not in milli units ("200m")
    df = pd.DataFrame({"x": range(3), "value": [0, 0.4, 0.6]})
    y = alt.Y("value:Q", axis=charts.value_axis("sum"), scale=alt.Scale(zero=True))
    chart = alt.Chart(df).mark_line().encode(x=alt.X("x:Q", axis=None), y=y)
    assert _y_labels(charts.to_svg(chart)) == ["0", "0.2", "0.4", "0.6"]
