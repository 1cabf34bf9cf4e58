"""Narrative: golden texts, numbers taken from the insight, plain-English limits, audiences.

Golden files live in ``tests/golden/``; after an intended change of wording, rewrite them with
``INSIGHTLIB_UPDATE_GOLDEN=1 python -m pytest tests/test_narrate.py`` and review the diff.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from fixtures_story import (
    ID_ANDROID,
    ID_DE,
    ID_OUTAGE,
    ID_SIGNUP,
    ID_THEME,
    ID_TREND,
    PERIOD,
    QUIET_N_TESTS,
    config,
    document,
    knowledge,
    qual,
    quant,
)

from insightlib.fuse import fuse
from insightlib.narrate.audiences import select
from insightlib.narrate.texts import narrate
from insightlib.text.plain import (
    BOARD_LIMITS,
    DIGEST_LIMITS,
    HEADLINE_LIMITS,
    find_jargon,
    lint_text,
)
from insightlib.workspace.config import AudienceSpec, MetricSpec

GOLDEN = Path(__file__).parent / "golden"
CAUSAL = re.compile(r"\b(caused|causes|cause[sd]? by|because of|due to|led to|result of)\b", re.I)
BOARD_WORDS = re.compile(
    r"\b(segment|conversion|p-value|significant|cohort|WoW|YoY|funnel|baseline|CVR)\b", re.I
)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("INSIGHTLIB_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with INSIGHTLIB_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def board_report(doc: dict[str, Any], audience: str = "board") -> str:
    by_id = {i["id"]: i for i in doc["insights"]}
    parts = []
    for iid in doc["audiences"][audience]["insight_ids"]:
        nar = by_id[iid]["narrative"]
        parts.append(f"## {nar['headline']}\n{nar['board']}\n")
    return "\n".join(parts)


def team_report(doc: dict[str, Any]) -> str:
    parts = []
    for ins in doc["insights"]:
        parts.append(f"## {ins['title']} [{ins['id']}]\n{ins['narrative']['team']}\n")
    for q in doc["questions"]:
        parts.append(f"? {q['text']}\n")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------
# Golden texts
# ------------------------------------------------------------------------------------------
def test_golden_board(doc) -> None:
    _golden("story_board.md", board_report(doc))


def test_golden_team(doc) -> None:
    _golden("story_team.md", team_report(doc))


def test_golden_digest(doc) -> None:
    _golden("story_digest.txt", doc["digest"] + "\n")


def test_board_tells_the_planted_story(doc) -> None:
    by_id = {i["id"]: i for i in doc["insights"]}
    board_ids = doc["audiences"]["board"]["insight_ids"]
    assert board_ids[0] == ID_ANDROID
    # one story once: the overall fall and the theme are told inside the Android insight
    assert ID_SIGNUP not in board_ids and ID_THEME not in board_ids
    assert set(board_ids) == {ID_ANDROID, ID_OUTAGE, ID_DE, ID_TREND}
    android = by_id[ID_ANDROID]["narrative"]
    assert android["headline"] == "Fewer Android sign-ups finish"
    assert "40 in 100 Android sign-ups now finish, down from 62" in android["board"]
    assert "“Android app 5.2 released” (Engineering, 17 Nov)" in android["board"]
    assert "verification code never arrives" in android["board"]
    de = by_id[ID_DE]["narrative"]["board"]
    assert "Orders in Germany rose 25%" in de and "asked Marketing" in de
    assert "France" not in board_report(doc)
    team = by_id[ID_ANDROID]["narrative"]["team"]
    for piece in ("40.2%", "62.4%", "95% interval", "-25.0 points", "Engineering's release",
                  "I never get the SMS code", "Customer Service's note", "not proof of cause"):  # fmt: skip
        assert piece in team, piece


# ------------------------------------------------------------------------------------------
# Every number in every text comes from the insight
# ------------------------------------------------------------------------------------------
NUM = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
GENERATED_TOP = {"narrative", "title", "question", "related", "id"}  # text we wrote
GENERATED = {"why", "reason"}
CONSTANTS = {"95", "100", "0.001"}


def _norm(token: str) -> str:
    t = token.replace(",", "").rstrip(".")
    return str(int(t)) if t.isdigit() else t


def _forms(v: float) -> set[str]:
    out = {_norm(f"{abs(v):.2g}")}  # p-values
    cands = [abs(v), abs(v) * 100, abs(1 + v), abs(v) / 1e6]
    if 0 < abs(v) < 1:
        cands.append(1 / abs(v))
    for x in cands:
        for d in (0, 1, 2):
            for r in (math.floor(x * 10**d) / 10**d, math.ceil(x * 10**d) / 10**d):
                out.add(_norm(f"{r:.{d}f}"))
    return out


def _allowed(obj: Any, key: str = "", top: bool = True) -> set[str]:
    out: set[str] = set()
    if key in GENERATED:
        return out
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not (top and k in GENERATED_TOP):
                out |= _allowed(v, k, top=False)
    elif isinstance(obj, list):
        for v in obj:
            out |= _allowed(v, key, top=False)
    elif isinstance(obj, bool) or obj is None:
        pass
    elif isinstance(obj, int | float):
        out |= _forms(float(obj))
    elif isinstance(obj, str):
        out |= {_norm(t) for t in NUM.findall(obj.replace("-", " "))}
    return out


def _numbers(text: str) -> set[str]:
    return {_norm(t) for t in NUM.findall(text)}


def test_every_number_in_every_text_is_the_insights_own(doc) -> None:
    checked = 0
    for ins in doc["insights"]:
        allowed = _allowed(ins) | CONSTANTS
        texts = [ins["title"], *ins["narrative"].values()]
        if ins["question"]:
            texts.append(ins["question"]["text"])
        for text in texts:
            extra = _numbers(text) - allowed
            assert not extra, (ins["id"], extra, text)
            checked += len(_numbers(text))
    assert checked > 100


def test_digest_numbers_come_from_board_insights(doc) -> None:
    by_id = {i["id"]: i for i in doc["insights"]}
    allowed = CONSTANTS | _allowed(doc["period"]) | _forms(doc["summary"]["n_tests"])
    for iid in doc["audiences"]["board"]["insight_ids"]:
        allowed |= _allowed(by_id[iid])
    assert not _numbers(doc["digest"]) - allowed


def test_number_check_catches_an_invented_number(doc) -> None:
    ins = doc["insights"][0]
    assert _numbers("down 37%") - _allowed(ins)


# ------------------------------------------------------------------------------------------
# Plain English
# ------------------------------------------------------------------------------------------
def test_every_board_text_meets_the_limits(doc) -> None:
    for ins in doc["insights"]:
        nar = ins["narrative"]
        r = lint_text(nar["board"], limits=BOARD_LIMITS)
        assert r.ok, (ins["id"], r.problems, nar["board"])
        assert r.grade <= 8 and r.words <= 40 and r.sentences <= 2
        assert lint_text(nar["headline"], limits=HEADLINE_LIMITS).ok, nar["headline"]
        assert not BOARD_WORDS.search(nar["board"]), nar["board"]
        assert not BOARD_WORDS.search(nar["headline"])
    r = lint_text(doc["digest"], limits=DIGEST_LIMITS)
    assert r.ok and r.words <= 150, r.problems


def test_no_text_claims_cause(doc) -> None:
    for ins in doc["insights"]:
        for text in ins["narrative"].values():
            assert not CAUSAL.search(text), text
    assert not CAUSAL.search(doc["digest"])
    for q in doc["questions"]:
        assert not CAUSAL.search(q["text"])


def test_glossary_applies_to_board_and_digest() -> None:
    cfg = config()
    metrics = dict(cfg.metrics)
    metrics["orders"] = MetricSpec("orders", "count", "Basket GMV orders", event="purchase")
    from dataclasses import replace

    gloss = pd.DataFrame({"term": ["GMV"], "plain": ["paid"]})
    d = document(config=replace(cfg, metrics=metrics), glossary=gloss)
    de = next(i for i in d["insights"] if i["id"] == ID_DE)
    assert "Basket paid orders in Germany rose 25%" in de["narrative"]["board"]
    assert "GMV" not in d["digest"]
    assert "GMV" in de["narrative"]["team"]  # the team text keeps the team's own words
    assert find_jargon(de["narrative"]["board"], gloss) == ()


def test_a_board_text_that_breaks_the_limits_is_rewritten_not_fatal() -> None:
    """Issue 17: the text is replaced by a plainer one and a note names the input."""
    cfg = config()
    metrics = dict(cfg.metrics)
    metrics["orders"] = MetricSpec(
        "orders",
        "count",
        "Internationalisation-adjusted multichannel omnichannel transactional throughput "
        "conversions per representative organisational counterparty",
        event="purchase",
    )
    from dataclasses import replace

    doc = document(config=replace(cfg, metrics=metrics))
    de = next(i for i in doc["insights"] if i["id"] == "segment_driver:orders:country=DE")
    assert lint_text(de["narrative"]["board"], (), BOARD_LIMITS, explain=False).ok
    notes = " ".join(doc["provenance"]["notes"])
    assert "segment_driver:orders:country=DE: a board text broke the plain-English limits" in notes
    assert "[metrics.orders] label" in notes


# ------------------------------------------------------------------------------------------
# Nothing going on
# ------------------------------------------------------------------------------------------
def test_nothing_unusual_is_said_honestly() -> None:
    d = document(
        quant=SimpleNamespace(findings=(), n_tests=QUIET_N_TESTS),
        qual=SimpleNamespace(themes=(), findings=(), theme_counts=pd.DataFrame()),
    )
    assert d["insights"] == [] and d["questions"] == []
    assert d["summary"]["nothing_found"] is True
    assert d["summary"]["text"] == "Nothing unusual this week."
    assert d["audiences"]["board"]["insight_ids"] == []
    assert "Nothing unusual this week." in d["digest"]
    assert f"{QUIET_N_TESTS} checks" in d["digest"]
    _golden("quiet_digest.txt", d["digest"] + "\n")


# ------------------------------------------------------------------------------------------
# Audiences
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def told():
    insights, _ = fuse(quant(), qual(), knowledge(), config(), PERIOD)
    return narrate(insights, PERIOD)


def _ids(insights) -> list[str]:
    return [i.id for i in insights]


def test_team_audience_sees_everything(told) -> None:
    assert len(select(told, AudienceSpec("team", "detailed"))) == len(told) == 6


def test_audience_filters(told) -> None:
    eng = select(told, AudienceSpec("engineering", "detailed", teams=("Engineering",)))
    assert _ids(eng) == [ID_ANDROID, ID_SIGNUP, ID_OUTAGE, ID_THEME]
    mkt = select(told, AudienceSpec("marketing", "detailed", teams=("marketing",)))
    assert set(_ids(mkt)) == {ID_DE, ID_TREND}
    android = select(told, AudienceSpec("a", "detailed", segments=("platform=android",)))
    assert _ids(android) == [ID_ANDROID]
    platform = select(told, AudienceSpec("p", "detailed", segments=("platform",)))
    assert set(_ids(platform)) == {ID_ANDROID, ID_OUTAGE}
    signup = select(told, AudienceSpec("s", "detailed", metrics=("signup_completion",)))
    assert set(_ids(signup)) == {ID_ANDROID, ID_SIGNUP}
    codes = select(told, AudienceSpec("c", "detailed", themes=("verification_code",)))
    assert set(_ids(codes)) == {ID_ANDROID, ID_SIGNUP, ID_THEME}
    both = select(
        told,
        AudienceSpec("b", "detailed", teams=("Engineering",), segments=("platform=web",)),
    )
    assert _ids(both) == [ID_OUTAGE]


def test_summary_depth_and_maximum(told) -> None:
    board = select(told, AudienceSpec("board", "summary", 2))
    assert _ids(board) == [ID_ANDROID, ID_OUTAGE]
    # beyond the top 3, only insights scoring 0.5 or more
    low = [i.__class__(**{**i.__dict__, "score": 0.2}) for i in told]
    assert len(select(low, AudienceSpec("board", "summary", 5))) == 3


def test_every_audience_reads_the_same_insight_objects(doc) -> None:
    ids = {i["id"] for i in doc["insights"]}
    for aud in doc["audiences"].values():
        assert set(aud["insight_ids"]) <= ids


def test_custom_audiences_in_the_document() -> None:
    cfg = config()
    from dataclasses import replace

    auds = dict(cfg.audiences)
    auds["engineering"] = AudienceSpec("engineering", "detailed", 3, teams=("Engineering",))
    d = document(config=replace(cfg, audiences=auds))
    eng = d["audiences"]["engineering"]
    assert eng["depth"] == "detailed" and len(eng["insight_ids"]) == 3
    assert eng["question_ids"] == []
    assert d["audiences"]["board"]["question_ids"] == [d["questions"][0]["id"]]


def test_month_grain_words() -> None:
    from insightlib.workspace.periods import parse_period

    p = parse_period("2026-11")
    f = quant().findings[2]
    from dataclasses import replace

    f = replace(f, window_start=p.start, window_end=p.end, baseline_start=date(2026, 7, 1),
                baseline_end=date(2026, 10, 31))  # fmt: skip
    ins, _ = fuse(SimpleNamespace(findings=(f,), n_tests=1), None, None, config(), p)
    (told_one,) = narrate(ins, p)
    assert "this month" in told_one.narrative.board
    assert "in the month of 1–30 Nov" in told_one.question.text


# ------------------------------------------------------------------------------------------
# The bundled sample, end to end (quant and qual for real)
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_doc(sample_ws: Path) -> dict[str, Any]:
    from insightlib.narrate.assemble import build_document
    from insightlib.pipeline import choose_period
    from insightlib.qual import analyse as qual_mod
    from insightlib.quant import changes as quant_mod
    from insightlib.quant import engine
    from insightlib.workspace.load import load_workspace

    ws = load_workspace(sample_ws)
    per = choose_period(ws, None)
    q = quant_mod.analyse(engine.connect(ws.events), ws.config, per)
    ql = qual_mod.analyse_feedback(ws.feedback, ws.config, per)
    return build_document(
        quant=q,
        qual=ql,
        knowledge=ws.knowledge,
        glossary=ws.glossary,
        config=ws.config,
        period=per,
        provenance={"files": ws.files, "parameters": {}},
    ).to_dict()


def _linked(ins: dict[str, Any]) -> list[str]:
    return [k["title"] for k in ins["evidence"]["knowledge"]]


def test_sample_board_tells_the_planted_story(sample_doc) -> None:
    doc = sample_doc
    assert doc["period"]["label"] == "2026-W47"
    by_id = {i["id"]: i for i in doc["insights"]}
    board = [by_id[i] for i in doc["audiences"]["board"]["insight_ids"]]
    assert 3 <= len(board) <= 5
    lead = board[0]
    assert lead["metric"] == "signup_completion"
    assert lead["narrative"]["headline"] in (
        "Fewer Android sign-ups finish",
        "Fewer sign-ups finish",
    )
    text = lead["narrative"]["board"]
    assert "“Android app 5.2 released”" in text and "Engineering" in text
    assert "verification code never arrives" in text
    assert "coincided" in text or "same time" in text
    # the release and the complaint theme are linked; the French newsletter never is
    android = by_id["segment_driver:signup_completion:platform=android"]
    assert _linked(android)[0] == "Android app 5.2 released"
    assert android["evidence"]["knowledge"][0]["team"] == "Engineering"
    assert android["evidence"]["themes"][0]["id"] == "verification_code"
    for ins in doc["insights"]:
        assert "Autumn newsletter to France" not in _linked(ins), ins["id"]
    # the web outage and the Plus campaign tell their own stories
    outage = next(i for i in board if i["kind"] == "anomaly")
    assert _linked(outage)[0] == "Payment page outage on web (2 h)"
    plus = next(i for i in board if i["kind"] == "trend")
    assert plus["segment"] == {"plan": "plus"}
    assert _linked(plus)[0] == "Plus free-trial month"
    assert "Marketing's “Plus free-trial month”" in plus["narrative"]["board"]
    assert doc["glossary"] == [{"term": "Plus", "plain": "paid membership with free delivery"}]
    assert "Plus plan (paid membership with free delivery)" in doc["digest"]


def test_sample_unexplained_changes_become_questions(sample_doc) -> None:
    from insightlib.fuse import CHANGE_KINDS, QUESTION_MIN_SCORE

    metric_of = {i["id"]: i["metric"] for i in sample_doc["insights"]}
    asked = {metric_of[q["insight_id"]] for q in sample_doc["questions"]}
    for ins in sample_doc["insights"]:
        if ins["kind"] in CHANGE_KINDS and ins["score"] >= QUESTION_MIN_SCORE:
            if not _linked(ins):  # one question per team and metric
                assert ins["question"] is not None or ins["metric"] in asked, ins["id"]
            else:
                assert ins["question"] is None
    for q in sample_doc["questions"]:
        assert q["text"].startswith(f"{q['team']}: ")
        assert "nothing in the knowledge log explains it" in q["text"]
    de = [
        i
        for i in sample_doc["insights"]
        if i["metric"] == "orders" and i["segment"] == {"country": "DE"} and i["kind"] != "trend"
    ]
    for ins in de:  # when quant reports the German orders, Marketing is asked about them
        assert ins["question"]["team"] == "Marketing"


def test_sample_team_text_carries_the_evidence(sample_doc) -> None:
    android = next(
        i
        for i in sample_doc["insights"]
        if i["id"] == "segment_driver:signup_completion:platform=android"
    )
    team = android["narrative"]["team"]
    for piece in ("95% interval", "Engineering's release “Android app 5.2 released”",
                  "Customer Service's note", "verification code never arrives", "e.g. “",
                  "not proof of cause", "Method:"):  # fmt: skip
        assert piece in team, piece


def test_sample_texts_are_plain_and_true_to_the_numbers(sample_doc) -> None:
    for ins in sample_doc["insights"]:
        nar = ins["narrative"]
        r = lint_text(nar["board"], limits=BOARD_LIMITS, explain=False)
        assert r.ok, (ins["id"], r.problems, nar["board"])
        assert not BOARD_WORDS.search(nar["board"]) and not BOARD_WORDS.search(nar["headline"])
        allowed = _allowed(ins) | CONSTANTS
        for text in (ins["title"], *nar.values()):
            assert not CAUSAL.search(text), text
            assert not _numbers(text) - allowed, (ins["id"], _numbers(text) - allowed, text)
    assert lint_text(sample_doc["digest"], limits=DIGEST_LIMITS).ok


def test_sample_golden_board_and_digest(sample_doc) -> None:
    _golden("sample_board.md", board_report(sample_doc))
    _golden("sample_digest.txt", sample_doc["digest"] + "\n")


# ------------------------------------------------------------------------------------------
# Every kind of finding, metric and place gives a board text within the limits
# ------------------------------------------------------------------------------------------
SWEEP_SEGMENTS = [(), (("platform", "android"),), (("plan", "free"), ("platform", "web"))]
SWEEP_VALUES = {
    "conversion": (0.42, 0.61),
    "count": (2345, 1876),
    "distinct_users": (3215, 2563),
    "sum": (137084.2, 107922.3),
    "mean": (52.03, 49.1),
}


def _sweep_config():
    from dataclasses import replace

    cfg = config()
    metrics = dict(cfg.metrics)
    metrics["support_contacts"] = MetricSpec(
        "support_contacts", "count", "Support contacts", event="support_contact", good="down"
    )
    metrics["order_value"] = MetricSpec(
        "order_value", "mean", "Average order value", event="purchase", column="revenue",
        unit="USD",
    )  # fmt: skip
    metrics["delivery_time"] = MetricSpec(
        "delivery_time", "mean", "Delivery time", event="delivered", column="minutes", unit="min"
    )
    metrics["trial_to_paid"] = MetricSpec(
        "trial_to_paid", "conversion", "Trial to paid", from_event="trial", to_event="paid"
    )
    return replace(cfg, metrics=metrics)


@pytest.mark.parametrize(
    "kind", ["metric_change", "segment_driver", "hidden_change", "anomaly", "trend"]
)
def test_every_kind_of_finding_reads_plainly(kind: str) -> None:
    from fixtures_story import finding

    cfg = _sweep_config()
    gloss = pd.DataFrame(
        {"term": ["Plus", "basket"], "plain": ["paid membership with free delivery", "cart"]}
    )
    for (name, spec), seg, direction in itertools.product(
        cfg.metrics.items(), SWEEP_SEGMENTS, ("up", "down")
    ):
        lo, hi = sorted(SWEEP_VALUES[spec.kind])
        cur, base = (hi, lo) if direction == "up" else (lo, hi)
        kw: dict[str, Any] = {}
        if kind == "anomaly":
            kw = dict(
                start=date(2026, 11, 20), end=date(2026, 11, 20), details={"day": "2026-11-20"}
            )
        if kind == "trend":
            kw = dict(start=date(2026, 9, 28))
        f = finding(
            kind, name, seg, direction, cur, base, 1000, 4000, 0.7,
            better=direction == spec.good, **kw,
        )  # fmt: skip
        d = document(
            quant=SimpleNamespace(findings=(f,), n_tests=1), qual=qual(False), config=cfg,
            glossary=gloss,
        )  # fmt: skip
        (ins,) = d["insights"]
        nar = ins["narrative"]
        assert lint_text(nar["board"], gloss, BOARD_LIMITS, explain=False).ok, nar["board"]
        assert not BOARD_WORDS.search(nar["board"] + nar["headline"]), nar["board"]
        allowed = _allowed(ins) | CONSTANTS
        for text in (ins["title"], *nar.values()):
            assert not CAUSAL.search(text), text
            assert not _numbers(text) - allowed, (_numbers(text) - allowed, text)
        if ins["question"] is None:
            assert ins["evidence"]["knowledge"], ins["id"]


def test_summary_names_the_first_story_the_board_shows(monkeypatch) -> None:
    """A theme the board ranks first (as on real App Store reviews: customers mention "wanted
    to use Safari" first, while the board shows the story "More reviews" that the theme joined)
    is told by the story its metric finding leads: the summary names that story's headline,
    the one the board shows first, not the theme's."""
    from fixtures_story import ID_ANDROID, ID_THEME, document

    from insightlib.narrate import assemble, audiences

    def theme_first(insights, spec):
        chosen = audiences.select(insights, spec)
        if spec.name != "board":
            return chosen
        theme = [i for i in insights if i.id == ID_THEME]
        return (*theme, *(i for i in chosen if i.id not in (ID_THEME, ID_ANDROID)))

    monkeypatch.setattr(assemble, "select", theme_first)
    d = document()
    assert d["audiences"]["board"]["insight_ids"][0] == ID_THEME
    by_id = {i["id"]: i for i in d["insights"]}
    lead = by_id[ID_ANDROID]["narrative"]["headline"]
    theme = by_id[ID_THEME]["narrative"]["headline"]
    summary = d["summary"]["text"]
    assert f"the biggest: {lead[:1].lower()}{lead[1:]}" in summary
    assert theme[:25].lower() not in summary.lower(), (theme, summary)
