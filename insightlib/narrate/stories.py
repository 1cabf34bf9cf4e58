"""Stories: findings of one run that tell one story, grouped, with their impact in business units.

A run often reports several findings about one event: sign-ups fell on Android, customers
mention a verification code that never arrives, support contacts rose on Android — all in the
week an Android release went out. The reports show such findings as one *story*: one headline,
one plain paragraph, one evidence table whose rows are the findings, one chart, the quotes and
the other teams' notes once.

:func:`group` decides which findings belong together, from the document alone
(``insights.json``): two findings join when fusion linked them (``related``), or when their
windows overlap, their segments are the same or one contains the other, and they share a cause
(the same knowledge entry or the same customer theme), or when they are the same kind of finding
on the same segment in the same window (orders and revenue in Germany this week). A finding
about all customers joins a segment's story only through a shared cause.

:func:`impact` turns a finding's change into the metric's own units against its baseline
("about 95 fewer sign-up completions this week"), with the 95% interval of the change scaled the
same way; every number comes from the finding's computed fields (``change_abs``, ``ci_low``,
``ci_high``, ``n_current``), nothing is estimated here.

Examples
--------
>>> from insightlib.report import runfolder                       # doctest: +SKIP
>>> from insightlib.narrate import stories                        # doctest: +SKIP
>>> run = runfolder.open_run("reports/2026-W47")                  # doctest: +SKIP
>>> [s.headline for s in stories.for_audience(run.document, "board")]  # doctest: +SKIP
['Fewer Android sign-ups finish', ...]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from insightlib.document import Insight, InsightsDocument, KnowledgeLink, as_document
from insightlib.model import Quote, event_day, find_root, segment_text
from insightlib.text import numbers as tf

__all__ = ["Story", "Impact", "group", "for_audience", "impact", "story_text", "METHOD_WORDS"]

THEME_KINDS = ("emerging_theme", "fading_theme")
#: Words of method that never appear in a story's paragraph (they go to "How we know").
METHOD_WORDS = (
    "Benjamini",
    "BH",
    " df",
    "Mann",
    "Kendall",
    "tau",
    "q-value",
    "p-value",
    "p =",
    "z-test",
    "t-test",
    "95% interval",
    "interval of the change",
    "shares the words",
    "Linked because",
)
MAX_WORDS = 120


@dataclass(frozen=True)
class Impact:
    """A finding's change in the metric's own units: ``about 95 fewer sign-up completions``."""

    insight_id: str
    text: str  # "about 95 fewer sign-up completions this week"
    amount: float  # signed, in the metric's units (completions, USD, orders …)
    low: float | None  # 95% interval of ``amount`` (None when the finding has none)
    high: float | None
    unit: str | None  # "USD" or None
    money: bool

    def interval_text(self) -> str:
        """``71 and 120`` / ``$4,900 and $7,500`` (magnitudes, as the text says the direction)."""
        if self.low is None or self.high is None:
            return ""
        lo, hi = sorted((abs(self.low), abs(self.high)))
        if (self.low < 0) != (self.high < 0):  # the interval crosses zero: say so
            lo_text = _amount(self.low, self.unit, signed=True)
            return f"{lo_text} and {_amount(self.high, self.unit, signed=True)}"
        return f"{_amount(lo, self.unit)} and {_amount(hi, self.unit)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "insight_id": self.insight_id,
            "text": self.text,
            "amount": self.amount,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
            "interval": self.interval_text(),
        }


@dataclass(frozen=True)
class Story:
    """Findings that tell one story: the lead first, then the others by score."""

    anchor: str  # "story-segment-driver-signup-completion-platform-android"
    lead: Insight
    members: tuple[Insight, ...]
    impacts: tuple[Impact, ...] = ()
    reasons: tuple[str, ...] = ()  # why the findings were put together (for "How we know")
    text: str = ""
    score: float = 0.0
    #: each quote once, with the label of the theme it was picked for
    quotes: tuple[tuple[Quote, str], ...] = field(default=())
    knowledge: tuple[KnowledgeLink, ...] = field(default=())

    @property
    def headline(self) -> str:
        return self.lead.narrative.headline or self.lead.title

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.members)

    @property
    def secondary(self) -> tuple[Insight, ...]:
        return self.members[1:]

    @property
    def impact(self) -> Impact | None:
        """The impact the paragraph states: money first, else the lead's."""
        money = [i for i in self.impacts if i.money]
        if money:
            return money[0]
        lead = [i for i in self.impacts if i.insight_id == self.lead.id]
        return (lead or list(self.impacts) or [None])[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "headline": self.headline,
            "lead": self.lead.id,
            "insight_ids": list(self.ids),
            "impacts": [i.to_dict() for i in self.impacts],
            "reasons": list(self.reasons),
            "text": self.text,
        }


# ------------------------------------------------------------------------------------- grouping


def as_insight(ins: Insight | Mapping[str, Any]) -> Insight:
    """``ins`` typed (an insight of ``insights.json`` in its JSON form is read as one)."""
    return ins if isinstance(ins, Insight) else Insight.from_dict(ins)


def _overlap(a: Insight, b: Insight) -> bool:
    if a.window_start == dt.date.min or b.window_start == dt.date.min:
        return True
    return a.window_start <= b.window_end and b.window_start <= a.window_end


def _segment(ins: Insight) -> set[tuple[str, str]]:
    return set(ins.segment)


def _nested(a: Insight, b: Insight) -> bool:
    sa, sb = _segment(a), _segment(b)
    return sa <= sb or sb <= sa


def _knowledge_keys(ins: Insight) -> set[tuple[str, str]]:
    # only a note credited as a cause ties two findings (not a routine one named plainly)
    return {
        (k.date.isoformat(), k.title)
        for k in ins.evidence.knowledge
        if k.title and k.role == "cause"
    }


def _main_theme(ins: Insight) -> str | None:
    """The theme a finding is about, or the first theme of its evidence that matched."""
    if ins.kind in THEME_KINDS:
        return ins.theme or None
    for t in ins.evidence.themes:
        if t.id and t.segment_match:
            return t.id
    return None


def _reason(a: Insight, b: Insight) -> str | None:
    """Why ``a`` and ``b`` tell one story, or None."""
    if b.id in a.related or a.id in b.related:
        return "linked when the findings were fused"
    if not _overlap(a, b) or not _nested(a, b):
        return None
    shared = _knowledge_keys(a) & _knowledge_keys(b)
    if shared:
        return f"same time and the same note: “{sorted(shared)[0][1]}”"
    ta, tb = _main_theme(a), _main_theme(b)
    if ta and ta == tb:
        return "same time and the same customer theme"
    if (
        a.segment
        and _segment(a) == _segment(b)
        and (a.window_start, a.window_end) == (b.window_start, b.window_end)
        and a.kind == b.kind
        and a.direction == b.direction
    ):
        return "same kind of change, same customers, same time"
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "story"


def _lead_of(members: Sequence[Insight], order: Mapping[str, int]) -> Insight:
    """A metric finding leads (it says *what* changed; a theme says *why*), most specific first
    among equals of the audience's order."""
    metric = [m for m in members if m.metric and m.kind not in THEME_KINDS]
    pool = metric or list(members)
    return min(pool, key=lambda m: order.get(m.id, 10**6))


def group(
    insights: Sequence[Insight | Mapping[str, Any]],
    order: Iterable[str] | None = None,
    grain: str = "week",
) -> list[Story]:
    """Group findings into stories (see the module text for the rule).

    ``order`` (insight ids) ranks findings, and so stories and leads: by default the document's
    order (highest score first). Returns the stories best first.
    """
    items = [i for i in map(as_insight, insights) if i.id]
    rank = {str(i): n for n, i in enumerate(order or [x.id for x in items])}
    for x in items:
        rank.setdefault(x.id, len(rank))
    parent = list(range(len(items)))
    reasons: dict[int, list[str]] = {}

    def find(n: int) -> int:
        return find_root(parent, n)

    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            why = _reason(items[a], items[b])
            if why:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[rb] = ra
                reasons.setdefault(a, []).append(f"{items[a].title} + {items[b].title}: {why}")
    groups: dict[int, list[int]] = {}
    for n in range(len(items)):
        groups.setdefault(find(n), []).append(n)
    out = []
    for idx in groups.values():
        members = [items[n] for n in idx]
        lead = _lead_of(members, rank)
        rest = sorted((m for m in members if m is not lead), key=lambda m: rank[m.id])
        why = [r for n in idx for r in reasons.get(n, [])]
        out.append(_story(lead, [lead, *rest], why, grain))
    out.sort(key=lambda s: min(rank[i] for i in s.ids))
    return out


def for_audience(doc: InsightsDocument | Mapping[str, Any], audience: str) -> list[Story]:
    """The stories an audience reads, in its order.

    Stories are grouped over every finding of the run (so a finding left out of a short
    selection still shows as a row of its story) and kept when one of their findings is
    selected for the audience. A summary audience (the board) reads 3–5 stories: at most its
    ``max_findings`` (5 when unset) and, where the run has them, at least 3.
    """
    doc = as_document(doc)
    insights = list(doc.insights)
    spec = doc.audiences.get(audience)
    ids = spec.insight_ids if spec is not None else None
    chosen = list(ids) if ids is not None else [i.id for i in insights]
    order = chosen + [i.id for i in insights if i.id not in chosen]
    every = group(insights, order, doc.period.grain or "week")
    picked = [s for s in every if set(s.ids) & set(chosen)]
    depth = (spec.depth if spec is not None else "") or (
        "summary" if audience == "board" else "detailed"
    )
    if depth == "summary":
        cap = int((spec.max_findings if spec is not None else None) or 5)
        cap = max(1, min(cap, 5))
        if len(picked) < 3:
            picked += [s for s in every if s not in picked][: 3 - len(picked)]
        picked = picked[:cap]
    return picked


# --------------------------------------------------------------------------------------- impact


def _amount(value: float, unit: str | None, *, signed: bool = False) -> str:
    """2 significant figures for counts above 100, dollars where the unit is USD."""
    v = abs(value)
    if v >= 100:
        digits = len(str(int(v))) - 2
        v = round(v, -digits)
    text = tf.exact_text(v, None, unit)  # the one formatter: separators, currency by locale
    if signed:
        text = ("−" if value < 0 else "+") + text
    return text


def _noun(ins: Insight) -> str:
    label = (ins.metric_label or ins.metric or "").strip()
    low = label[:1].lower() + label[1:]
    if ins.metric_kind == "conversion":
        return low if low.endswith("s") else low + "s"
    return low


def _when(ins: Insight, grain: str) -> str:
    if ins.kind == "anomaly":
        day = event_day(ins)
        if day != dt.date.min:
            return f"on {day:%A} {day.day} {day:%b}"
    return {"week": "this week", "month": "this month", "day": "that day"}.get(grain, "this period")


def impact(ins: Insight | Mapping[str, Any], grain: str = "week") -> Impact | None:
    """The change of a finding in the metric's own units against its baseline, or None.

    Shares (conversions) are turned into a number of people: the change in the share times
    the people who could convert this period (``n_current``); counts, users and sums are their
    own change. Means and theme shares have no total and give None.

    >>> impact({"id": "x", "metric": "signup_completion", "metric_label": "Sign-up completion",
    ...         "metric_kind": "conversion", "change_abs": -0.19, "ci_low": -0.238,
    ...         "ci_high": -0.142, "n_current": 500, "kind": "segment_driver"}).text
    'about 95 fewer sign-up completions this week'
    """
    ins = as_insight(ins)
    kind = ins.metric_kind
    ab = tf.finite_number(ins.change_abs)
    if not ins.metric or ab is None or kind not in ("conversion", "count", "sum", "distinct_users"):
        return None
    lo, hi = tf.finite_number(ins.ci_low), tf.finite_number(ins.ci_high)
    scale = 1.0
    if kind == "conversion":
        n = tf.finite_number(ins.n_current)
        if not n:
            return None
        scale = n
    amount = ab * scale
    low = lo * scale if lo is not None else None
    high = hi * scale if hi is not None else None
    if abs(amount) < 0.5:
        return None
    unit = ins.unit
    money = tf.currency_symbol(unit) is not None and kind == "sum"
    when = _when(ins, grain)
    noun = _noun(ins)
    if ins.kind == "trend" and ins.baseline_start != dt.date.min:
        d = ins.baseline_start
        when = f"{when} than in the {grain} of {d.day} {d:%b}"
    if money and ins.kind != "trend":
        word = "lost" if amount < 0 else "gained"
        text = f"about {_amount(amount, unit)} of {noun} {word} {when}"
    elif money:
        word = "less" if amount < 0 else "more"
        text = f"about {_amount(amount, unit)} {word} {noun} {when}"
    else:
        word = "fewer" if amount < 0 else "more"
        text = f"about {_amount(amount, unit)} {word} {noun} {when}"
    return Impact(ins.id, text, amount, low, high, unit, money)


# ----------------------------------------------------------------------------------------- text


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?”])\s+(?=[A-Z“0-9])", text.strip()) if s]


def _words(text: str) -> int:
    return len(text.split())


def _plain(sentence: str) -> bool:
    return not any(w in sentence for w in METHOD_WORDS)


def story_text(story: Story, grain: str = "week") -> str:
    """One plain paragraph (at most :data:`MAX_WORDS` words, no method words): the lead's plain
    text, the impact, and what the other findings add, shortest first when it must be cut."""
    lead = story.lead
    parts = [s for s in _sentences(lead.narrative.board or lead.title or "") if _plain(s)]
    imp = story.impact
    if imp is not None:
        interval = imp.interval_text()
        s = f"That is {imp.text}" if imp.insight_id == lead.id else imp.text
        s += f" (likely between {interval})." if interval else "."
        parts.append(s[:1].upper() + s[1:])
    others = [m.title for m in story.secondary if m.title]
    if others:
        shown = others[:3]
        more = len(others) - len(shown)
        tail = f", and {more} more finding{'s' if more != 1 else ''}" if more else ""
        parts.append(
            "In the same story: "
            + "; ".join(t[:1].lower() + t[1:] if not t[:2].isupper() else t for t in shown)
            + tail
            + "."
        )
    text = " ".join(parts)
    while _words(text) > MAX_WORDS and len(parts) > 1:
        parts.pop(1 if len(parts) > 2 else -1)
        text = " ".join(parts)
    if _words(text) > MAX_WORDS:
        text = " ".join(text.split()[:MAX_WORDS]).rstrip(",;:") + "…"
    return text


def _fits(quote: Quote, *segments: Any) -> bool:
    """True when the quote's customer is not outside any of ``segments``: an iPhone user's
    words never stand under an Android story (a quote without a segment fits any)."""
    said = quote.segment or {}
    for seg in segments:
        for col, val in seg or ():
            if col in said and str(said[col]) != str(val):
                return False
    return True


def _story(lead: Insight, members: list[Insight], why: list[str], grain: str) -> Story:
    impacts = tuple(i for i in (impact(m, grain) for m in members) if i is not None)
    quotes: list[tuple[Quote, str]] = []
    seen_q: set[str] = set()
    notes: list[KnowledgeLink] = []
    seen_k: set[tuple[dt.date, str]] = set()
    for m in members:
        for t in m.evidence.themes:
            for q in t.quotes:
                # the story's customers, the finding's and the theme's (when it has one)
                if not _fits(q, lead.segment, m.segment, t.segment):
                    continue
                key = q.id or q.text
                if key not in seen_q:
                    seen_q.add(key)
                    quotes.append((q, t.label))
        for k in m.evidence.knowledge:
            if (k.date, k.title) not in seen_k:
                seen_k.add((k.date, k.title))
                notes.append(k)
    story = Story(
        anchor="story-" + _slug(lead.id),
        lead=lead,
        members=tuple(members),
        impacts=impacts,
        reasons=tuple(why),
        score=max(tf.finite_number(m.score) or 0.0 for m in members),
        quotes=tuple(quotes),
        knowledge=tuple(notes),
    )
    return replace(story, text=story_text(story, grain))


def segment_words(ins: Insight | Mapping[str, Any]) -> str:
    return segment_text(as_insight(ins).segment)
