"""Numbers and groups in words for people: examples and properties."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insightlib.text import numbers as tf

shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
changes = st.floats(min_value=-0.99, max_value=20.0, allow_nan=False)


@pytest.mark.parametrize(
    ("fn", "arg", "out"),
    [
        (tf.pct, 0.3, "30%"),
        (tf.pct, 0.355, "36%"),
        (tf.pct, 0.004, "0.4%"),
        (tf.pct, 0.0004, "0.04%"),
        (tf.change_words, -0.3, "down 30%"),
        (tf.change_words, 0.25, "up 25%"),
        (tf.change_words, 0.001, "unchanged"),
        (tf.change_words, None, "new"),
        (tf.about_one_in, 0.33, "about 1 in 3"),
        (tf.about_one_in, 0.5, "1 in 2"),
        (tf.about_one_in, 0.62, "about 3 in 5"),
        (tf.about_one_in, 0.04, "1 in 25"),
        (tf.about_one_in, 0.041, "about 1 in 24"),
        (tf.per_hundred, 0.402, "40 in 100"),
        (tf.count, 1234, "1,234"),
        (tf.count, 1_234_567, "1.2 million"),
        (tf.count, 2.25, "2.3"),
        (tf.count, 3.0, "3"),
        (tf.points, -0.219, "22 points"),
        (tf.points, 0.01, "1 point"),
        (tf.times, 3.42, "3.4 times"),
    ],
)
def test_examples(fn, arg, out) -> None:
    assert fn(arg) == out


def test_money() -> None:
    assert tf.money(45612.4, "EUR") == "€45,612"
    assert tf.money(52.3, "USD") == "$52.30"
    assert tf.money(1_240_000, "GBP") == "£1.2 million"
    assert tf.money(80, "CHF") == "80.00 CHF"
    assert tf.money(-5, "EUR") == "-€5.00"
    assert tf.value_text(0.402, "conversion") == "40%"
    assert tf.value_text(45612.4, "sum", "EUR") == "€45,612"
    assert tf.value_text(2345, "count") == "2,345"
    assert tf.value_text(12.34, "mean", "min") == "12 min"


def test_dates() -> None:
    d = date(2026, 11, 17)
    assert tf.day(d) == "17 Nov" and tf.weekday_day(d) == "Tue 17 Nov"
    assert tf.date_range(date(2026, 11, 16), date(2026, 11, 22)) == "16–22 Nov"
    assert tf.date_range(date(2026, 10, 19), date(2026, 11, 15), year=True) == (
        "19 Oct – 15 Nov 2026"
    )


def test_groups() -> None:
    android, de, plus = (("platform", "android"),), (("country", "DE"),), (("plan", "plus"),)
    assert tf.who(android) == "Android users"
    assert tf.who(de) == "customers in Germany"
    assert tf.who(plus) == "Plus plan customers"
    assert tf.who((("country", "DE"), ("platform", "android"))) == "Android users in Germany"
    assert tf.who(()) == "all customers"
    assert tf.where(android) == "on Android" and tf.where(de) == "in Germany"
    assert tf.where(plus) == "on the Plus plan" and tf.where(()) == "overall"
    assert tf.qualify("sign-ups", android) == "Android sign-ups"
    assert tf.who((("channel", "email"),)) == "customers with channel Email"


def test_metric_noun() -> None:
    assert tf.metric_noun("Sign-up completion", "conversion") == ("sign-ups", "finish")
    assert tf.metric_noun("Checkout conversion rate", "conversion") == ("checkouts", "finish")
    assert tf.metric_noun("Orders", "count") is None
    assert tf.metric_noun("Trial to paid", "conversion") is None


def _num(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


@given(shares)
def test_pct_round_trips(x: float) -> None:
    text = tf.pct(x)
    assert text.endswith("%")
    assert abs(_num(text) - x * 100) <= 0.5 + 1e-9


@given(changes)
def test_change_words_direction(rel: float) -> None:
    text = tf.change_words(rel)
    if text == "unchanged":
        assert abs(rel) < 0.005
    else:
        assert text.startswith("up " if rel > 0 else "down ")
        assert abs(_num(text) - abs(rel) * 100) <= 0.5 + 1e-9


@given(st.floats(min_value=0.1, max_value=0.9))
def test_about_one_in_is_close(x: float) -> None:
    m = re.fullmatch(r"(?:about )?(\d+) in (\d+)", tf.about_one_in(x))
    assert m, tf.about_one_in(x)
    k, n = int(m[1]), int(m[2])
    assert 0 < k < n <= 10
    assert abs(k / n - x) <= 0.05 + 1e-9


@given(st.floats(min_value=0.001, max_value=0.0999))
def test_about_one_in_small(x: float) -> None:
    m = re.fullmatch(r"(?:about )?1 in (\d+)", tf.about_one_in(x))
    assert m
    assert abs(int(m[1]) - 1 / x) <= 0.5 + 1e-6


@given(shares)
def test_per_hundred(x: float) -> None:
    k = int(tf.per_hundred(x).split()[0])
    assert abs(k - x * 100) <= 0.5 + 1e-9


@given(st.floats(min_value=0, max_value=1e8, allow_nan=False))
def test_count_and_money_are_close(x: float) -> None:
    text = tf.count(x)
    value = _num(text) * (1e6 if "million" in text else 1)
    assert abs(value - x) <= max(0.05 * x, 0.06)
    m = tf.money(x, "EUR")
    assert m.startswith("€")
    value = _num(m) * (1e6 if "million" in m else 1)
    assert abs(value - x) <= max(0.05 * x, 0.006)


@given(st.floats(min_value=-10, max_value=10, allow_nan=False), st.integers(0, 3))
def test_round_half_up(x: float, digits: int) -> None:
    r = tf.round_half_up(x, digits)
    assert abs(r - x) <= 0.5 * 10**-digits + 1e-9


def test_finite_number_reads_numbers_and_refuses_the_rest() -> None:
    from insightlib.text.numbers import finite_number

    assert finite_number("2.5") == 2.5 and finite_number(3) == 3.0
    for bad in (None, "x", float("nan"), float("inf"), -float("inf"), [1]):
        assert finite_number(bad) is None
