"""The qualitative step: themes, labels, ids, sentiment, quotes, emerging/fading themes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insightlib.model import segment_key
from insightlib.qual.analyse import QualResult, analyse_feedback
from insightlib.qual.labels import (
    _DANGLING,
    MIN_VERBATIM,
    STOP_WORDS,
    _form_factor,
    phrase_tone,
    slug,
)
from insightlib.qual.quotes import QUOTE_CHARS, cut_quote
from insightlib.qual.sentiment import (
    domain_valence,
    feedback_sentiment,
    looks_english,
    score_sentiment,
    text_sentiment,
)
from insightlib.qual.themes import match_codebook
from insightlib.workspace.config import Config, ThemeSpec
from insightlib.workspace.periods import parse_period, period_starts

# ------------------------------------------------------------------------------------------
# A small generated workspace: 8 ISO weeks (2026-W40..W47) of feedback on a delivery app.
# ------------------------------------------------------------------------------------------
FIRST_MONDAY = date(2026, 9, 28)  # 2026-W40
N_WEEKS = 8
PHRASES = {
    "refund": [
        "Still waiting for my refund after {n} days.",
        "My refund has not arrived yet.",
        "Where is my refund? It has been {n} days.",
        "The refund for my cancelled order is still pending.",
        "Support promised a refund but nothing came.",
    ],
    "crash": [
        "The app crashes when I open the basket.",
        "App keeps crashing at checkout.",
        "The app crashes every time I add an item.",
        "Crashes on startup since the update, the app is useless.",
        "The app crashes when I try to pay.",
    ],
    "late": [
        "The driver was {n} minutes late.",
        "My delivery was late again.",
        "The courier arrived late and the food was cold.",
        "Late delivery for the third time this week.",
        "Driver late, no message, nothing.",
    ],
    "praise": [
        "Great service, the driver was friendly and quick.",
        "Love the app, so quick and easy to use.",
        "Excellent selection and friendly drivers, love it.",
        "Super easy to use and always quick, great job.",
    ],
}
NEW_PHRASES = [
    "The password reset email never arrives.",
    "I never receive the password reset email.",
    "Password reset email not arriving, I am locked out.",
    "Requested a password reset twice, no email.",
    "Still no password reset email after an hour.",
]
FILLER = ["Thanks.", "Please help.", "Hi team,", "Regards", "", "", ""]
PER_WEEK = {"refund": 14, "crash": 16, "late": 20, "praise": 18}
PLATFORMS = ["ios", "android", "web"]


def make_feedback(
    weeks: int = N_WEEKS, *, spike: int = 30, seed: int = 1, fade_crash: bool = False
) -> pd.DataFrame:
    """Stable themes every week; ``spike`` password-reset texts (Android) in the last week."""
    rng = np.random.default_rng(seed)
    rows = []

    def add(week: int, text: str, platform: str) -> None:
        day = FIRST_MONDAY + timedelta(days=7 * week + int(rng.integers(0, 7)))
        source = ["support_ticket", "nps", "app_review", "survey"][int(rng.integers(4))]
        score = float(rng.integers(0, 11)) if source == "nps" else np.nan
        if source == "app_review":
            score = float(rng.integers(1, 6))
        rows.append(
            {
                "id": f"fb-{len(rows):05d}",
                "created_at": pd.Timestamp(day) + pd.Timedelta(minutes=int(rng.integers(1440))),
                "source": source,
                "text": text,
                "score": score,
                "platform": platform,
            }
        )

    for week in range(weeks):
        for theme, n in PER_WEEK.items():
            if fade_crash and theme == "crash" and week == weeks - 1:
                n = 2
            for _ in range(n):
                phrase = PHRASES[theme][int(rng.integers(len(PHRASES[theme])))]
                text = f"{phrase.format(n=int(rng.integers(2, 60)))} {rng.choice(FILLER)}"
                add(week, text.strip(), PLATFORMS[int(rng.integers(3))])
        n_new = spike if week == weeks - 1 else int(rng.integers(0, 2))
        for _ in range(n_new):
            add(week, NEW_PHRASES[int(rng.integers(len(NEW_PHRASES)))], "android")
    return pd.DataFrame(rows)


def make_config(themes: dict[str, ThemeSpec] | None = None, **kw) -> Config:
    return Config(
        root=Path("."),
        path=Path("insight.toml"),
        project="Test",
        sources={},
        segments=("platform",),
        metrics={},
        themes=themes or {},
        **kw,
    )


LAST = parse_period("2026-W47")


@pytest.fixture(scope="module")
def feedback() -> pd.DataFrame:
    return make_feedback()


@pytest.fixture(scope="module")
def result(feedback: pd.DataFrame) -> QualResult:
    return analyse_feedback(feedback, make_config(), LAST)


def _theme_with(res: QualResult, word: str):
    hits = [t for t in res.themes if word in t.label.lower()]
    assert hits, f"no theme labelled with {word!r}: {[t.label for t in res.themes]}"
    return max(hits, key=lambda t: t.count)


# ------------------------------------------------------------------------------------------
# Themes and labels
# ------------------------------------------------------------------------------------------
def test_planted_themes_are_recovered_with_readable_labels(
    result: QualResult, feedback: pd.DataFrame
) -> None:
    texts = feedback.set_index("id")["text"]
    for word, theme in [("refund", "refund"), ("crash", "crash"), ("password", "new")]:
        th = _theme_with(result, word)
        members = result.assignments.loc[result.assignments["theme"] == th.id, "id"]
        words = PHRASES[theme] if theme in PHRASES else NEW_PHRASES
        key = {"refund": "refund", "crash": "crash", "new": "password"}[theme]
        purity = texts.loc[members].str.lower().str.contains(key).mean()
        assert purity > 0.9, (th.label, purity)
        assert th.count >= 0.8 * sum(1 for t in texts if key in t.lower()), th.label
        assert words  # the phrase bank exists
    for th in result.themes:
        # a label is a short phrase that appears verbatim (up to case) in a member text
        assert 1 <= len(th.label.split()) <= 5, th.label
        members = result.assignments.loc[result.assignments["theme"] == th.id, "id"]
        pattern = re.compile(r"\b" + re.escape(th.label.lower()) + r"\b")
        assert any(pattern.search(t.lower()) for t in texts.loc[members]), th.label
        assert re.fullmatch(r"[a-z0-9_]+", th.id)


# complaints and praise about the same thing (delivery), plus an unrelated complaint
POLAR_PHRASES = {
    "late": [
        "My delivery was {n} minutes late.",
        "Delivery late again, the food was cold.",
        "The delivery was late and nobody told me.",
        "Late delivery for the third time this month.",
        "The driver was late, the delivery came {n} minutes late.",
    ],
    "fast": [
        "Fast delivery, the driver was lovely.",
        "Delivery was fast and on time, love it.",
        "Super fast delivery, great service.",
        "Fast delivery every time, really happy.",
        "The delivery was fast and friendly.",
    ],
    "crash": PHRASES["crash"],
    "refund": PHRASES["refund"],
    "app": PHRASES["praise"][1::2],
}


def make_polar_feedback(weeks: int = 6, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for week in range(weeks):
        for bank in POLAR_PHRASES.values():
            for _ in range(25):
                day = FIRST_MONDAY + timedelta(days=7 * week + int(rng.integers(0, 7)))
                text = bank[int(rng.integers(len(bank)))].format(n=int(rng.integers(10, 90)))
                filler = str(rng.choice(FILLER))
                rows.append(
                    {
                        "id": f"p-{len(rows):05d}",
                        "created_at": pd.Timestamp(day),
                        "source": "survey",
                        "text": f"{text} {filler}".strip(),
                    }
                )
    return pd.DataFrame(rows)


def test_praise_and_complaints_about_one_topic_get_two_polar_themes() -> None:
    fb = make_polar_feedback()
    res = analyse_feedback(fb, make_config(), parse_period("2026-W45"))
    kind = {}
    for theme, bank in POLAR_PHRASES.items():
        for phrase in bank:
            kind[phrase.split("{")[0][:20].lower()] = theme
    truth = fb.set_index("id")["text"].map(
        lambda t: next(v for k, v in kind.items() if t.lower().startswith(k))
    )
    found: dict[str, list] = {}
    for th in res.themes:
        members = res.assignments.loc[res.assignments["theme"] == th.id, "id"]
        top = truth.loc[members].value_counts()
        assert top.iloc[0] >= 0.9 * len(members), (th.label, top.to_dict())
        found.setdefault(str(top.index[0]), []).append(th)
    assert {"late", "fast"} <= set(found), [t.label for t in res.themes]
    assert not {t.id for t in found["late"]} & {t.id for t in found["fast"]}
    for th in found["late"]:  # complaints, labelled as complaints
        assert th.sentiment < -0.1 and phrase_tone(th.label) <= 0, th.label
    for th in found["fast"]:  # praise, labelled as praise
        assert th.sentiment > 0.1 and phrase_tone(th.label) >= 0, th.label
    late, fast = found["late"][0], found["fast"][0]  # the largest of each
    assert "late" in late.label.lower() and "fast" in fast.label.lower(), (late.label, fast.label)
    assert late.count >= 0.6 * (truth == "late").sum()


def _label_checks(res: QualResult, texts: pd.Series) -> None:
    for th in res.themes:
        if th.codebook:
            continue
        words = th.label.lower().replace("’", "'").split()
        # not only function words, and no dangling word at either end ("app that does")
        assert any(w not in STOP_WORDS for w in words), th.label
        assert words[-1] not in _DANGLING and words[0] not in _DANGLING - {"no", "not"}, th.label
        # the label appears word for word in several of the theme's texts
        members = res.assignments.loc[res.assignments["theme"] == th.id, "id"]
        pattern = re.compile(r"(?<!\w)" + re.escape(th.label.lower()) + r"(?!\w)")
        hits = sum(1 for t in texts.loc[members] if pattern.search(t.lower().replace("’", "'")))
        assert hits >= min(MIN_VERBATIM, th.count), (th.label, hits)


def test_labels_are_verbatim_phrases_that_read_well(
    result: QualResult, feedback: pd.DataFrame
) -> None:
    _label_checks(result, feedback.set_index("id")["text"])
    fb = make_polar_feedback()
    _label_checks(
        analyse_feedback(fb, make_config(), parse_period("2026-W45")), fb.set_index("id")["text"]
    )


def test_form_factor_rejects_dangling_and_function_word_phrases() -> None:
    assert _form_factor(["app", "that", "does"], ["app"]) == 0
    assert _form_factor(["fees", "keep", "going"], ["fees"]) == 0
    assert _form_factor(["the", "app"], ["app"]) == 0
    assert _form_factor(["slot", "and", "the", "driver"], ["slot", "driver"]) < 1
    assert _form_factor(["promo", "code", "not", "working"], ["promo", "code", "not"]) == 1
    assert _form_factor(["fast", "and", "reliable"], ["fast", "reliable"]) == 1


def test_domain_lexicon_reads_product_complaints() -> None:
    texts = [
        "The SMS code never arrives.",
        "The promo code doesn't work.",
        "My delivery was 40 minutes late.",
        "Your drivers are never on time anymore.",
        "Stuck on the verify screen, I didn't get the code.",
        "Always on time, fast and reliable.",
        "Please help. Thanks",
    ]
    s = text_sentiment(texts)
    assert (s[:5] < -0.2).all(), s
    assert s[5] > 0.3
    assert s[6] == 0  # courtesy is not praise
    assert domain_valence("not late at all") > 0 > domain_valence("late again")


def test_theme_fields_are_consistent(result: QualResult, feedback: pd.DataFrame) -> None:
    n_text = int((feedback["text"].str.strip() != "").sum())
    assert [t.count for t in result.themes] == sorted(
        (t.count for t in result.themes), reverse=True
    )
    for th in result.themes:
        assert th.share == pytest.approx(th.count / n_text)
        assert sum(th.sources.values()) == th.count
        assert sum(th.segments["platform"].values()) == th.count
        assert -1 <= th.sentiment <= 1
        assert th.terms
    praise = (
        _theme_with(result, "quick")
        if any("quick" in t.label.lower() for t in result.themes)
        else None
    )
    refund = _theme_with(result, "refund")
    if praise is not None:
        assert praise.sentiment > refund.sentiment


def test_results_are_reproducible_and_independent_of_row_order(feedback: pd.DataFrame) -> None:
    a = analyse_feedback(feedback, make_config(), LAST)
    shuffled = feedback.sample(frac=1.0, random_state=3).reset_index(drop=True)
    b = analyse_feedback(shuffled, make_config(), LAST)
    assert [(t.id, t.label, t.count) for t in a.themes] == [
        (t.id, t.label, t.count) for t in b.themes
    ]
    assert [(f.kind, f.theme, f.p_value) for f in a.findings] == [
        (f.kind, f.theme, f.p_value) for f in b.findings
    ]


def test_theme_ids_survive_one_more_week_of_data() -> None:
    fb = make_feedback(spike=0)  # no change at all: every theme's content stays the same
    w46 = analyse_feedback(fb, make_config(), parse_period("2026-W46"))
    w47 = analyse_feedback(fb, make_config(), parse_period("2026-W47"))
    big46 = {t.id for t in w46.themes if t.count >= 50}
    assert big46 and big46 <= {t.id for t in w47.themes}


def test_codebook_themes_take_precedence() -> None:
    fb = make_feedback()
    cb = {
        "password_reset": ThemeSpec(
            "password_reset", "password reset email missing", ("password reset", "reset email")
        )
    }
    res = analyse_feedback(fb, make_config(cb), LAST)
    th = res.theme("password_reset")
    assert th is not None and th.codebook
    assert th.label == "password reset email missing"
    matched = fb["text"].str.lower().str.contains("password reset|reset email")
    assert th.count == int(matched.sum())
    ids = set(res.assignments.loc[res.assignments["theme"] == "password_reset", "id"])
    assert ids == set(fb.loc[matched, "id"])
    assert [f.theme for f in res.findings if f.kind == "emerging_theme"] == ["password_reset"]


def test_codebook_theme_without_matches_is_listed_empty(feedback: pd.DataFrame) -> None:
    cb = {"pricing": ThemeSpec("pricing", "prices too high", ("too expensive",))}
    res = analyse_feedback(feedback, make_config(cb), LAST)
    th = res.theme("pricing")
    assert th is not None and th.count == 0 and th.quotes == ()


def test_match_codebook_whole_words_and_ties() -> None:
    spec = {
        "a": ThemeSpec("a", "A", ("otp",)),
        "b": ThemeSpec("b", "B", ("code", "didn't get the code")),
    }
    got = match_codebook(
        pd.Series(["hotpot", "OTP please", "I didn’t get the code", "otp code", ""]), spec
    ).tolist()
    assert got == [None, "a", "b", "a", None]


def test_slug() -> None:
    assert slug("Driver was late!") == "driver_was_late"
    assert slug("Crème brûlée") == "creme_brulee"
    assert re.fullmatch(r"theme_[0-9a-f]{8}", slug("配達"))


# ------------------------------------------------------------------------------------------
# Emerging and fading
# ------------------------------------------------------------------------------------------
def test_planted_complaint_is_emerging_and_stable_themes_are_not(result: QualResult) -> None:
    new = _theme_with(result, "password")
    kinds = {f.theme: f.kind for f in result.findings}
    assert kinds == {new.id: "emerging_theme"}
    f = result.findings[0]
    assert f.metric is None and f.segment == () and f.direction == "up"
    assert f.current > f.baseline and f.q_value <= 0.05 and f.p_value <= f.q_value
    assert f.ci_low is not None and 0 < f.ci_low < f.change_abs < f.ci_high
    assert f.window_start == LAST.start and f.baseline_end == LAST.previous().end
    assert f.baseline_start == LAST.previous(4).start
    assert f.details["count_current"] >= 25
    assert f.details["concentrated_in"] == {"platform": "android"}
    android = [d for d in f.drivers if d.segment == (("platform", "android"),)][0]
    assert android.share_of_change > 0.9
    assert f.better is False  # a complaint rising is bad news
    assert 0 < f.score <= 1


def test_no_change_flags_nothing() -> None:
    fb = make_feedback(spike=0, seed=5)
    res = analyse_feedback(fb, make_config(), LAST)
    assert res.findings == ()


def test_fading_theme_is_flagged() -> None:
    fb = make_feedback(spike=0, fade_crash=True, seed=2)
    res = analyse_feedback(fb, make_config(), LAST)
    crash = _theme_with(res, "crash")
    fading = [f for f in res.findings if f.kind == "fading_theme"]
    assert [f.theme for f in fading] == [crash.id]
    assert fading[0].direction == "down" and fading[0].better is not False


def test_too_little_feedback_flags_nothing() -> None:
    # the last week keeps 10 of the 30 planted password texts and 9 or 10 others: at 19 texts
    # the 20-text minimum stops everything, at 20 the planted complaint is flagged
    fb = make_feedback(spike=30)
    cur = pd.to_datetime(fb["created_at"], utc=True) >= pd.Timestamp(LAST.start, tz="UTC")
    pw = fb["text"].str.contains("password", case=False)
    found = {}
    for n_other in (9, 10):
        sub = pd.concat([fb[~cur], fb[cur & pw].head(10), fb[cur & ~pw].head(n_other)])
        found[10 + n_other] = analyse_feedback(sub, make_config(), LAST).findings
    assert found[19] == ()
    assert "password" in {w for f in found[20] for w in (f.theme or "").split("_")}
    assert all(f.n_current == 20 for f in found[20])


# ------------------------------------------------------------------------------------------
# Quotes
# ------------------------------------------------------------------------------------------
def test_quotes_are_typical_distinct_short_and_traceable(
    result: QualResult, feedback: pd.DataFrame
) -> None:
    by_id = feedback.set_index("id")
    for th in result.themes:
        assert 1 <= len(th.quotes) <= 3, th.label
        assert len({q.text for q in th.quotes}) == len(th.quotes)
        # from the reported period whenever the theme has texts in it
        in_period = [LAST.start <= q.date <= LAST.end for q in th.quotes]
        assert all(in_period) or (th.count_current == 0 and not any(in_period)), th.label
        if th.count_current >= 6:
            assert len(th.quotes) >= 2, th.label
        for q in th.quotes:  # never cut inside a word
            core = q.text.removeprefix("… ").removesuffix(" …")
            assert core in by_id.loc[q.id, "text"], q.text
        for q in th.quotes:
            assert len(q.text) <= QUOTE_CHARS + 2
            row = by_id.loc[q.id]
            assert q.source == row["source"] and q.date == row["created_at"].date()
            assert q.segment == {"platform": row["platform"]}
            theme_of = result.assignments.set_index("id").loc[q.id, "theme"]
            assert theme_of == th.id


def test_segment_quotes_come_from_their_segment_and_the_period(
    result: QualResult, feedback: pd.DataFrame
) -> None:
    """Per theme and segment value, quotes of that segment's texts of the reported period: what
    fusion shows with a theme linked because it rose there (issue 19)."""
    by_id = feedback.set_index("id")
    themed = result.assignments.set_index("id")["theme"]
    cur = result.assignments[result.assignments["period_start"] == LAST.start]
    expected = {
        (t, segment_key((("platform", by_id.loc[i, "platform"]),)))
        for i, t in zip(cur["id"], cur["theme"], strict=True)
        if t is not None and by_id.loc[i, "text"].strip()
    }
    assert set(result.segment_quotes) == expected
    elsewhere = 0
    for (theme_id, key), quotes in result.segment_quotes.items():
        assert 1 <= len(quotes) <= 3
        value = key.split("=", 1)[1]
        for q in quotes:
            assert q.segment == {"platform": value} == {"platform": by_id.loc[q.id, "platform"]}
            assert LAST.start <= q.date <= LAST.end
            assert themed.loc[q.id] == theme_id
        own = result.theme(theme_id).quotes
        elsewhere += not any(q.segment == {"platform": value} for q in own)
    assert elsewhere  # a theme's own quotes leave some segments without one


def test_segment_sentiment_is_the_tone_of_the_theme_s_texts_there_this_period(
    result: QualResult, feedback: pd.DataFrame
) -> None:
    a = result.assignments.merge(feedback[["id", "platform"]], on="id")
    a = a[(a["period_start"] == LAST.start) & a["theme"].notna() & a["sentiment"].notna()]
    want = {(t, "all"): v for t, v in a.groupby("theme")["sentiment"].mean().items()}
    for (t, p), v in a.groupby(["theme", "platform"])["sentiment"].mean().items():
        want[(t, f"platform={p}")] = v
    assert set(result.segment_sentiment) == set(want)
    for key, v in want.items():
        assert result.segment_sentiment[key] == pytest.approx(v, abs=1e-4), key
    # the planted Android complaint reads as a complaint there
    reset = _theme_with(result, "password")
    assert result.segment_sentiment[(reset.id, "platform=android")] < -0.05


def test_quotes_carry_no_pii() -> None:
    fb = make_feedback(spike=0)
    pii = [
        " Mail me at jane.doe@example.com.",
        " Call +44 7700 900123 please.",
        " Card 4111 1111 1111 1111 was charged.",
        " My number is (212) 555-0147.",
        " IBAN DE89 3704 0044 0532 0130 00.",
        " Reset via https://x.io/reset?token=s3cr3t",
    ]
    refund = fb["text"].str.contains("refund")
    fb.loc[refund, "text"] = [t + pii[i % len(pii)] for i, t in enumerate(fb.loc[refund, "text"])]
    res = analyse_feedback(fb, make_config(), LAST)
    quotes = [q.text for th in res.themes for q in th.quotes]
    assert quotes
    joined = "\n".join(quotes)
    for needle in ["@", "7700", "4111", "555-0147", "DE89", "token=", "s3cr3t"]:
        assert needle not in joined
    labels = " ".join(t.label for t in res.themes)
    assert "@" not in labels and not re.search(r"\d", labels)


def test_cut_quote_cuts_at_sentences() -> None:
    text = "Hello there. " * 5 + "The app crashes at checkout every single time. " + "Bye. " * 40
    out = cut_quote(text, ["crashes", "checkout"], limit=80)
    assert "The app crashes at checkout every single time." in out
    assert len(out) <= 82
    long_sentence = "word " * 100
    assert len(cut_quote(long_sentence, limit=50)) <= 52
    assert cut_quote("short one", limit=50) == "short one"


# ------------------------------------------------------------------------------------------
# Segments and counts
# ------------------------------------------------------------------------------------------
def test_theme_counts_per_period_and_segment(result: QualResult, feedback: pd.DataFrame) -> None:
    tc = result.theme_counts
    assert list(tc.columns) == ["theme", "period_start", "segment", "count", "total"]
    assert set(tc["segment"]) == {"all", "platform=android", "platform=ios", "platform=web"}
    assert set(tc["period_start"]) == {FIRST_MONDAY + timedelta(days=7 * i) for i in range(8)}
    overall = tc[tc["segment"] == "all"]
    for th in result.themes:
        assert overall.loc[overall["theme"] == th.id, "count"].sum() == th.count
    # segment counts add up to the overall count, and totals to the period's feedback
    by_seg = tc[tc["segment"] != "all"].groupby(["theme", "period_start"])["count"].sum()
    by_all = overall.set_index(["theme", "period_start"])["count"]
    assert (by_seg.reindex(by_all.index, fill_value=0) == by_all).all()
    weekly = feedback.groupby(period_starts(feedback["created_at"], "week").dt.date).size()
    totals = overall.groupby("period_start")["total"].first()
    assert (totals == weekly.reindex(totals.index)).all()
    new = _theme_with(result, "password")
    last = tc[(tc["theme"] == new.id) & (tc["period_start"] == LAST.start)]
    android = int(
        last.loc[last["segment"] == segment_key((("platform", "android"),)), "count"].iloc[0]
    )
    assert android == int(last.loc[last["segment"] == "all", "count"].iloc[0]) >= 25


def test_assignments_have_one_row_per_feedback(result: QualResult, feedback: pd.DataFrame) -> None:
    a = result.assignments
    assert len(a) == len(feedback) and a["id"].is_unique
    assert {"id", "theme", "sentiment"} <= set(a.columns)
    assert a["sentiment"].between(-1, 1).all()


# ------------------------------------------------------------------------------------------
# Sentiment
# ------------------------------------------------------------------------------------------
def test_sentiment_blends_text_and_score() -> None:
    s = feedback_sentiment(
        ["I love it, great app", "", "Terrible, slow and broken", "Die Lieferung war schlecht"],
        pd.Series([10, 0, None, None]),
        pd.Series(["nps", "nps", "support_ticket", "survey"]),
    )
    assert s.loc[0, "score_sentiment"] == 1.0 and s.loc[0, "text_sentiment"] > 0.5
    assert s.loc[1, "sentiment"] == -1.0  # a bare NPS 0
    assert s.loc[2, "sentiment"] < -0.5
    assert np.isnan(s.loc[3, "text_sentiment"])  # VADER does not read German
    stars = score_sentiment(pd.Series([1, 3, 5]), pd.Series(["app_review"] * 3))
    assert stars.tolist() == [-1.0, 0.0, 1.0]
    assert looks_english("The code never arrives") and not looks_english("配達が遅れました")


# ------------------------------------------------------------------------------------------
# Awkward input
# ------------------------------------------------------------------------------------------
def test_awkward_texts_are_handled() -> None:
    fb = make_feedback(spike=0, weeks=6)
    odd = [
        "",
        "   ",
        "😡😡😡",
        "👍",
        "Der Fahrer kam 20 Minuten zu spät.",
        "Le livreur est arrivé en retard.",
        "配達が遅れました。",
        "The app crashes at checkout. " * 2000,  # very long
        "x" * 50_000,
        "\u202eevil\u202c text with zero\u200bwidth",
        "My refund has not arrived yet.",
    ]
    extra = pd.DataFrame(
        {
            "id": [f"odd-{i}" for i in range(len(odd))],
            "created_at": pd.Timestamp("2026-11-03 12:00"),
            "source": "survey",
            "text": odd,
            "score": np.nan,
            "platform": [None, "", "ios", "ios", None, None, None, "web", "web", "ios", "ios"],
        }
    )
    dup = fb.iloc[:30].copy()  # exact duplicate rows (same id) and copies under new ids
    copies = fb.iloc[30:60].copy()
    copies["id"] = copies["id"] + "-copy"
    fb = pd.concat([fb, extra, dup, copies], ignore_index=True)
    res = analyse_feedback(fb, make_config(), parse_period("2026-W45"))
    assert res.assignments["id"].is_unique
    assert len(res.assignments) == len(fb) - 30
    a = res.assignments.set_index("id")
    assert pd.isna(a.loc["odd-0", "theme"]) and pd.isna(a.loc["odd-2", "theme"])
    assert np.isnan(a.loc["odd-4", "text_sentiment"])
    for th in res.themes:
        for q in th.quotes:
            assert len(q.text) <= QUOTE_CHARS + 2
            assert "\u202e" not in q.text and "\u200b" not in q.text
    assert set(res.theme_counts["segment"]) <= {
        "all",
        "platform=ios",
        "platform=android",
        "platform=web",
    }


def test_empty_and_textless_feedback() -> None:
    cfg = make_config({"x": ThemeSpec("x", "X", ("x",))})
    empty = make_feedback().iloc[0:0]
    res = analyse_feedback(empty, cfg, LAST)
    assert res.themes == () and res.findings == () and res.assignments.empty
    blank = make_feedback(weeks=2).assign(text="")
    res = analyse_feedback(blank, cfg, LAST)
    assert [t.id for t in res.themes] == ["x"] and res.findings == ()


def test_minimal_frame_without_score_or_segments() -> None:
    fb = make_feedback()[["id", "created_at", "source", "text"]]
    res = analyse_feedback(fb, make_config(), LAST)
    assert res.themes and set(res.theme_counts["segment"]) == {"all"}
    assert all(th.segments == {} for th in res.themes)


def test_later_feedback_is_ignored() -> None:
    fb = make_feedback()
    a = analyse_feedback(fb, make_config(), parse_period("2026-W46"))
    b = analyse_feedback(
        fb[fb["created_at"] < "2026-11-16"], make_config(), parse_period("2026-W46")
    )
    assert [(t.id, t.count) for t in a.themes] == [(t.id, t.count) for t in b.themes]


def test_score_scale_comes_from_the_data_or_the_config() -> None:
    from insightlib.qual.sentiment import scale_for

    # a source whose name says "review" but whose scores run 1-10: 5 is not top marks
    ten = score_sentiment(pd.Series([1, 5, 10]), pd.Series(["app_review"] * 3))
    assert ten.tolist() == [-1.0, pytest.approx(-0.5 / 4.5), 1.0]
    zero = score_sentiment(pd.Series([0, 5, 10]), pd.Series(["survey"] * 3))
    assert zero.tolist() == [-1.0, 0.0, 1.0]
    assert scale_for("survey", pd.Series([2, 4, 5])) == (1.0, 5.0)
    assert scale_for("survey", pd.Series([2, 40])) is None
    # declared scales win over the range seen
    declared = score_sentiment(pd.Series([2, 4]), pd.Series(["csat"] * 2), {"csat": (0, 10)})
    assert declared.tolist() == [-0.6, -0.2]


def test_score_outside_the_declared_scale_is_exit_2(tiny, capsys) -> None:
    from insightlib.cli import main
    from insightlib.errors import DataError
    from insightlib.workspace.load import load_workspace

    fb = pd.read_csv(tiny / "feedback.csv", dtype=str, keep_default_na=False)
    fb["score"] = "3"
    fb.loc[1, "score"] = "7"
    fb.to_csv(tiny / "feedback.csv", index=False)
    toml = tiny / "insight.toml"
    sources = sorted(set(fb["source"].str.lower()))
    scales = "".join(f'{s} = "1-5"\n' for s in sources)
    toml.write_text(toml.read_text() + "\n[scores]\n" + scales)
    with pytest.raises(DataError, match=r"feedback.csv, column 'score', row 2: score 7 of source"):
        load_workspace(tiny)
    assert main(["check", str(tiny)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    toml.write_text(toml.read_text().replace('"1-5"', '"1-10"'))
    assert load_workspace(tiny).feedback["score"].max() == 7


# ------------------------------------------------------------------------------------------
# New complaints at realistic volumes (issue 13): 6 of 29 against 3 of 124
# ------------------------------------------------------------------------------------------
_TOUR = [
    "Our guide {g} knew every corner of the old town and kept the group together.",
    "The hotel breakfast was plentiful and the rooms were quiet at night.",
    "Transfers from the airport were slow and the driver got lost twice.",
    "The itinerary was packed, maybe one museum too many on the second day.",
    "Dinner on the boat was the highlight, great food and a lovely sunset.",
    "Booking online was simple and the confirmation arrived quickly.",
    "Luggage handling was chaotic at the second hotel, we waited an hour.",
    "The coach was comfortable but the air conditioning barely worked.",
    "Value for money was fair for what was included, drinks were extra.",
    "Our group was friendly and the walking pace suited older travellers.",
    "The wine tasting was rushed and the cellar was far too crowded.",
    "Free time in the afternoons was welcome after long mornings of sightseeing.",
]
_STRIKE = [
    "Then the rail strike hit and half the excursions were cancelled without notice.",
    "A strike closed the museums on two days and nobody offered a refund.",
    "Because of the strike the trains stopped and we lost a full day of the trip.",
]


def _tour_feedback(seed: int, strike_now: int, strike_before: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    months = [("2026-01", 31), ("2026-02", 31), ("2026-03", 31), ("2026-04", 31)]
    plan = [(m, n) for m, n in months] + [("2026-05", 29)]
    strike_rows = {
        "2026-05": set(rng.choice(29, size=strike_now, replace=False)),
        "2026-02": set(range(strike_before)),
    }
    for month, n in plan:
        for i in range(n):
            parts = list(rng.choice(_TOUR, size=5, replace=False))
            if i in strike_rows.get(month, set()):
                parts[2] = _STRIKE[int(rng.integers(len(_STRIKE)))]
            day = pd.Timestamp(f"{month}-01") + pd.Timedelta(days=int(rng.integers(0, 28)))
            rows.append(
                {
                    "id": f"t-{len(rows):04d}",
                    "created_at": day,
                    "source": "review",
                    "text": " ".join(parts).replace("{g}", "Marco"),
                    "score": float(rng.integers(1, 11)),
                }
            )
    return pd.DataFrame(rows)


def test_a_new_complaint_in_6_of_29_reviews_is_found() -> None:
    fb = _tour_feedback(3, strike_now=6, strike_before=3)
    res = analyse_feedback(fb, make_config(), parse_period("2026-05"))
    emerging = [f for f in res.findings if f.kind == "emerging_theme"]
    assert len(emerging) == 1, [f.details["label"] for f in emerging]
    found = emerging[0]
    assert "strike" in found.details["label"].lower()
    assert (found.details["count_current"], found.details["count_baseline"]) == (6, 3)
    assert found.method.startswith("Fisher's exact test (mid-p)")
    # the guide's first name never makes a label nor a quote
    assert all("Marco" not in t.label for t in res.themes)
    assert all("Marco" not in q.text for t in res.themes for q in t.quotes)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_null_twin_raises_at_most_one_emerging_theme(seed: int) -> None:
    # the same volumes with nothing new: the complaint stays at its old rate
    fb = _tour_feedback(seed, strike_now=1, strike_before=3)
    res = analyse_feedback(fb, make_config(), parse_period("2026-05"))
    assert len([f for f in res.findings if f.kind == "emerging_theme"]) <= 1
    assert not any("strike" in f.details["label"].lower() for f in res.findings)


# ------------------------------------------------------------------------------------------
# A new complaint of one app in a workspace of several (issue 13): its words are old elsewhere
# ------------------------------------------------------------------------------------------
_APP_TEXTS = [
    "Great app, quick and easy to use.",
    "Syncing my notes between devices works well.",
    "The login screen keeps asking for my password.",
    "Search is slow when I have many files.",
    "Nice design and simple menus.",
    "Sharing a folder with my team is easy.",
]
_OLD_USE = [  # other apps' texts used the complaint's words for years, in praise
    "Audio stops in the background, which saves my battery since the update.",
    "Music stops in the background after the update, as it should.",
    "I can play audio in the background since the update, thanks.",
    "Since the update, music in the background stops when I ask, great.",
]
_NEW_COMPLAINT = [
    "Audio stops in the background since the update.",
    "Music stops in the background after the update.",
    "Can't play audio in the background since the update.",
    "Since the update, music in the background stops.",
]


def _apps_feedback(seed: int, complaint_now: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []

    def add(week: int, app: str, text: str) -> None:
        day = FIRST_MONDAY + timedelta(days=7 * week + int(rng.integers(0, 7)))
        rows.append({"id": f"a-{len(rows):05d}", "created_at": pd.Timestamp(day),
                     "source": "app_review", "text": text,
                     "score": float(rng.integers(1, 3) if "background" in text.lower()
                                    and app == "alpha" else rng.integers(3, 6)),
                     "app": app})  # fmt: skip

    for week in range(N_WEEKS):
        for app in ("alpha", "beta", "gamma"):
            for _ in range(30):
                add(week, app, str(rng.choice(_APP_TEXTS)))
        for app in ("beta", "gamma"):
            for _ in range(6):
                add(week, app, str(rng.choice(_OLD_USE)))
        n = complaint_now if week == N_WEEKS - 1 else int(week == 2)
        for _ in range(n):
            add(week, "alpha", str(rng.choice(_NEW_COMPLAINT)))
    return pd.DataFrame(rows)


def _apps_config(segments=("app",)) -> Config:
    return Config(root=Path("."), path=Path("insight.toml"), project="Notely", sources={},
                  segments=segments, metrics={}, themes={})  # fmt: skip


def test_a_complaint_new_in_one_segment_is_found_though_its_words_are_old_elsewhere() -> None:
    fb = _apps_feedback(11, complaint_now=16)
    res = analyse_feedback(fb, _apps_config(), LAST)
    emerging = [f for f in res.findings if f.kind == "emerging_theme"]
    found = [f for f in emerging if re.search(r"audio|music|play|background", f.details["label"])]
    assert len(found) == 1, [f.details["label"] for f in emerging]
    f = found[0]
    assert f.details["concentrated_in"] == {"app": "alpha"}
    assert f.details["count_current"] >= 12


def test_surge_words_are_judged_new_among_the_segment_where_they_surged() -> None:
    """The surge pass alone (no topic yet): the complaint's words are old among all apps'
    texts, new among alpha's; only the search inside segments finds them, and only alpha's
    texts join the new topic."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from insightlib.qual.themes import _surge_topics, _Tokens

    fb = _apps_feedback(11, complaint_now=16)
    texts = fb["text"].tolist()
    vec = TfidfVectorizer(stop_words="english")
    x = vec.fit_transform(texts).tocsr()
    week = period_starts(fb["created_at"], "week")
    current = (week == pd.Timestamp(LAST.start)).to_numpy()
    baseline = ~current
    free = np.ones(len(texts), dtype=bool)
    args = (x, x, free, current, baseline, np.zeros((0, x.shape[1])), vec.get_feature_names_out(),
            texts, 5, _Tokens())  # fmt: skip
    vectors, groups = _surge_topics(*args)
    assert len(groups) == 0  # against all texts of all apps ever: nothing new
    codes = pd.factorize(fb["app"])[0]
    vectors, groups = _surge_topics(*args, [codes])
    assert len(groups) == 1
    held = fb[groups[0]]
    assert (
        set(held["app"]) == {"alpha"}
        and (held["created_at"] >= pd.Timestamp(LAST.start)).sum() == 16
    )


@pytest.mark.parametrize("seed", [12, 13, 14])
def test_null_twin_of_the_one_app_complaint_raises_no_new_theme(seed: int) -> None:
    res = analyse_feedback(_apps_feedback(seed, complaint_now=1), _apps_config(), LAST)
    assert [f.details["label"] for f in res.findings if f.kind == "emerging_theme"] == []
