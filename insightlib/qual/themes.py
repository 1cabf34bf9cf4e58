"""Themes of customer feedback: codebook matching, discovery, merging and stable ids.

:func:`find_themes` runs these steps (labels are chosen in :mod:`insightlib.qual.labels`, quotes in
:mod:`insightlib.qual.quotes`):

1. **Codebook.** A text that holds a keyword of a ``[themes.NAME]`` entry of insight.toml
   (case-insensitive, whole words) belongs to that theme; with several matches the theme with
   the most keyword hits wins, ties going to the order of the file. Codebook themes keep their
   key as id and their label.
2. **Discovery.** The other texts become TF-IDF vectors (words; English stop words and
   greetings removed; plus two tone features from the text sentiment, so that praise and
   complaints about the same thing tend to part) and are factorised with NMF
   (:class:`sklearn.decomposition.NMF`, deterministic ``nndsvda`` start; about
   ``sqrt(n / 6)`` topics, at most 40). For speed at most :data:`FIT_ROWS` distinct texts are
   used to fit (the current period's first, then a fixed hash-ordered sample); every text is
   assigned to the topic vector closest to it (cosine >= :data:`MIN_SIMILARITY`, otherwise it
   stays unthemed).
3. **New complaints** (:func:`_surge_topics`). Words and two-word phrases whose share of the
   current period's texts jumped against the baseline (held by at least 5 current texts, at
   least twice the baseline share, Fisher's exact one-sided mid-p, Benjamini–Hochberg q <= 0.05
   across the candidates) and that no topic is about yet form a topic of their own; the
   texts holding them join it. With segments, the search also runs inside each segment value
   (one app of several), BH across all candidates, and a word is new when it is mostly
   current among the texts where it surged (other apps may have used it for years). So a complaint that is small against the whole history, or that
   shares a word with an old theme ("SMS *code*" against "promo *code*"), still gets its theme.
4. **Merging and tone.** Topics with close member centroids (cosine >= :data:`MERGE_SIMILARITY`)
   merge. Then praise and complaints are parted (:func:`_tone_split`): a topic holding many of
   both ("always on time" and "never on time") splits in two, and texts whose tone opposes
   their topic's move to the closest topic of their own tone. Then topics that share a
   specific *core word* (not a word of feeling such as "love") and a tone merge
   (:func:`_core_merge`) — the pieces NMF cuts one complaint into when people word it
   differently. Topics that stay too small are dissolved; their texts join the next-closest
   topic or stay unthemed.
5. **Ids.** A discovered theme's id is the slug of its label (``"items_were_missing"``): ids
   follow content, not the order NMF found the topics in, so the same data gives the same
   ids. To keep them steady from one week to the next, where NMF may redraw the borders
   between neighbouring topics, a second model is fitted on the texts before the current
   *model epoch* (the calendar quarter, :func:`epoch_start`); it is the same for every run in
   the quarter, and each theme that mostly overlaps one of its themes takes that theme's id
   and label (:func:`_inherit`). New complaints keep their own names.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse, stats
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from insightlib.model import find_root
from insightlib.qual.labels import (
    _VEC_TOKEN,
    REDACTION,
    STOP_WORDS,
    WORD,
    Topic,
    _centroid,
    _stable_hash,
    _top_terms,
    label_topics,
    subject_words,
)
from insightlib.workspace.config import ThemeSpec

__all__ = [
    "Topic",
    "ThemeSet",
    "find_themes",
    "epoch_start",
    "match_codebook",
    "FIT_ROWS",
    "MIN_SIMILARITY",
    "MERGE_SIMILARITY",
]

POLARITY_WEIGHT = 0.3  # weight of the two tone features in the topic model
NMF_ITER = 400
NMF_TOL = 1e-4
MIN_TOPIC = 5  # fewest texts of a discovered theme
MIN_EPOCH_TEXTS = 200  # fewest texts before the epoch for the frozen model
EPOCH_ROWS = 4_000  # the frozen model reads at most this many texts (a fixed sample)
MIN_FEEDBACK_SURGE = 20  # fewest current (and baseline) texts for the surge pass
MIN_SURGE_TEXTS = 5  # fewest current texts holding a surging word or phrase
SURGE_RATIO = 2.0
SURGE_Q = 0.05
SURGE_JACCARD = 0.1
CORE_SHARE = 0.5  # a word held by this share of a topic's texts is one of its core words
CORE_MAX_DF = 0.3  # ... if at most this share of all texts hold it
AFFECT_VALENCE = 2.5  # VADER valence from which a word is a feeling, not a topic
SHARED_TERMS = 2  # topics whose labels share a subject word merge with this many top terms shared
SUBJECT_SIMILARITY = 0.2  # ... or with member centroids this close
ASPECT_SIMILARITY = 0.5  # centroids from which two topics' tone about their subject is compared
ASPECT_CLEAR = 0.15  # |tone about a subject| from which it is praise or complaint
CORE_TONE = 0.35  # topics merge on a shared core word only if their tones are this close
FIT_ROWS = 6_000  # distinct texts used to fit the vocabulary and NMF
MAX_FEATURES = 10_000
MIN_SIMILARITY = 0.12  # cosine(text, topic vector) needed to join a topic
MERGE_SIMILARITY = 0.7  # cosine between member centroids above which topics merge
TONE_STRONG = 0.25  # |sentiment| from which a text counts as praise or complaint
TONE_SHARE = 0.2  # each tone needs this share of a topic for the topic to split
ANALYSIS_CHARS = 3000  # texts are cut to this length for vectorising and labelling


# --------------------------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------------------------


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    parts = []
    for kw in sorted(keywords, key=len, reverse=True):
        words = [re.escape(w).replace("'", "['’]") for w in kw.lower().split()]
        parts.append(r"\s+".join(words))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def match_codebook(texts: pd.Series, themes: dict[str, ThemeSpec]) -> pd.Series:
    """The codebook theme of each text (``None`` where no keyword matches).

    >>> spec = {"otp": ThemeSpec("otp", "code never arrives", ("otp", "sms code"))}
    >>> match_codebook(pd.Series(["OTP never came", "hotpot", "the SMS  code!"]), spec).tolist()
    ['otp', None, 'otp']
    """
    texts = pd.Series(texts).fillna("").astype(str).reset_index(drop=True)
    result = pd.Series([None] * len(texts), dtype=object)
    if not themes or texts.empty:
        return result
    hits = np.zeros((len(texts), len(themes)), dtype=np.int64)
    for j, spec in enumerate(themes.values()):
        hits[:, j] = texts.str.count(_keyword_pattern(spec.keywords)).to_numpy()
    best = hits.argmax(axis=1)  # first maximum: ties go to the order in insight.toml
    names = np.array(list(themes), dtype=object)
    matched = hits.max(axis=1) > 0
    result[matched] = names[best[matched]]
    return result


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------


@dataclass
class ThemeSet:
    """What :func:`find_themes` returns.

    ``assignment`` holds each text's theme id (``None``: unthemed); ``vectors`` the
    l2-normalised TF-IDF rows (for quotes); ``centroids`` each theme's unit centroid.
    """

    topics: list[Topic]
    assignment: np.ndarray
    vectors: sparse.csr_matrix
    centroids: dict[str, np.ndarray]
    vocabulary: np.ndarray


class _Tokens:
    """Each distinct text tokenised once per run (lower case, :data:`_VEC_TOKEN`, stop words
    dropped: what the vectorisers' own analyser gives), shared by the vocabulary fit, the
    TF-IDF rows, the phrase features and the epoch model, which would otherwise tokenise
    the same long texts three or four times."""

    def __init__(self) -> None:
        self._analyse = TfidfVectorizer(
            lowercase=True, token_pattern=_VEC_TOKEN, stop_words=sorted(STOP_WORDS)
        ).build_analyzer()
        self._cache: dict[str, list[str]] = {}

    def words(self, text: str) -> list[str]:
        out = self._cache.get(text)
        if out is None:
            out = self._cache[text] = self._analyse(text)
        return out

    def pairs(self, text: str) -> list[str]:
        """Two-word phrases of consecutive kept words (sklearn's ``ngram_range=(2, 2)``)."""
        w = self.words(text)
        return [f"{a} {b}" for a, b in zip(w, w[1:], strict=False)]


def _vectorizer(n_fit: int, tokens: _Tokens) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=tokens.words,
        token_pattern=None,
        min_df=max(2, int(n_fit * 0.0005)),
        max_df=0.5,
        max_features=MAX_FEATURES,
        sublinear_tf=True,
        dtype=np.float32,
    )


def _fit_rows(texts: Sequence[str], has_text: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Positions of distinct texts to fit on: the current period first, then hash order."""
    frame = pd.DataFrame({"t": texts, "pos": np.arange(len(texts)), "cur": current, "ok": has_text})
    frame = frame[frame["ok"]]
    frame["key"] = frame["t"].str.lower().str.strip()
    frame = frame.drop_duplicates("key")
    frame["h"] = _stable_hash(frame["key"].tolist())
    frame = frame.sort_values(["cur", "h", "pos"], ascending=[False, True, True])
    cur_cap = FIT_ROWS // 2
    cur = frame[frame["cur"]].head(cur_cap)
    rest = frame.drop(index=cur.index).head(FIT_ROWS - len(cur))
    return np.sort(np.concatenate([cur["pos"].to_numpy(), rest["pos"].to_numpy()]))


def _transform(vec: TfidfVectorizer, texts: list[str], scope: np.ndarray) -> sparse.csr_matrix:
    """TF-IDF rows for the texts in ``scope`` (each distinct text vectorised once)."""
    pos = np.flatnonzero(scope)
    codes, uniques = pd.factorize(pd.Series([texts[i] for i in pos], dtype=object))
    xu = vec.transform(list(uniques)).tocsr() if len(uniques) else None
    out = sparse.csr_matrix((len(texts), len(vec.vocabulary_)), dtype=np.float32)
    if xu is None:
        return out
    pick = sparse.csr_matrix(
        (np.ones(len(pos), dtype=np.float32), (pos, codes)), shape=(len(texts), len(uniques))
    )
    return (pick @ xu).tocsr()


def _with_polarity(x: sparse.csr_matrix, polarity: np.ndarray | None) -> sparse.csr_matrix:
    if polarity is None or POLARITY_WEIGHT <= 0:
        return x
    pol = np.nan_to_num(np.asarray(polarity, dtype=np.float32), nan=0.0)
    tone = np.column_stack([np.clip(pol, 0, None), np.clip(-pol, 0, None)]) * POLARITY_WEIGHT
    return normalize(sparse.hstack([x, sparse.csr_matrix(tone)], format="csr"))


def _nmf_topics(x: sparse.csr_matrix, k: int) -> np.ndarray:
    """Unit-length NMF topic vectors (k × features); empty when the data cannot hold k topics."""
    k = min(k, x.shape[0] - 1, x.shape[1] - 1)
    if k < 2:
        return np.zeros((0, x.shape[1]), dtype=np.float32)
    model = NMF(n_components=k, init="nndsvda", max_iter=NMF_ITER, tol=NMF_TOL, random_state=0)
    with warnings.catch_warnings():  # an unconverged NMF still gives usable topics
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x)
    h = model.components_.astype(np.float32)
    h = h[np.linalg.norm(h, axis=1) > 0]
    return normalize(h)


def _n_topics(n: int) -> int:
    return int(np.clip(round(np.sqrt(n / 6)), 3, 40))


def _merge_groups(centroids: np.ndarray, pinned: int) -> list[int]:
    """Union-find over topics with centroid cosine >= MERGE_SIMILARITY.

    The first ``pinned`` rows are codebook themes: they are never merged with each other and
    absorb discovered topics close to them. Returns each topic's representative index.
    """
    n = len(centroids)
    parent = list(range(n))

    find = functools.partial(find_root, parent)

    if n < 2:
        return parent
    sims = centroids @ centroids.T
    pairs = [(sims[i, j], i, j) for i in range(n) for j in range(i + 1, n) if j >= pinned]
    for sim, i, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if sim < MERGE_SIMILARITY:
            break
        ri, rj = find(i), find(j)
        if ri == rj or (ri < pinned and rj < pinned):
            continue
        lo, hi = min(ri, rj), max(ri, rj)
        parent[hi] = lo
    return [find(i) for i in range(n)]


@dataclass
class _Model:
    """One discovery run: its topics (codebook first), TF-IDF rows and vocabulary."""

    topics: list[Topic]
    x: sparse.csr_matrix
    vocab: np.ndarray


def find_themes(
    texts: Sequence[str],
    *,
    current: np.ndarray,
    baseline: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
    codebook: dict[str, ThemeSpec] | None = None,
    min_share: float = 0.015,
    min_current: int = 5,
    polarity: np.ndarray | None = None,
    exclude: Sequence[str] = (),
    segments: Sequence[np.ndarray] = (),
) -> ThemeSet:
    """Codebook matching, discovery, merging, labels and ids for ``texts`` (already redacted).

    ``exclude``: the product's and company's names (``[project] name`` and ``aliases``),
    which never make a label on their own.

    Parameters
    ----------
    current, baseline
        Boolean masks of the texts of the current period and of the baseline periods; the
        surge pass (new complaints) compares the two.
    frozen
        Boolean mask of the texts before the *model epoch* (see :func:`epoch_start`). When it
        holds enough texts (:data:`MIN_EPOCH_TEXTS`, and a fifth of all), a second model is
        fitted on them alone; it does not change from one run to the next within the epoch,
        and each theme of the full model that mostly overlaps a theme of it takes that theme's
        id and label (:func:`_inherit`). This keeps ids steady from week to week even where
        NMF redraws the borders between neighbouring topics.
    min_share, min_current
        A discovered theme survives with at least ``min_share`` of the texts (and at least
        :data:`MIN_TOPIC` texts) or ``min_current`` texts in the current period; the texts of
        the others join their next-closest topic or stay unthemed.
    segments
        Per segment column, an integer code per text (its value; -1 when it has none). New
        complaints are also sought inside each segment value (:func:`_surge_topics`): a
        complaint of one app in a workspace of several is new *there*, even where other apps'
        texts used its words before.
    polarity
        Sentiment per text in [-1, 1]: two extra features (positive and negative tone,
        weighted by :data:`POLARITY_WEIGHT`) so that praise and complaints about the same
        thing tend to land in different themes; then :func:`_tone_split` parts what NMF
        still mixes, and labels must not contradict their theme's tone
        (:func:`insightlib.qual.labels.label_topics`).
    """
    codebook = codebook or {}
    n = len(texts)
    clean = [REDACTION.sub(" ", t[:ANALYSIS_CHARS]) for t in texts]
    has_text = np.array([bool(WORD.search(t)) for t in clean], dtype=bool)
    current = np.asarray(current, dtype=bool)
    baseline = np.zeros(n, bool) if baseline is None else np.asarray(baseline, dtype=bool)
    assignment = np.full(n, None, dtype=object)
    if not has_text.any():
        topics = [
            Topic(name, spec.label, spec.keywords, np.zeros(0, dtype=np.int64), True)
            for name, spec in codebook.items()
        ]
        return ThemeSet(topics, assignment, sparse.csr_matrix((n, 0)), {}, np.array([]))

    cb = match_codebook(pd.Series(clean), codebook).to_numpy(dtype=object, copy=True)
    cb[~has_text] = None
    product = frozenset(w for name in exclude for w in re.findall(r"[^\W_]+", name.lower()))
    args = dict(
        cb=cb,
        codebook=codebook,
        polarity=polarity,
        min_share=min_share,
        exclude=product,
        tokens=_Tokens(),
    )
    model = _discover(
        clean, has_text, current, baseline, min_current=min_current, segments=segments, **args
    )
    if frozen is not None:
        full = has_text & np.asarray(frozen, dtype=bool)
        n_full = int((full & (cb == None)).sum())  # noqa: E711
        scope = _epoch_sample(clean, full)
        n_free = int((scope & (cb == None)).sum())  # noqa: E711
        if n_full >= MIN_EPOCH_TEXTS and n_full >= 0.2 * int(has_text.sum()):
            none = np.zeros(n, dtype=bool)
            old = _discover(clean, scope, none, none, min_current=10**9, **args)
            _inherit(model.topics, old.topics, scope, n_free / max(int((cb == None).sum()), 1))  # noqa: E711
            model.topics = _dedupe_ids(model.topics)
            # inherited labels can name the same subject as a neighbour's: merge those too
            model.topics = _merge_same_subject(
                model.topics, polarity, current, product, model.x, model.vocab, clean
            )
    topics = model.topics
    for t in topics:
        assignment[t.rows] = t.id
    centroids = {t.id: _centroid(model.x, t.rows) for t in topics if len(t.rows)}
    for t in topics:
        if not t.codebook and t.id in centroids:
            t.terms = _top_terms(centroids[t.id], model.vocab)
    return ThemeSet(topics, assignment, model.x, centroids, model.vocab)


def _epoch_sample(texts: Sequence[str], scope: np.ndarray) -> np.ndarray:
    """At most :data:`EPOCH_ROWS` texts of ``scope``, chosen by a hash of their content (the
    same texts in every run of the epoch, so the epoch model stays the same)."""
    pos = np.flatnonzero(scope)
    if len(pos) <= EPOCH_ROWS:
        return scope
    h = _stable_hash([texts[i] for i in pos])
    keep = pos[np.sort(np.argsort(h, kind="stable")[:EPOCH_ROWS])]
    out = np.zeros(len(scope), dtype=bool)
    out[keep] = True
    return out


def epoch_start(day: date) -> date:
    """The first day of the calendar quarter holding ``day``: the start of the model epoch."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _discover(
    clean: list[str],
    scope: np.ndarray,
    current: np.ndarray,
    baseline: np.ndarray,
    *,
    cb: np.ndarray,
    codebook: dict[str, ThemeSpec],
    polarity: np.ndarray | None,
    min_share: float,
    min_current: int,
    exclude: frozenset[str] = frozenset(),
    tokens: _Tokens | None = None,
    segments: Sequence[np.ndarray] = (),
) -> _Model:
    """Vectorise, factorise, assign, merge and label the texts in ``scope``."""
    min_size = max(MIN_TOPIC, math.ceil(min_share * int(scope.sum())))
    tokens = tokens or _Tokens()
    fit_pos = _fit_rows(clean, scope, current)
    vec = _vectorizer(len(fit_pos), tokens)
    try:
        vec.fit([clean[i] for i in fit_pos])
    except ValueError:  # no term survives the document-frequency limits
        vec = TfidfVectorizer(token_pattern=_VEC_TOKEN, dtype=np.float32)
        vec.fit([clean[i] for i in fit_pos])
    vocab = vec.get_feature_names_out()
    x = _transform(vec, clean, scope)  # rows are l2-normalised; rows out of scope are empty
    xa = _with_polarity(x, polarity)

    free = scope & (cb == None)  # noqa: E711  (object array)
    fit_free = fit_pos[free[fit_pos]]
    if len(fit_free) >= 10:
        # k follows the number of texts (not of distinct texts: templated feedback has few)
        h = _nmf_topics(xa[fit_free], _n_topics(int(free.sum())))
    else:
        h = np.zeros((0, xa.shape[1]), dtype=np.float32)
    surge, surge_holds = _surge_topics(
        x, xa, free, current, baseline, h, vocab, clean, min_current, tokens, segments
    )
    n_nmf = len(h)
    if len(surge):
        h = np.vstack([h, surge])

    # assign free texts to the closest topic vector; dissolve small topics; repeat
    free_pos = np.flatnonzero(free)
    scores = np.asarray(xa[free_pos] @ h.T) if len(h) else np.zeros((len(free_pos), 0))
    # a text holding a surging new word belongs to that new topic, like a codebook keyword
    held = np.zeros(len(clean), dtype=bool)  # texts of a new complaint: kept whole
    for g, holds in enumerate(surge_holds):
        scores[holds[free_pos], n_nmf + g] = 2.0
        held |= holds
    alive = np.ones(len(h), dtype=bool)
    best = np.full(len(free_pos), -1)
    for _ in range(20):
        if not alive.any():
            best = np.full(len(free_pos), -1)
            break
        masked = np.where(alive[None, :], scores, -1.0)
        best = np.where(masked.max(axis=1) >= MIN_SIMILARITY, masked.argmax(axis=1), -1)
        sizes = np.bincount(best[best >= 0], minlength=len(h))
        cur_sizes = np.bincount(best[(best >= 0) & current[free_pos]], minlength=len(h))
        small = alive & (sizes < min_size) & (cur_sizes < min_current)
        small[n_nmf:] &= cur_sizes[n_nmf:] < MIN_SURGE_TEXTS  # a new complaint may be small
        if not small.any():
            break
        # dissolve the smaller half first, so that neighbours can absorb their texts
        drop = np.flatnonzero(small)
        alive[drop[np.argsort(sizes[drop], kind="stable")][: max(1, len(drop) // 2)]] = False

    names = list(codebook)
    members = [np.flatnonzero(scope & (cb == name)) for name in names]
    members += [free_pos[best == j] for j in range(len(h)) if alive[j] and (best == j).any()]
    pinned = len(names)
    cents = np.array([_centroid(x, m) if len(m) else np.zeros(x.shape[1]) for m in members])
    reps = _merge_groups(cents, pinned) if len(members) else []
    groups: dict[int, list[np.ndarray]] = {}
    for i, r in enumerate(reps):
        groups.setdefault(r, []).append(members[i])
    merged = {r: np.sort(np.concatenate(g)) for r, g in groups.items()}
    keys = sorted(merged)
    found = [r for r in keys if r >= pinned]
    pieces = _tone_split([merged[r] for r in found], x, polarity, min_size, held)
    # the pieces of a split topic get fresh keys after the existing ones
    next_key = (max(keys) + 1) if keys else 0
    for r in found:
        merged.pop(r)
    found = []
    for rows in pieces:
        merged[next_key] = rows
        found.append(next_key)
        next_key += 1
    # the tone split only takes wrong-toned texts out of topics big enough to stand: what
    # remains of them stands too, down to MIN_TOPIC texts
    standing = set(found)
    reps2 = _core_merge([merged[r] for r in found], x, scope, polarity, current, vocab)
    for r, rep in zip(found, reps2, strict=True):
        if found[rep] != r:
            merged[found[rep]] = np.union1d(merged[found[rep]], merged.pop(r))
    topics: list[Topic] = []
    for r in sorted(merged):
        rows = merged[r]
        if r < pinned:
            spec = codebook[names[r]]
            topics.append(Topic(spec.name, spec.label, spec.keywords, rows, True))
        elif (
            len(rows) >= min_size
            or int(current[rows].sum()) >= min_current
            or (r in standing and len(rows) >= MIN_TOPIC)
        ):
            topics.append(Topic("", "", (), rows, False))
    label_topics(topics, clean, scope, vocab, x, polarity, exclude=exclude)
    topics = _merge_same_subject(topics, polarity, current, exclude, x, vocab, clean)
    return _Model(_dedupe_ids(topics), x, vocab)


def _tone_split(
    groups: list[np.ndarray],
    x: sparse.csr_matrix,
    polarity: np.ndarray | None,
    min_size: int,
    held: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Part praise from complaints inside each discovered topic; returns the new topics.

    Words alone do not tell "always on time" from "never on time", or "delivery was fast"
    from "delivery was late": NMF often puts both in one topic, whose label and sentiment
    then mislead. A text is *positive* or *negative* when its sentiment is at least
    :data:`TONE_STRONG` either way. A topic with at least :data:`TONE_SHARE` of its texts (and
    :data:`MIN_TOPIC`) of each tone splits in two: the neutral texts join the part whose
    centroid is closer; the smaller part, if smaller than ``min_size``, does not stand alone
    but is re-homed like the texts below (the larger part keeps standing, whatever its size:
    it held the topic before). In a topic that does not split, the texts whose tone opposes
    its majority move to the closest topic of their own tone (cosine to its centroid at least
    :data:`MIN_SIMILARITY`) or, with none, leave it (unthemed) — if the topic has a clear
    tone (mean sentiment at least half of :data:`TONE_STRONG` either way, or twice as many
    texts of one tone as of the other): a topic of mixed opinions ("good service but
    pricey") keeps its texts. A topic most of whose texts are ``held`` (they hold a word or
    phrase of a new complaint) is left whole. Groups come back in order,
    a split topic's negative part first; empty groups are dropped.
    """
    if polarity is None or not groups:
        return [g for g in groups if len(g)]
    tone = np.nan_to_num(np.asarray(polarity, dtype=float), nan=0.0)
    pieces: list[np.ndarray] = []
    strays: list[np.ndarray] = []
    for rows in groups:
        if not len(rows):
            continue
        if held is not None and held[rows].mean() >= 0.5:
            pieces.append(rows)  # a new complaint stays whole, whatever else its texts say
            continue
        t = tone[rows]
        pos, neg = rows[t >= TONE_STRONG], rows[t <= -TONE_STRONG]
        n = len(rows)
        if min(len(pos), len(neg)) >= max(MIN_TOPIC, TONE_SHARE * n):
            neutral = rows[np.abs(t) < TONE_STRONG]
            c_neg, c_pos = _centroid(x, neg), _centroid(x, pos)
            if len(neutral):
                xn = x[neutral]
                closer_pos = np.asarray(xn @ c_pos).ravel() > np.asarray(xn @ c_neg).ravel()
                neg = np.sort(np.concatenate([neg, neutral[~closer_pos]]))
                pos = np.sort(np.concatenate([pos, neutral[closer_pos]]))
            # a part too small to stand alone joins the closest topic of its tone
            small, large = (neg, pos) if len(neg) < len(pos) else (pos, neg)
            pieces.append(large)
            (pieces if len(small) >= min_size else strays).append(small)
            continue
        minority = pos if len(pos) < len(neg) else neg
        major = max(len(pos), len(neg))
        clear = abs(float(t.mean())) >= TONE_STRONG / 2 or major >= 2 * len(minority)
        if len(minority) and clear and major > len(minority):
            strays.append(minority)
            rows = np.setdiff1d(rows, minority)
        pieces.append(rows)
    if not strays or not pieces:
        return [p for p in pieces if len(p)]
    cents = np.array([_centroid(x, p) for p in pieces])
    tones = np.array([float(tone[p].mean()) for p in pieces])
    stray = np.concatenate(strays)
    sims = np.asarray(x[stray] @ cents.T)
    agree = np.sign(tone[stray])[:, None] * tones[None, :] >= TONE_STRONG / 2
    sims = np.where(agree, sims, -1.0)
    best = sims.argmax(axis=1)
    ok = sims[np.arange(len(stray)), best] >= MIN_SIMILARITY
    for j in np.unique(best[ok]):
        pieces[j] = np.sort(np.concatenate([pieces[j], stray[ok & (best == j)]]))
    return [p for p in pieces if len(p)]


def mid_p_greater(x_c: np.ndarray, n_c: int, x_b: np.ndarray, n_b: int) -> np.ndarray:
    """One-sided mid-p of Fisher's exact test that the current share exceeds the baseline's.

    Conditional on the total count ``K = x_c + x_b``, ``x_c`` is hypergeometric (``n_c`` draws
    from ``n_c + n_b`` texts, ``K`` of them holding the word); the mid-p is
    ``P(X > x_c) + P(X = x_c) / 2`` (less conservative than Fisher's p, close to nominal size).

    >>> float(mid_p_greater(np.array([6]), 29, np.array([3]), 124)[0]) < 0.001
    True
    """
    x_c = np.asarray(x_c, dtype=np.int64)
    k = x_c + np.asarray(x_b, dtype=np.int64)
    n = n_c + n_b
    return stats.hypergeom.sf(x_c, n, k, n_c) + 0.5 * stats.hypergeom.pmf(x_c, n, k, n_c)


def _phrase_matrix(
    clean: list[str], rows: np.ndarray, fit_rows: np.ndarray, min_df: int, tokens: _Tokens
):
    """Binary two-word phrase features (stop words dropped) of ``rows``, fitted on ``fit_rows``."""
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(
        analyzer=tokens.pairs,
        token_pattern=None,
        min_df=min_df,
        binary=True,
        dtype=np.float32,
    )
    try:
        vec.fit([clean[i] for i in fit_rows])
    except ValueError:  # no phrase reaches min_df
        return None, np.array([])
    return vec.transform([clean[i] for i in rows]).tocsr(), vec.get_feature_names_out()


def _surge_topics(
    x: sparse.csr_matrix,
    xa: sparse.csr_matrix,
    free: np.ndarray,
    current: np.ndarray,
    baseline: np.ndarray,
    h: np.ndarray,
    vocab: np.ndarray,
    clean: list[str],
    min_current: int,
    tokens: _Tokens,
    segments: Sequence[np.ndarray] = (),
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Topic vectors for words and phrases that surged in the current period, no topic's yet.

    The search runs over all texts and, with ``segments``, inside each segment value that has
    at least :data:`MIN_FEEDBACK_SURGE` texts in both windows (one app of a workspace of
    several). In each, candidates are the words and two-word phrases that at least
    :data:`MIN_SURGE_TEXTS` current texts hold (and a hundredth of them), whose current share
    is at least :data:`SURGE_RATIO` times the baseline share. Each gets an exact one-sided test
    (:func:`mid_p_greater`: Fisher's mid-p), and Benjamini–Hochberg across all candidates of
    all of them keeps those with q <= :data:`SURGE_Q`. So 6 of 29 reviews against 3 of 124 is
    found; the per-period theme test in :mod:`insightlib.qual.analyse` then decides whether it
    is reported. Surging features that share texts (Jaccard >= :data:`SURGE_JACCARD`) form a
    group, possibly through a word a topic already owns (one of its top five words, such as
    "code"). A group's *new* features are its surging ones that no topic owns (a phrase is
    owned when all its words are) and that mostly (at least half of their texts) occur in the
    current period — among the texts where they surged: all texts, or the segment value's
    (a word other apps' reviews used for years is still new in the one app where it surges).
    Each group with new features becomes a topic: its vector is the centroid of the current
    texts holding one, without the words other topics own (so that "promo code" texts are not
    pulled in by "code"), and every current or baseline text holding a new feature (and every
    older one holding a new word) joins it, as with a codebook keyword — inside the segment
    value where the feature is new. Returns the vectors and, per group, a mask of the texts
    that join it.
    """
    cur, base = free & current, free & baseline
    n_c, n_b = int(cur.sum()), int(base.sum())
    empty: tuple[np.ndarray, list[np.ndarray]] = (np.zeros((0, xa.shape[1]), np.float32), [])
    if n_c < MIN_FEEDBACK_SURGE or n_b < MIN_FEEDBACK_SURGE or x.shape[1] == 0:
        return empty
    # where to look: everyone, then each segment value with enough texts in both windows
    units: list[np.ndarray] = [np.ones(len(free), dtype=bool)]
    for codes in segments:
        codes = np.asarray(codes)
        for v in np.unique(codes[cur & (codes >= 0)]):
            m = codes == v
            if min(int((cur & m).sum()), int((base & m).sum())) >= MIN_FEEDBACK_SURGE:
                units.append(m)
    floors = [max(MIN_SURGE_TEXTS, math.ceil(0.01 * int((cur & m).sum()))) for m in units]
    window = np.flatnonzero(cur | base)
    binary = (x > 0).astype(np.float32).tocsr()
    words_w = binary[window]
    phr, phr_names = _phrase_matrix(clean, window, np.flatnonzero(cur), min(floors), tokens)
    feats = words_w if phr is None else sparse.hstack([words_w, phr], format="csr")
    names = np.concatenate([vocab.astype(str), np.asarray(phr_names, dtype=str)])
    nv = len(vocab)
    in_cur = cur[window]
    n_feats = feats.shape[1]
    counts_c, counts_all, pvals = [], [], []
    for u, m in enumerate(units):
        mw = m[window]
        c_rows, b_rows = in_cur & mw, ~in_cur & mw
        nc_u, nb_u = int(c_rows.sum()), int(b_rows.sum())
        xc_u = np.asarray(feats[c_rows].sum(axis=0)).ravel()
        xb_u = np.asarray(feats[b_rows].sum(axis=0)).ravel()
        tested = (xc_u >= floors[u]) & (xc_u / nc_u >= SURGE_RATIO * xb_u / nb_u)
        p = np.full(n_feats, np.nan)
        if tested.any():
            p[tested] = mid_p_greater(xc_u[tested], nc_u, xb_u[tested], nb_u)
        words_all = np.asarray(binary[free & m].sum(axis=0)).ravel()
        counts_c.append(xc_u)
        counts_all.append(np.concatenate([words_all, xc_u[nv:] + xb_u[nv:]]))
        pvals.append(p)
    p_all = np.concatenate(pvals)
    is_tested = ~np.isnan(p_all)
    if not is_tested.any():
        return empty
    q_all = np.ones_like(p_all)
    q_all[is_tested] = stats.false_discovery_control(np.clip(p_all[is_tested], 0, 1), method="bh")
    surging_in = (is_tested & (q_all <= SURGE_Q)).reshape(len(units), n_feats)
    surging = surging_in.any(axis=0)
    if not surging.any():
        return empty
    owned_word = np.zeros(nv, dtype=bool)
    for row in h:
        owned_word[np.argsort(-row[:nv], kind="stable")[:5]] = True
    index = {w: i for i, w in enumerate(vocab.astype(str))}
    owned = np.concatenate(
        [
            owned_word,
            np.array(
                [all(owned_word[index[w]] if w in index else False for w in n.split())
                 for n in names[nv:]], dtype=bool),
        ]
    )  # fmt: skip
    # new where it surged: held mostly by current texts of that unit
    new_in = np.array(
        [surging_in[u] & ~owned & (counts_c[u] >= counts_all[u] / 2) for u in range(len(units))]
    )
    feats_idx = np.flatnonzero(surging)
    if not new_in.any():
        return empty
    cur_local = np.flatnonzero(in_cur)
    docs = feats[cur_local][:, feats_idx].T.tocsr()  # features × current texts
    inter = np.asarray((docs @ docs.T).todense())
    size = np.diag(inter)
    jaccard = inter / np.maximum(size[:, None] + size[None, :] - inter, 1)
    parent = list(range(len(feats_idx)))

    find = functools.partial(find_root, parent)

    for i in range(len(feats_idx)):
        for j in range(i + 1, len(feats_idx)):
            if jaccard[i, j] >= SURGE_JACCARD:
                parent[find(j)] = find(i)
    # the topic each window text is closest to, and which topics surged themselves: a group
    # whose texts mostly sit in a topic that surged is part of that complaint, not a new one
    if len(h):
        sims = np.asarray(xa[window] @ h.T)
        near = np.where(sims.max(axis=1) >= MIN_SIMILARITY, sims.argmax(axis=1), -1)
    else:
        near = np.full(len(window), -1)
    t_c = np.bincount(near[in_cur & (near >= 0)], minlength=len(h)) / n_c
    t_b = np.bincount(near[~in_cur & (near >= 0)], minlength=len(h)) / n_b
    topic_surged = t_c >= SURGE_RATIO * np.maximum(t_b, 1e-9)

    def where_new(f: int) -> np.ndarray:
        """The texts among which feature ``f`` is new (all, or its segment values')."""
        if new_in[0, f]:
            return units[0]
        return np.logical_or.reduce([units[u] for u in np.flatnonzero(new_in[:, f])])

    vectors = []
    groups: list[np.ndarray] = []
    for root in sorted({find(i) for i in range(len(feats_idx))}):
        new = [
            int(feats_idx[i])
            for i in range(len(feats_idx))
            if find(i) == root and new_in[:, feats_idx[i]].any()
        ]
        if not new:
            continue
        scope = {f: where_new(f) for f in new}
        hold_w = np.zeros(len(window), dtype=bool)
        for f in new:
            hold_w |= (feats[:, f].toarray().ravel() > 0) & scope[f][window]
        rows = window[hold_w & in_cur]
        floor = min(floors[u] for f in new for u in np.flatnonzero(new_in[:, f]))
        if len(rows) < floor:
            continue
        homes = near[hold_w & in_cur]
        homes = homes[homes >= 0]
        if len(homes):
            top = int(np.bincount(homes).argmax())
            if topic_surged[top] and (homes == top).sum() >= 0.5 * len(rows):
                continue  # a new wording of a complaint a topic already holds
        holds = np.zeros(len(free), dtype=bool)
        holds[window[hold_w]] = True
        for f in new:
            if f < nv:  # older texts holding a new word join too (where it is new)
                holds |= free & scope[f] & (binary[:, f].toarray().ravel() > 0)
        c = np.asarray(xa[rows].mean(axis=0)).ravel()
        c[:nv][owned_word] = 0.0  # words other topics own ("code") must not pull their texts
        vectors.append(c / max(np.linalg.norm(c), 1e-12))
        groups.append(holds & free)
    if not vectors:
        return empty
    return np.array(vectors, dtype=np.float32), groups


def _affect_words(vocab: np.ndarray) -> np.ndarray:
    """Which vocabulary words are strong general feelings ("love", "great", "terrible").

    Words of VADER's lexicon with a valence of at least :data:`AFFECT_VALENCE` either way say
    how people feel, not what about: two topics that share "love" are not one topic.
    """
    from insightlib.qual.sentiment import _analyzer

    lex = _analyzer().lexicon
    return np.array([abs(lex.get(str(w), 0.0)) >= AFFECT_VALENCE for w in vocab], dtype=bool)


def _core_merge(
    groups: list[np.ndarray],
    x: sparse.csr_matrix,
    scope: np.ndarray,
    polarity: np.ndarray | None,
    current: np.ndarray,
    vocab: np.ndarray,
) -> list[int]:
    """Union topics that share a *core word* and a tone; returns each topic's representative.

    A core word of a topic is one that at least :data:`CORE_SHARE` of its texts hold. Two
    topics merge when they share a core word that is specific (held by at most
    :data:`CORE_MAX_DF` of all texts) and their mean tones differ by at most
    :data:`CORE_TONE`; words of strong general feeling ("love", "great") are not core words
    (:func:`_affect_words`). This joins the pieces NMF cuts one complaint into when people word it
    differently ("Where is my refund?", "Support promised a refund"), while "app crashes"
    and "easy app" (tones apart) or themes sharing only a common word stay apart. A topic
    that is new (at least half of its texts from the current period) never merges with one
    whose current share is less than 1/2.5 of its own: "the SMS code never arrives" is not
    "the promo code does not work", and their timing says so. Merges chain only while a
    shared word stays a core word of the merged whole: a small topic of mixed texts ("driver
    late, no message", "app keeps crashing") does not join two complaints into one.
    """
    n = len(groups)
    parent = list(range(n))
    if n < 2 or x.shape[1] == 0:
        return parent
    binary = (x > 0).astype(np.float32).tocsr()
    in_scope = np.flatnonzero(scope)
    df = np.asarray(binary[in_scope].sum(axis=0)).ravel() / max(len(in_scope), 1)
    specific = (df <= CORE_MAX_DF) & ~_affect_words(vocab)
    tone = np.zeros(len(scope)) if polarity is None else np.nan_to_num(polarity, nan=0.0)
    cores = []
    tones = []
    fresh: list[float] = []
    for rows in groups:
        share = np.asarray(binary[rows].sum(axis=0)).ravel() / max(len(rows), 1)
        cores.append(set(np.flatnonzero((share >= CORE_SHARE) & specific)))
        tones.append(float(tone[rows].mean()) if len(rows) else 0.0)
        fresh.append(float(current[rows].mean()) if len(rows) else 0.0)

    find = functools.partial(find_root, parent)

    rows_of = {i: groups[i] for i in range(n)}  # each union's texts, under its root
    for i in range(n):
        for j in range(i + 1, n):
            hi, lo = max(fresh[i], fresh[j]), min(fresh[i], fresh[j])
            apart = hi >= 0.5 and hi >= 2.5 * lo
            shared = cores[i] & cores[j]
            if shared and abs(tones[i] - tones[j]) <= CORE_TONE and not apart:
                ri, rj = find(i), find(j)
                if ri == rj:
                    continue
                # the shared word must stay a core word of the union: a small mixed topic
                # ("driver late" and "app crashing" texts) must not chain two complaints
                both = np.union1d(rows_of[ri], rows_of[rj])
                held = np.asarray(binary[both][:, sorted(shared)].sum(axis=0)).ravel()
                if held.max() < CORE_SHARE * len(both):
                    continue
                root, child = min(ri, rj), max(ri, rj)
                parent[child] = root
                rows_of[root] = both
    return [find(i) for i in range(n)]


def _merge_same_subject(
    topics: list[Topic],
    polarity: np.ndarray | None,
    current: np.ndarray,
    exclude: frozenset[str],
    x: sparse.csr_matrix | None = None,
    vocab: np.ndarray | None = None,
    texts: Sequence[str] | None = None,
) -> list[Topic]:
    """Merge discovered topics whose labels name the same subject.

    Two topics are candidates when their labels' subject words
    (:func:`insightlib.qual.labels.subject_words`: "browser" of "great browser", "tab" of
    "open tabs" and of "new tab") overlap, and neither is a new complaint the other is not
    (the freshness guard of :func:`_core_merge`). A candidate pair merges when

    - their subject words are the same ("great browser", "favorite browser"; "open tabs",
      "new tab"); or one set holds the other's and the topics are about the same things
      (given ``x`` and ``vocab``: they share :data:`SHARED_TERMS` top terms that are not the
      product's names or generic words, or their member centroids have a cosine of at least
      :data:`SUBJECT_SIMILARITY`; "tab bar colour" is not "lost tabs" because both say
      "tab"); or neither holds the other's and the topics share :data:`SHARED_TERMS` of their
      top terms;
    - and they have the same polarity: their mean tones are within :data:`CORE_TONE`, or,
      for topics whose centroids are close (cosine >= :data:`ASPECT_SIMILARITY`, given
      ``texts``), what their texts say *about the shared subject* has the same polarity
      (:func:`_aspect_tone`: complaint, praise or neutral). The tone split parts texts by
      their overall tone, and a 4-star review that says "great app, but notifications don't
      work" lands on the praise side although it complains about notifications; "love the
      new design" and "hate the new design" stay apart.

    The merged theme keeps the label held by most of its texts (:func:`_label_held`), then
    that of its largest part."""
    found = [t for t in topics if not t.codebook and len(t.rows)]
    if len(found) < 2:
        return topics
    tone = np.zeros(len(current)) if polarity is None else np.nan_to_num(polarity, nan=0.0)
    keys = [subject_words(t.label, exclude) for t in found]
    has_x = x is not None and vocab is not None
    cents = [_centroid(x, t.rows) for t in found] if has_x else None
    raw_terms = [set(_top_terms(c, vocab)) for c in cents] if cents is not None else None
    plain = _GENERIC_TERMS | exclude
    terms = [t - plain for t in raw_terms] if raw_terms is not None else []
    tones = [float(tone[t.rows].mean()) for t in found]
    fresh = [float(current[t.rows].mean()) for t in found]
    parent = list(range(len(found)))

    find = functools.partial(find_root, parent)
    aspect: dict[tuple[int, frozenset[str]], float] = {}

    def aspect_of(i: int, words: frozenset[str]) -> float:
        if (i, words) not in aspect:
            aspect[i, words] = _aspect_tone(found[i].rows, words, texts or [])
        return aspect[i, words]

    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            shared = keys[i] & keys[j]
            if not shared:
                continue
            hi, lo = max(fresh[i], fresh[j]), min(fresh[i], fresh[j])
            if hi >= 0.5 and hi >= 2.5 * lo:
                continue  # a new complaint keeps its own theme
            cos = float(cents[i] @ cents[j]) if cents is not None else 1.0
            if keys[i] != keys[j]:
                if raw_terms is None:
                    if not (keys[i] <= keys[j] or keys[j] <= keys[i]):
                        continue
                elif keys[i] <= keys[j] or keys[j] <= keys[i]:
                    # "tab bar colour" is not "lost tabs" because both say "tab"
                    common = len(terms[i] & terms[j])
                    if common < SHARED_TERMS and cos < SUBJECT_SIMILARITY:
                        continue
                elif len(raw_terms[i] & raw_terms[j]) < SHARED_TERMS:
                    continue
            if abs(tones[i] - tones[j]) > CORE_TONE:
                if texts is None or cos < ASPECT_SIMILARITY:
                    continue
                a, b = aspect_of(i, shared), aspect_of(j, shared)
                if np.isnan(a) or np.isnan(b) or _polarity_class(a) != _polarity_class(b):
                    continue
            parent[find(j)] = find(i)
    merged: dict[int, list[Topic]] = {}
    for i, t in enumerate(found):
        merged.setdefault(find(i), []).append(t)
    keep = {id(t) for t in topics if t.codebook or not len(t.rows)}
    out = [t for t in topics if id(t) in keep]
    col = {str(w): k for k, w in enumerate(vocab)} if vocab is not None else {}
    for parts in merged.values():
        rows = np.unique(np.concatenate([t.rows for t in parts]))
        main = max(parts, key=lambda t: (_label_held(t.label, rows, x, col), len(t.rows), t.label))
        main.rows = rows
        out.append(main)
    return out


# top terms that say nothing about what two topics share ("app", "great", "use")
_GENERIC_TERMS = frozenset(
    "app apps good great nice love like use using used it’s it's don’t don't work works "
    "working really best awesome amazing easy new update".split()
)
_SENTENCE = re.compile(r"[^.!?\n]+")
ASPECT_SAMPLE = 200  # texts per topic read for the tone of what they say about a subject


def _aspect_tone(rows: np.ndarray, words: frozenset[str], texts: Sequence[str]) -> float:
    """Mean sentiment of the sentences of ``rows`` (a fixed sample of
    :data:`ASPECT_SAMPLE`) that name one of ``words`` (or its plural): what the texts say
    about that subject, not about everything else. ``NaN`` when no sentence names it."""
    from insightlib.qual.labels import _sample
    from insightlib.qual.sentiment import text_sentiment

    if not len(texts) or not words:
        return float("nan")
    alts = "|".join(re.escape(w) + r"(?:e?s)?" for w in sorted(words))
    pattern = re.compile(rf"(?<![\w'’])(?:{alts})(?![\w'’])", re.IGNORECASE)
    sentences = [
        s
        for i in _sample(rows, texts, ASPECT_SAMPLE)
        for s in _SENTENCE.findall(texts[i][:ANALYSIS_CHARS])
        if pattern.search(s)
    ]
    if not sentences:
        return float("nan")
    values = text_sentiment(sentences)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def _polarity_class(value: float) -> int:
    """-1 (complaint), 0 (neutral) or 1 (praise) by :data:`ASPECT_CLEAR`."""
    return 0 if abs(value) < ASPECT_CLEAR else (1 if value > 0 else -1)


def _label_held(label: str, rows: np.ndarray, x: sparse.csr_matrix | None, col: dict) -> int:
    """How many of ``rows`` hold a word of ``label`` (any of "tab", "tabs"), where ``x`` and
    its vocabulary ``col`` are given (0 otherwise): a merged theme keeps the label of its
    part that most of its texts are about."""
    if x is None or not col or len(parts := label.lower().split()) == 0:
        return 0
    forms = {f for w in parts for f in (w, w + "s", w[:-1] if w.endswith("s") else w)}
    cols = [col[f] for f in forms if f in col]
    if not cols:
        return 0
    return int((x[rows][:, cols].getnnz(axis=1) > 0).sum())


def _inherit(topics: list[Topic], old: list[Topic], scope: np.ndarray, old_share: float) -> None:
    """Give each discovered topic the id and label of the epoch topic it mostly overlaps.

    A topic inherits when at least half of its texts from before the epoch belong to one epoch
    topic, those texts are at least 30% of that epoch topic, and the topic is not a newcomer:
    its share of texts from before the epoch is at least half of ``old_share``, that share
    over all free texts (a complaint that took off this quarter gets a name of its own).
    """
    old_found = [o for o in old if not o.codebook and len(o.rows)]
    if not old_found:
        return
    owner = np.full(len(scope), -1)
    for k, o in enumerate(old_found):
        owner[o.rows] = k
    for t in topics:
        if t.codebook:
            continue
        before = t.rows[scope[t.rows]]
        if len(before) < MIN_TOPIC or len(before) < 0.5 * old_share * len(t.rows):
            continue
        hits = np.bincount(owner[before][owner[before] >= 0], minlength=len(old_found))
        k = int(hits.argmax())
        # most of the topic's old texts sit in one epoch topic, and they are a good part of it
        if hits[k] >= 0.5 * len(before) and hits[k] >= 0.3 * len(old_found[k].rows):
            t.id, t.label = old_found[k].id, old_found[k].label


def _dedupe_ids(topics: list[Topic]) -> list[Topic]:
    """Merge discovered topics that ended up with the same label; keep ids unique."""
    by_id: dict[str, Topic] = {}
    out: list[Topic] = []
    for t in topics:
        if t.codebook:
            by_id[t.id] = t
            out.append(t)
    for t in topics:
        if t.codebook:
            continue
        if t.id in by_id and by_id[t.id].codebook:  # a found label that slugs to a codebook key
            t.id = f"{t.id}_found"
        if t.id in by_id:
            keep = by_id[t.id]
            keep.rows = np.union1d(keep.rows, t.rows)
            continue
        by_id[t.id] = t
        out.append(t)
    return out
