"""Fusion: which themes, knowledge entries and drivers get linked to a finding, and why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest
from fixtures_story import (
    ANDROID,
    DE,
    ID_ANDROID,
    ID_DE,
    ID_OUTAGE,
    ID_SIGNUP,
    ID_THEME,
    ID_TREND,
    PERIOD,
    config,
    document,
    knowledge,
    qual,
    quant,
)

from insightlib.fuse import (
    FALLBACK_TEAM,
    Insight,
    _entries,
    fuse,
    route_team,
    words_of,
)
from insightlib.narrate.texts import question_text

CONTRACT_KEYS = {
    "id", "kind", "title", "metric", "metric_label", "metric_kind", "unit", "theme", "segment",
    "segment_text", "direction", "better", "current", "baseline", "change_abs", "change_rel",
    "ci_low", "ci_high", "p_value", "q_value", "effect_size", "n_current", "n_baseline", "score",
    "window", "baseline_window", "method", "details", "status", "evidence", "question",
    "narrative", "provenance",
}  # fmt: skip


@pytest.fixture(scope="module")
def fused() -> tuple[dict[str, Insight], tuple]:
    insights, questions = fuse(quant(), qual(), knowledge(), config(), PERIOD)
    return {i.id: i for i in insights}, questions


def _titles(ins: Insight) -> list[str]:
    return [k.title for k in ins.evidence.knowledge]


def test_planted_story_links_release_theme_and_driver(fused) -> None:
    by_id, _ = fused
    android = by_id[ID_ANDROID]
    assert _titles(android)[0] == "Android app 5.2 released"
    assert android.evidence.knowledge[0].team == "Engineering"
    assert "inside the change window" in android.evidence.knowledge[0].why
    assert [t.id for t in android.evidence.themes] == ["verification_code"]
    link = android.evidence.themes[0]
    assert link.segment_match and link.segment == ANDROID
    assert link.count == 68 and link.count_baseline == pytest.approx(1.0)
    assert "among Android users" in link.why
    assert link.quotes and all(q.segment.get("platform") == "android" for q in link.quotes)
    # the overall change reaches the Android release through its key driver
    overall = by_id[ID_SIGNUP]
    assert "Android app 5.2 released" in _titles(overall)
    assert "accounts for 88% of the change" in overall.evidence.knowledge[0].why
    assert overall.evidence.drivers[0].key and overall.evidence.drivers[0].segment == ANDROID
    assert [t.id for t in overall.evidence.themes] == ["verification_code"]
    # the Customer Service note (for everyone) links on shared words
    assert "Many contacts about missing sign-up codes" in _titles(android)
    assert android.question is None and overall.question is None


def test_distractor_newsletter_is_never_linked(fused) -> None:
    by_id, _ = fused
    for ins in by_id.values():
        assert "Autumn newsletter to France" not in _titles(ins), ins.id


def test_minor_driver_does_not_pull_in_knowledge() -> None:
    # France is a driver of the overall fall, but a minor one (14%, proportional to volume):
    # a French newsletter on the Monday must still not link.
    entries = knowledge()
    entries.loc[1, "title"] = "Sign-up newsletter to France with SMS verification tips"
    insights, _ = fuse(quant(), qual(), entries, config(), PERIOD)
    overall = next(i for i in insights if i.id == ID_SIGNUP)
    assert all("France" not in t for t in _titles(overall))


def test_unexplained_change_becomes_question_for_marketing(fused) -> None:
    by_id, questions = fused
    de = by_id[ID_DE]
    assert not de.evidence.knowledge
    assert de.evidence.themes == ()  # the complaint rose in DE only as much as everywhere
    assert de.question is not None and de.question.team == "Marketing"
    assert [q.insight_id for q in questions] == [ID_DE]
    assert de.question.text == ""  # fuse writes no prose; narrate words the question
    text = question_text(de, de.question.team, PERIOD.grain)
    assert text.startswith("Marketing: did a campaign or offer reach customers in Germany")
    assert "16–22 Nov" in text and "rose 25%" in text
    assert "nothing in the knowledge log explains it" in text
    # a share moves in points: "rose 25 points, from 35% to 60%", not "rose 71%"
    share = replace(
        de, metric_label="Low-rating share", metric_kind="conversion", current=0.6,
        baseline=0.35, change_abs=0.25, change_rel=0.6 / 0.35 - 1,
    )  # fmt: skip
    text = question_text(share, "Product", PERIOD.grain)
    assert "Low-rating share there rose 25 points, from 35% to 60%" in text
    assert "71%" not in text


def test_trend_links_knowledge_from_the_start_of_the_trend(fused) -> None:
    by_id, _ = fused
    trend = by_id[ID_TREND]
    assert _titles(trend) == ["Plus free-trial month"]
    assert trend.evidence.knowledge[0].team == "Marketing"


def test_anomaly_links_same_day_incident(fused) -> None:
    by_id, _ = fused
    outage = by_id[ID_OUTAGE]
    assert _titles(outage) == ["Web checkout outage"]
    assert "on the same day" in outage.evidence.knowledge[0].why


def test_theme_insight_is_related_to_the_metric_insights(fused) -> None:
    by_id, _ = fused
    theme = by_id[ID_THEME]
    assert set(theme.related) == {ID_ANDROID, ID_SIGNUP}
    assert ID_THEME in by_id[ID_ANDROID].related
    assert theme.evidence.themes[0].quotes  # its own quotes for the team text
    assert "Many contacts about missing sign-up codes" in _titles(theme)


def test_every_link_records_why(fused) -> None:
    by_id, _ = fused
    for ins in by_id.values():
        for link in (*ins.evidence.drivers, *ins.evidence.themes, *ins.evidence.knowledge):
            assert link.why, (ins.id, link)


def test_ids_are_stable_and_order_is_by_score() -> None:
    a, _ = fuse(quant(), qual(), knowledge(), config(), PERIOD)
    b, _ = fuse(quant(), qual(), knowledge(), config(), PERIOD)
    assert [i.to_dict() for i in a] == [i.to_dict() for i in b]
    assert [i.score for i in a] == sorted((i.score for i in a), reverse=True)
    assert {i.id for i in a} == {ID_ANDROID, ID_SIGNUP, ID_DE, ID_TREND, ID_OUTAGE, ID_THEME}


def test_to_dict_follows_the_contract(fused) -> None:
    by_id, _ = fused
    d = by_id[ID_ANDROID].to_dict()
    assert CONTRACT_KEYS <= set(d)
    assert d["segment"] == {"platform": "android"}
    assert d["window"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert d["evidence"]["knowledge"][0]["segment"] == {"platform": "android"}
    assert d["evidence"]["knowledge"][0]["date"] == "2026-11-17"
    assert d["evidence"]["themes"][0]["quotes"][0]["date"] == "2026-11-18"
    assert d["provenance"]["rows_current"] == 480
    json.dumps(d)  # JSON-ready


def test_quotes_are_redacted(fused) -> None:
    by_id, _ = fused
    texts = [q.text for q in by_id[ID_ANDROID].evidence.themes[0].quotes]
    assert any("[phone]" in t for t in texts)
    assert not any("7946" in t for t in texts)


def test_hostile_knowledge_text_is_neutralised() -> None:
    entries = knowledge()
    entries.loc[2, "title"] = "Android app 5.2 \u202ereleased\u200b"
    insights, _ = fuse(quant(), qual(), entries, config(), PERIOD)
    android = next(i for i in insights if i.id == ID_ANDROID)
    assert android.evidence.knowledge[0].title == "Android app 5.2 released"


def test_no_knowledge_and_no_feedback() -> None:
    insights, questions = fuse(quant(), None, None, config(), PERIOD)
    assert all(not i.evidence.themes and not i.evidence.knowledge for i in insights)
    # one question per team and metric: the overall and Android sign-up falls share one
    assert len(questions) == 4
    assert {q.team for q in questions} == {"Engineering", "Marketing", FALLBACK_TEAM}


def test_nothing_going_on() -> None:
    empty_q = SimpleNamespace(findings=(), n_tests=120)
    empty_ql = SimpleNamespace(themes=(), findings=(), theme_counts=pd.DataFrame())
    insights, questions = fuse(empty_q, empty_ql, knowledge(), config(), PERIOD)
    assert insights == () and questions == ()


def test_segment_knowledge_conflict_and_fit() -> None:
    # a release for Android in Germany fits an Android-in-Germany finding, and an
    # iOS release never links to it
    f = quant().findings[1]
    f = replace(f, segment=(("country", "DE"), ("platform", "android")))
    k = knowledge()
    k.loc[2, "segment"] = "platform=ios"
    ins, _ = fuse(SimpleNamespace(findings=(f,), n_tests=1), None, k, config(), PERIOD)
    assert "Android app 5.2 released" not in _titles(ins[0])
    k.loc[2, "segment"] = "country=DE&platform=android"
    ins, _ = fuse(SimpleNamespace(findings=(f,), n_tests=1), None, k, config(), PERIOD)
    assert "Android app 5.2 released" in _titles(ins[0])


def test_words_of() -> None:
    assert {"signup", "sign", "verification", "code"} <= words_of("Sign-up verification codes")
    assert "the" not in words_of("the code")


@pytest.mark.parametrize(
    ("metric", "segment", "team"),
    [
        ("signup_completion", ANDROID, "Engineering"),
        ("orders", DE, "Marketing"),
        ("checkout_completion", (("platform", "web"),), "Engineering"),
        ("revenue", (("country", "FR"),), "Marketing"),
    ],
)
def test_route_team_rules(metric, segment, team) -> None:
    got, reason = route_team(metric=config().metrics[metric], segment=segment)
    assert got == team and reason.startswith("rules:")


def test_route_team_pricing_and_service_and_fallback() -> None:
    from insightlib.workspace.config import MetricSpec

    aov = MetricSpec("aov", "mean", "Average order value", event="purchase", column="revenue")
    assert route_team(metric=aov)[0] == "Pricing"
    contacts = MetricSpec("contacts", "count", "Support contacts", event="support_contact")
    assert route_team(metric=contacts)[0] == "Customer Service"
    odd = MetricSpec("widgets", "count", "Widgets", event="widget")
    assert route_team(metric=odd) == (FALLBACK_TEAM, "no rule matched; the fallback team")


def test_route_team_follows_the_knowledge_log() -> None:
    log = pd.DataFrame(
        [
            dict(date=date(2026, 10, 1), team="Growth Marketing", kind="campaign",
                 title="A", segment="country=DE"),
            dict(date=date(2026, 10, 8), team="Growth Marketing", kind="campaign",
                 title="B", segment="country=DE"),
            dict(date=date(2026, 10, 9), team="Mobile Engineering", kind="release",
                 title="C", segment="platform=ios"),
        ]
    )  # fmt: skip
    entries = _entries(log)
    odd = config().metrics["active_customers"]
    # two entries for Germany by one team: that team knows Germany
    team, reason = route_team(metric=odd, segment=DE, entries=entries)
    assert team == "Growth Marketing" and reason.startswith("knowledge log")
    # the rule says Engineering; the log spells it "Mobile Engineering"
    team, reason = route_team(metric=config().metrics["signup_completion"], entries=entries)
    assert team == "Mobile Engineering"


def test_document_shape() -> None:
    doc = document()
    assert doc["schema_version"] == 2 and doc["project"] == "Basketly"
    assert doc["period"] == {
        "label": "2026-W47",
        "start": "2026-11-16",
        "end": "2026-11-22",
        "grain": "week",
        "human": "16–22 Nov 2026",
    }
    assert doc["baseline"]["start"] == "2026-10-19" and doc["baseline"]["periods"] == 4
    assert doc["summary"]["n_insights"] == 6 and doc["summary"]["n_tests"] == 210
    assert doc["summary"]["n_events"] == 512345 and doc["summary"]["n_feedback"] == 2100
    assert [i["score"] for i in doc["insights"]] == sorted(
        (i["score"] for i in doc["insights"]), reverse=True
    )
    assert doc["questions"][0]["team"] == "Marketing"
    assert doc["questions"][0]["insight_id"] == ID_DE
    assert doc["themes"][0]["id"] == "driver_was_late"  # sorted by count
    titles = [k["title"] for k in doc["knowledge"]]
    assert "Plus free-trial month" in titles  # linked, though before the baseline
    assert set(doc["audiences"]) == {"team", "board"}
    assert doc["provenance"]["files"]["events"]["rows"] == 512345
    assert doc["provenance"]["parameters"]["fusion"]["lead_days"] == 7
    assert doc["history"]["new"] == [i["id"] for i in doc["insights"]]
    json.dumps(doc)
