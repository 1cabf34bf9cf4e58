"""Evaluation of the qualitative step on real App Store reviews (``shared/realdata``).

Run ``python benchmarks/bench_qual_real.py`` from the repository root (the data are read from
``../shared/realdata/appstore_reviews.parquet`` or ``$INSIGHTLIB_REALDATA``; the script says so
and exits 0 when they are absent). No review text is stored in the repository.

For each known event of the data's README (and for quiet periods of the same apps, the null
twins) it runs :func:`insightlib.qual.analyse.analyse_feedback` on one app's reviews and prints:

- **label purity**: per theme, the share of its texts holding a content word of its label
  (any form of it: "crash" for "crashes"), averaged over themes (target ≥ 60%);
- **label coverage**: per theme, the share of its texts holding *every* content word of its
  label (any form), averaged over themes;
- **weak labels**: labels that name nothing a reader recognises (:func:`weak_label`): no
  content word that is not a feeling, an insult, a generic product word, a verb, an adverb
  or a word that needs what follows ("far", "needs to be taken", "app is trash", "able");
- **duplicate themes**: pairs of themes whose labels share a subject word
  (:func:`insightlib.qual.labels.subject_words`: not a feeling, a generic or product word,
  an adjective such as "new" or a common verb), all listed; and how many of them pair a
  praise theme with a complaint theme (mean sentiment at least 0.15 one way and the other),
  which the step keeps apart on purpose (they still count as duplicates);
- **emerging themes**: the ``emerging_theme`` findings, and whether one is about the known
  event (at least 30% of the theme's current-period texts match the README's keyword rule);
  in quiet periods the count of emerging themes (target: at most one);
- **quotes in period**: the share of quotes dated inside the reported period;
- **personal data in outputs**: PII found by :func:`insightlib.text.redact.find_pii` and raw
  patterns (e-mail, 7+ digit runs) in labels, terms and quotes (target: 0);
- the time of each run.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insightlib.qual.analyse import analyse_feedback  # noqa: E402
from insightlib.qual.labels import STOP_WORDS, subject_words  # noqa: E402
from insightlib.text.redact import find_pii  # noqa: E402
from insightlib.workspace.config import Config  # noqa: E402
from insightlib.workspace.periods import parse_period  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = (
    Path(os.environ.get("INSIGHTLIB_REALDATA", ROOT.parent / "shared" / "realdata"))
    / "appstore_reviews.parquet"
)

# (app, period, grain, README keyword rule of the event or None for a quiet period)
CASES = [
    ("Microsoft_Teams", "2020-04", r"\b(?:school|class(?:es)?|teachers?|students?|assignments?|homework)\b"),
    ("Google_Chrome", "2018-09", r"\b(?:design|layout|bottom|toolbar|redesign)\b"),
    ("Google_Drive", "2017-W24", r"\bbackground\b"),
    ("Gmail", "2019-W14", r"inbox by gmail|inbox app|google inbox|bring back inbox|miss inbox|\bbundles?\b"),
    ("Google_Chrome", "2021-05", r"palestin"),
    ("Microsoft_Teams", "2019-10", None),
    ("Google_Chrome", "2019-03", None),
    ("Google_Drive", "2019-W20", None),
    ("Gmail", "2018-W10", None),
    ("Google_Chrome", "2020-11", None),
]  # fmt: skip
ALIASES = {
    "Microsoft_Teams": ("Microsoft Teams", "Teams", "Microsoft"),
    "Google_Chrome": ("Google Chrome", "Chrome", "Google"),
    "Google_Drive": ("Google Drive", "Drive", "Google"),
    "Gmail": ("Gmail", "Google"),
}
_WORD = re.compile(r"[a-z][a-z'’]+")
_RAW_PII = re.compile(r"[\w.+-]+\s*@\s*[\w-]+\.[a-z]{2,}|\d(?:[ \-.]?\d){6,}", re.I)


def feedback_of(df: pd.DataFrame, app: str) -> pd.DataFrame:
    part = df[df["app"] == app]
    text = part["title"].fillna("").str.strip() + ". " + part["content"].fillna("")
    return pd.DataFrame(
        {
            "id": part["review_id"].astype(str),
            "created_at": part["created_at"],
            "source": "app_review",
            "text": text.str.strip(". "),
            "score": part["rating"].astype(float),
        }
    ).reset_index(drop=True)


def config(app: str, grain: str) -> Config:
    return Config(
        root=Path("."),
        path=Path("insight.toml"),
        project=ALIASES[app][0],
        sources={},
        segments=(),
        metrics={},
        grain=grain,
        aliases=ALIASES[app][1:],
    )


def _stems(words: set[str]) -> set[str]:
    return {w[:5] if len(w) > 5 else w for w in words}


def content_words(label: str) -> set[str]:
    return {w for w in _WORD.findall(label.lower()) if w not in STOP_WORDS and len(w) > 2}


def purity(label: str, texts: list[str]) -> float:
    want = _stems(content_words(label))
    if not want or not texts:
        return 0.0
    hit = sum(1 for t in texts if want & _stems(set(_WORD.findall(t.lower()))))
    return hit / len(texts)


def coverage(label: str, texts: list[str]) -> float:
    want = _stems(content_words(label))
    if not want or not texts:
        return 0.0
    return sum(1 for t in texts if want <= _stems(set(_WORD.findall(t.lower())))) / len(texts)


_ADVERBS = frozenset(
    "far already always never ever still even just really very quite rather pretty almost "
    "maybe perhaps often sometimes usually again back away anymore lately recently soon "
    "together well much more most less least enough".split()
)
# insults and words that need what follows them name no subject either
_EMPTY = _ADVERBS | frozenset(
    "trash garbage junk rubbish crap joke waste able unable new old thing".split()
)


def weak_label(label: str, product: frozenset[str]) -> bool:
    """A label naming nothing: its content words are all feelings, insults, generic or
    product words, verbs or adverbs (``subject_words`` keeps none, or only verbs/adverbs)."""
    from insightlib.qual.labels import _VERBS

    words = subject_words(label, product)
    return not {
        w
        for w in words
        if w not in _VERBS and w not in _EMPTY and len(w) > 2 and not w.endswith("ly")
    }


def pii_in(strings: list[str]) -> list[str]:
    found = []
    for s in strings:
        for kind, a, b in find_pii(s):
            found.append(f"{kind}: {s[a:b]}")
        found += [f"raw: {m.group()}" for m in _RAW_PII.finditer(s)]
    return found


def evaluate(df: pd.DataFrame, app: str, label: str, rule: str | None) -> dict:
    period = parse_period(label)
    fb = feedback_of(df, app)
    t0 = time.perf_counter()
    res = analyse_feedback(fb, config(app, period.grain), period)
    secs = time.perf_counter() - t0
    texts = dict(zip(fb["id"], fb["text"], strict=True))
    asg = res.assignments
    purities, covers, weak, dups, quotes_in, quotes_all, outputs = [], [], [], [], 0, 0, []
    product = frozenset(w.lower() for a in ALIASES[app] for w in a.split())
    words = [(t, subject_words(t.label, product)) for t in res.themes if t.count]
    polar = []  # the duplicate pairs whose themes are praise against complaint
    for i, (a, wa) in enumerate(words):
        for b, wb in words[i + 1 :]:
            if wa & wb:
                dups.append(f"{a.label} / {b.label}")
                if min(a.sentiment, b.sentiment) <= -0.15 and max(a.sentiment, b.sentiment) >= 0.15:
                    polar.append(f"{a.label} ({a.sentiment:+.2f}) / {b.label} ({b.sentiment:+.2f})")
    for t in res.themes:
        if not t.count:
            continue
        ids = asg.loc[asg["theme"] == t.id, "id"]
        purities.append(purity(t.label, [texts[i] for i in ids]))
        covers.append(coverage(t.label, [texts[i] for i in ids]))
        if weak_label(t.label, product):
            weak.append(t.label)
        for q in t.quotes:
            quotes_all += 1
            quotes_in += period.start <= q.date <= period.end
            outputs.append(q.text)
        outputs += [t.label, *t.terms]
    emerging = [f for f in res.findings if f.kind == "emerging_theme"]
    hit = None
    if rule:
        pat = re.compile(rule, re.I)
        cur = asg[pd.to_datetime(asg["created_at"]).dt.date.between(period.start, period.end)]
        for f in emerging:
            ids = cur.loc[cur["theme"] == f.theme, "id"]
            share = np.mean([bool(pat.search(texts[i])) for i in ids]) if len(ids) else 0.0
            if share >= 0.3:
                hit = f.details.get("label")
                break
    for f in res.findings:
        outputs.append(str(f.details.get("label", "")))
    return {
        "app": app,
        "period": label,
        "secs": secs,
        "n": int(len(fb)),
        "themes": [(t.label, t.count) for t in res.themes if t.count],
        "purity": float(np.mean(purities)) if purities else float("nan"),
        "purities": purities,
        "coverage": float(np.mean(covers)) if covers else float("nan"),
        "weak": weak,
        "dups": dups,
        "polar": polar,
        "emerging": [
            f"{f.details.get('label')} ({f.details.get('count_current')} vs "
            f"{f.details.get('count_baseline')})"
            for f in emerging
        ],  # fmt: skip
        "event": rule is not None,
        "hit": hit,
        "quotes_in": quotes_in / quotes_all if quotes_all else float("nan"),
        "pii": pii_in(outputs),
    }


def main() -> int:
    if not DATA.exists():
        print(f"real data not found at {DATA}; nothing to evaluate")
        return 0
    df = pd.read_parquet(DATA)
    rows = []
    for app, label, rule in CASES:
        r = evaluate(df, app, label, rule)
        rows.append(r)
        kind = "event" if r["event"] else "quiet"
        print(f"\n== {app} {label} ({kind}, {r['n']:,} reviews, {r['secs']:.1f} s)")
        print(f"   themes ({len(r['themes'])}): " + "; ".join(f"{a} {c}" for a, c in r["themes"]))
        print(f"   label coverage {r['coverage']:.0%}; weak labels {len(r['weak'])} {r['weak']}")
        print(f"   label purity {r['purity']:.0%}; duplicate themes {len(r['dups'])} "
              f"{r['dups'][:4]}; quotes in period {r['quotes_in']:.0%}")  # fmt: skip
        print(f"   emerging: {r['emerging']}")
        if r["event"]:
            print(f"   known event found: {'yes: ' + str(r['hit']) if r['hit'] else 'NO'}")
        print(f"   personal data in outputs: {len(r['pii'])} {r['pii'][:3]}")
    events = [r for r in rows if r["event"]]
    quiet = [r for r in rows if not r["event"]]
    print("\nSUMMARY")
    print(f"  mean label purity: {np.nanmean([r['purity'] for r in rows]):.0%} "
          f"(themes below 60%: {sum(p < 0.6 for r in rows for p in r['purities'])} of "
          f"{sum(len(r['purities']) for r in rows)})")  # fmt: skip
    print(f"  mean label coverage (texts holding every label word): "
          f"{np.nanmean([r['coverage'] for r in rows]):.0%}")  # fmt: skip
    print(f"  weak labels: {sum(len(r['weak']) for r in rows)} of "
          f"{sum(len(r['purities']) for r in rows)} {[w for r in rows for w in r['weak']]}")  # fmt: skip
    print(
        f"  duplicate theme pairs: {sum(len(r['dups']) for r in rows)} "
        f"{[d for r in rows for d in r['dups']]}"
    )
    print(f"    of which praise against complaint (mean sentiment <= -0.15 and >= 0.15): "
          f"{sum(len(r['polar']) for r in rows)} {[d for r in rows for d in r['polar']]}")  # fmt: skip
    print(f"  known events found: {sum(bool(r['hit']) for r in events)} of {len(events)}")
    print(f"  emerging themes in quiet periods: {[len(r['emerging']) for r in quiet]}")
    print(f"  quotes dated in period: {np.nanmean([r['quotes_in'] for r in rows]):.0%}")
    print(f"  personal data found in outputs: {sum(len(r['pii']) for r in rows)}")
    print(f"  time: {sum(r['secs'] for r in rows):.1f} s for {len(rows)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
