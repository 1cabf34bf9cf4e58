"""Themes whose labels share a subject word merge when their topics share top terms (issue 13:
"open tabs" and "new tab" are one theme to a reader), and stay apart when they do not."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

import insightlib.qual.themes as T
from insightlib.qual.labels import Topic, subject_words

# planted texts: two ways of writing about tabs that vanish, one unrelated use of "tab"
_A = [f"open tabs vanish after restart number {i} lost windows" for i in range(12)]
_B = [f"every new tab vanish restart {i} windows lost" for i in range(10)]
_C = [f"purple tab bar colour ugly contrast {i}" for i in range(8)]


def _planted(labels: tuple[str, str, str]) -> tuple[list[Topic], object, np.ndarray]:
    texts = _A + _B + _C
    vec = TfidfVectorizer(token_pattern=r"[a-z]{3,}")
    x = vec.fit_transform(texts).tocsr()
    bounds = np.cumsum([0, len(_A), len(_B), len(_C)])
    topics = [
        Topic(label.replace(" ", "_"), label, (), np.arange(bounds[k], bounds[k + 1]))
        for k, label in enumerate(labels)
    ]
    return topics, x, np.array(vec.get_feature_names_out())


def test_labels_sharing_a_subject_word_and_terms_merge() -> None:
    topics, x, vocab = _planted(("open tabs", "new tab", "tab bar colour"))
    # the labels share "tab" but neither subject set holds the other's
    assert not subject_words("open tabs") <= subject_words("new tab")
    assert not subject_words("new tab") <= subject_words("open tabs")
    n = len(_A) + len(_B) + len(_C)
    out = T._merge_same_subject(topics, None, np.zeros(n, bool), frozenset(), x, vocab)
    by_label = {t.label: len(t.rows) for t in out}
    # the two tab-loss themes are one, under the larger part's label
    assert by_label == {"open tabs": len(_A) + len(_B), "tab bar colour": len(_C)}


def test_a_new_complaint_keeps_its_own_theme() -> None:
    topics, x, vocab = _planted(("open tabs", "new tab", "tab bar colour"))
    n = len(_A) + len(_B) + len(_C)
    current = np.zeros(n, bool)
    current[len(_A) : len(_A) + len(_B)] = True  # "new tab" texts are all from this period
    out = T._merge_same_subject(topics, None, current, frozenset(), x, vocab)
    assert sorted(t.label for t in out) == ["new tab", "open tabs", "tab bar colour"]


def test_labels_lent_by_the_epoch_model_are_merged_too(monkeypatch) -> None:
    """The epoch model can lend two themes labels of one subject: they merge after it."""
    rng = np.random.default_rng(3)
    kinds = [
        "the app crashes on launch every morning",
        "login code never arrives by sms",
        "dark mode colours look washed out",
        "search results load very slowly today",
    ]
    texts = [f"{kinds[k]} {rng.integers(1000)}" for k in rng.integers(0, len(kinds), 600)]
    frozen = np.zeros(len(texts), bool)
    frozen[:400] = True
    current = np.zeros(len(texts), bool)
    current[500:] = True

    def lend(topics, old, scope, old_share) -> None:  # two themes get labels of one subject
        found = [t for t in topics if not t.codebook and len(t.rows)]
        found[0].id, found[0].label = "tabs", "tabs"
        found[1].id, found[1].label = "lost_tabs", "lost tabs"

    monkeypatch.setattr(T, "_inherit", lend)
    res = T.find_themes(texts, current=current, frozen=frozen)
    labels = [t.label for t in res.topics if len(t.rows)]
    assert len(labels) >= 2
    assert "tabs" in labels and "lost tabs" not in labels, labels


def test_a_merged_theme_keeps_the_label_most_of_its_texts_hold() -> None:
    texts = [f"open tabbed windows vanish after restart number {i} lost" for i in range(12)]
    texts += [f"every new tab vanish restart {i} windows lost" for i in range(10)]
    vec = TfidfVectorizer(token_pattern=r"[a-z]{3,}")
    x = vec.fit_transform(texts).tocsr()
    vocab = np.array(vec.get_feature_names_out())
    topics = [
        Topic("pinned_tabs", "pinned tabs", (), np.arange(12)),  # larger, but no text says so
        Topic("lost_tab", "lost tab", (), np.arange(12, 22)),  # "lost" is in every text
    ]
    out = T._merge_same_subject(topics, None, np.zeros(22, bool), frozenset(), x, vocab)
    assert [(t.label, len(t.rows)) for t in out] == [("lost tab", 22)]
