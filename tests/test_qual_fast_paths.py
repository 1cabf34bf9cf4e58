"""The qualitative step's fast paths give the same answers as the slow ones they replace.

VADER's negation and idiom checks re-lower-case the whole text for every word (quadratic);
:mod:`insightlib.qual.sentiment` caches the lower-cased words and spells out emoji only
when a text has one. Phrases and references are matched on lower-cased text. These tests
compare each fast path with the reference it replaces on texts that exercise every rule.
"""

from __future__ import annotations

import numpy as np
import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from insightlib.qual import sentiment as S
from insightlib.qual import themes as T
from insightlib.text.redact import find_pii

VADER_CASES = [
    "not bad at all",
    "never so happy with a delivery",
    "never this good",
    "it was never really that great",
    "without doubt the best app",
    "without a doubt, good",
    "kind of great but slow",
    "The app is good but the support is terrible",
    "I don't love it, it isn't great and ain't cheap",
    "no problems, no worries",
    "No, not good",
    "This is the shit",
    "cut the mustard, yeah right",
    "the bomb, bad ass, hand to mouth",
    "least useful app, at least it works, very least bad",
    "VERY GOOD but BAD SUPPORT",
    "Great 😀 app but 😡 support",
    "I ❤ it",
    "nope",
    "a",
    "it is sort of nice and kind of bad",
    "Never, ever, nor good nor bad",
]


@pytest.fixture(scope="module")
def reference() -> SentimentIntensityAnalyzer:
    ref = SentimentIntensityAnalyzer()
    for word in S.POLITENESS:
        ref.lexicon.pop(word, None)
    return ref


@pytest.mark.parametrize("text", VADER_CASES)
def test_fast_vader_scores_as_vader(reference, text: str) -> None:
    assert S._analyzer().polarity_scores(text) == reference.polarity_scores(text)


def test_fast_vader_on_long_mixed_texts(reference) -> None:
    rng = np.random.default_rng(3)
    words = " ".join(VADER_CASES).replace(",", "").split() + ["😀", "so", "this", "no"]
    for _ in range(200):
        text = " ".join(rng.choice(words, size=int(rng.integers(1, 60))))
        assert S._analyzer().polarity_scores(text) == reference.polarity_scores(text), text


def test_domain_valence_reads_any_case() -> None:
    assert S.domain_valence("The SMS code NEVER ARRIVES") == S.domain_valence(
        "the sms code never arrives"
    )
    assert S.domain_valence("Not Fast at all") == pytest.approx(-0.74 * 1.2)


def test_references_found_in_any_case_and_with_letters_that_grow_when_lowered() -> None:
    for text in (
        "Booking ref AB12345",
        "BOOKING REF ab12345",
        "İstanbul trip, booking ref AB12345",
    ):
        kinds = [(k, text[a:b]) for k, a, b in find_pii(text)]
        assert ("ref", text[-7:]) in kinds, (text, kinds)


def test_tokens_match_sklearn_analyser() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["The app doesn't load, it’s slow!", "Dark mode please: dark mode", "ab cd ef 12 gh"]
    tok = T._Tokens()
    for ngrams, fn in (((1, 1), tok.words), ((2, 2), tok.pairs)):
        ref = CountVectorizer(
            token_pattern=T._VEC_TOKEN, stop_words=sorted(T.STOP_WORDS), ngram_range=ngrams
        ).build_analyzer()
        for t in texts:
            assert fn(t) == ref(t)
