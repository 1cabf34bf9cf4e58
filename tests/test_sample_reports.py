"""The sample's exported reports as a reader gets them (issue 14): method words only in the
collapsed "How we know" blocks, and each story's quotes from its own customers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

#: Names of tests, corrections and statistics: for "How we know", never for the prose.
METHOD_WORDS = re.compile(
    r"\bBH\b|Benjamini|Hochberg|\bdf\b|Mann|Kendall|\btau\b|q-value|p-value|\bp [<=]|z-test|"
    r"t-test|\bt with\b|prediction interval|overdispersion|false discovery|shares the words|"
    r"two-proportion|rate test|log-linear|Poisson|\bCI\b",
)


def _outside_how(page: str) -> str:
    """The page's visible text without scripts, styles, charts and ``<details>`` blocks."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S | re.I)
    while re.search(r"<details\b", page):
        page = re.sub(r"<details\b(?:(?!<details\b).)*?</details>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("name", ["team.html", "board.html", "digest.md"])
def test_method_words_only_in_how_we_know(sample_reports: Path, name: str) -> None:
    page = (sample_reports / name).read_text()
    prose = _outside_how(page)
    found = sorted({m[0] for m in METHOD_WORDS.finditer(prose)})
    assert not found, f"method words outside How we know in {name}: {found}"
    if name == "team.html":  # they are there, collapsed
        assert "Benjamini" in page and '<details class="how">' in page


def test_android_story_quotes_android_users(sample_reports: Path) -> None:
    team = (sample_reports / "team.html").read_text()
    m = re.search(
        r'<section[^>]*id="story-segment-driver-signup-completion-platform-android".*?</section>',
        team,
        flags=re.S,
    )
    assert m, "the sample's Android sign-up story"
    quotes = [html.unescape(q) for q in re.findall(r"<blockquote>“(.*?)”", m[0], flags=re.S)]
    assert quotes
    feedback = pd.read_csv(sample_reports.parents[1] / "ws" / "feedback.csv", dtype=str)
    for q in quotes:
        words = q.replace("…", "").strip()
        rows = feedback[feedback["text"].str.contains(re.escape(words[:40]), regex=True, na=False)]
        assert not rows.empty, q
        assert set(rows["platform"]) == {"android"}, (q, set(rows["platform"]))
