from datetime import date

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
