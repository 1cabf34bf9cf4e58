"""A second opinion on the golden texts of the hand-made week (tests/golden/story_*, quiet_*).

test_narrate compares the generated board, team text and digest with these golden files, and
INSIGHTLIB_UPDATE_GOLDEN=1 rewrites them, so a wrong number would be frozen in. Here every
number they state is recomputed from the week's inputs in tests/fixtures_story.py (the
findings' raw fields, the weekly theme counts, the knowledge log, the quotes) with plain
Python, written from what each number means, without insightlib's formatting or fusion code.

Each text is cut into units (a team section, a board section, a digest line); each unit is
matched to the one insight whose claims it states, each claim (a number with the words that
say what it is: metric, segment, period) must be in the unit, and once the claims are taken
out no digit may be left: a number nothing here checks fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import fixtures_story as S
import pytest

from insightlib.model import ANOMALY_DAY, ONSET  # the keys of the facts in finding details

GOLDEN = Path(__file__).parent / "golden"
WHO = {"platform=android": "Android", "platform=ios": "iPhone", "platform=web": "website"}


# ------------------------------------------------------------------------------------------
# Numbers written from their definitions (half up, as a reader rounds)
# ------------------------------------------------------------------------------------------
def _r(x: float, digits: int = 0) -> str:
    q = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def pct(x: float, digits: int = 0) -> str:
    return f"{_r(100 * x, digits)}%"


def pts(delta: float, signed: bool = False) -> str:
    """Percentage points with one decimal; signed for the ends of an interval."""
    v = _r(100 * delta, 1)
    return f"+{v}" if signed and delta > 0 else v.lstrip("-") if not signed else v


def n(x: float) -> str:
    return f"{round(x):,}"


def day(d: date) -> str:
    return f"{d.day} {d:%b}"


def span(a: date, b: date) -> str:
    if a.month == b.month and a.year == b.year:
        return f"{a.day}–{b.day} {b:%b %Y}"
    return f"{day(a)} – {day(b)} {b:%Y}"


def key(segment: tuple) -> str:
    return "&".join(f"{c}={v}" for c, v in sorted(segment)) or "all"


# ------------------------------------------------------------------------------------------
# The week's inputs, and the claims each insight's texts must make
# ------------------------------------------------------------------------------------------
@dataclass
class Claims:
    team: list[str]
    board: list[str]


def _knowledge(title: str) -> dict:
    k = S.knowledge()
    return k[k["title"] == title].iloc[0].to_dict()


def _link(title: str, team: bool = True) -> list[str]:
    """A knowledge row as the texts cite it: its title, date and (team text) its details."""
    row = _knowledge(title)
    out = [f"“{title}” ({day(row['date'])})", f"dated {day(row['date'])}"]
    if team and row["details"]:
        out.append(f": {row['details']}")
    return out


def _theme_weekly(segment: str) -> tuple[int, float]:
    """(mentions in the reported week, mean mentions a week over the baseline weeks)."""
    c = S.theme_counts()
    c = c[(c["theme"] == "verification_code") & (c["segment"] == segment)]
    now = int(c.loc[c["period_start"] == S.PERIOD.start, "count"].sum())
    base = c[(c["period_start"] >= S.B0) & (c["period_start"] <= S.B1)]
    weeks = ((S.B1 - S.B0).days + 1) // 7
    return now, float(base["count"].sum()) / weeks


def _quotes() -> list[str]:
    return [f"({q.source.replace('_', ' ')}, {day(q.date)})" for q in S.QUOTES]


def _method(f) -> list[str]:
    assert f.q_value < 0.001
    return [f"Method: {f.method}; adjusted p-value below 0.001."]


def _interval(f, unit: str = " points") -> str:
    if unit:
        return f"95% interval of the change {pts(f.ci_low, True)}{unit} to {pts(f.ci_high, True)}{unit}"
    return f"95% interval of the change +{n(f.ci_low)} to +{n(f.ci_high)}"


def expected() -> dict[str, Claims]:
    by_id = {
        f"{f.kind}:{f.metric or f.theme}:{key(f.segment)}": f
        for f in (*S.quant_findings(), *S.qual().findings)
    }
    assert set(by_id) == {S.ID_ANDROID, S.ID_SIGNUP, S.ID_OUTAGE, S.ID_THEME, S.ID_DE, S.ID_TREND}
    period = span(S.PERIOD.start, S.PERIOD.end)
    label = "“verification code never arrives”"
    android_now, android_before = _theme_weekly("platform=android")
    out: dict[str, Claims] = {}

    # sign-up completion on Android: a share of the users who started, now and before
    f = by_id[S.ID_ANDROID]
    lost = -f.change_abs * f.n_current  # users who no longer finish
    out[S.ID_ANDROID] = Claims(
        team=[
            f"Sign-up completion on Android: {pct(f.current, 1)} in {period} "
            f"({n(f.n_current)} people)",
            f"against {pct(f.baseline, 1)} over {span(f.baseline_start, f.baseline_end)} "
            f"({n(f.n_baseline)} people)",
            f"down {pts(f.change_abs)} points ({pct(abs(f.current / f.baseline - 1))} lower)",
            _interval(f),
            f"Android users mentioned {label} {android_now} times, against "
            f"{android_before:g} a week before",
            f"({android_now}, against about {android_before:g} a week before)",
            f"its rise is {pct((android_now - android_before) / lost)} the size of the change",
            *_quotes(),
            *_link("Android app 5.2 released"),
            *_link("Many contacts about missing sign-up codes"),
            "Benjamini-Hochberg across " + str(S.quant().n_tests) + " tests",
            *_method(f),
        ],
        board=[
            f"{_r(100 * f.current)} in 100 Android sign-ups now finish, down from "
            f"{_r(100 * f.baseline)}",
            "“Android app 5.2 released” ("
            + _knowledge("Android app 5.2 released")["team"]
            + f", {day(_knowledge('Android app 5.2 released')['date'])})",
        ],
    )

    # sign-up completion overall, and each platform's part in the fall
    f = by_id[S.ID_SIGNUP]
    drivers = {key(d.segment): d for d in f.drivers}
    lost = -f.change_abs * f.n_current
    parts = "; ".join(
        f"{WHO[k]} users {pct(d.share_of_change)} ({pct(d.baseline)} to {pct(d.current)})"
        for k, d in drivers.items()
        if k.startswith("platform=")
    )
    out[S.ID_SIGNUP] = Claims(
        team=[
            f"Sign-up completion: {pct(f.current, 1)} in {period} ({n(f.n_current)} people)",
            f"against {pct(f.baseline, 1)} over {span(f.baseline_start, f.baseline_end)} "
            f"({n(f.n_baseline)} people)",
            f"down {pts(f.change_abs)} points ({pct(abs(f.current / f.baseline - 1))} lower)",
            _interval(f),
            f"Share of the change: {parts}.",
            f"Android users mentioned {label} {android_now} times, against "
            f"{android_before:g} a week before",
            f"who drive {pct(drivers['platform=android'].share_of_change)} of the change "
            f"({android_now}, against about {android_before:g} a week before)",
            f"its rise is {pct((android_now - android_before) / lost)} the size of the change",
            f"Android accounts for {pct(drivers['platform=android'].share_of_change)} of the "
            "change",
            *_quotes(),
            *_link("Android app 5.2 released"),
            *_link("Many contacts about missing sign-up codes"),
            *_method(f),
        ],
        board=[],  # told inside the Android insight on the board
    )

    # checkout completion on the website on one day, against the expected band
    f = by_id[S.ID_OUTAGE]
    when = date.fromisoformat(f.details[ANOMALY_DAY])
    out[S.ID_OUTAGE] = Claims(
        team=[
            f"{when:%a} {day(when)}",
            f"Checkout completion on the website: {pct(f.current)} on {when:%a} {day(when)} "
            f"{when:%Y}, against an expected {pct(f.baseline)} (usual range "
            f"{pct(f.details['expected_low'])} to {pct(f.details['expected_high'])}): "
            f"down {pts(f.change_abs)} points",
            *_link("Web checkout outage"),
            "on the same day",
            *_method(f),
        ],
        board=[
            f"On {when:%a} {day(when)}, checkout completion on the website dropped to "
            f"{pct(f.current)}, against about {pct(f.baseline)} on a usual day",
        ],
    )

    # the theme: mentions now against the weekly mean before, and shares of all feedback
    f = by_id[S.ID_THEME]
    weeks = ((f.baseline_end - f.baseline_start).days + 1) // 7
    now_all, _ = _theme_weekly("all")
    assert now_all == f.details["count_current"]
    drivers = {key(d.segment): d for d in f.drivers}
    parts = "; ".join(
        f"{WHO[k]} users {pct(d.share_of_change)} ({pct(d.baseline, 1)} to "
        f"{pct(d.current, 1 if d.current < 0.1 else 0)})"
        for k, d in drivers.items()
    )
    out[S.ID_THEME] = Claims(
        team=[
            f"Customers mentioned {label} {f.details['count_current']} times in {period}, "
            f"against {_r(f.details['count_baseline'] / weeks, 1)} a week on average over "
            f"{span(f.baseline_start, f.baseline_end)}",
            f"That is {pct(f.current)} of all feedback, against {pct(f.baseline, 1)} before "
            f"({_r(f.current / f.baseline)} times as high)",
            f"95% interval of the change in share {pts(f.ci_low, True)} points to "
            f"{pts(f.ci_high, True)} points",
            f"Share of the rise: {parts}.",
            f"Android accounts for {pct(drivers['platform=android'].share_of_change)} of the rise",
            *_quotes(),
            *_link("Android app 5.2 released"),
            *_link("Many contacts about missing sign-up codes"),
            *_method(f),
        ],
        board=[],
    )

    # orders in Germany: events now against the weekly mean of the 4 weeks before
    f = by_id[S.ID_DE]
    weeks = ((f.baseline_end - f.baseline_start).days + 1) // 7
    assert f.baseline == f.n_baseline / weeks
    rise = pct(f.current / (f.n_baseline / weeks) - 1)
    out[S.ID_DE] = Claims(
        team=[
            f"Orders in Germany: {n(f.current)} in {period} ({n(f.n_current)} events)",
            f"against {n(f.n_baseline / weeks)} over {span(f.baseline_start, f.baseline_end)} "
            f"({n(f.n_baseline)} events): up {rise}",
            _interval(f, unit=""),
            f"in the week of {span(S.PERIOD.start, S.PERIOD.end).rsplit(' ', 1)[0]}? "
            f"Orders there rose {rise}",
            *_method(f),
        ],
        board=[f"Orders in Germany rose {rise} this week, to {n(f.current)}."],
    )

    # active customers on the Plus plan: a steady rise since the trend began
    f = by_id[S.ID_TREND]
    since = date.fromisoformat(f.details[ONSET])
    rise = pct(f.current / f.baseline - 1)
    out[S.ID_TREND] = Claims(
        team=[
            f"Active customers on the Plus plan: {n(f.current)} in the week to "
            f"{day(S.PERIOD.end)} {S.PERIOD.end:%Y} ({n(f.n_current)} people), against "
            f"{n(f.baseline)} in {span(f.baseline_start, f.baseline_end)} "
            f"({n(f.n_baseline)} people), a steady rise since {day(since)} {since:%Y}: up {rise}",
            *_link("Plus free-trial month"),
            *_method(f),
        ],
        board=[
            f"{n(f.current)} this week, up {rise} since {day(since)}",
            f"“Plus free-trial month” on {day(_knowledge('Plus free-trial month')['date'])}",
        ],
    )
    return out


# ------------------------------------------------------------------------------------------
# Checking a text
# ------------------------------------------------------------------------------------------
def _unexplained(unit: str, claims: list[str]) -> tuple[list[str], str]:
    """The claims missing from ``unit``, and what is left of it once the claims are out."""
    missing = [c for c in claims if c not in unit]
    rest = unit
    for c in sorted(claims, key=len, reverse=True):
        rest = rest.replace(c, " ")
    return missing, rest


def check_team(text: str, want: dict[str, Claims]) -> None:
    sections = [s for s in text.split("\n\n") if s.strip()]
    seen = set()
    for sec in sections:
        if sec.startswith("? "):  # an open question: the insight it asks about
            iid = S.ID_DE
            claims = [c for c in want[iid].team if c.startswith("in the week of")]
            body = sec
        else:
            head, _, body = sec.partition("\n")
            iid = re.search(r"\[([^\]]+)\]$", head).group(1)
            body = head.rsplit("[", 1)[0] + "\n" + body  # the title may state a day too
            claims = want[iid].team
            seen.add(iid)
        missing, rest = _unexplained(body, claims)
        assert not missing, f"{iid}: not stated as recomputed: {missing}"
        digits = re.findall(r"[\d][\d.,]*", rest)
        assert not digits, f"{iid}: numbers no claim checks: {digits}\n{rest}"
    assert seen == set(want), set(want) - seen


def check_units(units: list[str], want: dict[str, Claims]) -> list[str]:
    """Board sections or digest lines: each matches one insight's board claims and states
    no other number. Returns the insights in the order told."""
    told = []
    for unit in units:
        fits = [i for i, c in want.items() if c.board and not _unexplained(unit, c.board)[0]]
        assert len(fits) == 1, f"not the claims of exactly one insight ({fits}):\n{unit}"
        _, rest = _unexplained(unit, want[fits[0]].board)
        digits = re.findall(r"[\d][\d.,]*", rest)
        assert not digits, f"{fits[0]}: numbers no claim checks: {digits}\n{rest}"
        told.append(fits[0])
    return told


def _board_units(text: str) -> list[str]:
    return [s.strip() for s in text.split("## ") if s.strip()]


def _digest_units(text: str, n_tests: int | None = None) -> list[str]:
    lines = text.strip().splitlines()
    period = span(S.PERIOD.start, S.PERIOD.end)
    assert lines[0] == f"Basketly weekly insights, {period}:", lines[0]
    units = [ln for ln in lines[1:] if ln.startswith("- ")]
    rest = [ln for ln in lines[1:] if not ln.startswith("- ")]
    if n_tests is not None:
        rest = [ln.replace(f"We ran {n_tests} checks", "We ran checks") for ln in rest]
    assert not any(re.search(r"\d", ln) for ln in rest), rest
    return units


BOARD_ORDER = [S.ID_ANDROID, S.ID_OUTAGE, S.ID_DE, S.ID_TREND]


def test_every_number_of_the_story_team_text_is_recomputed() -> None:
    check_team((GOLDEN / "story_team.md").read_text(encoding="utf-8"), expected())


def test_every_number_of_the_story_board_is_recomputed() -> None:
    text = (GOLDEN / "story_board.md").read_text(encoding="utf-8")
    assert check_units(_board_units(text), expected()) == BOARD_ORDER


def test_every_number_of_the_story_digest_is_recomputed() -> None:
    text = (GOLDEN / "story_digest.txt").read_text(encoding="utf-8")
    assert check_units(_digest_units(text), expected()) == BOARD_ORDER


def test_every_number_of_the_quiet_digest_is_recomputed() -> None:
    text = (GOLDEN / "quiet_digest.txt").read_text(encoding="utf-8")
    assert _digest_units(text, n_tests=S.QUIET_N_TESTS) == []
    assert f"We ran {S.QUIET_N_TESTS} checks" in text


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("story_team.md", "40.2% in", "40.3% in"),  # a wrong share
        ("story_team.md", "(1,950 people)", "(1,905 people)"),  # a wrong count
        ("story_team.md", "across 210 tests", "across 201 tests"),
        ("story_team.md", "(36% lower)", "(36% lower, 7 weeks)"),  # a number nothing checks
        ("story_team.md", "12% on Fri 20 Nov 2026", "12% on Fri 21 Nov 2026"),
        ("story_board.md", "up 58% since", "up 59% since"),
        ("story_board.md", "to 2,345.", "to 2,345 in 3 days."),
        ("story_digest.txt", "16–22 Nov 2026", "16–23 Nov 2026"),
    ],
)
def test_the_second_opinion_notices_a_wrong_number(name: str, old: str, new: str) -> None:
    text = (GOLDEN / name).read_text(encoding="utf-8")
    assert old in text
    wrong = text.replace(old, new, 1)
    with pytest.raises(AssertionError):
        if name == "story_team.md":
            check_team(wrong, expected())
        elif name == "story_board.md":
            check_units(_board_units(wrong), expected())
        else:
            check_units(_digest_units(wrong), expected())


def test_the_second_opinion_notices_wrong_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing the week's data (not the text) fails the check too."""
    text = (GOLDEN / "story_team.md").read_text(encoding="utf-8")
    check_team(text, expected())
    monkeypatch.setattr(S, "PERIOD", S.PERIOD.previous())
    with pytest.raises(AssertionError):
        check_team(text, expected())
    monkeypatch.undo()
    monkeypatch.setattr(
        S, "QUOTES", S.QUOTES[:1] + (replace(S.QUOTES[1], date=date(2026, 11, 20)),)
    )
    with pytest.raises(AssertionError, match="support ticket, 20 Nov"):
        check_team(text, expected())
