"""Precision and recall of evidence links: which notes fusion credits as the cause of a change.

Two parts, each printing links made, right, wrong and missed:

1. **Planted scenarios** (always run, a second): findings with a known cause and decoy notes of
   the same week and segment with unrelated text, routine notes ("bug fixes"), no-change notes
   ("price confirmed, no change"), a fix released after the drop, an outside cause (nothing
   should be credited) and a mix-driven change; each scenario also runs as a null twin without
   its true note, where every link is wrong.
2. **App Store data** (``../shared/realdata`` or ``$INSIGHTLIB_REALDATA``; skipped when absent,
   about 3 minutes): reviews as feedback and events (``app`` as the segment; a review event and
   a low-rating event for 1-2 stars), releases as knowledge (kind ``release``). For the weeks of
   the known events in the data's README, the release each should credit (or none, for outside
   causes and the mix change of July 2018) is compared with what fusion credits on that app's
   findings. Review texts are read from the data folder, never copied.

Run: ``python benchmarks/bench_evidence.py [--planted-only]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from insightlib.fuse import fuse
from insightlib.model import Driver, Finding
from insightlib.workspace.config import Config, MetricSpec
from insightlib.workspace.periods import parse_period

ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("INSIGHTLIB_REALDATA", ROOT.parent / "shared" / "realdata"))
PERIOD = parse_period("2026-W47")
BASE = (date(2026, 10, 19), date(2026, 11, 15))


# ==========================================================================================
# Scoring
# ==========================================================================================
@dataclass
class Score:
    made: int = 0
    right: int = 0
    wrong: int = 0
    missed: int = 0
    wrong_titles: list[str] = field(default_factory=list)

    def add(self, credited: set[str], expected: set[str], label: str = "") -> None:
        self.made += len(credited)
        self.right += len(credited & expected)
        self.wrong += len(credited - expected)
        self.missed += len(expected - credited)
        self.wrong_titles += [f"{label}: {t}" for t in sorted(credited - expected)]

    @property
    def precision(self) -> float:
        return self.right / self.made if self.made else 1.0

    @property
    def recall(self) -> float:
        return self.right / (self.right + self.missed) if (self.right + self.missed) else 1.0

    def line(self, name: str) -> str:
        return (
            f"{name:<28} made {self.made:>3}  right {self.right:>3}  wrong {self.wrong:>3}  "
            f"missed {self.missed:>3}  precision {self.precision:.2f}  recall {self.recall:.2f}"
        )


def credited(ins) -> set[str]:
    """Titles of notes credited as causes (a routine note named plainly counts as credited)."""
    return {k.title for k in ins.evidence.knowledge}


# ==========================================================================================
# Planted scenarios
# ==========================================================================================
def _config() -> Config:
    metrics = {
        "signup_completion": MetricSpec(
            "signup_completion", "conversion", "Sign-up completion",
            from_event="signup_start", to_event="signup_complete",
        ),
        "checkout_completion": MetricSpec(
            "checkout_completion", "conversion", "Checkout completion",
            from_event="checkout_start", to_event="purchase",
        ),
        "orders": MetricSpec("orders", "count", "Orders", event="purchase"),
        "active_users": MetricSpec("active_users", "distinct_users", "Active customers"),
    }  # fmt: skip
    return Config(
        root=Path("/nonexistent"), path=Path("/nonexistent/insight.toml"), project="Bench",
        sources={},
        segments=("platform", "country"), metrics=metrics, themes={}, audiences={},
    )  # fmt: skip


def _finding(kind, metric, seg, direction, cur, base, *, better, day=None, drivers=(), **details):
    start, end = (day, day) if day else (PERIOD.start, PERIOD.end)
    if day:
        details["day"] = day.isoformat()
    return Finding(
        kind=kind, metric=metric, segment=seg, direction=direction, current=cur, baseline=base,
        change_abs=cur - base, change_rel=(cur - base) / base, p_value=1e-6, q_value=1e-5,
        ci_low=None, ci_high=None, effect_size=None, n_current=1000, n_baseline=4000,
        window_start=start, window_end=end, baseline_start=BASE[0], baseline_end=BASE[1],
        better=better, score=0.8, method="bench", drivers=drivers, details=details,
    )  # fmt: skip


def _note(day, team, kind, title, details="", segment=""):
    return dict(date=day, team=team, kind=kind, title=title, details=details, segment=segment)


ANDROID, WEB, DE = (("platform", "android"),), (("platform", "web"),), (("country", "DE"),)
D = lambda d: date(2026, 11, d)  # noqa: E731


def scenarios() -> list[tuple[str, Finding, list[dict], set[str]]]:
    """(name, finding, notes, titles that should be credited)."""
    return [
        (
            "release before a drop",
            _finding("segment_driver", "signup_completion", ANDROID, "down", 0.42, 0.61,
                     better=False, onset=D(17).isoformat()),
            [
                _note(D(17), "Engineering", "release", "Android 5.2",
                      "New SMS verification provider for sign-up codes.", "platform=android"),
                _note(D(18), "Engineering", "release", "Android 5.2.1",
                      "Bug fixes and performance improvements.", "platform=android"),
                _note(D(17), "Design", "release", "Android dark mode",
                      "A darker colour scheme for the home screen.", "platform=android"),
                _note(D(16), "Pricing", "pricing", "Android prices confirmed",
                      "No change to fees.", "platform=android"),
            ],
            {"Android 5.2"},
        ),
        (
            "fix after the drop",
            _finding("segment_driver", "checkout_completion", WEB, "down", 0.55, 0.70,
                     better=False),
            [
                _note(D(13), "Engineering", "release", "Web 9.0",
                      "New checkout page with a new payment form.", "platform=web"),
                _note(D(19), "Engineering", "release", "Web 9.0.1",
                      "Fixed payment errors on the new checkout page.", "platform=web"),
                _note(D(18), "Marketing", "campaign", "Web banner refresh",
                      "New banners on the blog.", "platform=web"),
            ],
            {"Web 9.0"},
        ),
        (
            "campaign for a rise",
            _finding("segment_driver", "orders", DE, "up", 1340, 1090, better=True),
            [
                _note(D(16), "Marketing", "campaign", "German TV spot", "Prime-time TV.",
                      "country=DE"),
                _note(D(16), "Engineering", "release", "German app translation fixes",
                      "Typos in the German menus.", "country=DE"),
                _note(D(16), "Marketing", "campaign", "French newsletter", "Autumn offers.",
                      "country=FR"),
            ],
            {"German TV spot"},
        ),
        (
            "outage on the day",
            _finding("anomaly", "orders", WEB, "down", 103, 229, better=False, day=D(20)),
            [
                _note(D(20), "Engineering", "incident", "Payment page down (2 h)",
                      "Errors 17:00-19:00.", "platform=web"),
                _note(D(20), "Design", "release", "Web font update", "A new typeface.",
                      "platform=web"),
            ],
            {"Payment page down (2 h)"},
        ),
        (
            "outside cause",
            _finding("metric_change", "active_users", (), "up", 12000, 9000, better=True),
            [
                _note(D(17), "Engineering", "release", "iOS 7.18", "Bug fixes.",
                      "platform=ios"),
                _note(D(18), "Engineering", "release", "Android 5.3",
                      "Performance improvements and minor fixes.", "platform=android"),
                _note(D(16), "Product", "note", "Quarterly roadmap review",
                      "Planning session for Q1.", ""),
            ],
            set(),
        ),
        (
            "mix-driven change",
            _finding("metric_change", "checkout_completion", (), "down", 0.66, 0.70,
                     better=False, mix_shift={"column": "platform"},
                     drivers=(Driver(WEB, 0.8, -0.03, 0.55, 0.56, 400, 800),)),
            [
                _note(D(17), "Engineering", "release", "Web checkout tweaks",
                      "Checkout button moved.", "platform=web"),
            ],
            set(),
        ),
    ]  # fmt: skip


def run_planted() -> tuple[Score, Score, list[str]]:
    """(with the true notes, null twins without them, questions asked where nothing fits)."""
    cfg = _config()
    real, null, notes_out = Score(), Score(), []
    for name, f, notes, expected in scenarios():
        for twin in (False, True):
            rows = [n for n in notes if not (twin and n["title"] in expected)]
            ins, qs = fuse(SimpleNamespace(findings=(f,)), None, pd.DataFrame(rows), cfg, PERIOD)
            (one,) = ins
            (null if twin else real).add(credited(one), set() if twin else expected, name)
            if (
                not expected
                and not twin
                and one.question is None
                and not getattr(one, "mix_driven", False)
            ):
                notes_out.append(f"{name}: no question asked")
    return real, null, notes_out


# ==========================================================================================
# App Store data
# ==========================================================================================
#: (period, app, date of the release to credit or None (outside cause / mix), what happened);
#: releases are compared by date, as version numbers such as 4.2017.21210 are redacted as
#: phone numbers in titles
EVENTS = (
    ("2017-W24", "Google_Drive", "2017-06-05", "bad release 5 Jun 2017 (fix 16 Jun)"),
    ("2018-W36", "Google_Chrome", "2018-09-04", "Chrome 69 redesign (69.0.3497.71)"),
    ("2020-W15", "Microsoft_Teams", None, "school and work from home (outside)"),
    ("2019-W14", "Gmail", None, "Inbox by Gmail shut down (no release note)"),
    ("2021-W21", "Google_Chrome", None, "political review campaign (outside)"),
    ("2018-W27", "Gmail", None, "fewer reviews from rating prompts (mix/volume)"),
)  # fmt: skip


#: what the customer theme of each event is about (whole words in the theme's label or terms)
THEME_WORDS = {
    "2017-W24": r"play|playing|audio|music|song|songs|background|listen|mp3",
    "2018-W36": r"design|redesign|layout|bottom|toolbar|look|tabs?",
    "2020-W15": r"school|class|classes|teacher|teachers|student|students|homework|assignments?",
    "2019-W14": r"inbox|bundles?",
    "2021-W21": r"palestin\w*|israel\w*|gaza",
    "2018-W27": None,
}


def _theme_is(link, pattern: str | None) -> bool:
    if pattern is None:
        return False
    import re

    text = " ".join([link.label, *(getattr(link, "terms", ()) or ())]).lower()
    return re.search(rf"\b({pattern})\b", text) is not None


def appstore_workspace(dest: Path) -> Path:
    """Write a workspace from the App Store files (texts stay outside the repository)."""
    rv = pd.read_parquet(REALDATA / "appstore_reviews.parquet")
    rel = pd.read_csv(REALDATA / "appstore_releases.csv")
    rel = rel[rel.app.isin(set(rv.app))]
    ev = pd.DataFrame(
        {"timestamp": rv.created_at, "user_id": rv.review_id, "event": "review", "app": rv.app}
    )
    low = ev[rv.rating <= 2].assign(event="low_rating")
    pd.concat([ev, low]).sort_values("timestamp").to_parquet(dest / "events.parquet", index=False)
    text = (rv.title.fillna("") + ". " + rv.content.fillna("")).str.strip()
    pd.DataFrame(
        {"id": rv.review_id, "created_at": rv.created_at.dt.strftime("%Y-%m-%dT%H:%M:%S"),
         "source": "app_review", "text": text, "score": rv.rating, "app": rv.app}
    ).to_parquet(dest / "feedback.parquet", index=False)  # fmt: skip
    pd.DataFrame(
        {"date": rel.release_date, "team": "Engineering", "kind": "release",
         "title": rel.app + " " + rel.version.astype(str),
         "details": rel.release_note.fillna("").str.slice(0, 600), "segment": "app=" + rel.app}
    ).to_parquet(dest / "knowledge.parquet", index=False)  # fmt: skip
    (dest / "insight.toml").write_text(
        '[project]\nname = "App Store"\n[sources]\nevents = "events.parquet"\n'
        'feedback = "feedback.parquet"\nknowledge = "knowledge.parquet"\n[segments]\ncolumns = ["app"]\n'
        '[metrics.reviews]\nkind = "count"\nevent = "review"\nlabel = "Reviews"\n'
        '[metrics.low_rating_share]\nkind = "conversion"\nfrom = "review"\nto = "low_rating"\n'
        'label = "Low-rating share"\ngood = "down"\n[report]\ngrain = "week"\n',
        encoding="utf-8",
    )
    return dest


def run_appstore(events=EVENTS, log=print) -> tuple[Score, list[str], Score]:
    from insightlib.qual import analyse as qual
    from insightlib.quant import changes as quant
    from insightlib.quant import engine
    from insightlib.workspace.load import load_workspace

    score, notes, themes = Score(), [], Score()
    with tempfile.TemporaryDirectory() as tmp:
        ws = load_workspace(appstore_workspace(Path(tmp)))
        for label, app, expected, what in events:
            per = parse_period(label)
            q = quant.analyse(engine.connect(ws.events), ws.config, per)
            ql = qual.analyse_feedback(ws.feedback, ws.config, per)
            ins, _ = fuse(q, ql, ws.knowledge, ws.config, per)
            mine = [
                i for i in ins
                if dict(i.segment).get("app") == app
                or (not i.segment and any(d.key and dict(d.segment).get("app") == app
                                          for d in i.evidence.drivers))
            ]  # fmt: skip
            got = {k.date.isoformat() for i in mine for k in i.evidence.knowledge}
            want = {expected} if expected else set()
            score.add(got, want, f"{label} {app}")
            # themes: the event's theme on the app's metric findings is right; a theme that
            # rose in another app's feedback is wrong; others are listed, not judged
            pattern = THEME_WORDS.get(label)
            linked = [
                (i, t) for i in mine if i.kind not in ("emerging_theme", "fading_theme")
                for t in i.evidence.themes
            ]  # fmt: skip
            good = {t.label for _, t in linked if _theme_is(t, pattern)}
            bad = {
                t.label for _, t in linked
                if t.segment and dict(t.segment).get("app") not in (None, app)
            }  # fmt: skip
            themes.made += len({t.label for _, t in linked})
            themes.right += len(good)
            themes.wrong += len(bad)
            themes.wrong_titles += [f"{label} {app}: theme {b}" for b in sorted(bad)]
            metric_findings = [i for i in mine if i.kind not in ("emerging_theme", "fading_theme")]
            if pattern and metric_findings and not good:
                themes.missed += 1
            asked = any(i.question is not None for i in mine)
            log(
                f"  {label} {app:<16} {what:<46} findings {len(mine):>2}  credited "
                f"{sorted(got) or '-'}  question {'yes' if asked else 'no'}  themes "
                f"{sorted({t.label for _, t in linked}) or '-'}"
            )
            if (
                not expected
                and mine
                and not asked
                and not any(getattr(i, "mix_driven", False) for i in mine)
            ):
                notes.append(f"{label} {app}: nothing credited but no question asked")
    return score, notes, themes


def main(argv: list[str]) -> int:
    real, null, notes = run_planted()
    print("Evidence links: notes credited as the cause of a change")
    print(real.line("planted, true notes"))
    print(null.line("planted, null twins"))
    for t in real.wrong_titles + null.wrong_titles:
        print("   wrong:", t)
    for n in notes:
        print("   note:", n)
    if "--planted-only" in argv:
        return 0
    if not (REALDATA / "appstore_reviews.parquet").exists():
        print(f"App Store data not found in {REALDATA}: skipped")
        return 0
    score, notes, themes = run_appstore()
    print(score.line("App Store known events"))
    for t in score.wrong_titles:
        print("   wrong:", t)
    print(
        f"{'App Store themes':<28} made {themes.made:>3}  right {themes.right:>3}  wrong "
        f"{themes.wrong:>3}  missed {themes.missed:>3}  (right: the event's theme on the app's "
        "metric findings; wrong: a theme of another app; the rest not judged)"
    )
    for t in themes.wrong_titles:
        print("   wrong:", t)
    for n in notes:
        print("   note:", n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
