"""Fuse what changed (quant), what customers say (qual) and what other teams know (knowledge).

Every finding becomes an :class:`Insight` carrying its evidence, and every link records why it
was made. Links are *coincidences in time and place*, never claims of cause.

How links are made
------------------
**Themes** (for metric findings). A theme is linked when its volume *rose* in the finding's
period — at least 3 more mentions than the per-period baseline average and at least 1.5 times
it, and 3 Poisson standard errors above it — and the match scores at least
:data:`THEME_MIN_SCORE`::

    score = 0.40 (rose in the same period)
          + 0.35 × segment match   1.0 rose in the finding's own segment, or in a key driver
                                   0.8 rose in one column of a crossed segment
                                   0.5 rose overall, finding is overall
          + 0.25 × shared words    min(1, shared words / 2) between the theme's label and terms
                                   and the metric's name, label and events (and RELATED words)
          + 0.05 when a complaint theme (sentiment < 0) meets a change for the worse

A theme links only to findings of the segment it rose in or a parent of it (a rise overall
says nothing about Android). Without words in common, its rise must be at least
:data:`THEME_MIN_SHARE` of the change, counted in the change's units with its sign
(:func:`theme_share`): a complaint counts toward a change for the worse only, praise toward one
for the better, so a falling theme never "accounts for" a rise. A rise in a segment counts only
when the segment holds more of the rise than its share of the feedback (a complaint that rose
everywhere is not a German complaint). Praise never links to a change for the worse, nor
complaints to a change for the better — judged by the sentiment of the theme's texts in that
segment this period (qual's ``segment_sentiment``), not its all-time sentiment. A discovered
theme whose label names no subject (only feelings, generic words and the names of the product
or of segment values: "gmail app", "love this app") is never credited for a change with a
good direction. Anomalies and trends need shared words too, and so does
a theme with fewer than :data:`THEME_MIN_COUNT` mentions. Quotes shown with a link come from
the change's period only; a theme linked because it rose in a segment shows quotes of that
segment's texts (qual's ``segment_quotes``; older ones of the segment, dated, only when the
period has none), never another segment's. At most :data:`MAX_THEMES` per insight.

**Knowledge** entries (release, incident, campaign, pricing, note, …) are candidates when they
are dated in the change window or up to :data:`LEAD_DAYS` before it (or were running during it,
by ``end_date``); for anomalies the day itself and the day before; for trends from just before
the start of the trend to the middle of its window. Its segment must contain the finding's
(``platform=android`` fits ``platform=android&country=DE``) or be contained in it (ranked
higher when it is a key driver of the change); another value of the same column never links.
A candidate is credited (``role="cause"``) only with a reason that fits: its words (outside
:data:`ROUTINE_WORDS`, :data:`GENERIC_WORDS` and segment values) match the metric's or the
linked themes', or its kind fits the change (:data:`FIT_WORSE` for a change for the worse,
:data:`FIT_BETTER` for one for the better), or it is a team's answer about this very change;
an entry for everyone needs shared words. Otherwise it goes to ``Evidence.also``:

- ``context`` — its own text says nothing changed (:data:`NO_CHANGE`, or a title that only
  *confirms* something): never a cause, never charted;
- ``also`` — nothing relates; a routine note (only routine words); a later release of the
  same segment than the credited one; a note that says it fixes something (:data:`FIX`) dated
  after the change began; any note of a mix-driven change (``details["mix_shift"]``), which
  the mix explains;
- ``routine`` (kept in ``knowledge``) — nothing else fits and a linked theme blames an update
  (:data:`UPDATE_WORDS`): the last routine release of the segment at or before the onset is
  named plainly; it explains nothing and the change still gets its question.

Causes are ranked by ``0.40 × time + 0.25 × segment + 0.25 × words + 0.10 × kind fit + 0.10 ×
track record``: time is 1.0 on the onset (quant's ``details["onset"]``, the anomaly's day, the
trend's start, else the window start) down to 0.7 a lead period before it, 0.8 down to 0.5
after it; segment 1.0 same, 0.8 coarser, 0.7 a finer key driver, 0.4 everyone; the track record
is the teams' past verdicts on links of that team and kind (``link_record``). At most
:data:`MAX_KNOWLEDGE` per insight.

**Drivers** are the quant (or qual) step's :class:`~insightlib.model.Driver` rows; a *key*
driver explains at least 30% of the change and 1.3 times more than its share of the volume
(so the free plan, 87% of customers, is not "where" a change happened just because it holds
71% of it).

Open questions and routing
--------------------------
A change with no note credited as a cause, that the mix does not explain (and a score of at least :data:`QUESTION_MIN_SCORE`, so weak
findings do not flood the teams) becomes a :class:`Question` for the team most likely to know:
one question per team and segment (per metric for overall changes), asked about the best-scored
finding and attached to the others it covers.
The rule table :data:`ROUTING` is matched (whole words) against the metric's name, label and
events, the segment's columns and values and the theme's label; the team with most hits wins (a
phrase such as "order value" counts 3, a word 1; ties go to the earlier row). Then the knowledge log can override it: if one team logged at least
two entries (any date) for the finding's segment values — or one, when the rules found nothing
— that team is asked; and a canonical team name is replaced by the log's own spelling when one
contains the other ("Engineering" → "Mobile Engineering").
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from insightlib.document import (
    DriverLink,
    Evidence,
    Insight,
    KnowledgeLink,
    Narrative,
    Question,
    ThemeLink,
)
from insightlib.model import (
    CHANGE_KINDS,
    ONSET,
    THEME_KINDS,
    Driver,
    Finding,
    Quote,
    Segment,
    Theme,
    as_date,
    event_day,
    parse_segment,
    segment_dict,
    segment_key,
    segment_text,
    theme_counts,
    trend_start,
)
from insightlib.qual.labels import subject_words
from insightlib.text import numbers as tf
from insightlib.text.redact import neutralise, redact
from insightlib.workspace.config import Config, MetricSpec
from insightlib.workspace.periods import Period, period_of

__all__ = [
    "Insight",
    "Evidence",
    "DriverLink",
    "ThemeLink",
    "KnowledgeLink",
    "Question",
    "Narrative",
    "fuse",
    "route_team",
    "canonical_team",
    "knowledge_dicts",
    "public_theme",
    "words_of",
    "theme_share",
    "LEAD_DAYS",
    "THEME_MIN_SHARE",
    "RELATED",
    "NO_CHANGE",
    "FIX",
    "ROUTINE_WORDS",
    "GENERIC_WORDS",
    "UPDATE_WORDS",
    "ROUTING",
    "FALLBACK_TEAM",
    "THEME_MIN_SCORE",
    "THEME_MIN_COUNT",
    "QUESTION_MIN_SCORE",
    "MAX_THEMES",
    "MAX_KNOWLEDGE",
    "KEY_SHARE",
    "KEY_DRIVER_LIFT",
    "KEY_SHARE_ALONE",
    "is_key_driver",
]

LEAD_DAYS = {"day": 1, "week": 7, "month": 14}
THEME_MIN_SCORE = 0.65
MAX_THEMES = 3
MAX_KNOWLEDGE = 3
MAX_QUOTES = 2
#: A key driver holds at least KEY_SHARE of a change and KEY_DRIVER_LIFT times its share of the
#: volume; when its share of the volume is not known, at least KEY_SHARE_ALONE of the change.
KEY_SHARE = 0.3
KEY_DRIVER_LIFT = 1.3
KEY_SHARE_ALONE = 0.5
SENTIMENT_BAND = 0.05
THEME_MIN_COUNT = 10
#: A theme with no words in common with the metric links only if its rise is at least this
#: share of the change (in the change's units, with its sign).
THEME_MIN_SHARE = 0.2
QUESTION_MIN_SCORE = 0.25

#: (team, words) — the first rows win ties, so "order value" goes to Pricing, not Marketing.
ROUTING: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Pricing",
        ("price", "prices", "pricing", "order value", "basket value", "basket size", "discount",
         "fee", "fees", "aov"),
    ),
    (
        "Customer Service",
        ("support", "contact", "contacts", "complaint", "complaints", "ticket", "tickets",
         "refund", "refunds", "csat", "helpdesk"),
    ),
    (
        "Engineering",
        ("release", "app", "sign-up", "signup", "sign up", "login", "log in", "crash", "crashes",
         "error", "errors", "bug", "platform", "android", "ios", "iphone", "web", "website",
         "outage", "checkout", "payment", "payments", "verification", "code", "sms", "speed",
         "load", "device"),
    ),
    (
        "Marketing",
        ("order", "orders", "purchase", "purchases", "revenue", "sales", "country", "market",
         "region", "campaign", "newsletter", "traffic", "visits", "acquisition", "new customers",
         "trial", "promo", "promotion"),
    ),
)  # fmt: skip
FALLBACK_TEAM = "Product"
_TEAM_ALIASES = {
    "Engineering": ("engineering", "eng", "tech", "developers", "platform team", "mobile"),
    "Marketing": ("marketing", "growth", "crm", "brand"),
    "Pricing": ("pricing", "revenue management", "monetisation", "monetization", "finance"),
    "Customer Service": ("customer service", "support", "customer care", "cs", "care"),
    "Product": ("product",),
}


# ==========================================================================================
# Words
# ==========================================================================================
_STOP = frozenset(
    """a an and are as at be been but by for from had has have in into is it its not no of on
    or our over per so than that the their them then there these they this to too up was
    were what when which while who will with you your new never all any can could get got
    just more most much very out off only also after before about again still one two week
    weeks day days month today rate share total count number value completion complete
    completed customer customers user users people person active many mostly some say said
    says""".split()
)


def _stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def words_of(*texts: str | None) -> frozenset[str]:
    """Content words of texts, lower case, lightly stemmed; "sign-up" also gives "signup"."""
    out: set[str] = set()
    for text in texts:
        if not text:
            continue
        low = str(text).lower()
        for joined in re.findall(r"[a-z0-9]+(?:[-_][a-z0-9]+)+", low):
            out.add(_stem(re.sub(r"[-_]", "", joined)))
        for w in re.findall(r"[a-z0-9]+", low):
            if len(w) >= 3 and w not in _STOP and not w.isdigit():
                out.add(_stem(w))
    return frozenset(out)


def _metric_words(spec: MetricSpec | None, metric: str | None) -> frozenset[str]:
    base = (
        words_of(metric)
        if spec is None
        else words_of(spec.name, spec.label, spec.description, *spec.events)
    )
    return base.union(*(RELATED.get(w, frozenset()) for w in base))


def _shared(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """Words of ``a`` that ``b`` also has; a word of 5+ letters also matches inside a longer one
    ("design" in "redesign"), so a light stemmer's misses do not hide a match."""
    bs = set(b)
    out = set(a) & bs
    for w in set(a) - out:
        if len(w) >= 5 and any(len(x) >= 5 and (w in x or x in w) for x in bs):
            out.add(w)
    # one word once: "signupstart" says nothing "signup" did not
    return sorted(w for w in out if not any(x != w and x in w for x in out))


def _related(groups: Iterable[str]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for g in groups:
        ws = words_of(g)
        for w in ws:
            out.setdefault(w, set()).update(ws - {w})
    return {k: frozenset(v) for k, v in out.items()}


#: Words that name the same thing in a metric and in a note ("support contacts" and "tickets").
RELATED: dict[str, frozenset[str]] = _related(
    (
        "support contact contacts ticket tickets complaint complaints helpdesk",
        "signup sign-up registration register onboarding verification",
        "login log-in signin password",
        "checkout payment payments pay card",
        "purchase purchases order orders",
        "revenue sales",
        "rating ratings review reviews stars",
        "crash crashes freeze freezes",
    )
)

#: Phrases by which a note says nothing changed: context, never a cause.
NO_CHANGE = re.compile(
    r"\b(no changes?|not chang\w*|unchanged|no impact|no effect|stays? (?:at|the same)"
    r"|remains? (?:at|the same)|kept at|same as before)\b",
    re.IGNORECASE,
)
#: A note that says it fixes something: dated after the change began, it is not the start.
FIX = re.compile(r"\b(fix(?:ed|es)?|resolved?|roll(?:ed)?[- ]?back|restored?|hotfix)\b", re.I)
#: Words of routine notes: a note with nothing else is "also that week" at most.
ROUTINE_WORDS = words_of(
    "bug bugs fix fixes fixed fixing performance improvement improvements improve improved "
    "minor stability stable tweak tweaks various general small update updates updated updating "
    "release released version maintenance enhancement enhancements polish issue issues "
    "reliability thanks choosing latest regularly better experience make keep available "
    "features feature includes include several app apps phone iphone ipad ios android web "
    "download rolled rolling out smoother faster quality under hood"
)
#: Words too general to tie a note to a change ("like", "open", "work"); segment values are
#: left out too, as they say where, not what.
GENERIC_WORDS = words_of(
    "like love good great open use using used work works working thing things time need want "
    "please way even really back well lot make made best every since account today"
)
#: Customers' words that blame an update: only then may a routine release be named (plainly).
UPDATE_WORDS = words_of("update updates updated version upgrade release latest")
#: Kinds that fit a change by themselves: an outage for a drop, a campaign for a rise.
FIT_WORSE = ("incident", "outage")
FIT_BETTER = ("campaign", "promotion", "promo", "launch")


# ==========================================================================================
# Segments
# ==========================================================================================
def _norm_seg(seg: Segment) -> dict[str, str]:
    return {str(c).lower(): str(v).lower() for c, v in seg}


def _fits(entry: Segment, target: Segment) -> bool:
    """True when ``entry`` is the same as or coarser than ``target`` (and not everyone)."""
    e, t = _norm_seg(entry), _norm_seg(target)
    return bool(e) and all(t.get(c) == v for c, v in e.items())


def _conflicts(a: Segment, b: Segment) -> bool:
    """True when the segments disagree on a column they both name."""
    x, y = _norm_seg(a), _norm_seg(b)
    return any(c in y and y[c] != v for c, v in x.items())


# ==========================================================================================
# Knowledge entries
# ==========================================================================================
@dataclass(frozen=True)
class _Entry:
    date: date
    end_date: date | None
    team: str
    kind: str
    title: str
    details: str | None
    segment: Segment
    words: frozenset[str]
    #: insight ids a team's answer is about (``answers`` column, from memory.verdicts)
    answers: frozenset[str] = frozenset()

    @property
    def no_change(self) -> bool:
        """The note's own text says nothing changed ("no change", "unchanged", a title that
        only confirms something): context, never a cause."""
        text = f"{self.title} {self.details or ''}"
        if NO_CHANGE.search(text):
            return True
        return self.kind != "incident" and bool(
            re.search(r"\bconfirm(?:ed|s)?\b", self.title, re.I)
        )

    @property
    def routine(self) -> bool:
        """Nothing but routine words ("bug fixes", "performance improvements", "minor")."""
        own = words_of(*(str(v) for _, v in self.segment), self.kind)
        rest = {w for w in self.words - ROUTINE_WORDS - own if not any(c.isdigit() for c in w)}
        return not rest


def _entries(knowledge: pd.DataFrame | None) -> list[_Entry]:
    if knowledge is None or len(knowledge) == 0:
        return []
    out = []
    for row in knowledge.to_dict("records"):
        d = as_date(row.get("date"))
        if d is None:
            continue
        # knowledge is user text like feedback: neutralised and PII-redacted before any output
        title = " ".join(redact(row.get("title")).split())  # one line
        details = redact(row.get("details")) or None
        out.append(
            _Entry(
                date=d,
                end_date=as_date(row.get("end_date")),
                team=neutralise(row.get("team")).strip() or "Unknown team",
                kind=(neutralise(row.get("kind")) or "note").strip().lower(),
                title=title.strip(),
                details=details.strip() if details else None,
                segment=parse_segment(row.get("segment")),
                words=words_of(title, details),
                answers=frozenset(str(row.get("answers") or "").split())
                if isinstance(row.get("answers"), str)
                else frozenset(),
            )
        )
    out.sort(key=lambda e: (e.date, e.team, e.title))
    return out


# ==========================================================================================
# Theme counts
# ==========================================================================================
class _Counts:
    """Theme counts per period and segment key, from qual's ``theme_counts`` frame."""

    def __init__(self, frame: pd.DataFrame | None, grain: str) -> None:
        self.grain = grain
        self.rows: dict[tuple[str, str], dict[date, int]] = {}
        self.totals: dict[str, dict[date, int]] = {}
        self.keys: set[str] = set()
        if frame is None or len(frame) == 0:
            return
        seg_col = "segment" if "segment" in frame.columns else "segment_key"
        totals = frame["total"] if "total" in frame.columns else [None] * len(frame)
        for theme, start, seg, cnt, tot in zip(
            frame["theme"],
            frame["period_start"],
            frame[seg_col],
            frame["count"],
            totals,
            strict=True,
        ):
            d = as_date(start)
            if d is None:
                continue
            key = segment_key(parse_segment(seg))
            self.keys.add(key)
            cell = self.rows.setdefault((str(theme), key), {})
            cell[d] = cell.get(d, 0) + int(cnt)
            if tot is not None and not pd.isna(tot):
                t = self.totals.setdefault(key, {})
                t[d] = max(t.get(d, 0), int(tot))

    def has(self, key: str) -> bool:
        return key in self.keys

    def window(
        self, theme: str, key: str, cur: tuple[date, date], base: tuple[date, date]
    ) -> tuple[int, float]:
        """(count in the current period(s), mean count per baseline period)."""
        cell = self.rows.get((theme, key), {})
        c0 = period_of(cur[0], self.grain).start
        cur_n = sum(v for d, v in cell.items() if c0 <= d <= cur[1])
        n_periods = 0
        p = period_of(base[0], self.grain)
        while p.start <= base[1]:
            n_periods += 1
            p = p.next()
        base_n = sum(v for d, v in cell.items() if base[0] <= d <= base[1])
        return cur_n, base_n / max(n_periods, 1)

    def total(self, key: str, cur: tuple[date, date]) -> int | None:
        """All feedback of a segment in the current period(s), if the frame says."""
        cell = self.totals.get(key)
        if not cell:
            return None
        c0 = period_of(cur[0], self.grain).start
        return sum(v for d, v in cell.items() if c0 <= d <= cur[1])

    def concentrated(
        self, theme: str, key: str, cur: tuple[date, date], base: tuple[date, date]
    ) -> bool:
        """Whether a theme's rise in segment ``key`` is more than its share of the feedback.

        True when the segment holds at least half of the overall rise, or its share of the rise
        is at least 1.3 times its share of all feedback this period. A complaint that rose
        everywhere is not a German complaint just because it also rose in Germany.
        """
        if key == "all" or not self.has("all"):
            return True
        c_s, b_s = self.window(theme, key, cur, base)
        c_a, b_a = self.window(theme, "all", cur, base)
        rise_all = c_a - b_a
        if rise_all <= 0:
            return True
        share = (c_s - b_s) / rise_all
        t_s, t_a = self.total(key, cur), self.total("all", cur)
        vol = t_s / t_a if t_s and t_a else None
        return share >= KEY_SHARE_ALONE or (
            vol is not None and is_key_driver(share, vol, floor=0.0)
        )


def is_key_driver(share: float, volume_share: float | None, floor: float = KEY_SHARE) -> bool:
    """Whether a segment holding ``share`` of a change (and ``volume_share`` of the volume) is
    where the change happened: see :data:`KEY_SHARE`, :data:`KEY_DRIVER_LIFT`,
    :data:`KEY_SHARE_ALONE`. ``floor`` lowers the least share for a segment that is already
    known to hold more than its share (a theme's rise in a segment)."""
    if volume_share is None or volume_share <= 0:
        return share >= KEY_SHARE_ALONE
    return share >= floor and share / volume_share >= KEY_DRIVER_LIFT


def _rose(cur: int, base: float) -> bool:
    """At least 3 more, 1.5 times as many and 3 Poisson standard errors above the baseline."""
    return cur - base >= 3 and cur >= 1.5 * base and (cur - base) / math.sqrt(base + 1) >= 3


# ==========================================================================================
# Fusion
# ==========================================================================================
def _key_drivers(f: Finding) -> list[tuple[Driver, float | None]]:
    out = []
    for d in f.drivers:
        vol = d.n_baseline / f.n_baseline if f.n_baseline else None
        share = d.share_of_change
        if share is None or (isinstance(share, float) and math.isnan(share)):
            continue
        if is_key_driver(share, vol):
            out.append((d, vol))
    return out


def _share_words(share: float) -> str:
    if share > 1.0:
        return f"more than all ({tf.pct(share)})"
    return tf.pct(share)


def _driver_links(f: Finding) -> tuple[DriverLink, ...]:
    keys = {d.segment for d, _ in _key_drivers(f)}
    out = []
    for d in sorted(f.drivers, key=lambda d: -abs(d.share_of_change or 0)):
        vol = d.n_baseline / f.n_baseline if f.n_baseline else None
        why = f"{segment_text(d.segment)} accounts for {_share_words(d.share_of_change)} of the change"
        if vol is not None:
            why += f" with {tf.pct(vol)} of the volume"
        out.append(
            DriverLink(
                segment=d.segment,
                share_of_change=d.share_of_change,
                contribution=d.contribution,
                current=d.current,
                baseline=d.baseline,
                n_current=d.n_current,
                n_baseline=d.n_baseline,
                mix_effect=d.mix_effect,
                rate_effect=d.rate_effect,
                volume_share=vol,
                key=d.segment in keys,
                why=why,
            )
        )
    return tuple(out)


def _quotes(
    theme: Theme, seg: Segment, window: tuple[date, date] | None = None
) -> tuple[Quote, ...]:
    """Up to :data:`MAX_QUOTES` quotes, the segment's first; only quotes dated inside
    ``window`` (the change's period) are evidence of it."""
    want = _norm_seg(seg)

    def fits(q: Quote) -> bool:
        qs = {str(k).lower(): str(v).lower() for k, v in (q.segment or {}).items()}
        return all(qs.get(c) == v for c, v in want.items())

    pool = [q for q in theme.quotes if window is None or (window[0] <= q.date <= window[1])]
    ordered = [q for q in pool if fits(q)] + [q for q in pool if not fits(q)]
    return tuple(replace(q, text=redact(q.text)) for q in ordered[:MAX_QUOTES])


def _segment_quotes(
    theme: Theme,
    seg: Segment,
    window: tuple[date, date],
    by_segment: Mapping[tuple[str, str], Sequence[Quote]],
) -> tuple[Quote, ...]:
    """Quotes for a theme linked because it rose in segment ``seg``: its texts of that segment
    in the change's period (qual's ``segment_quotes``), else its own quotes of that segment
    in the period, else older ones of that segment (dated); never another segment's."""
    want = _norm_seg(seg)

    def fits(q: Quote) -> bool:
        qs = {str(k).lower(): str(v).lower() for k, v in (q.segment or {}).items()}
        return all(qs.get(c) == v for c, v in want.items())

    found: list[Quote] = []
    for part in seg:
        for q in by_segment.get((theme.id, segment_key((part,))), ()):
            if fits(q) and window[0] <= q.date <= window[1] and q not in found:
                found.append(q)
    if not found:
        own = [q for q in theme.quotes if fits(q)]
        found = [q for q in own if window[0] <= q.date <= window[1]] or own
    return tuple(replace(q, text=redact(q.text)) for q in found[:MAX_QUOTES])


def _units_of_change(f: Finding, spec: MetricSpec | None) -> float | None:
    """The change in countable things (events, users, or the conversions that were lost or
    won), signed as the change; ``None`` for sums and means (not counts of anything)."""
    kind = spec.kind if spec is not None else (f.details or {}).get("metric_kind")
    if kind in ("count", "distinct_users"):
        return float(f.change_abs)
    if kind == "conversion":
        return float(f.change_abs) * float(f.n_current)
    return None


def theme_share(
    rise: float, f: Finding, spec: MetricSpec | None, sentiment: float | None
) -> float | None:
    """A theme's share of a change, computed with the change's sign.

    A complaint (sentiment below -0.05) that rose stands for things getting worse, praise for
    things getting better; the share is positive only when that matches the change, so a
    falling theme never "accounts for" a rise and a complaint never for an improvement.
    """
    units = _units_of_change(f, spec)
    if units is None or units == 0 or f.better is None:
        return None
    good_up = f.better == (f.change_abs > 0)  # the metric's good direction is up
    sign = 1.0
    if sentiment is not None and sentiment < -SENTIMENT_BAND:
        sign = -1.0 if good_up else 1.0  # a complaint pushes a good-up metric down
    elif sentiment is not None and sentiment > SENTIMENT_BAND:
        sign = 1.0 if good_up else -1.0
    else:
        return abs(rise / units)  # a neutral theme: no direction to check
    return sign * rise / units


def _link_themes(
    f: Finding,
    spec: MetricSpec | None,
    themes: Sequence[Theme],
    counts: _Counts,
    seg_quotes: Mapping[tuple[str, str], Sequence[Quote]] | None = None,
    seg_sentiment: Mapping[tuple[str, str], float] | None = None,
    names: frozenset[str] = frozenset(),
) -> tuple[ThemeLink, ...]:
    """The themes that rose with finding ``f`` and fit it (see the module's docstring).

    ``seg_sentiment``: qual's ``segment_sentiment`` (the sentiment of a theme's texts in a
    segment this period); ``names``: the words of the product's name and of the segment
    values, which name no subject of a theme."""
    if not themes:
        return ()
    mwords = _metric_words(spec, f.metric)
    cur = (f.window_start, f.window_end)
    base = (f.baseline_start, f.baseline_end)
    if f.kind == "trend":  # the latest period against the rest of the trend's window
        last = period_of(f.window_end, counts.grain)
        cur = (last.start, last.end)
        base = (f.window_start, last.start - timedelta(days=1))
    candidates: list[tuple[Segment, float, str]] = []
    if f.segment:
        candidates.append((f.segment, 1.0, f"among {tf.who(f.segment)}"))
        if len(f.segment) > 1:
            candidates += [((p,), 0.8, f"among {tf.who((p,))}") for p in f.segment]
    else:
        for d, _ in _key_drivers(f):
            if d.share_of_change <= 0:
                continue
            share = _share_words(d.share_of_change)
            candidates.append(
                (d.segment, 1.0, f"among {tf.who(d.segment)}, who drive {share} of the change")
            )
    if not f.segment:  # a theme links to findings of its own segment or a parent of it
        candidates.append(((), 0.5, "overall"))
    worse = f.better is False
    out = []
    for th in themes:
        best: tuple[float, Segment, int, float, str] | None = None
        for seg, seg_score, where in candidates:
            key = segment_key(seg)
            if counts.keys and not counts.has(key):
                continue
            if counts.keys:
                n_cur, n_base = counts.window(th.id, key, cur, base)
            elif not seg:  # no per-period counts: fall back on the theme's own numbers
                n_cur, n_base = th.count_current, th.count_baseline
            else:
                continue
            if not _rose(n_cur, n_base):
                continue
            if seg and not counts.concentrated(th.id, key, cur, base):
                continue
            if best is None or seg_score > best[0]:
                best = (seg_score, seg, n_cur, n_base, where)
        if best is None:
            continue
        seg_score, seg, n_cur, n_base, where = best
        shared = _shared(mwords, words_of(th.label, *th.terms))
        # what the theme's texts say in that segment this period, not its all-time tone: a
        # generic theme can gather praise of one app and complaints of another
        tone = (seg_sentiment or {}).get((th.id, segment_key(seg)))
        sentiment = tone if tone is not None else th.sentiment
        if sentiment is not None and f.better is not None:
            if (worse and sentiment > SENTIMENT_BAND) or (f.better and sentiment < -SENTIMENT_BAND):
                continue  # praise does not go with a fall, nor complaints with a rise
        if f.better is not None and not th.codebook and not subject_words(th.label, names):
            continue  # "gmail app", "love this app": a label that names nothing explains nothing
        if f.kind in ("anomaly", "trend") and not shared:
            continue  # a day, or many weeks, against weekly counts: time and place are too loose
        if not shared and n_cur < THEME_MIN_COUNT:
            continue  # a handful of mentions links only on shared words
        share = theme_share(n_cur - n_base, f, spec, sentiment)
        if not shared and (share is None or share < THEME_MIN_SHARE):
            continue  # no words in common, and too small a part of the change to explain it
        fit = 0.05 if (worse and sentiment is not None and sentiment < 0) else 0.0
        score = 0.40 + 0.35 * seg_score + 0.25 * min(1.0, len(shared) / 2) + fit
        if score < THEME_MIN_SCORE:
            continue
        grain = counts.grain
        window = (period_of(cur[0], grain).start, cur[1])
        why = (
            f"rose in the same {grain} {where} ({n_cur}, against about "
            f"{tf.count(n_base)} a {grain} before)"
        )
        if shared:
            why += "; shares the words " + ", ".join(f"'{w}'" for w in shared)
        if share is not None and share >= THEME_MIN_SHARE:
            why += f"; its rise is {_share_words(share)} the size of the change"
        out.append(
            ThemeLink(
                id=th.id,
                label=neutralise(th.label) or th.id,
                count=int(n_cur),
                count_baseline=float(n_base),
                change_rel=(n_cur - n_base) / n_base if n_base > 0 else None,
                segment=seg,
                segment_match=bool(seg),
                sentiment=sentiment,
                score=round(min(score, 1.0), 3),
                why=why,
                quotes=(
                    _segment_quotes(th, seg, window, seg_quotes or {})
                    if seg
                    else _quotes(th, seg, window)
                ),
                share_of_change=round(share, 4) if share is not None else None,
            )
        )
    out.sort(key=lambda t: (-t.score, -t.count, t.id))
    return tuple(out[:MAX_THEMES])


def _names(config: Config, counts: _Counts) -> frozenset[str]:
    """Words that name the product or a segment ("App Store", "Google_Drive", "android"):
    a theme label made only of them, feelings and generic words names no subject."""
    parts = [config.project, *getattr(config, "aliases", ())]
    parts += [str(v) for key in counts.keys for _, v in parse_segment(key)]
    return frozenset(w for p in parts for w in re.findall(r"[^\W_]+", str(p).lower()))


def _theme_drivers(f: Finding, counts: _Counts) -> tuple[DriverLink, ...]:
    """Segments holding at least half of an overall theme rise (more than their share)."""
    if f.segment or not f.theme or not counts.has("all"):
        return ()
    cur, base = (f.window_start, f.window_end), (f.baseline_start, f.baseline_end)
    c_a, b_a = counts.window(f.theme, "all", cur, base)
    rise = c_a - b_a
    if rise <= 0:
        return ()
    out = []
    for key in sorted(counts.keys):
        seg = parse_segment(key)
        if len(seg) != 1:
            continue
        c_s, b_s = counts.window(f.theme, key, cur, base)
        share = (c_s - b_s) / rise
        if share >= KEY_SHARE_ALONE:  # at least half of the rise: concentrated there (_Counts)
            t_s, t_a = counts.total(key, cur), counts.total("all", cur)
            vol = t_s / t_a if t_s and t_a else None
            why = f"{segment_text(seg)} accounts for {tf.pct(share)} of the rise"
            if vol is not None:
                why += f" with {tf.pct(vol)} of the feedback"
            out.append(
                DriverLink(
                    segment=seg,
                    share_of_change=share,
                    contribution=c_s - b_s,
                    current=float(c_s),
                    baseline=float(b_s),
                    n_current=int(c_s),
                    n_baseline=int(round(b_s)),
                    mix_effect=None,
                    rate_effect=None,
                    volume_share=vol,
                    key=True,
                    why=why,
                )
            )
    out.sort(key=lambda d: -d.share_of_change)
    return tuple(out)


def _onset(f: Finding) -> date:
    """When the change began: the anomaly's day, the trend's start, quant's ``onset`` inside
    the period, else the first day of the window."""
    if f.kind == "anomaly":
        return event_day(f)
    if f.kind == "trend":
        return trend_start(f)
    d = as_date(f.details.get(ONSET)) if f.details else None
    return d if d is not None and f.window_start <= d <= f.window_end else f.window_start


def _mix_driven(f: Finding) -> bool:
    """quant flagged the change as moved by the segment mix (``details["mix_shift"]``)."""
    return bool((f.details or {}).get("mix_shift")) or "mix" in f.kind


def _link_knowledge(
    f: Finding,
    entries: Sequence[_Entry],
    words: frozenset[str],
    grain: str,
    lead_days: int,
    drivers: Sequence[tuple[Segment, float]] = (),
    *,
    blamed_update: bool = False,
    record: Mapping[tuple[str, str], float] | None = None,
) -> tuple[tuple[KnowledgeLink, ...], tuple[KnowledgeLink, ...]]:
    """(credited notes, best first; notes of that time and place that explain nothing)."""
    if not entries:
        return (), ()
    if f.kind == "anomaly":
        day = event_day(f)
        lo, hi, what = day - timedelta(days=1), max(day, f.window_end), "anomaly"
    elif f.kind == "trend":  # what started it: around the start, not at the end
        t0 = trend_start(f)
        lo, what = t0 - timedelta(days=lead_days), "trend"
        hi = t0 + (f.window_end - t0) / 2
    else:
        lo, hi, what = f.window_start - timedelta(days=lead_days), f.window_end, "change"
    start = trend_start(f) if f.kind == "trend" else f.window_start
    onset = _onset(f)
    if f.segment:
        drivers = []
    elif not drivers:
        drivers = [(d.segment, d.share_of_change) for d, _ in _key_drivers(f)]
    drivers = [d for d in drivers if d[1] is not None and d[1] > 0]  # with the change's sign
    worse, mix = f.better is False, _mix_driven(f)
    places = words_of(*(str(v) for _, v in f.segment), *(str(v) for d in drivers for _, v in d[0]))
    topic = frozenset(words - ROUTINE_WORDS - GENERIC_WORDS - places)
    record = {(canonical_team(t), k): v for (t, k), v in (record or {}).items()}
    causes: list[KnowledgeLink] = []
    also: list[KnowledgeLink] = []
    routine: list[tuple[int, KnowledgeLink]] = []
    for e in entries:
        # time: the note just before the onset ranks first, one after it lower (a fix follows)
        if f.kind == "anomaly" and e.date == event_day(f):
            t_score, when = 1.0, "on the same day"
        elif lo <= e.date <= hi:
            if e.date <= onset:
                t_score = 1.0 - 0.3 * (onset - e.date).days / max(lead_days, 1)
                if e.date < start:
                    when = (
                        "just before the trend began"
                        if what == "trend"
                        else f"just before the {what}"
                    )
                else:
                    when = "early in the trend" if what == "trend" else f"inside the {what} window"
                if onset > start:
                    when += ", the day it began" if e.date == onset else ", before it began"
            else:
                span = max((hi - onset).days, 1)
                t_score = 0.8 - 0.3 * (e.date - onset).days / span
                when = "early in the trend" if what == "trend" else f"inside the {what} window"
                if onset > start:
                    when += ", after it began"
        elif e.date < lo and e.end_date is not None and e.end_date >= start:
            t_score, when = 0.6, "running during the window"
        else:
            continue
        # place: the same segment, a coarser one, or a finer one (a key driver ranks higher)
        if _conflicts(e.segment, f.segment):
            continue
        via = ""
        if _fits(e.segment, f.segment):
            s_score = 1.0 if len(e.segment) == len(f.segment) else 0.8
        elif not e.segment:
            s_score = 0.4
        else:
            match = next((d for d in drivers if _fits(e.segment, d[0])), None)
            if match is None:
                match = next((d for d in drivers if _fits(d[0], e.segment)), None)
            if match is not None:
                s_score = 0.7
                noun = "change"
                if f.kind in THEME_KINDS:
                    noun = "rise" if f.direction == "up" else "fall"
                via = (
                    f"; {segment_text(match[0])} accounts for {_share_words(match[1])} of the "
                    f"{noun}"
                )
            elif _fits(f.segment, e.segment) and f.kind not in THEME_KINDS:
                s_score = 0.3  # a part of the finding's group that is not where it moved
            else:
                continue
        # content: the note's words match the metric or the complaint, or its kind fits
        own = words_of(*(str(v) for _, v in e.segment))
        shared = _shared(topic - own, e.words - ROUTINE_WORDS - own)
        w_score = min(1.0, len(shared) / 2)
        kind_fit = (worse and (e.kind in FIT_WORSE or "outage" in e.words)) or (
            f.better is True and e.kind in FIT_BETTER
        )
        same_day_incident = (
            f.kind == "anomaly"
            and e.kind == "incident"
            and t_score == 1.0
            and (not f.segment or not e.segment)
        )
        # the team's own answer about this change (same metric or theme and segment, any kind)
        answered = _ins_id(f).split(":", 1)[1] in {a.split(":", 1)[-1] for a in e.answers}
        relates = bool(shared) or kind_fit or answered
        if not same_day_incident and not answered:
            if f.kind in THEME_KINDS and s_score < 1.0 and not shared:
                relates = False  # a theme links to what talks about it
            if s_score == 0.4 and len(shared) < (2 if f.kind == "trend" else 1):
                relates = False  # a note for everyone must talk about it
        past = record.get((canonical_team(e.team), e.kind), 0.0)
        score = 0.40 * t_score + 0.25 * s_score + 0.25 * w_score + 0.10 * kind_fit + 0.10 * past
        for_whom = tf.who(e.segment) if e.segment else "everyone"
        why = f"{e.kind} for {for_whom} dated {tf.day(e.date)}, {when}{via}"
        if shared:
            why += "; shares the words " + ", ".join(f"'{w}'" for w in shared)
        if answered:
            why += f"; {e.team}'s answer about this change"
        if kind_fit:
            why += f"; {'an' if e.kind[0] in 'aeiou' else 'a'} {e.kind} fits a change " + (
                "for the worse" if worse else "for the better"
            )
        if past:
            why += f"; {e.team}'s past {e.kind} links were {'confirmed' if past > 0 else 'refuted'}"
        role = "cause"
        if e.no_change:
            role, why = "context", why + "; its own text says nothing changed"
        elif mix:
            role, why = "also", why + "; the change came from the mix of customers"
        elif e.routine:
            role, why = "also", why + "; a routine note that does not say what changed"
        elif e.date > onset and e.kind != "incident" and FIX.search(f"{e.title} {e.details or ''}"):
            role, why = "also", why + "; a fix after the change began, not its start"
        elif not relates or s_score < 0.35:
            role, why = "also", why + "; nothing in it relates to this change"
        link = KnowledgeLink(
            team=e.team,
            kind=e.kind,
            date=e.date,
            title=e.title,
            details=e.details,
            segment=e.segment,
            end_date=e.end_date,
            score=round(min(max(score, 0.0), 1.0), 3),
            why=why,
            role=role,
        )
        if e.routine and role == "also" and not mix and s_score >= 0.8 and e.date <= onset:
            routine.append(((onset - e.date).days, link))
        if role == "cause":
            causes.append(link)
        elif s_score >= 0.7:  # only notes of its own place are worth a mention
            also.append(link)
    if f.kind == "trend":  # the window of a trend is a fixed span: what came first leads
        causes.sort(key=lambda k: (-round(k.score, 1), k.date, k.title))
    else:
        causes.sort(key=lambda k: (-k.score, k.date, k.title))
    if causes and causes[0].kind == "release":  # the release before it, not the fix after
        best = causes[0]
        later = [
            k
            for k in causes[1:]
            if k.kind == "release" and k.segment == best.segment and k.date > best.date
        ]
        for k in later:
            causes.remove(k)
            also.append(
                replace(k, role="also", why=k.why + "; a later release than the one credited")
            )
    if not causes and routine and blamed_update:
        # nothing else fits and customers blame an update: the last routine release before the
        # change is named, plainly, as the only candidate (it explains nothing)
        _, pick = min(routine, key=lambda r: (r[0], r[1].title))
        also.remove(pick)
        causes.append(
            replace(
                pick,
                role="routine",
                why=pick.why + "; the only release before it, and customers talk of an update",
            )
        )
    also.sort(key=lambda k: (k.role != "also", -k.score, k.date, k.title))
    return tuple(causes[:MAX_KNOWLEDGE]), tuple(also[:MAX_KNOWLEDGE])


# ==========================================================================================
# Routing
# ==========================================================================================
def _hits(text: str, words: Iterable[str]) -> list[str]:
    return [w for w in words if re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", text)]


def route_team(
    *,
    metric: MetricSpec | None = None,
    segment: Segment = (),
    theme_label: str | None = None,
    entries: Sequence[_Entry] = (),
    extra: str = "",
) -> tuple[str, str]:
    """The team to ask about a change, and why: ``("Engineering", "rules: 'android', …")``.

    See the module docstring for the rules; ``entries`` is the knowledge log.
    """
    parts = [extra, theme_label or ""]
    if metric is not None:
        parts += [metric.name.replace("_", " "), metric.name, metric.label, *metric.events]
        parts += [e.replace("_", " ") for e in metric.events]
    for col, val in segment:
        parts += [col, str(val)]
    hay = " ".join(p.lower() for p in parts if p)
    scored = []
    for i, (name, words) in enumerate(ROUTING):
        hits = _hits(hay, words)
        # a phrase ("order value") says more than the single words inside it ("order")
        scored.append((sum(3 if " " in h else 1 for h in hits), i, name, hits))
    best = max(scored, key=lambda t: (t[0], -t[1]))
    team, reason = FALLBACK_TEAM, "no rule matched; the fallback team"
    if best[0] > 0:
        team = best[2]
        reason = "rules: " + ", ".join(f"'{w}'" for w in best[3][:4])
    # the knowledge log knows who works on this part of the product
    if segment and entries:
        seg = _norm_seg(segment)
        by_team = Counter(
            e.team
            for e in entries
            if e.segment and any(seg.get(c) == v for c, v in _norm_seg(e.segment).items())
        )
        if by_team:
            (top, n), *rest = by_team.most_common()
            unique = not rest or rest[0][1] < n
            if unique and (n >= 2 or (n >= 1 and best[0] == 0)):
                return top, f"knowledge log: {top} logged {n} entries for {segment_text(segment)}"
    # the log's own spelling of the team
    names = sorted({e.team for e in entries})
    aliases = _TEAM_ALIASES.get(team, (team.lower(),))
    for name in names:
        low = name.lower()
        if low == team.lower():
            return name, reason
    for name in names:
        low = name.lower()
        if any(re.search(rf"\b{re.escape(a)}\b", low) for a in aliases):
            return name, reason + f" (as '{name}' in the knowledge log)"
    return team, reason


def canonical_team(team: str) -> str:
    """The rule table's name of a team as the knowledge log spells it ("Mobile Engineering"
    -> "Engineering"); a team the table does not know is returned as is."""
    low = team.lower()
    for canon, aliases in _TEAM_ALIASES.items():
        if low == canon.lower() or any(re.search(rf"\b{re.escape(a)}\b", low) for a in aliases):
            return canon
    return team


def _ins_id(f: Finding) -> str:
    return f"{f.kind}:{f.metric or f.theme or 'none'}:{segment_key(f.segment)}"


# ==========================================================================================
# fuse
# ==========================================================================================
def fuse(
    quant: Any,
    qual: Any,
    knowledge: pd.DataFrame | None,
    config: Config,
    period: Period,
    baseline: tuple[date, date] | None = None,
    *,
    lead_days: int | None = None,
    link_record: Mapping[tuple[str, str], float] | None = None,
) -> tuple[tuple[Insight, ...], tuple[Question, ...]]:
    """Join quant and qual findings with themes, knowledge and drivers.

    Parameters
    ----------
    quant
        :class:`insightlib.quant.changes.QuantResult` (``findings``; may be ``None``).
    qual
        :class:`insightlib.qual.analyse.QualResult` (``themes``, ``findings``, ``theme_counts``; may be
        ``None``).
    knowledge
        The knowledge frame (``date``, ``team``, ``kind``, ``title``, ``details``, ``segment``,
        ``end_date``), or ``None``.
    config, period
        The workspace config and the period reported on.
    baseline
        Fallback baseline window for findings that carry none (normally unused).
    lead_days
        How many days before a change window knowledge still counts
        (default :data:`LEAD_DAYS` for the grain).
    link_record
        The teams' past verdicts on links, ``(team, kind) -> -1..1`` (refuted … confirmed),
        from :func:`insightlib.memory.verdicts.link_record`; it moves a candidate's rank.

    Returns
    -------
    (insights, questions)
        Insights sorted by score (highest first, then id); one open question per unexplained
        change (one per team and metric). No prose: titles, question texts and narratives are
        empty until :func:`insightlib.narrate.texts.narrate` tells them.
    """
    grain = period.grain
    lead = LEAD_DAYS.get(grain, 7) if lead_days is None else lead_days
    entries = _entries(knowledge)
    themes: tuple[Theme, ...] = tuple(getattr(qual, "themes", ()) or ())
    by_theme = {t.id: t for t in themes}
    counts = _Counts(getattr(qual, "theme_counts", None), grain)
    seg_quotes = getattr(qual, "segment_quotes", None) or {}
    seg_sentiment = getattr(qual, "segment_sentiment", None) or {}
    names = _names(config, counts)
    q_findings = tuple(getattr(quant, "findings", ()) or ())
    t_findings = tuple(getattr(qual, "findings", ()) or ())

    drafts: list[tuple[Insight, Finding]] = []
    for f in (*q_findings, *t_findings):
        spec = config.metrics.get(f.metric) if f.metric else None
        th = by_theme.get(f.theme) if f.theme else None
        theme_label = neutralise(th.label) if th else (f.theme if f.theme else None)
        if f.kind in THEME_KINDS:
            tlinks: tuple[ThemeLink, ...] = ()
            if th is not None:
                n_cur, n_base = theme_counts(f)
                tlinks = (
                    ThemeLink(
                        id=th.id,
                        label=theme_label or th.id,
                        count=int(n_cur),
                        count_baseline=float(n_base),
                        change_rel=f.change_rel,
                        segment=f.segment,
                        segment_match=True,
                        sentiment=th.sentiment,
                        score=1.0,
                        why="the theme of this insight",
                        quotes=_quotes(th, f.segment, (f.window_start, f.window_end)),
                    ),
                )
            words = words_of(theme_label, *(th.terms if th else ()))
        else:
            tlinks = _link_themes(f, spec, themes, counts, seg_quotes, seg_sentiment, names)
            words = _metric_words(spec, f.metric).union(
                *(words_of(t.label, *by_theme[t.id].terms) for t in tlinks if t.id in by_theme)
            )
        if f.kind in THEME_KINDS and not f.drivers:
            dlinks = _theme_drivers(f, counts)
        else:
            dlinks = _driver_links(f)
        told = (
            [th]
            if (f.kind in THEME_KINDS and th is not None)
            else [by_theme[t.id] for t in tlinks if t.id in by_theme]
        )
        blamed = any(words_of(t.label, *t.terms) & UPDATE_WORDS for t in told)
        klinks, also = _link_knowledge(
            f,
            entries,
            words,
            grain,
            lead,
            [(d.segment, d.share_of_change) for d in dlinks if d.key],
            blamed_update=blamed,
            record=link_record,
        )
        bstart, bend = f.baseline_start, f.baseline_end
        if (bstart is None or bend is None) and baseline:
            bstart, bend = baseline
        ins = Insight.of(
            f,
            id=_ins_id(f),
            metric_label=spec.label if spec else None,
            metric_kind=spec.kind if spec else None,
            unit=spec.unit if spec else None,
            theme_label=theme_label,
            n_current=int(f.n_current),
            n_baseline=int(f.n_baseline),
            score=float(f.score),
            baseline_start=bstart,
            baseline_end=bend,
            details=dict(f.details or {}),
            evidence=Evidence(drivers=dlinks, themes=tlinks, knowledge=klinks, also=also),
            provenance={
                "rows_current": int(f.n_current),
                "rows_baseline": int(f.n_baseline),
                "theme_mentions": {t.id: t.count for t in tlinks},
            },
        )
        drafts.append((ins, f))

    # related: metric insights <-> the theme insights they link
    theme_ins = {i.theme: i.id for i, _ in drafts if i.kind in THEME_KINDS and i.theme}
    rel: dict[str, set[str]] = {i.id: set() for i, _ in drafts}
    for ins, _ in drafts:
        if ins.kind in THEME_KINDS:
            continue
        for t in ins.evidence.themes:
            tid = theme_ins.get(t.id)
            if tid:
                rel[ins.id].add(tid)
                rel[tid].add(ins.id)

    # open questions: one per team and segment, asked about the best-scored finding there and
    # attached to every unexplained finding of that team and segment
    out: list[Insight] = []
    questions: list[Question] = []
    asked: dict[tuple[str, str], Question] = {}
    order = sorted(drafts, key=lambda d: (-d[0].score, d[0].id))
    for ins, f in order:
        ins = replace(ins, related=tuple(sorted(rel[ins.id])))
        seasonal = bool((f.details or {}).get("seasonal", {}).get("in_line"))  # asks no team
        # less than a year of data: whether it is the season cannot be told, and the text
        # says so; a team is not asked about it as if it were unexplained news
        seasonal = seasonal or bool((f.details or {}).get("season_unknown"))
        needs = (
            not ins.explained
            and not seasonal
            and ins.score >= QUESTION_MIN_SCORE
            and (ins.kind in CHANGE_KINDS or (ins.kind == "emerging_theme" and not ins.related))
        )
        if needs:
            spec = config.metrics.get(f.metric) if f.metric else None
            team, reason = route_team(
                metric=spec, segment=f.segment, theme_label=ins.theme_label, entries=entries
            )
            where = f.segment or next((d.segment for d in ins.evidence.drivers if d.key), ())
            topic = (team, segment_key(where) if where else f.metric or f.theme or "")
            if topic not in asked:
                asked[topic] = Question(
                    id=_question_id(ins.id),
                    team=team,
                    text="",
                    insight_id=ins.id,
                    reason=reason,
                )
                questions.append(asked[topic])
            ins = replace(ins, question=asked[topic])
        out.append(ins)
    return tuple(out), tuple(questions)


def _question_id(insight_id: str) -> str:
    return "q-" + hashlib.sha1(insight_id.encode("utf-8")).hexdigest()[:10]


def knowledge_dicts(
    knowledge: pd.DataFrame | None, since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """The knowledge log as JSON-ready dicts (neutralised, redacted text), optionally within dates."""
    out = []
    for e in _entries(knowledge):
        if since and e.date < since and not (e.end_date and e.end_date >= since):
            continue
        if until and e.date > until:
            continue
        out.append(
            {
                "date": e.date.isoformat(),
                "team": e.team,
                "kind": e.kind,
                "title": e.title,
                "details": e.details,
                "segment": segment_dict(e.segment),
                "end_date": e.end_date.isoformat() if e.end_date else None,
            }
        )
    return out


def public_theme(theme: Theme) -> Theme:
    """A theme fit for shared outputs: label neutralised, quotes neutralised and PII-redacted."""
    return replace(
        theme,
        label=neutralise(theme.label) or theme.id,
        quotes=tuple(replace(q, text=redact(q.text)) for q in theme.quotes),
    )
