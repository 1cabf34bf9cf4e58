"""Representative quotes: typical of their theme, different from each other, short and safe.

The texts handed in are already redacted (:func:`insightlib.text.redact.redact`); here quotes are
chosen (:func:`pick_quotes`) and cut (:func:`cut_quote`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from insightlib.qual.labels import WORD, _content

__all__ = ["pick_quotes", "cut_quote", "QUOTE_CHARS"]

QUOTE_CHARS = 160

_SENTENCE = re.compile(r"(?<=[.!?…])[\"”')\]]*\s+|\n+")


def cut_quote(text: str, terms: Sequence[str] = (), limit: int = QUOTE_CHARS) -> str:
    """``text`` shortened to at most ``limit`` characters at sentence boundaries.

    Keeps the sentence that holds most of ``terms`` (the theme's words) and as many
    neighbouring sentences as fit; marks cuts with "…". A single sentence longer than the limit
    is cut at a word boundary.

    >>> cut_quote("Hi. The code never arrives. I tried twice. Thanks", ["code"], limit=40)
    'Hi. The code never arrives. …'
    """
    text = re.sub(r"[ \t]+", " ", text.strip())
    if len(text) <= limit:
        return text
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    words = {w for t in terms for w in t.lower().split()}

    def weight(s: str) -> int:
        return sum(1 for w in WORD.findall(s.lower()) if w in words)

    scores = [weight(s) for s in sentences]
    i = int(np.argmax(scores)) if scores else 0
    lo, hi = i, i + 1
    length = len(sentences[i])
    while True:
        grown = False
        if hi < len(sentences) and length + 1 + len(sentences[hi]) <= limit - 4:
            length += 1 + len(sentences[hi])
            hi += 1
            grown = True
        if lo > 0 and length + 1 + len(sentences[lo - 1]) <= limit - 4:
            lo -= 1
            length += 1 + len(sentences[lo])
            grown = True
        if not grown:
            break
    body = " ".join(sentences[lo:hi])
    if len(body) > limit - 2:
        head = body[: limit - 2]
        if body[limit - 2 : limit - 1].strip() and " " in head:  # never cut inside a word
            head = head.rsplit(" ", 1)[0]
        body = head.rstrip(",;:- ") + " …"
        return ("… " if lo > 0 else "") + body
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(sentences) else "")


def pick_quotes(
    rows: np.ndarray,
    x: sparse.csr_matrix,
    centroid: np.ndarray,
    texts: Sequence[str],
    *,
    label: str = "",
    bonus: np.ndarray | None = None,
    k: int = 3,
    pool: int = 60,
    diversity: float = 0.25,
) -> list[int]:
    """Up to ``k`` row positions of typical yet mutually different texts of a theme.

    Typicality is the cosine similarity to ``centroid``, plus 0.1 × the share of the label's
    content words the text holds, plus ``bonus`` (per row; the caller favours recent texts),
    minus 0.3 for texts of fewer than 3 words. Where any text holds a content word of the
    label, only those texts are quoted (a quote is about its theme). Candidates are the ``pool`` most typical
    distinct texts; the first pick is the most typical, each next one maximises
    ``(1 - diversity) × typicality - diversity × similarity to those picked``, and texts too
    close to a pick (cosine >= 0.6) are skipped, unless that would leave a single quote.
    """
    if len(rows) == 0:
        return []
    sims = np.asarray(x[rows] @ centroid).ravel() if x.shape[1] else np.zeros(len(rows))
    words = [WORD.findall(texts[i].lower()) for i in rows]
    n_words = np.array([len(w) for w in words])
    label_words = set(_content(label.lower().split()))
    cover = np.array(
        [len(label_words & set(w)) / len(label_words) if label_words else 0.0 for w in words]
    )
    typical = sims + 0.1 * cover + (0.0 if bonus is None else bonus[rows])
    typical = typical - 0.3 * (n_words < 3)
    # about the theme: where any text holds a word of the label, only such texts are quoted
    about = cover > 0 if (cover > 0).any() else np.ones(len(rows), dtype=bool)
    typical = np.where(about, typical, -np.inf)
    order = np.lexsort((rows, -typical))
    seen: set[str] = set()
    cand: list[int] = []
    for j in order:
        if not about[j]:
            break
        key = " ".join(words[j])
        if not key or key in seen:
            continue
        seen.add(key)
        cand.append(int(j))
        if len(cand) >= pool:
            break
    if not cand:
        return []
    cx = x[rows[cand]]
    pair = np.asarray((cx @ cx.T).todense()) if x.shape[1] else np.eye(len(cand))
    chosen = [0]
    while len(chosen) < min(k, len(cand)):
        best, best_score = -1, -np.inf
        for c in range(len(cand)):
            if c in chosen:
                continue
            redundancy = max(pair[c, s] for s in chosen)
            if redundancy >= 0.6:
                continue
            score = (1 - diversity) * typical[cand[c]] - diversity * redundancy
            if score > best_score:
                best, best_score = c, score
        if best < 0:
            if len(chosen) < 2 and len(cand) > 1:  # near-identical texts: still show two
                best = min(
                    (c for c in range(len(cand)) if c not in chosen),
                    key=lambda c: (max(pair[c, s] for s in chosen), c),
                )
            else:
                break
        chosen.append(best)
    return [int(rows[cand[c]]) for c in chosen]
