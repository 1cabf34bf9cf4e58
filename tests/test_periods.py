from datetime import date, timedelta

import pytest

from insightlib.errors import InputError
from insightlib.workspace.periods import latest_complete, parse_period, period_of


def test_iso_week_label_and_bounds() -> None:
    p = parse_period("2026-W47")
    assert (p.start, p.end, p.grain) == (date(2026, 11, 16), date(2026, 11, 22), "week")
    assert p.previous().label == "2026-W46"
    assert p.previous(4).start == date(2026, 10, 19)
    assert p.human() == "16–22 Nov 2026"


def test_week_across_year_boundary() -> None:
    p = period_of(date(2027, 1, 1), "week")
    assert p.label == "2026-W53" and p.start == date(2026, 12, 28)
    assert p.next().label == "2027-W01"


def test_month_and_day() -> None:
    assert parse_period("2026-02").end == date(2026, 2, 28)
    assert parse_period("2026-11").previous().label == "2026-10"
    assert parse_period("2026-11-22").human() == "Sunday 22 Nov 2026"


@pytest.mark.parametrize("bad", ["2026-W60", "2026-13", "2026/11/22", "last week", "2026-02-30"])
def test_bad_labels_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError, match="period"):
        parse_period(bad)


def test_latest_complete_skips_a_partial_period() -> None:
    # data ends on Tuesday 24 Nov: week 48 is partial, week 47 is the latest complete one
    assert latest_complete(date(2026, 8, 17), date(2026, 11, 24), "week").label == "2026-W47"
    assert latest_complete(date(2026, 8, 17), date(2026, 11, 22), "week").label == "2026-W47"
    assert latest_complete(date(2026, 8, 17), date(2026, 11, 24), "month").label == "2026-10"


def test_latest_complete_with_no_complete_period() -> None:
    with pytest.raises(InputError, match="no complete week"):
        latest_complete(date(2026, 11, 17), date(2026, 11, 19), "week")


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_three_bucketings_agree(grain: str) -> None:
    """period_of (one date), period_starts (a column) and the engine's SQL truncation put every
    timestamp in the same period, across ISO-year edges (2020-W53, 2021-W01) and midnights."""
    import ibis
    import pandas as pd

    from insightlib.quant import engine
    from insightlib.workspace.periods import period_starts

    stamps = pd.Series(
        pd.to_datetime(
            [
                "2020-12-27 23:59:59",  # Sunday of 2020-W52
                "2020-12-28 00:00:00",  # Monday of 2020-W53
                "2021-01-03 23:59:59",  # Sunday of 2020-W53, calendar year 2021
                "2021-01-04 00:00:00",  # Monday of 2021-W01
                "2025-12-29 00:00:01",  # Monday of 2026-W01, calendar year 2025
                "2026-02-28 23:59:59",
                "2026-03-01 00:00:00",
                "2024-02-29 12:00:00",
            ]
        )
    )
    by_column = [d.date() for d in period_starts(stamps, grain)]
    by_value = [period_of(t.date(), grain).start for t in stamps]
    table = ibis.memtable(pd.DataFrame({"ts": stamps}))
    expr = table.select(p=engine.period_start(table.ts, grain))
    by_sql = [pd.Timestamp(v).date() for v in ibis.duckdb.connect().execute(expr)["p"]]
    assert by_column == by_value == by_sql
    if grain == "week":
        assert [period_of(t.date(), grain).label for t in stamps][:5] == [
            "2020-W52",
            "2020-W53",
            "2020-W53",
            "2021-W01",
            "2026-W01",
        ]


# ISO-year edges: the label carries the ISO year, which differs from the calendar year of
# both the first and the last day near New Year.
@pytest.mark.parametrize(
    ("day", "label", "start"),
    [
        (date(2021, 1, 1), "2020-W53", date(2020, 12, 28)),  # Friday: still 2020's week 53
        (date(2021, 1, 3), "2020-W53", date(2020, 12, 28)),
        (date(2021, 1, 4), "2021-W01", date(2021, 1, 4)),
        (date(2026, 1, 1), "2026-W01", date(2025, 12, 29)),  # the week starts in 2025
        (date(2024, 12, 31), "2025-W01", date(2024, 12, 30)),
        (date(2025, 12, 28), "2025-W52", date(2025, 12, 22)),
    ],
)
def test_week_labels_use_the_iso_year(day: date, label: str, start: date) -> None:
    p = period_of(day, "week")
    assert (p.label, p.start, p.end, p.days) == (label, start, start + timedelta(days=6), 7)
    assert parse_period(label) == p


def test_weeks_52_53_and_1_follow_each_other() -> None:
    w53 = parse_period("2020-W53")
    assert (w53.start, w53.end) == (date(2020, 12, 28), date(2021, 1, 3))
    assert w53.next().label == "2021-W01" and w53.next().previous() == w53
    assert w53.previous().label == "2020-W52"
    assert parse_period("2021-W01").previous(2).label == "2020-W52"
    assert parse_period("2025-W52").next().label == "2026-W01"
    assert parse_period("2026-W01").previous().label == "2025-W52"
    assert parse_period("2026-W01").human() == "29 Dec 2025 – 4 Jan 2026"
    assert parse_period("2026-W49").human() == "30 Nov – 6 Dec 2026"
    with pytest.raises(InputError, match="not a real date"):
        parse_period("2025-W53")  # 2025 has 52 ISO weeks


def test_day_grain_steps_one_day_at_a_time() -> None:
    d = parse_period("2026-03-01")
    assert (d.start, d.end, d.grain, d.days) == (date(2026, 3, 1), date(2026, 3, 1), "day", 1)
    assert d.previous().label == "2026-02-28"
    assert [d.previous(i).label for i in range(1, 4)] == ["2026-02-28", "2026-02-27", "2026-02-26"]
    assert d.previous(0) == d
    assert parse_period("2024-02-28").next().label == "2024-02-29"
    assert parse_period("2021-01-01").previous().label == "2020-12-31"
    assert d.human() == "Sunday 1 Mar 2026"


def test_month_grain_edges() -> None:
    assert parse_period("2024-02").end == date(2024, 2, 29) and parse_period("2024-02").days == 29
    jan = parse_period("2027-01")
    assert jan.previous().label == "2026-12" and jan.previous().end == date(2026, 12, 31)
    assert parse_period("2026-12").next() == jan
    assert period_of(date(2026, 1, 31), "month").end == date(2026, 1, 31)
    assert period_of(date(2026, 12, 31), "month").start == date(2026, 12, 1)
    assert parse_period("2026-11").human() == "November 2026"
    with pytest.raises(InputError, match="grain must be one of"):
        period_of(date(2026, 1, 1), "year")


def test_latest_complete_at_the_edges() -> None:
    # data ends on a Sunday: that week is complete; on a Saturday it is not
    assert latest_complete(date(2026, 11, 1), date(2026, 11, 29), "week").label == "2026-W48"
    assert latest_complete(date(2026, 11, 1), date(2026, 11, 28), "week").label == "2026-W47"
    # data starting inside the latest complete week still reports that week (it reaches its
    # last day); data starting on that week's last day too
    assert latest_complete(date(2026, 11, 25), date(2026, 11, 29), "week").label == "2026-W48"
    assert latest_complete(date(2026, 11, 22), date(2026, 11, 24), "week").label == "2026-W47"
    # day grain: the last day is complete; month grain: the last day of the month completes it
    assert latest_complete(date(2026, 11, 24), date(2026, 11, 24), "day").label == "2026-11-24"
    assert latest_complete(date(2026, 10, 5), date(2026, 10, 31), "month").label == "2026-10"
    assert latest_complete(date(2026, 10, 5), date(2026, 11, 30), "month").label == "2026-11"
    with pytest.raises(InputError, match="no complete month"):
        latest_complete(date(2026, 10, 5), date(2026, 10, 30), "month")
    with pytest.raises(InputError, match="2026-11-17 to 2026-11-19"):
        latest_complete(date(2026, 11, 17), date(2026, 11, 19), "week")
