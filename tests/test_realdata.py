"""Online Retail (real invoices): every number a report states agrees with DuckDB on the raw
lines. Skips when ``../shared/realdata`` (or ``$INSIGHTLIB_REALDATA``) is absent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import retail_check  # noqa: E402

SRC = retail_check.data_path()
pytestmark = pytest.mark.skipif(not SRC.exists(), reason=f"real data absent ({SRC})")


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    ws = retail_check.write_workspace(SRC, tmp_path_factory.mktemp("retail"))
    return ws, retail_check.truth(SRC)


@pytest.mark.parametrize("week", ["2011-W48", "2011-W03"])
def test_every_number_agrees_with_duckdb(retail, week: str) -> None:
    ws, table = retail
    doc = retail_check.report(ws, week)
    n, bad = retail_check.check(doc, table)
    assert n >= 5 * 7 and not bad, (n, bad[:5])


def test_customers_who_ordered_are_not_everyone(retail) -> None:
    """The headline bug: 470 UK customers ordered in the week of 28 Nov 2011 (not the 526 UK
    customers with any invoice, cancellations included)."""
    ws, table = retail
    doc = retail_check.report(ws, "2011-W48")
    uk = [i for i in doc["insights"] if i["metric"] == "customers" and i["segment"]]
    assert uk and uk[0]["current"] == 470


def test_the_giant_mistaken_order_is_one_order_not_a_trend(retail) -> None:
    """18 Jan 2011: one order of £77,184 (cancelled minutes later) is told as one order."""
    ws, _ = retail
    doc = retail_check.report(ws, "2011-W03")
    said = " ".join(doc["summary"]["watch"]) + " ".join(
        i["narrative"]["board"] for i in doc["insights"] if i["metric"] == "revenue"
    )
    assert "One order of £77,184" in said
    assert not any(i["kind"] == "trend" and i["metric"] == "revenue" for i in doc["insights"])


def test_the_pre_christmas_rise_with_less_than_a_year_is_not_told_as_news(retail) -> None:
    """The data start on 1 Dec 2010, so in late Nov 2011 there is no same week last year: the
    rise is told with "we cannot tell whether this is the usual season", and no team is asked
    about it as if it were unexplained news."""
    ws, _ = retail
    doc = retail_check.report(ws, "2011-W48")
    rising = [i for i in doc["insights"] if i["kind"] == "trend" and i["direction"] == "up"]
    assert rising, [(i["kind"], i["metric"]) for i in doc["insights"]]
    for i in rising:
        for audience in ("team", "board"):
            said = i["narrative"][audience]
            assert "less than a year of data" in said and "usual season" in said, said
            assert "asked" not in said, said
        assert i.get("question") is None
    asked = {q["insight_id"] for q in doc["questions"]}
    assert not asked & {i["id"] for i in rising}
