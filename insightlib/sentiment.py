"""Sentiment of feedback: VADER on the text, blended with the score where a row has one.

Everything runs offline: vaderSentiment ships its lexicon (and its emoji lexicon) inside the
wheel. VADER is an English method and misreads other languages (German "war" means "was", not
"war"), so texts that :func:`looks_english` judges to be in another language get no text
sentiment (``NaN``); their score, if any, still counts.

Scale: every sentiment is in ``[-1, 1]``.

- Text: VADER's ``compound`` score. Texts are cut at :data:`MAX_CHARS` characters first (a long
  interview note gets the sentiment of its opening); texts longer than :data:`LONG_TEXT`
  characters get the mean score of their sentences; identical texts are scored once.
- Score: an NPS answer (0–10, sources whose name contains ``nps``) maps to ``(score - 5) / 5``;
  stars (1–5, sources whose name contains ``review``, ``rating`` or ``star``) to
  ``(stars - 3) / 2``. For other sources, a score column whose values all lie in 1–5 is read as
  stars and one in 0–10 as an NPS-like scale; anything else is ignored.
- Combined (:func:`feedback_sentiment`): the mean of the two where both exist, else whichever
  exists; ``NaN`` when a row has neither text nor score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "text_sentiment",
    "score_sentiment",
    "feedback_sentiment",
    "looks_english",
    "MAX_CHARS",
]

MAX_CHARS = 2000
LONG_TEXT = 300  # longer texts are scored sentence by sentence
MAX_SENTENCES = 20

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_ENGLISH = frozenset(
    "the a an and or but is are was were be been it this that i you we they he she my your "
    "our their me us them of to in on at for with from by not no never very so too just "
    "have has had do does did can can't don't didn't won't it's i'm what when why how all "
    "any some more after again still".split()
)
# frequent function words of other languages that VADER would misread or ignore
_FOREIGN = frozenset(
    "der die das und ist nicht ich mit zu war kam ein eine auf für sehr aber auch noch "
    "le la les est et pas je une très avec pour dans du des mais jamais "
    "el los las es y muy que pero con por para una del llega llegó "
    "il di che non per della sono molto ho een het niet ik zijn voor naar ook "
    "não com uma muito".split()
)


def looks_english(text: str) -> bool:
    """A rough guess whether ``text`` is English (VADER reads only English).

    A text is not English when most of its letters are outside the Latin script, or when it
    has at least three words and holds more function words of other languages (German,
    French, Spanish, Italian, Dutch, Portuguese) than English ones. Emoji-only texts and very
    short ones ("ok") count as English: VADER reads them fine.

    >>> looks_english("The driver was late again"), looks_english("Der Fahrer kam zu spät")
    (True, False)
    """
    words = [w.lower() for w in _WORD.findall(text)]
    letters = [ch for w in words for ch in w]
    if letters and sum(1 for ch in letters if ch < "\u0250") < 0.5 * len(letters):
        return False
    if len(words) < 3:
        return True
    english = sum(1 for w in words if w in _ENGLISH)
    foreign = sum(1 for w in words if w in _FOREIGN)
    return foreign <= english


@lru_cache(maxsize=1)
def _analyzer():  # type: ignore[no-untyped-def]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def text_sentiment(texts: Sequence[str]) -> np.ndarray:
    """VADER compound score per text; ``NaN`` for empty and non-English texts.

    >>> text_sentiment(["I love it", "", "terrible, never again"]).round(2).tolist()
    [0.64, nan, -0.48]
    """
    analyzer = _analyzer()
    cache: dict[str, float] = {}
    out = np.full(len(texts), np.nan)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            continue
        key = text[:MAX_CHARS]
        if not key.strip():
            continue
        value = cache.get(key)
        if value is None:
            value = _score(analyzer, key) if looks_english(key) else float("nan")
            cache[key] = value
        out[i] = value
    return out


_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def _score(analyzer, text: str) -> float:  # type: ignore[no-untyped-def]
    """VADER compound of a text; long texts are the mean over their sentences.

    VADER's negation check is quadratic in the number of words of what it is given, and the
    VADER authors recommend sentence-level scores for paragraphs anyway.
    """
    if len(text) <= LONG_TEXT:
        return float(analyzer.polarity_scores(text)["compound"])
    parts = [p for p in _SENTENCE.split(text) if p.strip()][:MAX_SENTENCES]
    chunks = [c[:LONG_TEXT] for c in parts] or [text[:LONG_TEXT]]
    return float(np.mean([analyzer.polarity_scores(c)["compound"] for c in chunks]))


def _scale_for(source: str, values: pd.Series) -> str | None:
    name = source.lower()
    if "nps" in name:
        return "nps"
    if any(word in name for word in ("review", "rating", "star")):
        return "stars"
    v = values.dropna()
    if v.empty:
        return None
    if v.between(1, 5).all():
        return "stars"
    if v.between(0, 10).all():
        return "nps"
    return None


def score_sentiment(scores: pd.Series, sources: pd.Series) -> np.ndarray:
    """The row's score mapped to ``[-1, 1]`` (see the module docstring); ``NaN`` without one."""
    scores = pd.to_numeric(pd.Series(scores).reset_index(drop=True), errors="coerce")
    sources = pd.Series(sources).reset_index(drop=True).astype("string").fillna("")
    out = np.full(len(scores), np.nan)
    if scores.isna().all():
        return out
    for source, idx in scores.groupby(sources, sort=True).groups.items():
        values = scores.loc[idx]
        scale = _scale_for(str(source), values)
        if scale == "nps":
            mapped = ((values.clip(0, 10) - 5.0) / 5.0).to_numpy(dtype=float)
        elif scale == "stars":
            mapped = ((values.clip(1, 5) - 3.0) / 2.0).to_numpy(dtype=float)
        else:
            continue
        out[np.asarray(idx, dtype=int)] = mapped
    return out


def feedback_sentiment(
    texts: Sequence[str], scores: pd.Series | None = None, sources: pd.Series | None = None
) -> pd.DataFrame:
    """Per-row sentiment: columns ``text_sentiment``, ``score_sentiment``, ``sentiment``.

    ``sentiment`` is the mean of the text and score sentiments where both exist.
    """
    text_s = text_sentiment(texts)
    if scores is not None and sources is not None:
        score_s = score_sentiment(scores, sources)
    else:
        score_s = np.full(len(text_s), np.nan)
    both = np.vstack([text_s, score_s])
    with np.errstate(invalid="ignore"):
        counts = (~np.isnan(both)).sum(axis=0)
        combined = np.where(counts > 0, np.nansum(both, axis=0) / np.maximum(counts, 1), np.nan)
    return pd.DataFrame(
        {"text_sentiment": text_s, "score_sentiment": score_s, "sentiment": combined}
    )
