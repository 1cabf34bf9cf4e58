"""Theme labels name something a reader recognises: no bare adverbs, fragments or insults.

On real App Store reviews labels such as "far" (of "so far so good"), "needs to be taken",
"love to be able" and "app is trash" came out; a label must hold a subject word, one that
is not a verb, an adverb, a word that needs what follows it ("able", "new") or an insult.
The real-review check reads ``../shared/realdata`` (or ``$INSIGHTLIB_REALDATA``) and skips
when it is absent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from insightlib.qual.labels import _GENERIC, _form_factor, _names_something

BLOCKED = frozenset({"teams", "microsoft"}) | _GENERIC  # as label_topics blocks them
REAL = (
    Path(
        os.environ.get(
            "INSIGHTLIB_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"
        )
    )
    / "appstore_reviews.parquet"
)


@pytest.mark.parametrize(
    "label",
    [
        "far",
        "far so good",
        "needs to be taken",
        "does not work",
        "love to be able",
        "need to be able",
        "app is trash",
        "utter garbage",
        "total junk",
        "highly recommend",
        "absolutely love",
        "great way to stay",
        "wanna do",
        "looking",
        "today it's a mess",
    ],
)
def test_fragments_adverbs_and_insults_name_nothing(label: str) -> None:
    assert not _names_something(label.split(" "), BLOCKED, frozenset())


@pytest.mark.parametrize(
    "label",
    [
        "late delivery",
        "verification code",
        "refund delay",
        "new design",
        "app crashes",
        "delete conversations",
        "quick and easy",
        "dark mode",
        "online school",
        "layout is garbage",
    ],
)
def test_subjects_name_something(label: str) -> None:
    assert _names_something(label.split(" "), BLOCKED, frozenset())


def test_a_label_does_not_end_on_a_word_that_needs_what_follows() -> None:
    assert _form_factor("looking for a new".split(), ["looking", "new"]) == 0.0
    assert _form_factor("new tab".split(), ["new", "tab"]) == 1.0


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason=f"real data absent ({REAL})")
@pytest.mark.parametrize(
    ("app", "period"), [("Microsoft_Teams", "2020-04"), ("Google_Chrome", "2018-09")]
)
def test_real_reviews_get_no_weak_labels(app: str, period: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_qual_real as real

    r = real.evaluate(pd.read_parquet(REAL), app, period, None)
    assert len(r["themes"]) >= 10
    assert r["weak"] == []
