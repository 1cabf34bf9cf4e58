"""One home for each shared idea: the number formatter, segment keys, the key-driver rule."""

from __future__ import annotations

import pytest

from insightlib.fuse import KEY_DRIVER_LIFT, KEY_SHARE, KEY_SHARE_ALONE, is_key_driver
from insightlib.model import parse_segment, segment_key, segment_text
from insightlib.report import charts, views
from insightlib.text import numbers as tf


@pytest.mark.parametrize(
    ("x", "kind", "unit"),
    [
        (0.0125, "conversion", None),
        (0.255, "conversion", None),
        (0.30449, "conversion", None),
        (44.105, "mean", None),
        (104950.5, "sum", "USD"),
        (-1150.0, "distinct_users", None),
        (2.25, "count", None),
        (1200.0, "sum", "EUR"),
    ],
)
def test_tables_format_with_the_one_formatter(x: float, kind: str, unit: str | None) -> None:
    assert views.fmt_value(x, kind, unit) == tf.exact_text(x, kind, unit).replace("-", "−")


def test_table_and_text_round_the_same_way() -> None:
    # half up everywhere: 1.25% is 1.3% in the table, as in the texts (not Python's 1.2%)
    assert views.fmt_value(0.0125, "conversion") == tf.pct(0.0125, 1) == "1.3%"
    assert views.fmt_value(44.105, "mean") == "44.11"
    assert views.fmt_value(1200.0, "sum", "EUR") == tf.money(1200.0, "EUR") == "€1,200"
    assert views.fmt_change({"metric_kind": "conversion", "change_abs": -0.0125,
                             "change_rel": -0.125}) == "−1.3 points (−13%)"  # fmt: skip
    assert (
        views.fmt_interval({"metric_kind": "conversion", "ci_low": -0.0125, "ci_high": 0.0025})
        == "−1.3 to +0.3 points"
    )


def test_chart_formats_derive_from_the_formatter() -> None:
    assert charts.value_format("conversion", axis=False) == f".{tf.EXACT_DIGITS['conversion']}%"
    assert charts.value_format("conversion") == f".{tf.AXIS_DIGITS['conversion']}%"
    assert charts.value_format("mean", axis=False) == f",.{tf.EXACT_DIGITS['mean']}f"


@pytest.mark.parametrize(
    "value",
    [
        "country=DE&platform=web",
        " platform=web & country=DE ",
        {"platform": "web", "country": "DE"},
    ],
)
def test_one_segment_parse_and_key(value) -> None:
    seg = parse_segment(value)
    assert seg == (("country", "DE"), ("platform", "web"))
    assert segment_key(seg) == charts.segment_key_of(value if isinstance(value, dict) else
                                                     segment_key(seg)) == "country=DE&platform=web"  # fmt: skip
    assert charts.segment_words(dict(seg)) == segment_text(seg)
    assert parse_segment("all") == parse_segment(None) == parse_segment("") == ()


@pytest.mark.parametrize(
    ("share", "volume", "key"),
    [
        (0.71, 0.87, False),  # the free plan holds most of a change only because it is most
        (0.40, 0.20, True),
        (0.29, 0.10, False),  # below the least share
        (0.60, None, True),  # no volume known: more than half
        (0.45, None, False),
        (0.45, 0.0, False),
    ],
)
def test_one_key_driver_rule(share: float, volume: float | None, key: bool) -> None:
    assert KEY_SHARE < KEY_SHARE_ALONE and KEY_DRIVER_LIFT > 1
    assert is_key_driver(share, volume) is key
