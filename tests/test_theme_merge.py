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
    topics, x, vocab = _planted(("lost tabs", "tab restore", "tab bar colour"))
    # the labels share "tab" but neither subject set holds the other's
    assert not subject_words("lost tabs") <= subject_words("tab restore")
    assert not subject_words("tab restore") <= subject_words("lost tabs")
    n = len(_A) + len(_B) + len(_C)
    out = T._merge_same_subject(topics, None, np.zeros(n, bool), frozenset(), x, vocab)
    by_label = {t.label: len(t.rows) for t in out}
    # the two tab-loss themes are one, under the larger part's label
    assert by_label == {"lost tabs": len(_A) + len(_B), "tab bar colour": len(_C)}


def test_adjectives_and_verbs_are_not_subjects() -> None:
    """ "new" and "open" say nothing about what a theme is about: "open tabs" and "new tab"
    are both about tabs, "new tab" and "new design" share no subject."""
    assert subject_words("open tabs") == subject_words("new tab") == {"tab"}
    assert not subject_words("new tab") & subject_words("love the new design")
    assert subject_words("looks like Safari") == {"safari"}
    assert subject_words("different browser") == {"browser"}
    assert subject_words("late delivery") == {"late", "delivery"}


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
        found[1].id, found[1].label = "open_tabs", "open tabs"

    monkeypatch.setattr(T, "_inherit", lend)
    res = T.find_themes(texts, current=current, frozen=frozen)
    labels = [t.label for t in res.topics if len(t.rows)]
    assert len(labels) >= 2
    assert "tabs" in labels and "open tabs" not in labels, labels


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


def _pair(a: list[str], b: list[str], labels: tuple[str, str], tone: bool = True):
    from insightlib.qual.sentiment import text_sentiment

    texts = a + b
    vec = TfidfVectorizer(token_pattern=r"[a-z]{3,}")
    x = vec.fit_transform(texts).tocsr()
    topics = [
        Topic(labels[0].replace(" ", "_"), labels[0], (), np.arange(len(a))),
        Topic(labels[1].replace(" ", "_"), labels[1], (), np.arange(len(a), len(texts))),
    ]
    polarity = text_sentiment(texts) if tone else None
    out = T._merge_same_subject(
        topics,
        polarity,
        np.zeros(len(texts), bool),
        frozenset(),
        x,
        np.array(vec.get_feature_names_out()),
        texts,
    )
    return sorted((t.label, len(t.rows)) for t in out)


def test_one_complaint_in_happy_and_angry_reviews_is_one_theme() -> None:
    """'Great app, but notifications don't work' lands on the praise side of the tone split;
    what it says about notifications is the complaint of the angry reviews: one theme."""
    same = "Notifications don't work on my phone, so I miss every message from my team"
    angry = [f"{same}. Awful app, I hate it {i}" for i in range(12)]
    happy = [f"{same}. Great app, I love it {i}" for i in range(10)]
    from insightlib.qual.sentiment import text_sentiment

    assert text_sentiment(angry).mean() < -0.3 < 0.3 < text_sentiment(happy).mean()
    assert _pair(angry, happy, ("no notifications", "notifications")) == [("no notifications", 22)]


def test_praise_and_complaint_about_one_subject_stay_apart() -> None:
    """Null twin: the same subject, close words, but one side praises what the other hates."""
    hate = [f"I hate the new design. The new design is ugly and awful {i}" for i in range(12)]
    love = [f"I love the new design. The new design is beautiful and great {i}" for i in range(10)]
    assert _pair(hate, love, ("hate the new design", "love the new design")) == [
        ("hate the new design", 12),
        ("love the new design", 10),
    ]


def test_one_shared_word_with_nothing_else_in_common_stays_apart() -> None:
    """Null twins: "tabs" and "tab bar colour" (one subject set inside the other) and "late
    delivery" and "delivery slots" (neither inside the other) are different things."""
    tabs = [f"tabs vanish after restart number {i} lost windows" for i in range(12)]
    bar = [f"purple tab bar colour ugly contrast {i}" for i in range(8)]
    assert _pair(tabs, bar, ("tabs", "tab bar colour"), tone=False) == [
        ("tab bar colour", 8),
        ("tabs", 12),
    ]
    late = [f"driver came two hours late again order {i} cold" for i in range(12)]
    slots = [f"no free slots this week to book {i} anywhere" for i in range(8)]
    assert _pair(late, slots, ("late delivery", "delivery slots"), tone=False) == [
        ("delivery slots", 8),
        ("late delivery", 12),
    ]
