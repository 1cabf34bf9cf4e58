"""Theme labels: short phrases people understand, taken verbatim from the feedback.

A label is chosen among the phrases of a theme's texts (:func:`phrases`): single content words
and runs of 2–5 words that neither start nor end with a stop word (a few negations may start
one: "not working", "never arrives") and run across no punctuation or number. A candidate must
appear word for word in at least :data:`MIN_VERBATIM` of the sampled texts of the theme (fewer
only for very small themes) and, where any candidate does, hold one of the theme's
:data:`TOP_WORDS` top words. A text *covers* a phrase when it holds all of the phrase's content
words, in any order, so that "app crashes on search" is credited by "search crashes the app"
too. The score of a phrase is

    relevance × coverage^0.4 × verbatim^0.3 × precision^0.5 × length × form × tone

with *relevance* the TF-IDF centroid weight of the phrase's words relative to the theme's top
word (:func:`_relevance`), *coverage* the share of the theme's texts covering it, *verbatim* the
share holding it word for word, *precision* the share of all covering texts that are in the
theme (estimated from samples of every theme and of the unthemed texts, weighted by sampling
rate; the c-TF-IDF idea: a label should say what sets the theme apart), a *length* factor
favouring 2–4 words (one word scores a quarter), a *form* factor (:func:`_form_factor`: 0 for a
phrase that ends or starts with a word that leaves it hanging, :data:`_DANGLING` — "app that
does", "fees keep going"; less for one that is mostly function words or joins two things, "slot
and the driver") and a *tone* factor (:func:`_tone_factor`): a phrase whose own sentiment
(:func:`phrase_tone`) contradicts the theme's mean sentiment scores 1/20 — no "checkout is
quick" on promo-code complaints, no "never on time" on praise — and one that agrees scores a
quarter more. The winner is written with each word in its most common case inside sentences
("iPhone").

This module also holds the text primitives the theme steps share: the stop words, the word
pattern, :func:`slug` and the centroid helpers.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from insightlib.model import TONE_CLEAR
from insightlib.text.redact import TOKEN_PATTERN

__all__ = ["STOP_WORDS", "WORD", "REDACTION", "slug", "phrases", "label_topics", "LABEL_SAMPLE"]

LABEL_SAMPLE = 200  # texts per theme read to choose its label

_CONTRACTIONS = {
    "didn't", "don't", "doesn't", "can't", "won't", "isn't", "wasn't", "aren't", "weren't",
    "haven't", "hasn't", "hadn't", "couldn't", "wouldn't", "shouldn't", "i'm", "i've", "i'd",
    "i'll", "it's", "that's", "there's", "what's", "where's", "you're", "we're", "they're",
    "you've", "we've", "they've", "let's", "he's", "she's", "who's", "how's", "here's",
}  # fmt: skip
_FILLERS = {
    "hi", "hello", "hey", "dear", "thanks", "thank", "thx", "regards", "cheers", "best",
    "please", "pls", "ok", "okay", "just", "really", "also", "lol", "yes", "yeah", "sir",
    "madam", "team", "guys", "oh", "etc", "im", "dont", "didnt", "cant", "wont", "u",
}  # fmt: skip
# pieces of contractions ("you'll" -> "ll") keep sklearn from warning about the stop list
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | _CONTRACTIONS | _FILLERS | {"ll", "ve", "re"}
# words a label may start with although they are stop words ("not working", "never arrives")
_LABEL_STARTERS = {"not", "no", "never", "can't", "cannot", "didn't", "doesn't", "won't"}
_LABEL_STOP = STOP_WORDS - {"never", "not", "no"} | {"t", "s"}
_NO_START = frozenset(_LABEL_STOP - _LABEL_STARTERS)  # a phrase never starts with these
_NO_END = frozenset(_LABEL_STOP | _LABEL_STARTERS)  # ... nor ends with these

REDACTION = TOKEN_PATTERN
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_VEC_TOKEN = r"(?u)\b[^\W\d_][^\W\d_]+(?:['’][^\W\d_]+)?\b"


@dataclass
class Topic:
    """A theme under construction: its rows (positions into the texts), terms and label."""

    id: str
    label: str
    terms: tuple[str, ...]
    rows: np.ndarray
    codebook: bool = False


def slug(text: str) -> str:
    """A lower-case ``[a-z0-9_]`` identifier from a label: ``"Driver was late"`` → ``driver_was_late``.

    Non-ASCII letters are kept as their ASCII base letter where there is one (é → e).
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not s:
        s = f"theme_{zlib.crc32(text.encode()):08x}"
    return s[:60].rstrip("_")


def _stable_hash(texts: Sequence[str]) -> np.ndarray:
    return np.fromiter((zlib.crc32(t.encode("utf-8", "replace")) for t in texts), np.int64)


def _centroid(x: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    c = np.asarray(x[rows].mean(axis=0)).ravel()
    norm = np.linalg.norm(c)
    return c / norm if norm > 0 else c


def _top_terms(centroid: np.ndarray, vocab: np.ndarray, n: int = 8) -> tuple[str, ...]:
    order = np.argsort(-centroid, kind="stable")[: n * 3]
    terms: list[str] = []
    for i in order:
        if centroid[i] <= 0:
            break
        term = str(vocab[i])
        # skip a unigram already inside a chosen bigram, and vice versa
        if any(term in t.split() or t in term.split() for t in terms):
            continue
        terms.append(term)
        if len(terms) == n:
            break
    return tuple(terms)


@lru_cache(maxsize=65536)
def phrases(text: str, max_len: int = 4) -> frozenset[str]:
    """Candidate labels of a text: content words and 2–4-word runs, verbatim up to case
    (from its first :data:`ANALYSIS_PREFIX` characters)."""
    text = text[:ANALYSIS_PREFIX]
    out: set[str] = set()
    run: list[str] = []
    no_start, no_end, starters = _NO_START, _NO_END, _LABEL_STARTERS

    def flush() -> None:
        m = len(run)
        for i in range(m):
            first = run[i]
            if first in no_start:
                continue
            if len(first) > 2 and first not in starters:
                out.add(first)
            for j in range(i + 2, min(i + max_len, m) + 1):
                if run[j - 1] not in no_end:
                    out.add(" ".join(run[i:j]))
        run.clear()

    last_end = 0
    for m in WORD.finditer(text):
        start = m.start()
        if run and start > last_end and not text[last_end:start].isspace():
            flush()
        word = m.group().lower()
        if "’" in word:
            word = word.replace("’", "'")
        if len(word) > 30 or (not word.isalpha() and any(ch.isdigit() for ch in word)):
            flush()
        else:
            run.append(word)
        last_end = m.end()
    flush()
    return frozenset(out)


@lru_cache(maxsize=65536)
def _word_set(text: str) -> frozenset[str]:
    """The distinct words of a text, lower case (for coverage)."""
    # (WORD reads ’ as it reads ', so replacing it first gives the same words)
    return frozenset(w.lower() for w in WORD.findall(text.replace("’", "'")))


def _sample(rows: np.ndarray, texts: Sequence[str], k: int) -> np.ndarray:
    if len(rows) <= k:
        return rows
    h = _stable_hash([texts[i] for i in rows])
    return rows[np.sort(np.argsort(h, kind="stable")[:k])]


_NEGATIONS = {"not", "no", "never", "nothing", "nobody", "none", "cannot", "without"}


def _content(words: Sequence[str]) -> list[str]:
    """The words of a phrase that carry its meaning: non-stop words and negations."""
    return [w for w in words if (w not in STOP_WORDS and len(w) > 1) or w in _NEGATIONS]


def label_topics(
    topics: list[Topic],
    texts: Sequence[str],
    has_text: np.ndarray,
    vocab: np.ndarray,
    x: sparse.csr_matrix,
    polarity: np.ndarray | None = None,
    exclude: frozenset[str] = frozenset(),
) -> None:
    """Give each discovered topic a verbatim phrase label and a slug id (in place).

    Candidates are the phrases of a sample of the topic's texts (:func:`phrases`), scored as
    the module docstring says. ``polarity`` is the sentiment of each text (``NaN`` where
    unknown); without it labels are chosen without the tone factor. ``exclude`` holds the
    words of the product's and company's names (lower case).

    A label must *name* something (:func:`_names_something`): at least one of its content
    words is not a word of feeling ("great", "love", "terrible"), not a generic product word
    ("app", "product") or the product's own name, not a person's first name, not a proper
    noun (a place, a company: a word written capitalised inside sentences) and, for a
    one-word label, not a verb ("told", "know"). A theme none of whose candidates names
    anything is the catch-all of its tone: "general praise", "general complaints" or
    "mixed comments" (themes that get the same label merge).
    """
    if not any(not t.codebook for t in topics):
        return
    groups = [t.rows for t in topics]
    themed = np.zeros(len(texts), dtype=bool)
    for g in groups:
        themed[g] = True
    groups.append(np.flatnonzero(has_text & ~themed))  # the unthemed texts, as background
    phrase_df: list[Counter[str]] = []
    word_bits: list[dict[str, int]] = []
    weights: list[float] = []
    sizes: list[int] = []
    for g in groups:
        sample = _sample(g, texts, LABEL_SAMPLE)
        pc: Counter[str] = Counter()
        bits: dict[str, int] = {}
        for k, i in enumerate(sample):
            pc.update(phrases(texts[i]))
            bit = 1 << k
            for w in _word_set(texts[i]):
                bits[w] = bits.get(w, 0) | bit
        phrase_df.append(pc)
        word_bits.append(bits)
        sizes.append(max(len(sample), 1))
        weights.append(len(g) / max(len(sample), 1))
    index = {str(term): i for i, term in enumerate(vocab)}
    proper = _proper_nouns(texts, np.concatenate([_sample(g, texts, 200) for g in groups]))
    blocked = frozenset(exclude) | _GENERIC

    def covered(words: list[str], g: int) -> int:
        bits = word_bits[g]
        mask = -1
        for w in words:
            mask &= bits.get(w, 0)
            if not mask:
                return 0
        return mask.bit_count() if mask > 0 else 0

    for k, t in enumerate(topics):
        if t.codebook:
            continue
        cent = _centroid(x, t.rows)
        top_w = float(cent.max()) if cent.size else 0.0
        min_docs = min(MIN_VERBATIM, max(1, sizes[k] // 10))
        tone = _topic_tone(t.rows, polarity)
        cands = [
            p
            for p, c in phrase_df[k].most_common(400)
            if c >= min_docs and _names_something(p.split(" "), blocked, proper)
        ]
        # a label holds one of the theme's top words, where any candidate does
        top = {w for term in _top_terms(cent, vocab, TOP_WORDS) for w in term.split()}
        cands = [p for p in cands if top & set(p.split(" "))] or cands
        best: tuple[float, str] | None = None
        for phrase in cands:
            words = phrase.split(" ")
            content = _content(words)
            if not content or top_w <= 0:
                continue
            rel = min(1.0, _relevance(content, cent, index) / top_w)
            if rel <= 0:
                continue
            inside = covered(content, k)
            cov = inside / sizes[k]
            verbatim = phrase_df[k][phrase] / sizes[k]
            everywhere = sum(covered(content, g) * weights[g] for g in range(len(groups)))
            prec = min(1.0, inside * weights[k] / max(everywhere, 1e-9))
            score = (
                rel
                * cov**0.4
                * verbatim**0.3
                * prec**0.5
                * _LENGTH_FACTOR.get(len(words), 1.0)
                * _form_factor(words, content)
                * _tone_factor(phrase, tone)
            )
            if best is None or score > best[0] or (score == best[0] and phrase < best[1]):
                best = (score, phrase)
        if best is not None:
            label = best[1]
        else:  # nothing specific to name: the catch-all of the theme's tone
            label = (
                "general praise"
                if tone >= TONE_CLEAR
                else "general complaints"
                if tone <= -TONE_CLEAR
                else "mixed comments"
            )
        t.label = _surface_form(label, [texts[i] for i in _sample(t.rows, texts, 200)])
        t.id = slug(label)


# generic words of any product's feedback: they name no theme on their own
_GENERIC = frozenset(
    "app apps application applications product products service services company program "
    "software thing things stuff version update updates feature features use using used "
    "user users people time times day days way lot work works working worked star stars "
    "review reviews rating phone iphone ipad device everything anything something nothing "
    "job experience option options".split()
)
# words that name no subject of their own: adverbs ("so far so good"), words that need what
# follows them ("able to", "the new ..."), and insults ("app is trash")
_NOT_SUBJECTS = frozenset(
    "far already always never ever still even just really very quite rather pretty almost "
    "maybe perhaps often sometimes usually again back away anymore lately recently soon "
    "together well much more most less least enough else instead today tonight "
    "able unable new old big thing utter total absolute complete different "
    "trash garbage junk rubbish crap joke waste mess".split()
)
# common verbs (base, past, participle and -s forms): a label of verbs alone is never one
_VERBS = frozenset(
    "know knew known knows told tell tells telling said say says saying get gets got getting "
    "gotten go goes went gone going make makes made making take takes took taken taking "
    "give gives gave given giving come comes came coming see sees saw seen seeing try tries "
    "tried trying want wants wanted need needs needed keep keeps kept put puts let lets "
    "think thinks thought look looks looked find finds found call calls called ask asks asked "
    "feel feels felt leave leaves left seem seems seemed show shows showed shown help helps "
    "helped start starts started turn turns turned stop stops stopped open opens opened "
    "close closes closed fix fixes fixed change changes changed like likes liked love loves "
    "loved hate hates hated use uses used work works worked do does did done have has had "
    "be is are was were been being can could would should will shall may might must "
    "download downloaded install installed delete deleted send sends sent receive received "
    "sign signed log logged click clicked tap tapped load loads loaded recommend recommended "
    "stay stays stayed able having using doing making getting wanna gonna looking trying "
    "hoping wanting".split()
)


def _names_something(words: list[str], blocked: frozenset[str], proper: frozenset[str]) -> bool:
    """Whether a candidate label names a subject (see :func:`label_topics`)."""
    from insightlib.qual.sentiment import _analyzer
    from insightlib.text.redact import is_first_name

    lex = _analyzer().lexicon
    content = [w for w in _content(words) if w not in _NEGATIONS]
    if any(is_first_name(w) for w in words):
        return False
    if len(content) == 1 and len(words) == 1 and (content[0] in _VERBS or content[0] in proper):
        return False
    specific = [
        w
        for w in content
        if w not in blocked
        and abs(lex.get(w, 0.0)) < 1.5
        and w not in proper
        and len(w) > 2
        and w not in _NOT_SUBJECTS
        and not (w.endswith("ly") and len(w) > 4)  # "highly", "absolutely"
    ]
    if not specific:
        return False  # "far so good", "app is trash", "absolutely love"
    if all(w in _VERBS for w in specific):
        return False  # "told", "doesn't work", "needs to be taken": verbs name no subject
    return True


def subject_words(label: str, blocked: frozenset[str] = frozenset()) -> frozenset[str]:
    """The words of a label that say what it is about, singular ("browser" of "great
    browsers"): content words that are not feelings, generic product words, ``blocked``,
    words that name no subject of their own (:data:`_NOT_SUBJECTS`: "new", "old", "able",
    "back") or common verbs (:data:`_VERBS`: "open", "looks", "like"). So "new tab" and
    "open tabs" are both about "tab", and "new tab" and "new design" share no subject."""
    from insightlib.qual.sentiment import _analyzer

    lex = _analyzer().lexicon
    out = set()
    for w in _content(label.lower().split()):
        if (
            w in _NEGATIONS
            or w in _GENERIC
            or w in blocked
            or w in _NOT_SUBJECTS
            or w in _VERBS
            or abs(lex.get(w, 0.0)) >= 1.5
        ):
            continue
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return frozenset(out)


def _proper_nouns(texts: Sequence[str], rows: np.ndarray) -> frozenset[str]:
    """Words written capitalised in most of their occurrences inside sentences (at least 3):
    places, companies, people ("Chrome", "London")."""
    upper: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for i in rows:
        text = texts[i][:ANALYSIS_PREFIX]
        # words inside sentences: after a letter, digit or comma and a space
        for raw in _INSIDE.findall(text):
            total[raw.lower()] += 1
            if raw[0].isupper() and not raw.isupper():
                upper[raw.lower()] += 1
    return frozenset(w for w, n in total.items() if n >= 3 and upper[w] >= 0.7 * n)


_INSIDE = re.compile(r"(?<=[\w,;] )([^\W\d_][^\W_]*)")
ANALYSIS_PREFIX = 1200


def _topic_tone(rows: np.ndarray, polarity: np.ndarray | None) -> float:
    """Mean sentiment of a topic's texts (0 without sentiment)."""
    if polarity is None or not len(rows):
        return 0.0
    p = np.asarray(polarity, dtype=float)[rows]
    p = p[~np.isnan(p)]
    return float(p.mean()) if len(p) else 0.0


@lru_cache(maxsize=65536)
def phrase_tone(phrase: str) -> float:
    """The sentiment of a phrase on its own (VADER with the domain lexicon), in [-1, 1]."""
    from insightlib.qual.sentiment import text_sentiment

    value = float(text_sentiment([phrase])[0])
    return 0.0 if np.isnan(value) else value


def _tone_factor(phrase: str, tone: float) -> float:
    """Penalise a phrase whose tone contradicts its theme's; favour one that carries it.

    A complaint theme (mean sentiment <= -:data:`TONE_CLEAR`) must not be labelled with
    praise ("checkout is quick" for promo-code complaints), nor a praise theme with a
    complaint ("never on time" for "always on time").
    """
    if abs(tone) < TONE_CLEAR:
        return 1.0
    p = phrase_tone(phrase)
    if p * tone < 0 and abs(p) >= TONE_CLEAR:
        return 0.05
    if p * tone > 0 and abs(p) >= TONE_CLEAR:
        return 1.25
    return 1.0


def _form_factor(words: list[str], content: list[str]) -> float:
    """How well a phrase reads on its own: 0 for one ending in a word that needs more
    ("app that does", "fees keep going"), less for one that is mostly function words."""
    if (
        words[-1] in _DANGLING
        or words[-1] in _DANGLING_END
        or (len(words) > 1 and words[0] in _DANGLING)
    ):
        return 0.0
    if len(words) == 1:
        return 1.0
    share = len(content) / len(words)
    if _CONJUNCTIONS & set(words) and share < 2 / 3:
        return 0.5  # "slot and the driver": two things, neither said well
    return 1.0 if share >= 0.5 else 0.5 + share


_LENGTH_FACTOR = {1: 0.25, 2: 1.0, 3: 1.1, 4: 1.1, 5: 1.0}
_CONJUNCTIONS = frozenset({"and", "or", "but", "nor"})
MIN_VERBATIM = 3
TOP_WORDS = 3  # a label holds one of this many top words of its theme  # a label appears word for word in at least this many sampled texts
# words a label may not end with (they leave the phrase hanging) nor start with
_DANGLING = frozenset(
    "does did do is are was were be been being has have had get gets got make makes made "
    "take takes keep keeps going go goes want wants like said says would could should will "
    "half way bit lot kind sort much "
    "can very so too more than really just that which who the a an of to for with and or but "
    "my your our their its this these those".split()
)


# words a label may start with but not end with ("new design", not "looking for a new")
_DANGLING_END = frozenset({"new", "big", "old", "utter", "total"})


def _relevance(content: list[str], centroid: np.ndarray, index: dict[str, int]) -> float:
    """Centroid weight of a phrase's words: the mean of its most central word's weight and the
    average weight of all its content words, so that filler words ("said the refund") cost."""
    w = [float(centroid[index[k]]) if k in index else 0.0 for k in dict.fromkeys(content)]
    return (max(w) + sum(w) / len(w)) / 2 if w else 0.0


def _surface_form(label: str, texts: Sequence[str]) -> str:
    """The label with each word in its most common case inside sentences ("iPhone", "SMS")."""
    words = label.split(" ")
    forms: dict[str, Counter[str]] = {w: Counter() for w in words}
    alts = "|".join(re.escape(w).replace("'", "['’]") for w in sorted(set(words), key=len)[::-1])
    pattern = re.compile(rf"(?<![\w'’])(?:{alts})(?![\w'’])", re.IGNORECASE)
    for text in texts:
        for m in pattern.finditer(text[:ANALYSIS_PREFIX]):
            raw = m.group()
            low = raw.lower().replace("’", "'")
            # inside a sentence: not at the start of the text nor after . ! ?
            if m.start() == 0 or re.search(r"[.!?]\s*$", text[max(0, m.start() - 4) : m.start()]):
                continue
            if low in forms:
                forms[low][raw.replace("’", "'")] += 1
    out = []
    for w in words:
        common = forms[w].most_common()
        pick = w
        if common:
            top = max(c for _, c in common)
            pick = sorted(f for f, c in common if c == top)[-1]  # lower-case sorts last
        out.append(pick)
    return " ".join(out)
