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
>>> from insightlib.report import runfolder, stories              # doctest: +SKIP
>>> run = runfolder.open_run("reports/2026-W47")                  # doctest: +SKIP
>>> [s.headline for s in stories.for_audience(run.doc, "board")]  # doctest: +SKIP
['Fewer Android sign-ups finish', ...]
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from insightlib.model import segment_text
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
    lead: Mapping[str, Any]
    members: tuple[Mapping[str, Any], ...]
    impacts: tuple[Impact, ...] = ()
    reasons: tuple[str, ...] = ()  # why the findings were put together (for "How we know")
    text: str = ""
    score: float = 0.0
    quotes: tuple[Mapping[str, Any], ...] = field(default=())
    knowledge: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def headline(self) -> str:
        return str((self.lead.get("narrative") or {}).get("headline") or self.lead.get("title"))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(str(m.get("id")) for m in self.members)

    @property
    def secondary(self) -> tuple[Mapping[str, Any], ...]:
        return self.members[1:]

    @property
    def impact(self) -> Impact | None:
        """The impact the paragraph states: money first, else the lead's."""
        money = [i for i in self.impacts if i.money]
        if money:
            return money[0]
        lead = [i for i in self.impacts if i.insight_id == self.lead.get("id")]
        return (lead or list(self.impacts) or [None])[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "headline": self.headline,
            "lead": self.lead.get("id"),
            "insight_ids": list(self.ids),
            "impacts": [i.to_dict() for i in self.impacts],
            "reasons": list(self.reasons),
            "text": self.text,
        }


# ------------------------------------------------------------------------------------- grouping


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def _window(ins: Mapping[str, Any]) -> tuple[str, str] | None:
    w = ins.get("window") or {}
    if not w.get("start"):
        return None
    return str(w["start"]), str(w.get("end") or w["start"])


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    wa, wb = _window(a), _window(b)
    if wa is None or wb is None:
        return True
    return wa[0] <= wb[1] and wb[0] <= wa[1]


def _segment(ins: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(str(k), str(v)) for k, v in (ins.get("segment") or {}).items()}


def _nested(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    sa, sb = _segment(a), _segment(b)
    return sa <= sb or sb <= sa


def _knowledge_keys(ins: Mapping[str, Any]) -> set[tuple[str, str]]:
    ks = (ins.get("evidence") or {}).get("knowledge") or []
    # only a note credited as a cause ties two findings (not a routine one named plainly)
    return {
        (str(k.get("date")), str(k.get("title")))
        for k in ks
        if k.get("title") and k.get("role", "cause") == "cause"
    }


def _theme_keys(ins: Mapping[str, Any]) -> set[str]:
    keys = {str(t.get("id")) for t in (ins.get("evidence") or {}).get("themes") or []}
    if ins.get("kind") in THEME_KINDS and ins.get("theme"):
        keys.add(str(ins["theme"]))
    return {k for k in keys if k and k != "None"}


def _main_theme(ins: Mapping[str, Any]) -> str | None:
    """The theme a finding is about, or the first theme of its evidence that matched."""
    if ins.get("kind") in THEME_KINDS:
        return str(ins.get("theme") or "") or None
    for t in (ins.get("evidence") or {}).get("themes") or []:
        if t.get("id") and t.get("segment_match", True):
            return str(t["id"])
    return None


def _reason(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    """Why ``a`` and ``b`` tell one story, or None."""
    if b.get("id") in (a.get("related") or ()) or a.get("id") in (b.get("related") or ()):
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
        _segment(a)
        and _segment(a) == _segment(b)
        and _window(a) == _window(b)
        and a.get("kind") == b.get("kind")
        and a.get("direction") == b.get("direction")
    ):
        return "same kind of change, same customers, same time"
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "story"


def _lead_of(members: Sequence[Mapping[str, Any]], order: Mapping[str, int]) -> Mapping[str, Any]:
    """A metric finding leads (it says *what* changed; a theme says *why*), most specific first
    among equals of the audience's order."""
    metric = [m for m in members if m.get("metric") and m.get("kind") not in THEME_KINDS]
    pool = metric or list(members)
    return min(pool, key=lambda m: order.get(str(m.get("id")), 10**6))


def group(
    insights: Sequence[Mapping[str, Any]],
    order: Iterable[str] | None = None,
    grain: str = "week",
) -> list[Story]:
    """Group findings into stories (see the module text for the rule).

    ``order`` (insight ids) ranks findings, and so stories and leads: by default the document's
    order (highest score first). Returns the stories best first.
    """
    items = [i for i in insights if i.get("id")]
    rank = {str(i): n for n, i in enumerate(order or [x["id"] for x in items])}
    for x in items:
        rank.setdefault(str(x["id"]), len(rank))
    parent = list(range(len(items)))
    reasons: dict[int, list[str]] = {}

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            why = _reason(items[a], items[b])
            if why:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[rb] = ra
                reasons.setdefault(a, []).append(
                    f"{items[a].get('title')} + {items[b].get('title')}: {why}"
                )
    groups: dict[int, list[int]] = {}
    for n in range(len(items)):
        groups.setdefault(find(n), []).append(n)
    out = []
    for idx in groups.values():
        members = [items[n] for n in idx]
        lead = _lead_of(members, rank)
        rest = sorted((m for m in members if m is not lead), key=lambda m: rank[str(m["id"])])
        why = [r for n in idx for r in reasons.get(n, [])]
        out.append(_story(lead, [lead, *rest], why, grain))
    out.sort(key=lambda s: min(rank[i] for i in s.ids))
    return out


def for_audience(doc: Mapping[str, Any], audience: str) -> list[Story]:
    """The stories an audience reads, in its order.

    Stories are grouped over every finding of the run (so a finding left out of a short
    selection still shows as a row of its story) and kept when one of their findings is
    selected for the audience. A summary audience (the board) reads 3–5 stories: at most its
    ``max_findings`` (5 when unset) and, where the run has them, at least 3.
    """
    insights = list(doc.get("insights") or [])
    spec = (doc.get("audiences") or {}).get(audience) or {}
    ids = spec.get("insight_ids")
    chosen = [str(i) for i in ids] if ids is not None else [str(i.get("id")) for i in insights]
    order = chosen + [str(i.get("id")) for i in insights if str(i.get("id")) not in chosen]
    every = group(insights, order, str((doc.get("period") or {}).get("grain") or "week"))
    picked = [s for s in every if set(s.ids) & set(chosen)]
    depth = spec.get("depth") or ("summary" if audience == "board" else "detailed")
    if depth == "summary":
        cap = int(spec.get("max_findings") or 5)
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


def _noun(ins: Mapping[str, Any]) -> str:
    label = str(ins.get("metric_label") or ins.get("metric") or "").strip()
    low = label[:1].lower() + label[1:]
    if ins.get("metric_kind") == "conversion":
        return low if low.endswith("s") else low + "s"
    return low


def _when(ins: Mapping[str, Any], grain: str) -> str:
    if ins.get("kind") == "anomaly":
        day = (ins.get("details") or {}).get("day") or (_window(ins) or ("",))[0]
        if day:
            try:
                d = dt.date.fromisoformat(str(day)[:10])
            except ValueError:
                return f"on {day}"
            return f"on {d:%A} {d.day} {d:%b}"
    return {"week": "this week", "month": "this month", "day": "that day"}.get(grain, "this period")


def impact(ins: Mapping[str, Any], grain: str = "week") -> Impact | None:
    """The change of a finding in the metric's own units against its baseline, or None.

    Shares (conversions) are turned into a number of people: the change in the share times
    the people who could convert this period (``n_current``); counts, users and sums are their
    own change. Means and theme shares have no total and give None.

    >>> impact({"id": "x", "metric": "signup_completion", "metric_label": "Sign-up completion",
    ...         "metric_kind": "conversion", "change_abs": -0.19, "ci_low": -0.238,
    ...         "ci_high": -0.142, "n_current": 500, "kind": "segment_driver"}).text
    'about 95 fewer sign-up completions this week'
    """
    kind = ins.get("metric_kind")
    ab = _num(ins.get("change_abs"))
    if (
        not ins.get("metric")
        or ab is None
        or kind
        not in (
            "conversion",
            "count",
            "sum",
            "distinct_users",
        )
    ):
        return None
    lo, hi = _num(ins.get("ci_low")), _num(ins.get("ci_high"))
    scale = 1.0
    if kind == "conversion":
        n = _num(ins.get("n_current"))
        if not n:
            return None
        scale = n
    amount = ab * scale
    low = lo * scale if lo is not None else None
    high = hi * scale if hi is not None else None
    if abs(amount) < 0.5:
        return None
    unit = ins.get("unit")
    money = tf.currency_symbol(unit) is not None and kind == "sum"
    when = _when(ins, grain)
    noun = _noun(ins)
    if ins.get("kind") == "trend":
        base = (ins.get("baseline_window") or {}).get("start")
        if base:
            d = dt.date.fromisoformat(str(base)[:10])
            when = f"{when} than in the {grain} of {d.day} {d:%b}"
    if money and ins.get("kind") != "trend":
        word = "lost" if amount < 0 else "gained"
        text = f"about {_amount(amount, unit)} of {noun} {word} {when}"
    elif money:
        word = "less" if amount < 0 else "more"
        text = f"about {_amount(amount, unit)} {word} {noun} {when}"
    else:
        word = "fewer" if amount < 0 else "more"
        text = f"about {_amount(amount, unit)} {word} {noun} {when}"
    return Impact(str(ins.get("id")), text, amount, low, high, unit, money)


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
    narrative = lead.get("narrative") or {}
    parts = [s for s in _sentences(str(narrative.get("board") or lead.get("title") or ""))]
    parts = [s for s in parts if _plain(s)]
    imp = story.impact
    if imp is not None:
        interval = imp.interval_text()
        s = f"That is {imp.text}" if imp.insight_id == lead.get("id") else imp.text
        s += f" (likely between {interval})." if interval else "."
        parts.append(s[:1].upper() + s[1:])
    others = [str(m.get("title") or "") for m in story.secondary if m.get("title")]
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


def _fits(quote: Mapping[str, Any], *segments: Any) -> bool:
    """True when the quote's customer is not outside any of ``segments``: an iPhone user's
    words never stand under an Android story (a quote without a segment fits any)."""
    said = quote.get("segment") or {}
    if not isinstance(said, Mapping):
        return True
    for seg in segments:
        for col, val in (seg or {}).items() if isinstance(seg, Mapping) else ():
            if col in said and str(said[col]) != str(val):
                return False
    return True


def _story(
    lead: Mapping[str, Any], members: list[Mapping[str, Any]], why: list[str], grain: str
) -> Story:
    impacts = tuple(i for i in (impact(m, grain) for m in members) if i is not None)
    quotes: list[Mapping[str, Any]] = []
    seen_q: set[str] = set()
    notes: list[Mapping[str, Any]] = []
    seen_k: set[tuple[str, str]] = set()
    for m in members:
        ev = m.get("evidence") or {}
        for t in ev.get("themes") or []:
            for q in t.get("quotes") or []:
                q = {"text": q} if isinstance(q, str) else q
                # the story's customers, the finding's and the theme's (when it has one)
                if not _fits(q, lead.get("segment"), m.get("segment"), t.get("segment")):
                    continue
                key = str(q.get("id") or q.get("text"))
                if key not in seen_q:
                    seen_q.add(key)
                    quotes.append({**q, "theme": t.get("label", "")})
        for k in ev.get("knowledge") or []:
            key = (str(k.get("date")), str(k.get("title")))
            if key not in seen_k:
                seen_k.add(key)
                notes.append(k)
    story = Story(
        anchor="story-" + _slug(str(lead.get("id"))),
        lead=lead,
        members=tuple(members),
        impacts=impacts,
        reasons=tuple(why),
        score=max(_num(m.get("score")) or 0.0 for m in members),
        quotes=tuple(quotes),
        knowledge=tuple(notes),
    )
    return _with_text(story, grain)


def _with_text(story: Story, grain: str) -> Story:
    from dataclasses import replace

    return replace(story, text=story_text(story, grain))


def segment_words(ins: Mapping[str, Any]) -> str:
    return segment_text(tuple(sorted((ins.get("segment") or {}).items())))
