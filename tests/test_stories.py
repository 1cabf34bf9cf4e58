"""Stories: findings that tell one story are told together, with their impact in business units."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import fixtures_run
import fixtures_story
import pandas as pd
import pytest

from insightlib.narrate import stories
from insightlib.report import runfolder, views

ANDROID = {
    "segment_driver:signup_completion:platform=android",
    "metric_change:signup_completion:all",
    "emerging_theme:verification_code:all",
}


@pytest.fixture(scope="module")
def story_doc() -> dict[str, Any]:
    """The hand-made week through the real fuse and narrate (the sample's planted stories)."""
    return fixtures_story.document()


def _ins(iid: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": iid,
        "kind": "metric_change",
        "title": iid,
        "metric": iid.split(":")[1],
        "metric_label": "Orders",
        "metric_kind": "count",
        "segment": {},
        "direction": "up",
        "change_abs": 10.0,
        "window": {"start": "2026-11-16", "end": "2026-11-22"},
        "evidence": {"drivers": [], "themes": [], "knowledge": []},
        "related": [],
        "score": 0.5,
    }
    return base | kw


def _ids(told: list[stories.Story]) -> list[set[str]]:
    return [set(s.ids) for s in told]


def test_findings_of_one_story_are_grouped_and_the_others_stay_apart(story_doc) -> None:
    told = stories.for_audience(story_doc, "team")
    groups = _ids(told)
    assert ANDROID in groups
    # the lead says what changed (a metric), not why (the theme)
    android = next(s for s in told if set(s.ids) == ANDROID)
    assert android.lead.id == "segment_driver:signup_completion:platform=android"
    assert android.anchor == "story-segment-driver-signup-completion-platform-android"
    # the unexplained rise in Germany, the web outage and the Plus trend are stories of their own
    for iid in (
        "segment_driver:orders:country=DE",
        "anomaly:checkout_completion:platform=web",
        "trend:active_customers:plan=plus",
    ):
        assert {iid} in groups
    assert sum(len(g) for g in groups) == len(story_doc["insights"])


def test_grouping_needs_time_segment_and_cause() -> None:
    note = {"date": "2026-11-17", "title": "Android app 5.2 released", "team": "Engineering"}
    android = _ins("metric_change:a:platform=android", segment={"platform": "android"})
    web = _ins("metric_change:b:platform=web", segment={"platform": "web"})
    overall = _ins("metric_change:c:all", kind="trend")
    de_orders = _ins("metric_change:orders:country=DE", segment={"country": "DE"})
    de_revenue = _ins("metric_change:revenue:country=DE", segment={"country": "DE"})
    # the same note, but disjoint segments: two stories
    android["evidence"] = {"knowledge": [note]}
    web["evidence"] = {"knowledge": [note]}
    assert len(stories.group([android, web])) == 2
    # nested segments, same time, no shared cause: two stories
    assert len(stories.group([overall, de_orders])) == 2
    # nested segments, same time, the same note: one story
    overall["evidence"] = {"knowledge": [note]}
    assert len(stories.group([overall, android])) == 1
    # ... but not when the windows do not meet
    later = copy.deepcopy(overall) | {"window": {"start": "2026-12-01", "end": "2026-12-07"}}
    assert len(stories.group([later, android])) == 2
    # same kind of change, same customers, same week: orders and revenue in Germany
    assert len(stories.group([de_orders, de_revenue])) == 1
    # fusion's own link holds whatever the segments
    web["related"] = [android["id"]]
    web["evidence"] = {}
    android["evidence"] = {}
    assert len(stories.group([android, web])) == 1


def test_impact_in_the_metrics_own_units_with_its_interval() -> None:
    conv = _ins(
        "segment_driver:signup_completion:platform=android",
        metric_label="Sign-up completion",
        metric_kind="conversion",
        direction="down",
        change_abs=-0.19,
        ci_low=-0.238,
        ci_high=-0.142,
        n_current=500,
    )
    imp = stories.impact(conv)
    assert imp.text == "about 95 fewer sign-up completions this week"
    assert imp.amount == pytest.approx(-95.0)
    assert (imp.low, imp.high) == (pytest.approx(-119.0), pytest.approx(-71.0))
    assert imp.interval_text() == "71 and 120"
    assert stories.impact(conv | {"n_current": 1000}).text.startswith("about 190 fewer")
    money = _ins(
        "anomaly:revenue:platform=web",
        kind="anomaly",
        metric_label="Revenue",
        metric_kind="sum",
        unit="USD",
        direction="down",
        change_abs=-6166.9,
        ci_low=-7453.7,
        ci_high=-4880.0,
        details={"day": "2026-11-20"},
        window={"start": "2026-11-20", "end": "2026-11-20"},
    )
    imp = stories.impact(money)
    assert imp.text == "about $6,200 of revenue lost on Friday 20 Nov"
    assert imp.interval_text() == "$4,900 and $7,500"
    assert imp.money
    count = _ins("metric_change:orders:country=DE", change_abs=250.0, ci_low=149.0, ci_high=351.0)
    assert stories.impact(count).text == "about 250 more orders this week"
    # an interval across zero says both signs
    assert stories.impact(count | {"ci_low": -20.0}).interval_text() == "−20 and +350"
    # a mean or a theme share has no total to speak of
    assert stories.impact(count | {"metric_kind": "mean"}) is None
    assert stories.impact(count | {"metric": None, "kind": "emerging_theme"}) is None


def test_story_paragraph_is_plain_and_short(story_doc) -> None:
    docs = [story_doc, fixtures_run.document()]
    for doc in docs:
        for s in stories.for_audience(doc, "team"):
            assert 0 < len(s.text.split()) <= stories.MAX_WORDS, s.text
            for word in stories.METHOD_WORDS:
                assert word not in s.text, (word, s.text)
    # method words in the lead's text are dropped from the paragraph, the rest kept
    lead = _ins("metric_change:orders:all", narrative={"board": "Orders rose. BH q = 0.01."})
    told = stories.group([lead])[0]
    assert told.text.startswith("Orders rose.") and "BH" not in told.text
    assert "That is about 10 more orders this week." in told.text


def test_the_board_reads_three_to_five_stories() -> None:
    notes = [{"date": "2026-11-17", "title": f"note {n}"} for n in range(8)]
    insights = [
        _ins(f"metric_change:m{n}:all", evidence={"knowledge": [notes[n]]}) for n in range(8)
    ]
    # two board findings of one story, the rest of the run elsewhere: topped up to three
    insights[1]["evidence"] = {"knowledge": [notes[0]]}
    doc = {
        "insights": insights,
        "audiences": {"board": {"depth": "summary", "insight_ids": [insights[0]["id"]]}},
    }
    assert len(stories.for_audience(doc, "board")) == 3
    doc["audiences"]["board"]["insight_ids"] = [i["id"] for i in insights]
    assert len(stories.for_audience(doc, "board")) == 5
    assert len(stories.for_audience(doc, "team")) == 7


# ------------------------------------------------------------------------------ rendered pages


@pytest.fixture
def run(tmp_path: Path) -> runfolder.Run:
    doc = fixtures_story.document()
    return runfolder.open_run(fixtures_run.build_run(tmp_path, doc=doc))


def _prose(html: str) -> str:
    return " ".join(re.findall(r'<p class="story-text">(.*?)</p>', html, flags=re.S))


def test_team_story_keeps_methods_in_how_we_know(run: runfolder.Run) -> None:
    pieces = views.story_pieces(run, "team")
    assert len(pieces) == 4
    android = next(p for p in pieces if "story-segment-driver-signup-completion" in p)
    # one section, one paragraph, one table with a row per finding, one chart
    assert android.count('<p class="story-text">') == 1
    assert android.count('id="story-segment-driver-signup-completion-platform-android-') == 3
    # (this fixture's frames have no sign-up series: the one chart is a note saying so)
    assert android.count("<figure") + android.count('class="chart-note"') == 1
    # methods, tests and intervals only in the collapsed block
    how = android[android.index('<details class="how">') :]
    assert "q-value" in how and "Method:" in how and "95% interval" in how
    prose = android[: android.index('<details class="how">')]
    for word in ("q-value", "Benjamini", "Method:", "z-test"):
        assert word not in prose
    assert "Impact" in prose or "fewer sign-up completions" in _prose(android)
    # quotes once: no quote text twice in the story
    quotes = re.findall(r"<blockquote>“(.*?)”", android, flags=re.S)
    assert quotes and len(quotes) == len(set(quotes))


def test_board_story_links_to_its_team_section(run: runfolder.Run) -> None:
    board = "".join(views.story_pieces(run, "board"))
    team = "".join(views.story_pieces(run, "team"))
    anchors = re.findall(r'href="team\.html#(story-[^"]+)"', board)
    assert len(anchors) == 4
    for a in anchors:
        assert f'id="{a}"' in team
    assert "<details" not in board
    header = views.header_html(run, "team")
    assert 'href="board.html"' in header and 'href="../index.html"' in header
    assert 'href="board.pdf"' in header
    assert header.count('<a href="#story-') == 4
    assert 'href="team.html"' in views.header_html(run, "board")


def _metrics_rows(series: pd.DataFrame, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows in the shape of ``insights.json`` ``metrics`` (issue 12), from the run's series."""
    rows = []
    for metric, part in series[series["segment"] == "all"].groupby("metric"):
        part = part.sort_values("period_start")
        values = list(part["value"])
        cur, base = values[-1], sum(values[-5:-1]) / 4
        rows.append(
            {
                "metric": metric,
                "label": metric.replace("_", " ").capitalize(),
                "kind": fixtures_run.METRICS[metric][0],
                "unit": fixtures_run.METRICS[metric][1],
                "good": "up",
                "segment": {},
                "current": cur,
                "baseline": base,
                "change_abs": cur - base,
                "change_rel": cur / base - 1,
                "interval": [cur - base - 1, cur - base + 1],
                "status": "falling" if cur < base else "rising",
                "recent": [
                    {"period": str(d), "value": v}
                    for d, v in zip(part["period_start"], values, strict=True)
                ][-12:],
            }
        )
    return rows


def test_scoreboard_shows_every_metric_or_nothing(tmp_path: Path) -> None:
    doc = fixtures_run.document()
    doc["metrics"] = []  # a run without a scoreboard
    run = runfolder.open_run(fixtures_run.build_run(tmp_path / "a", doc=doc))
    assert views.scoreboard_html(run).strip() == ""
    assert "scoreboard" not in views.header_html(run, "board")
    doc["metrics"] = _metrics_rows(run.series, doc)
    run = runfolder.open_run(fixtures_run.build_run(tmp_path / "b", doc=doc))
    html = views.scoreboard_html(run)
    assert html.count('class="tile ') == len(doc["metrics"]) == len(fixtures_run.METRICS)
    assert html.count("<polyline") >= len(doc["metrics"])
    for row in doc["metrics"]:
        assert row["label"] in html
        assert views.fmt_value(row["current"], row["kind"], row["unit"]) in html
        assert row["status"] in html
    assert "scoreboard" in views.header_html(run, "board")
    assert "scoreboard" in views.header_html(run, "team")


def test_sparkline_follows_the_values() -> None:
    svg = views.sparkline_svg([1, 2, None, 4])
    lines = re.findall(r'points="([^"]+)"', svg)
    assert len(lines) == 1  # the run after the gap has a single point: no line
    ys = [float(p.split(",")[1]) for p in lines[0].split()]
    assert ys[0] > ys[1]  # up the page as the value grows
    assert views.sparkline_svg([None, 5]) == ""


# ------------------------------------------------------------------------ themes and explorer


def test_theme_table_puts_this_periods_themes_first_with_count_changes() -> None:
    doc = {
        "themes": [
            {
                "id": "old",
                "label": "old big",
                "count": 900,
                "count_current": 5,
                "count_baseline": 20.0,
                "share_current": 0.02,
                "sentiment": 0.68,
            },
            {
                "id": "new",
                "label": "new top",
                "count": 90,
                "count_current": 83,
                "count_baseline": 2.25,
                "share_current": 0.32,
                "sentiment": -0.62,
            },
            {"id": "gone", "label": "gone", "count": 500},
            {
                "id": "mid",
                "label": "mid",
                "count": 300,
                "count_current": 15,
                "count_baseline": 13.0,
                "share_current": 0.06,
            },
        ]
    }
    rows = views.theme_rows(doc)
    assert [r["id"] for r in rows] == ["new", "mid", "old", "gone"]
    assert rows[0]["count_change"] == "+81 (×37)"
    assert rows[1]["count_change"] == "+2 (+15%)"
    assert rows[2]["count_change"] == "−15 (−75%)"
    assert rows[3]["count_change"] == "–"
    # tone: "love the new design" and "hate the new design" are two themes; say which is which
    assert [r["tone"] for r in rows] == ["complaints", "mixed", "praise", "mixed"]
    html = views.render("themes.html.j2", themes=rows, doc=doc)
    assert "<th>Tone</th>" in html and "<td>complaints</td>" in html and "<td>praise</td>" in html
    assert '<th class="num">Share</th>' in html and "32%" in html
    assert html.index("new top") < html.index("old big")


def test_explorer_uses_the_reports_baseline_and_orders_segments_by_size(tmp_path: Path) -> None:
    from insightlib.report import explore

    run = runfolder.open_run(fixtures_run.build_run(tmp_path))
    rows = run.series[
        (run.series["metric"] == "checkout_conversion") & (run.series["segment"] == "all")
    ]
    rows = rows.assign(period_start=pd.to_datetime(rows["period_start"])).sort_values(
        "period_start"
    )
    base = rows.iloc[-5:-1]
    pooled = explore.baseline_value(base, "conversion")
    assert pooled == pytest.approx(base["numerator"].sum() / base["denominator"].sum())
    html = explore.metric_view_html(run, "checkout_conversion", "all", run.label)
    assert views.fmt_value(pooled, "conversion") in html
    # weeks of different sizes: the pooled share (what the report's tests use), not the mean
    uneven = pd.DataFrame({"numerator": [10.0, 300.0], "denominator": [100.0, 1000.0]})
    uneven["value"] = uneven["numerator"] / uneven["denominator"]
    assert explore.baseline_value(uneven, "conversion") == pytest.approx(310 / 1100)
    assert explore.baseline_value(uneven, "count") == pytest.approx(0.2)
    # segments: all first, then this period's largest
    keys = [k for _w, k in runfolder.segment_choices(run, "checkout_conversion")]
    now = run.series[
        (run.series["metric"] == "checkout_conversion")
        & (
            pd.to_datetime(run.series["period_start"])
            == pd.to_datetime(run.series["period_start"]).max()
        )
    ].set_index("segment")["users"]
    assert keys[0] == "all"
    sizes = [now[k] for k in keys[1:]]
    assert sizes == sorted(sizes, reverse=True)
    # themes: this period's most mentioned first
    browser = explore.ThemeBrowser(run)
    counts = [t["count_current"] for t in views.theme_rows(run.document, 10**6)]
    assert browser.theme.value == views.theme_rows(run.document, 1)[0]["id"]
    assert counts == sorted(counts, reverse=True)


def test_impact_amount_puts_the_currency_first() -> None:
    from insightlib.narrate.stories import _amount

    assert _amount(6213.0, "USD") == "$6,200"
    assert _amount(6213.0, "$") == "$6,200"
    assert _amount(-104950.0, "EUR", signed=True) == "−€100,000"
    assert _amount(1234.0, "kg") == "1,200 kg"


def test_a_storys_quotes_come_from_its_customers() -> None:
    """Issue 14: a quote under the Android story is an Android user's; a quote from a customer
    outside the story's (or the theme's) segment is left out, one without a segment stays."""
    theme = {
        "label": "verification code never arrives",
        "segment": {"platform": "android"},
        "quotes": [
            {"id": "a", "text": "The code never came", "segment": {"platform": "android"}},
            {"id": "i", "text": "Love the new basket", "segment": {"platform": "ios"}},
            {"id": "n", "text": "Where is my code", "segment": {}},
        ],
    }
    loose = {
        "label": "late deliveries",
        "quotes": [
            {"id": "w", "text": "Late again", "segment": {"platform": "web", "country": "DE"}},
            {
                "id": "d",
                "text": "Late in Germany",
                "segment": {"country": "DE", "platform": "android"},
            },
        ],
    }
    lead = _ins(
        "segment_driver:signups:platform=android",
        segment={"platform": "android"},
        evidence={"drivers": [], "themes": [theme], "knowledge": []},
    )
    overall = _ins(
        "metric_change:signups:all",
        evidence={"drivers": [], "themes": [loose], "knowledge": []},
    )
    lead, overall = stories.as_insight(lead), stories.as_insight(overall)
    story = stories._story(lead, [lead, overall], ["same time"], "week")
    assert [q.id for q, _theme in story.quotes] == ["a", "n", "d"]


def test_stories_and_theme_merges_share_one_union_find() -> None:
    """One union-find root helper (model.find_root) for the story grouping and the four theme
    merges, which each kept a copy; path halving, and the root a caller linked stays."""
    from insightlib import model
    from insightlib.narrate import stories
    from insightlib.qual import themes

    assert themes.find_root is model.find_root and stories.find_root is model.find_root
    parent = [0, 0, 1, 2, 3, 5]  # a chain 4 -> 3 -> 2 -> 1 -> 0, and 5 on its own
    assert model.find_root(parent, 4) == 0
    assert parent == [0, 0, 0, 2, 2, 5]  # 4 and 2 now point at their grandparents
    assert model.find_root(parent, 5) == 5 and model.find_root(parent, 3) == 0
    assert parent == [0, 0, 0, 0, 2, 5]
