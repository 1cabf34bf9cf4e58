"""Sentiment of feedback: VADER on the text, blended with the score where a row has one.

Everything runs offline: vaderSentiment ships its lexicon (and its emoji lexicon) inside the
wheel. VADER is an English method and misreads other languages (German "war" means "was", not
"war"), so texts that :func:`looks_english` judges to be in another language get no text
sentiment (``NaN``); their score, if any, still counts.

Scale: every sentiment is in ``[-1, 1]``.

- Text: VADER's ``compound`` score. Texts are cut at :data:`MAX_CHARS` characters first (a long
  interview note gets the sentiment of its opening); texts longer than :data:`LONG_TEXT`
  characters get the mean score of their sentences; identical texts are scored once.
- Score: mapped linearly from its source's scale to [-1, 1], the middle of the scale being 0
  (``(score - 5) / 5`` on 0–10, ``(stars - 3) / 2`` on 1–5, ``(score - 5.5) / 4.5`` on 1–10).
  The scale is declared per source in ``[scores]`` of insight.toml (a value outside it stops
  the load, exit 2) or read from the source's own range (:func:`scale_for`), never guessed
  from the source's name.
- Domain lexicon (:data:`DOMAIN_LEXICON`): VADER is built for social media and reads most
  product complaints as neutral ("the SMS code never arrives", "my delivery was 40 minutes
  late", "the promo code doesn't work" all score 0). A small list of complaint and praise
  phrases of products and services (things that never arrive, don't work, are late, missing,
  stuck, crash, cost too much; things that are fast, on time, reliable) adds its valences to
  VADER's: the compound score ``c`` is turned back into VADER's raw sum
  ``x = c * sqrt(15 / (1 - c²))``, the valences of the phrases found are added, and the sum is
  normalised again (``x / sqrt(x² + 15)``, VADER's own normalisation). A phrase marked
  *negatable* that follows a negation within three words ("never late", "not fast", "never on
  time", "used to be so reliable") counts with the opposite sign, scaled by 0.74 as VADER
  does. Phrases VADER already
  scores ("missing", "broken", "rejected") are left to VADER. Courtesy words
  (:data:`POLITENESS`: "please", "thanks", "regards", "help", …) are taken out of VADER's lexicon:
  they close complaints as often as praise; so do a closing "Best, Sam" and an opening "Good
  morning,", which are cut off before scoring.
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
    "scale_for",
    "feedback_sentiment",
    "looks_english",
    "domain_valence",
    "DOMAIN_LEXICON",
    "MAX_CHARS",
]

MAX_CHARS = 800
LONG_TEXT = 300  # longer texts are scored sentence by sentence
MAX_SENTENCES = 20

# (pattern, valence in VADER's units, negatable): complaints and praise of products and
# services that VADER does not score. Patterns are matched case-insensitively on whole words.
_NEG_VERB = (
    r"(?:arrive[sd]?|arriving|came|come[sd]?|coming|got|get|gets|received?|show(?:s|ed)? up|"
    r"turn(?:s|ed)? up|comes? through|work(?:s|ed|ing)?|appl(?:y|ies|ied)|load(?:s|ed)?)"
)
DOMAIN_LEXICON: tuple[tuple[str, float, bool], ...] = (
    # something that should have happened did not
    (rf"never {_NEG_VERB}", -2.2, False),
    (rf"(?:didn't|did not|didnt|haven't|have not|hasn't|has not|hasnt|havent) {_NEG_VERB}",
     -2.2, False),
    (rf"(?:doesn't|does not|doesnt|don't|do not|dont|won't|will not|wont|isn't|is not|"
     rf"wasn't|was not) {_NEG_VERB}", -2.0, False),
    (r"not (?:working|received|valid|applied|arrived|delivered|available|possible)", -2.0, False),
    (r"no (?:slots?|refund|reply|response|answer|way to|one|apology|update)", -1.5, False),
    (r"(?:nothing|nobody|no one) (?:came|come|arrived|happens|called|told)", -1.5, False),
    (r"(?:can't|cannot|can not|cant|couldn't|could not|unable to)", -1.2, False),
    (r"still (?:waiting|no|not|nothing|haven't|hasn't|broken|crash\w*|charged|missing)",
     -1.8, False),
    (r"(?:waiting for|waited|wait for)", -0.8, True),
    (r"taking (?:forever|ages|too long)|take too long|takes too long", -1.8, False),
    (r"locked out", -1.8, False),
    (r"(?:hard|impossible|difficult) to (?:get|find|book|use|reach)", -1.5, False),
    (r"never any|none (?:available|left)|fully booked|sold out|all gone", -1.5, False),
    (r"charged twice|double charged|overcharged", -2.0, False),
    (r"without asking", -1.5, False),
    # late, slow, broken, poor
    (r"late|later than|too long|overdue", -1.8, True),
    (r"(?:minutes|mins|hours|an hour|half an hour) (?:after|past|behind)|way after", -1.5, False),
    (r"for over (?:half an hour|an hour|\d+ (?:minutes|mins|hours))", -1.2, False),
    (r"used to be", -1.0, False),
    (r"crash(?:es|ing)|keeps crashing|freez(?:es|ing)|glitch\w*", -1.8, True),
    (r"invalid|not valid", -1.5, False),
    (r"(?:too|so|very|really) (?:expensive|pricey|dear)|overpriced|rip-?off|pricey|expensive",
     -1.5, True),
    (r"mouldy|moldy|bruised|slimy|overripe|off the next day|went off", -1.8, True),
    (r"instead of", -0.6, False),
    # praise of a service
    (r"on time|in time|within the hour", 1.6, True),
    (r"fast|quick|quickly|speedy|early", 1.2, True),
    (r"reliable|intuitive|effortless|seamless", 1.6, True),
)  # fmt: skip
# one pass over a text: the alternatives in lexicon order, so that at any position the
# earlier entry wins ("never arrives" is one complaint, not "never" plus something else)
# (matched on the lower-cased text: twice as fast as a case-insensitive pattern)
_DOMAIN = re.compile(
    r"(?<![\w'’])(?:"
    + "|".join(f"(?P<d{i}>{pat})" for i, (pat, _, _) in enumerate(DOMAIN_LEXICON))
    + r")(?![\w'’])"
)
_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:not|never|no|hardly|rarely|barely|seldom|without|used to be)|n't|n’t)\W+"
    r"(?:\w+\W+){0,2}$"
)
# courtesy words VADER scores as positive, though they open and close complaints just as often
POLITENESS = (
    "please", "thanks", "thank", "thx", "cheers", "regards", "appreciated", "kindly", "help",
)  # fmt: skip
_ALPHA = 15.0  # VADER's normalisation constant


def domain_valence(text: str) -> float:
    """The summed valence of the :data:`DOMAIN_LEXICON` phrases in ``text`` (VADER's units).

    Matches do not overlap; where two entries match at the same place the earlier one wins
    ("never arrives" is one complaint, not "never" plus something else).

    >>> domain_valence("The SMS code never arrives"), domain_valence("Always on time")
    (-2.2, 1.6)
    >>> round(domain_valence("Your drivers are never on time anymore"), 3)
    -1.184
    """
    total = 0.0
    text = text.lower()
    for m in _DOMAIN.finditer(text):
        _, valence, negatable = DOMAIN_LEXICON[int(m.lastgroup[1:])]  # type: ignore[index]
        a = m.start()
        if negatable and _NEGATION_BEFORE.search(text[max(0, a - 40) : a]):
            total += -0.74 * valence
        else:
            total += valence
    return total


# a closing "Best, Sam" or "Kind regards" is courtesy, not praise ("best" is +3.2 in VADER)
_SIGNOFF = re.compile(
    r"(?:^|(?<=[\s.!?,]))(?:all the best|best wishes|best regards|kind regards|best)"
    r"\s*(?:,\s*[^\W\d_][\w.\-]*)?\s*[.!]?\s*$",
    re.IGNORECASE,
)


# an opening "Good morning," is courtesy too
_GREETING = re.compile(r"^\s*good (?:morning|afternoon|evening)\b[^.!?,]{0,20}[,.!]?\s*", re.I)


def _with_domain(compound: float, text: str) -> float:
    extra = domain_valence(text)
    if extra == 0.0:
        return compound
    c = min(max(compound, -0.9999), 0.9999)
    raw = c * (_ALPHA / (1 - c * c)) ** 0.5 + extra
    return float(raw / (raw * raw + _ALPHA) ** 0.5)


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
    words = [w.lower() for w in _WORD.findall(text[:600])]
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
    from vaderSentiment import vaderSentiment as vs

    class _Analyzer(vs.SentimentIntensityAnalyzer):
        """VADER with the same scores, without its quadratic cost.

        VADER's negation and idiom checks lower-case the whole text's words again for every
        word they look at (quadratic in the words of a text); here the lower-cased words are
        made once per text. The two checks below are VADER 3.3.2's (MIT licence), reading the
        cached list; ``negated`` of one word is a set look-up.
        """

        _key: list | None = None
        _low: list = []
        _negate = frozenset(vs.NEGATE)

        def _lowered(self, words: list) -> list:
            if words is not self._key:  # a new text (the old list is held, so no id reuse)
                self._key, self._low = words, [str(w).lower() for w in words]
            return self._low

        def polarity_scores(self, text):  # type: ignore[no-untyped-def]
            # VADER spells emoji out character by character; a text without one is as is
            if not self._emoji.isdisjoint(text):
                return super().polarity_scores(text)
            text = text.strip()
            sentitext = vs.SentiText(text)
            sentiments: list = []
            words = sentitext.words_and_emoticons
            last = len(words) - 1
            for i, item in enumerate(words):
                low = item.lower()
                if low in vs.BOOSTER_DICT or (
                    i < last and low == "kind" and words[i + 1].lower() == "of"
                ):
                    sentiments.append(0)
                    continue
                sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
            sentiments = self._but_check(words, sentiments)
            return self.score_valence(sentiments, text)

        def _neg(self, word: str) -> bool:
            return word in self._negate or "n't" in word

        def _negation_check(self, valence, words, start_i, i):  # type: ignore[no-untyped-def]
            low = self._lowered(words)
            if start_i == 0:
                if self._neg(low[i - 1]):
                    valence = valence * vs.N_SCALAR
            if start_i == 1:
                if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                    valence = valence * 1.25
                elif low[i - 2] == "without" and low[i - 1] == "doubt":
                    pass
                elif self._neg(low[i - 2]):
                    valence = valence * vs.N_SCALAR
            if start_i == 2:
                if (
                    low[i - 3] == "never"
                    and (low[i - 2] == "so" or low[i - 2] == "this")
                    or (low[i - 1] == "so" or low[i - 1] == "this")
                ):
                    valence = valence * 1.25
                elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
                    pass
                elif self._neg(low[i - 3]):
                    valence = valence * vs.N_SCALAR
            return valence

        def _special_idioms_check(self, valence, words, i):  # type: ignore[no-untyped-def]
            low = self._lowered(words)
            special, booster = vs.SPECIAL_CASES, vs.BOOSTER_DICT
            onezero = f"{low[i - 1]} {low[i]}"
            twoonezero = f"{low[i - 2]} {low[i - 1]} {low[i]}"
            twoone = f"{low[i - 2]} {low[i - 1]}"
            threetwoone = f"{low[i - 3]} {low[i - 2]} {low[i - 1]}"
            threetwo = f"{low[i - 3]} {low[i - 2]}"
            for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
                if seq in special:
                    valence = special[seq]
                    break
            if len(low) - 1 > i:
                zeroone = f"{low[i]} {low[i + 1]}"
                if zeroone in special:
                    valence = special[zeroone]
            if len(low) - 1 > i + 1:
                zeroonetwo = f"{low[i]} {low[i + 1]} {low[i + 2]}"
                if zeroonetwo in special:
                    valence = special[zeroonetwo]
            for n_gram in (threetwoone, threetwo, twoone):
                if n_gram in booster:
                    valence = valence + booster[n_gram]
            return valence

    analyzer = _Analyzer()
    analyzer._emoji = frozenset(ch for ch in analyzer.emojis if len(ch) == 1)
    for word in POLITENESS:  # "Please fix this. Thanks" is not praise
        analyzer.lexicon.pop(word, None)
    return analyzer


def text_sentiment(texts: Sequence[str]) -> np.ndarray:
    """VADER compound score (with the domain lexicon) per text; ``NaN`` for empty and
    non-English texts.

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
    VADER authors recommend sentence-level scores for paragraphs anyway. Consecutive short
    sentences are scored together, up to :data:`LONG_TEXT` characters at a time.
    """
    text = _GREETING.sub("", _SIGNOFF.sub("", text)) or text
    if len(text) <= LONG_TEXT:
        return _with_domain(float(analyzer.polarity_scores(text)["compound"]), text)
    parts = [p for p in _SENTENCE.split(text) if p.strip()][:MAX_SENTENCES]
    # consecutive short sentences are scored together, up to LONG_TEXT characters a call
    chunks: list[str] = []
    for part in parts:
        part = part[:LONG_TEXT]
        if chunks and len(chunks[-1]) + 1 + len(part) <= LONG_TEXT:
            chunks[-1] = chunks[-1] + " " + part
        else:
            chunks.append(part)
    chunks = chunks or [text[:LONG_TEXT]]
    return float(
        np.mean([_with_domain(float(analyzer.polarity_scores(c)["compound"]), c) for c in chunks])
    )


def scale_for(
    source: str, values: pd.Series, declared: dict[str, tuple[float, float]] | None = None
) -> tuple[float, float] | None:
    """The score scale ``(low, high)`` of one feedback source.

    Declared in ``[scores]`` of insight.toml (``nps = "0-10"``), or read from the data's range:
    values all within 1–5 are stars (1–5); with a 0 among values up to 10, 0–10; from 1 up to
    10 without a 0, 1–10 (a source named "nps" with values within 0–10 is 0–10). Values beyond
    10 (or below 0) fit no known scale and are ignored (``None``).

    >>> scale_for("app_review", pd.Series([1, 5, 10]))
    (1.0, 10.0)
    >>> scale_for("survey", pd.Series([4, 5, 2]))
    (1.0, 5.0)
    """
    if declared and source.lower() in declared:
        return declared[source.lower()]
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return None
    lo, hi = float(v.min()), float(v.max())
    if lo < 0 or hi > 10:
        return None
    if "nps" in source.lower() or lo < 1:
        return (0.0, 10.0)
    if hi <= 5:
        return (1.0, 5.0)
    return (1.0, 10.0)


def score_sentiment(
    scores: pd.Series,
    sources: pd.Series,
    scales: dict[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    """The row's score mapped linearly from its source's scale (:func:`scale_for`) to
    ``[-1, 1]`` (the scale's middle is 0); ``NaN`` without a score or a known scale."""
    scores = pd.to_numeric(pd.Series(scores).reset_index(drop=True), errors="coerce")
    sources = pd.Series(sources).reset_index(drop=True).astype("string").fillna("")
    out = np.full(len(scores), np.nan)
    if scores.isna().all():
        return out
    for source, idx in scores.groupby(sources, sort=True).groups.items():
        values = scores.loc[idx]
        scale = scale_for(str(source), values, scales)
        if scale is None:
            continue
        lo, hi = scale
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        mapped = ((values.clip(lo, hi) - mid) / half).to_numpy(dtype=float)
        out[np.asarray(idx, dtype=int)] = mapped
    return out


def feedback_sentiment(
    texts: Sequence[str],
    scores: pd.Series | None = None,
    sources: pd.Series | None = None,
    scales: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Per-row sentiment: columns ``text_sentiment``, ``score_sentiment``, ``sentiment``.

    ``sentiment`` is the mean of the text and score sentiments where both exist.
    """
    text_s = text_sentiment(texts)
    if scores is not None and sources is not None:
        score_s = score_sentiment(scores, sources, scales)
    else:
        score_s = np.full(len(text_s), np.nan)
    both = np.vstack([text_s, score_s])
    with np.errstate(invalid="ignore"):
        counts = (~np.isnan(both)).sum(axis=0)
        combined = np.where(counts > 0, np.nansum(both, axis=0) / np.maximum(counts, 1), np.nan)
    return pd.DataFrame(
        {"text_sentiment": text_s, "score_sentiment": score_s, "sentiment": combined}
    )
