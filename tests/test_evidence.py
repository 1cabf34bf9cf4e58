"""Evidence that holds up: a note or theme is credited only with a reason that fits (issue 19).

Planted scenarios with decoy notes (benchmarks/bench_evidence.py) and one rule per test; each
test fails when its rule is removed from insightlib/fuse.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from fixtures_story import (
    ANDROID,
    ID_ANDROID,
    PERIOD,
    config,
    finding,
    qual,
    theme_counts,
    themes,
)

from insightlib.fuse import fuse, theme_share
from insightlib.model import Quote, Theme

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    if "bench_evidence" in sys.modules:
        return sys.modules["bench_evidence"]
    spec = importlib.util.spec_from_file_location(
        "bench_evidence", ROOT / "benchmarks" / "bench_evidence.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_evidence"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _note(day: int, kind: str, title: str, details: str = "", segment: str = "platform=android",
          team: str = "Engineering") -> dict:  # fmt: skip
    return dict(date=date(2026, 11, day), team=team, kind=kind, title=title, details=details,
                segment=segment, end_date=None)  # fmt: skip


def _signup(**details) -> SimpleNamespace:
    f = finding(
        "segment_driver", "signup_completion", ANDROID, "down", 0.402, 0.624, 480, 1950, 0.9,
        better=False, details=details or None,
    )  # fmt: skip
    return SimpleNamespace(findings=(f,))


def _one(quant, notes, q=None):
    ins, questions = fuse(quant, q, pd.DataFrame(notes) if notes else None, config(), PERIOD)
    return {i.id: i for i in ins}, questions


# ------------------------------------------------------------------------------------------
def test_planted_scenarios_credit_the_right_note_and_no_decoy() -> None:
    real, null, notes = _bench().run_planted()
    assert (real.right, real.wrong, real.missed) == (4, 0, 0), real.wrong_titles
    assert null.made == 0, null.wrong_titles  # without the true note, no decoy takes its place
    assert notes == []  # an outside cause gets a question


def test_decoy_of_the_same_week_and_segment_is_not_credited() -> None:
    by_id, _ = _one(
        _signup(),
        [_note(17, "release", "Android 5.2", "New SMS verification provider for sign-up."),
         _note(17, "release", "Android dark mode", "A darker colour scheme.")],
    )  # fmt: skip
    ins = by_id[ID_ANDROID]
    assert [k.title for k in ins.evidence.knowledge] == ["Android 5.2"]
    assert [(k.title, k.role) for k in ins.evidence.also] == [("Android dark mode", "also")]


@pytest.mark.parametrize(
    "title,details",
    [
        ("Android sign-up fee confirmed", "The fee for sign-up codes."),
        ("Android sign-up fee review", "No change to the sign-up fee."),
        ("Android sign-up fee review", "The sign-up fee stays at $1."),
        ("Android sign-up flow", "Unchanged this quarter."),
    ],
)
def test_a_note_that_says_nothing_changed_is_context_never_a_cause(title, details) -> None:
    by_id, questions = _one(_signup(), [_note(16, "pricing", title, details)])
    ins = by_id[ID_ANDROID]
    assert ins.evidence.knowledge == ()  # shares 'sign-up' with the metric, still not credited
    assert ins.evidence.also[0].role == "context"
    assert ins.question is not None and questions


def test_routine_note_is_also_that_week_unless_customers_blame_an_update() -> None:
    routine = [_note(16, "release", "Android 5.2.1", "Bug fixes and performance improvements.")]
    by_id, _ = _one(_signup(), routine)
    ins = by_id[ID_ANDROID]
    assert ins.evidence.knowledge == () and ins.evidence.also[0].role == "also"
    assert ins.question is not None
    # customers say "since the update": the routine release is named plainly, not credited
    th = replace(themes()[0], label="since the new update", terms=("update", "version"))
    counts = theme_counts().assign(theme=lambda d: d.theme.replace("verification_code", th.id))
    q = SimpleNamespace(themes=(th,), findings=(), theme_counts=counts)
    by_id, _ = _one(_signup(), routine, q)
    ins = by_id[ID_ANDROID]
    assert [(k.title, k.role) for k in ins.evidence.knowledge] == [("Android 5.2.1", "routine")]
    assert not ins.explained and ins.question is not None


def test_the_release_before_the_drop_beats_the_fix_after_it() -> None:
    notes = [
        _note(18, "release", "Android 5.2.1", "Fixed the sign-up codes."),
        _note(16, "release", "Android 5.2", "New SMS verification provider for sign-up."),
    ]
    by_id, _ = _one(_signup(onset="2026-11-16"), notes)
    ins = by_id[ID_ANDROID]
    assert [k.title for k in ins.evidence.knowledge] == ["Android 5.2"]
    assert "Android 5.2.1" in [k.title for k in ins.evidence.also]
    # alone, a fix after the change began is still not its start
    by_id, _ = _one(_signup(onset="2026-11-16"), notes[:1])
    assert by_id[ID_ANDROID].evidence.knowledge == ()


def test_onset_ranks_the_note_just_before_it_first() -> None:
    notes = [
        _note(10, "release", "Android 5.1", "Sign-up screen redesign."),
        _note(16, "release", "Android 5.2", "Sign-up screen redesign."),
    ]
    by_id, _ = _one(_signup(onset="2026-11-17"), notes)
    assert by_id[ID_ANDROID].evidence.knowledge[0].title == "Android 5.2"
    assert "before it began" in by_id[ID_ANDROID].evidence.knowledge[0].why


def test_a_later_release_of_the_same_place_is_not_credited_too() -> None:
    notes = [
        _note(16, "release", "Android 5.2", "Sign-up screen redesign."),
        _note(19, "release", "Android 5.3", "Sign-up screen texts."),
    ]
    by_id, _ = _one(_signup(onset="2026-11-16"), notes)
    ins = by_id[ID_ANDROID]
    assert [k.title for k in ins.evidence.knowledge] == ["Android 5.2"]
    assert "later release" in ins.evidence.also[0].why


def test_kind_fits_the_change_an_outage_for_a_drop_a_campaign_for_a_rise() -> None:
    outage = [_note(17, "incident", "Provider outage", "Unreachable for 3 hours.")]
    by_id, _ = _one(_signup(), outage)
    assert [k.title for k in by_id[ID_ANDROID].evidence.knowledge] == ["Provider outage"]
    campaign = [_note(17, "campaign", "Android spring sale", "Half price.")]
    by_id, _ = _one(_signup(), campaign)  # a campaign does not fit a drop
    assert by_id[ID_ANDROID].evidence.knowledge == ()


def test_track_record_moves_a_candidate_up() -> None:
    notes = [
        _note(17, "release", "Android 5.2", "Sign-up screen redesign.", team="Mobile"),
        _note(17, "note", "Sign-up copy review", "Sign-up screen texts.", team="Product"),
    ]
    f = _signup().findings
    base, _ = fuse(SimpleNamespace(findings=f), None, pd.DataFrame(notes), config(), PERIOD)
    assert base[0].evidence.knowledge[0].title == "Android 5.2"
    learned, _ = fuse(
        SimpleNamespace(findings=f), None, pd.DataFrame(notes), config(), PERIOD,
        link_record={("Mobile", "release"): -1.0, ("Product", "note"): 1.0},
    )  # fmt: skip
    top = learned[0].evidence.knowledge[0]
    assert top.title == "Sign-up copy review" and "confirmed" in top.why


def test_mix_driven_change_credits_no_note_and_asks_nothing() -> None:
    notes = [_note(17, "release", "Android 5.2", "New SMS verification provider for sign-up.")]
    by_id, questions = _one(_signup(mix_shift={"column": "platform"}), notes)
    ins = by_id[ID_ANDROID]
    assert ins.evidence.knowledge == () and ins.mix_driven and ins.explained
    assert "mix" in ins.evidence.also[0].why and not questions


def test_theme_share_has_the_change_s_sign() -> None:
    f = _signup().findings[0]  # sign-up completion fell: worse
    assert theme_share(68, f, config().metrics["signup_completion"], -0.6) > 0  # complaint
    assert theme_share(68, f, config().metrics["signup_completion"], 0.6) < 0  # praise
    better = replace(f, direction="up", change_abs=0.1, better=True)
    assert theme_share(68, better, config().metrics["signup_completion"], -0.6) < 0


def test_theme_needs_words_or_a_real_share_and_its_own_segment_or_a_parent() -> None:
    # a slot complaint that rose a little among Android users: no words, a small share
    slot = Theme("slot", "end of my slot", ("slot", "driver"), 50, 0.02, -0.3, 10, 2.3, 0.02,
                 0.01, 3.3, {}, {}, (), False)  # fmt: skip
    rows = [("slot", date(2026, 10, 19) + pd.Timedelta(weeks=i), "platform=android",
             10 if i == 4 else 2, 180) for i in range(5)]  # fmt: skip
    counts = pd.concat([theme_counts(), pd.DataFrame(rows, columns=theme_counts().columns)])
    q = SimpleNamespace(themes=(*themes(), slot), findings=(), theme_counts=counts)
    by_id, _ = _one(_signup(), [], q)
    assert [t.id for t in by_id[ID_ANDROID].evidence.themes] == ["verification_code"]
    # a theme that rose overall is not linked to an Android finding
    overall_only = counts[counts.segment == "all"]
    q = SimpleNamespace(themes=themes(), findings=(), theme_counts=overall_only)
    by_id, _ = _one(_signup(), [], q)
    assert by_id[ID_ANDROID].evidence.themes == ()


def test_quotes_outside_the_change_s_period_are_not_evidence() -> None:
    old = Quote("fb-1", "The SMS code never came, back in October", "nps", date(2026, 10, 2),
                {"platform": "android"})  # fmt: skip
    new = Quote("fb-2", "No SMS code again", "nps", date(2026, 11, 18), {"platform": "android"})
    th = replace(themes()[0], quotes=(old, new))
    q = SimpleNamespace(themes=(th, themes()[1]), findings=(), theme_counts=theme_counts())
    by_id, _ = _one(_signup(), [], q)
    assert [x.id for x in by_id[ID_ANDROID].evidence.themes[0].quotes] == ["fb-2"]


def test_a_theme_that_rose_in_a_segment_shows_that_segment_s_quotes_of_the_period() -> None:
    ios = Quote("fb-3", "Love the app on my iPhone", "nps", date(2026, 11, 18), {"platform": "ios"})
    old = Quote("fb-1", "The SMS code never came, back in October", "nps", date(2026, 10, 2),
                {"platform": "android"})  # fmt: skip
    th = replace(themes()[0], quotes=(ios, old))
    here = Quote("fb-9", "No SMS code on my Android", "nps", date(2026, 11, 17),
                 {"platform": "android"})  # fmt: skip
    seg_quotes = {("verification_code", "platform=android"): (here,),
                  ("verification_code", "platform=ios"): (ios,)}  # fmt: skip
    q = SimpleNamespace(themes=(th, themes()[1]), findings=(), theme_counts=theme_counts(),
                        segment_quotes=seg_quotes)  # fmt: skip
    by_id, _ = _one(_signup(), [], q)
    link = by_id[ID_ANDROID].evidence.themes[0]
    assert link.segment_match and [x.id for x in link.quotes] == ["fb-9"]
    # without qual's per-segment quotes: the theme's own of that segment (an older one, dated),
    # never another segment's quote of the week
    q = SimpleNamespace(themes=(th, themes()[1]), findings=(), theme_counts=theme_counts())
    by_id, _ = _one(_signup(), [], q)
    assert [x.id for x in by_id[ID_ANDROID].evidence.themes[0].quotes] == ["fb-1"]


def _discovered(label: str, sentiment: float) -> Theme:
    """The verification-code theme's counts (it rose among Android users) under another label."""
    return replace(themes()[0], label=label, sentiment=sentiment, codebook=False, quotes=())


@pytest.mark.parametrize(
    "label,all_time,there_now,linked",
    [
        ("verification code never arrives", 0.3, -0.5, True),  # praise overall, complaints now
        ("verification code never arrives", -0.4, 0.35, False),  # praise there this week
        ("love the Basketly app", -0.3, -0.5, False),  # a label that names nothing
        ("android app", -0.3, -0.5, False),  # a segment's name is no subject either
    ],
)
def test_a_theme_whose_texts_there_and_then_do_not_fit_is_not_credited(
    label, all_time, there_now, linked
) -> None:
    th = _discovered(label, all_time)
    q = SimpleNamespace(themes=(th, themes()[1]), findings=(), theme_counts=theme_counts(),
                        segment_sentiment={(th.id, "platform=android"): there_now})  # fmt: skip
    by_id, _ = _one(_signup(), [], q)
    got = [t.id for t in by_id[ID_ANDROID].evidence.themes]
    assert got == (["verification_code"] if linked else []), label
    if linked:  # the link tells the tone of the texts it rests on
        assert by_id[ID_ANDROID].evidence.themes[0].sentiment == there_now


def test_a_complaint_there_and_then_is_not_credited_with_a_change_for_the_better() -> None:
    better = replace(_signup().findings[0], direction="up", current=0.7, change_abs=0.076,
                     better=True)  # fmt: skip
    th = _discovered("verification code never arrives", 0.4)  # praise over all time
    for tone, linked in ((0.4, True), (-0.5, False)):
        q = SimpleNamespace(themes=(th,), findings=(), theme_counts=theme_counts(),
                            segment_sentiment={(th.id, "platform=android"): tone})  # fmt: skip
        ins, _ = fuse(SimpleNamespace(findings=(better,)), q, None, config(), PERIOD)
        assert bool(ins[0].evidence.themes) is linked, tone


def test_a_falling_theme_never_accounts_for_a_rise() -> None:
    fading = finding("fading_theme", None, (), "down", 0.01, 0.05, 500, 2000, 0.6,
                     theme="verification_code", better=None,
                     drivers=qual().findings[0].drivers)  # fmt: skip
    notes = [_note(17, "release", "Android 5.2", "New SMS verification provider, codes by SMS.")]
    ins, _ = fuse(None, SimpleNamespace(themes=themes(), findings=(fading,), theme_counts=None),
                  pd.DataFrame(notes), config(), PERIOD)  # fmt: skip
    why = " ".join(k.why for i in ins for k in (*i.evidence.knowledge, *i.evidence.also))
    assert "of the rise" not in why


@pytest.mark.slow
def test_app_store_known_events() -> None:
    bench = _bench()
    if not (bench.REALDATA / "appstore_reviews.parquet").exists():
        pytest.skip(f"App Store data not found in {bench.REALDATA}")
    events = [e for e in bench.EVENTS if e[0] in ("2017-W24", "2020-W15")]
    score, notes, themes = bench.run_appstore(events, log=lambda *_: None)
    # Drive: the bad release of 5 Jun, not the fix of 16 Jun; Teams: nothing, and a question
    assert score.wrong == 0 and score.missed == 0, score.wrong_titles
    assert notes == []
    assert themes.wrong == 0
    assert themes.right == 1  # Drive's background-audio complaint, not "gmail app"


@pytest.mark.slow
def test_app_store_one_app_s_new_complaint_in_the_six_app_workspace(tmp_path: Path) -> None:
    """Drive's background-audio regression (week of 12 Jun 2017) is a new theme of the
    workspace of all six apps, concentrated in Drive; quiet weeks raise no emerging theme."""
    import re

    from insightlib.qual.analyse import analyse_feedback
    from insightlib.workspace.load import load_workspace
    from insightlib.workspace.periods import parse_period

    bench = _bench()
    if not (bench.REALDATA / "appstore_reviews.parquet").exists():
        pytest.skip(f"App Store data not found in {bench.REALDATA}")
    ws = load_workspace(bench.appstore_workspace(tmp_path))
    res = analyse_feedback(ws.feedback, ws.config, parse_period("2017-W24"))
    about = re.compile(rf"\b({bench.THEME_WORDS['2017-W24']})\b")
    audio = [
        f for f in res.findings
        if f.kind == "emerging_theme"
        and about.search(" ".join([f.details["label"], *res.theme(f.theme).terms]).lower())
    ]  # fmt: skip
    assert len(audio) == 1 and audio[0].details["concentrated_in"] == {"app": "Google_Drive"}
    for quiet in ("2017-W20", "2019-W20"):
        res = analyse_feedback(ws.feedback, ws.config, parse_period(quiet))
        assert [f.details["label"] for f in res.findings if f.kind == "emerging_theme"] == []


def test_realdata_path_is_outside_the_repository() -> None:
    bench = _bench()
    assert ROOT not in bench.REALDATA.resolve().parents or os.environ.get("INSIGHTLIB_REALDATA")


def test_link_record_reads_the_teams_past_verdicts_on_credited_notes(tmp_path: Path) -> None:
    from fixtures_run import build_run, document

    from insightlib.memory import history
    from insightlib.memory import verdicts as fl

    out = tmp_path / "reports"
    doc = document("2026-W46")
    doc["period"].update({"start": "2026-11-09", "end": "2026-11-15"})
    link = {"team": "Mobile", "kind": "release", "title": "Android 5.1", "date": "2026-11-10",
            "role": "cause"}  # fmt: skip
    a = {"id": "metric_change:orders:platform=android", "kind": "metric_change",
         "evidence": {"knowledge": [link]}, "segment": {"platform": "android"},
         "window": {"start": "2026-11-09", "end": "2026-11-15"}}  # fmt: skip
    b = {**a, "id": "metric_change:revenue:platform=android"}
    doc["insights"], doc["questions"] = [a, b], []
    build_run(out, "2026-W46", doc=doc)
    fl.annotate(out, a["id"], team="Marketing", verdict="refuted")
    fl.annotate(out, b["id"], team="Mobile", verdict="explained", note="It was 5.1.")
    db = out / history.DB_NAME
    assert fl.link_record(db, doc["project"], "2026-W47", "2026-11-16") == {
        ("Mobile", "release"): 0.0
    }
    fl.annotate(out, b["id"], team="Finance", verdict="refuted")
    assert fl.link_record(db, doc["project"], "2026-W47", "2026-11-16") == {
        ("Mobile", "release"): -1.0
    }


def test_bundled_sample_credits_what_fits(sample_run: Path) -> None:
    """The sample's story (data/README.md): the delivery-slot theme stays off the sign-up and
    support-contact findings, quotes come from the week, and "Plus price confirmed for Q4"
    (details: no change) is never credited."""
    import json

    doc = json.loads((sample_run / "insights.json").read_text(encoding="utf-8"))
    start, end = doc["period"]["start"], doc["period"]["end"]
    for ins in doc["insights"]:
        ev = ins["evidence"]
        if ins["metric"] in ("signup_completion", "support_contacts"):
            assert [t["id"] for t in ev["themes"]] == ["verification_code"], ins["id"]
        for t in ev["themes"]:
            lo = ins["window"]["start"] if ins["kind"] != "trend" else start
            assert all(lo <= q["date"] <= end for q in t["quotes"]), (ins["id"], t["id"])
        assert all("Plus price confirmed" not in k["title"] for k in ev["knowledge"])
        for k in ev["also_that_week"]:
            if "Plus price confirmed" in k["title"]:
                assert k["role"] == "context"
    signup = next(i for i in doc["insights"] if i["id"] == ID_ANDROID)
    assert signup["evidence"]["knowledge"][0]["title"] == "Android app 5.2 released"
