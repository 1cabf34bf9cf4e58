"""A second opinion on the golden texts of the bundled sample (tests/golden/sample_*.{md,txt}).

test_narrate compares the generated board and digest with the golden files; the golden files
are rewritten with INSIGHTLIB_UPDATE_GOLDEN=1, so a wrong number would be frozen in. Here every
number in them is recomputed from the sample workspace's raw files with plain pandas (no
insightlib code but the sample writer), and every number in the texts must be one of them.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "golden"


def _pct(x: float) -> str:
    return f"{round(100 * x)}"


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


@pytest.fixture(scope="module")
def raw(sample_ws: Path) -> dict:
    events = pd.read_parquet(sample_ws / "events.parquet")
    knowledge = pd.read_csv(sample_ws / "knowledge.csv", dtype=str)
    config = tomllib.loads((sample_ws / "insight.toml").read_text(encoding="utf-8"))
    events["day"] = events["timestamp"].dt.date
    last = events["day"].max()
    # the latest complete ISO week: the one ending on the last Sunday the data reaches
    end = last - timedelta(days=(last.weekday() + 1) % 7)
    start = end - timedelta(days=6)
    return {"events": events, "knowledge": knowledge, "config": config, "start": start, "end": end}


def _week(ev: pd.DataFrame, start: date) -> pd.DataFrame:
    return ev[(ev["day"] >= start) & (ev["day"] < start + timedelta(days=7))]


def _conversion(ev: pd.DataFrame, a: str, b: str) -> tuple[int, int]:
    """Users who did ``a`` and also ``b`` in ``ev``, and users who did ``a``."""
    first = set(ev.loc[ev["event"] == a, "user_id"])
    return len(first & set(ev.loc[ev["event"] == b, "user_id"])), len(first)


def _knowledge(raw: dict, title: str) -> tuple[str, date]:
    k = raw["knowledge"]
    row = k[k["title"] == title].iloc[0]
    return row["team"], date.fromisoformat(row["date"])


def expected_texts(raw: dict) -> list[str]:
    """The sentences of the golden board, each number recomputed from the raw files."""
    ev, start, cfg = raw["events"], raw["start"], raw["config"]["metrics"]
    base_weeks = [start - timedelta(weeks=i) for i in range(4, 0, -1)]
    out = []

    # 1. sign-up completion on Android: this week against the pooled four weeks before
    m = cfg["signup_completion"]
    android = ev[ev["platform"] == "android"]
    num, den = _conversion(_week(android, start), m["from"], m["to"])
    pooled = [_conversion(_week(android, w), m["from"], m["to"]) for w in base_weeks]
    before = sum(n for n, _ in pooled) / sum(d for _, d in pooled)
    team, when = _knowledge(raw, "Android app 5.2 released")
    out.append(
        f"{_pct(num / den)} in 100 Android sign-ups now finish, down from {_pct(before)}. "
        f"It fell at the same time as “Android app 5.2 released” ({team}, {_day(when)})"
    )
    assert m["from"] == "signup_start" and "platform" in raw["config"]["segments"]["columns"]

    # 2. checkout completion on the web on the unusual day, against the same weekday's pooled
    #    rate over the eight weeks before
    m = cfg["checkout_conversion"]
    web = ev[ev["platform"] == "web"]
    days = {
        d: _conversion(web[web["day"] == d], m["from"], m["to"]) for d in sorted(set(web["day"]))
    }
    in_week = [d for d in days if start <= d <= raw["end"]]

    def expected(d: date) -> float:
        hist = [d - timedelta(weeks=i) for i in range(1, 9)]
        return sum(days[h][0] for h in hist) / sum(days[h][1] for h in hist)

    worst = min(in_week, key=lambda d: days[d][0] / days[d][1] - expected(d))
    team, when = _knowledge(raw, "Payment page outage on web (2 h)")
    assert when == worst
    out.append(
        f"On {worst:%a} {_day(worst)}, checkout completion on the website dropped to "
        f"{_pct(days[worst][0] / days[worst][1])}%, against about {_pct(expected(worst))}% on a "
        f"usual day. That day, {team} logged “Payment page outage on web (2 h)”."
    )

    # 3. orders in Germany: this week's purchases against the mean of the four weeks before
    m = cfg["orders"]
    de = ev[(ev["country"] == "DE") & (ev["event"] == m["event"])]
    now = len(_week(de, start))
    mean = sum(len(_week(de, w)) for w in base_weeks) / 4
    out.append(f"Orders in Germany rose {_pct(now / mean - 1)}% this week, to {now:,}.")

    # 4. revenue on the Plus plan: this week, and the rise since the first of the 8 trend weeks
    m = cfg["revenue"]
    plus = ev[(ev["plan"] == "plus") & (ev["event"] == m["event"])]
    first_week = start - timedelta(weeks=7)
    now_rev = _week(plus, start)[m["column"]].sum()
    then_rev = _week(plus, first_week)[m["column"]].sum()
    team, when = _knowledge(raw, "Plus free-trial month")
    out.append(
        f"keeps rising: ${round(now_rev):,} this week, up {_pct(now_rev / then_rev - 1)}% since "
        f"{_day(first_week)}. The rise began around the same time as {team}'s “Plus free-trial "
        f"month” on {_day(when)}."
    )
    return out


@pytest.mark.parametrize("name", ["sample_board.md", "sample_digest.txt"])
def test_every_number_of_the_sample_golden_texts_is_recomputed(raw: dict, name: str) -> None:
    text = (GOLDEN / name).read_text(encoding="utf-8")
    wanted = expected_texts(raw)
    for sentence in wanted:
        assert sentence in text, f"{name}: expected (recomputed from the workspace)\n{sentence}"
    rest = text
    if name.endswith(".txt"):
        period = f"{raw['start'].day}–{raw['end'].day} {raw['end']:%b %Y}"
        assert text.startswith(f"Basketly weekly insights, {period}:")
        rest = rest.replace(period, "")
    for sentence in wanted:
        rest = rest.replace(sentence, "")
    # what is left holds no number: every figure of the golden text was checked above
    assert not re.findall(r"\d", rest), rest


def test_the_second_opinion_notices_a_wrong_number(raw: dict) -> None:
    text = (GOLDEN / "sample_board.md").read_text(encoding="utf-8")
    first = expected_texts(raw)[0]
    wrong = text.replace(first, first.replace(" down from ", " down from 1"))
    assert first not in wrong
    digits = re.findall(r"\d+", first)
    assert digits and all(d in text for d in digits)
