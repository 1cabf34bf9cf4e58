"""Tell each insight in plain English, for each audience, and assemble ``insights.json``.

Everything here is deterministic and offline: templates filled from the insight's own fields,
formatted by :mod:`insightlib.text.numbers`, passed through the glossary and the jargon list of
:mod:`insightlib.text.plain`, and checked against the board limits.

Per insight (:func:`narrate`):

- ``headline`` — a few words: "Fewer Android sign-ups finish".
- ``board`` — at most 2 sentences and 40 words at reading grade 8 or below: what happened and
  how much, then the likely why (a knowledge entry that *coincided* with it, credited to its
  team, and what customers report) or the question we asked. Candidate texts are tried from
  the richest to the plainest; the first that passes :func:`insightlib.text.plain.lint_text` wins.
- ``team`` — full detail: numbers with intervals, drivers, themes with quotes, knowledge with
  team credit, the open question, method notes and caveats.

:func:`select` picks an audience's insights (filters, depth, maximum); :func:`digest` writes
the chat/e-mail summary (at most 150 words); :func:`assemble` builds the whole document.

The words "caused", "because of" and "due to" are never used: a link is a coincidence in time
and place, not proof of cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace as dc_replace
from datetime import date
from typing import Any

from insightlib.fuse import (
    THEME_KINDS,
    Insight,
    KnowledgeLink,
    Narrative,
    Question,
    ThemeLink,
    _event_day,
    _trend_start,
    fuse,
    knowledge_dicts,
    theme_counts_of,
)
from insightlib.model import segment_key
from insightlib.text import numbers as tf
from insightlib.text.plain import (
    BOARD_LIMITS,
    DIGEST_LIMITS,
    HEADLINE_LIMITS,
    PlainTextError,
    Term,
    apply_plain,
    lint_text,
    load_glossary,
)
from insightlib.text.redact import inert_markup
from insightlib.workspace.config import AudienceSpec, Config
from insightlib.workspace.periods import Period

__all__ = [
    "narrate",
    "narrate_one",
    "headline_text",
    "board_text",
    "team_text",
    "select",
    "digest",
    "check_texts",
    "assemble",
    "BOARD_MIN",
    "BOARD_EXTRA_MIN_SCORE",
]

#: A summary audience always gets its top 3 insights; the 4th and 5th only from this score.
BOARD_MIN = 3
BOARD_EXTRA_MIN_SCORE = 0.5
_KIND_NOUN = {
    "release": "release",
    "incident": "incident",
    "campaign": "campaign",
    "pricing": "price change",
    "note": "note",
}


# ==========================================================================================
# Small helpers
# ==========================================================================================
def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _low(s: str) -> str:
    """Lower the first letter unless the word is an acronym or a name ("iOS", "DE orders")."""
    if len(s) > 1 and (s[1].isupper() or s[:1].islower()):
        return s
    return s[:1].lower() + s[1:]


def _possessive(team: str) -> str:
    return f"{team}'" if team.endswith("s") else f"{team}'s"


def _grain_word(grain: str) -> str:
    return {"day": "day", "week": "week", "month": "month"}.get(grain, "period")


def _this(grain: str) -> str:
    return {"day": "that day", "week": "this week", "month": "this month"}.get(grain, "now")


def _place(ins: Insight) -> str:
    return "" if not ins.segment else f" {tf.where(ins.segment)}"


def _v(ins: Insight, x: float) -> str:
    return tf.value_text(x, ins.metric_kind, ins.unit)


def _label(ins: Insight) -> str:
    return ins.metric_label or ins.metric or ins.theme_label or ins.theme or "it"


def _up(ins: Insight) -> bool:
    return ins.direction == "up"


def _key_driver(ins: Insight):
    return next((d for d in ins.evidence.drivers if d.key), None)


def _top_theme(ins: Insight) -> ThemeLink | None:
    own = ins.theme if ins.kind in THEME_KINDS else None
    return next((t for t in ins.evidence.themes if t.id != own), None)


def _top_knowledge(ins: Insight) -> KnowledgeLink | None:
    return ins.evidence.knowledge[0] if ins.evidence.knowledge else None


def _says(t: ThemeLink) -> str:
    return "report" if (t.sentiment is not None and t.sentiment < 0) else "mention"


def _conv_noun(ins: Insight) -> tuple[str, str] | None:
    return tf.metric_noun(ins.metric_label or "", ins.metric_kind)


def _whole(x: float) -> str:
    return tf.per_hundred(x).split()[0]


# ==========================================================================================
# Headline
# ==========================================================================================
def _headline_candidates(ins: Insight) -> list[str]:
    up = _up(ins)
    label = _label(ins)
    out = []
    for place in dict.fromkeys((_place(ins), _short_place(ins), "")):
        if ins.kind in THEME_KINDS:
            where = f" among {tf.who(ins.segment)}" if ins.segment and place else ""
            out.append(f"{'More' if up else 'Fewer'} customers{where} mention “{ins.theme_label}”")
        elif ins.kind == "anomaly":
            d = _event_day(_as_finding_like(ins))
            out.append(f"{label}{place} {'spiked' if up else 'dropped'} on {d:%A}")
        elif ins.kind == "trend":
            out.append(f"Steady {'rise' if up else 'fall'} in {_low(label)}{place}")
        elif noun := _conv_noun(ins):
            seg = ins.segment if place == _place(ins) else ()
            out.append(f"{'More' if up else 'Fewer'} {tf.qualify(noun[0], seg)} {noun[1]}")
        elif ins.metric_kind in ("count", "distinct_users"):
            out.append(f"{'More' if up else 'Fewer'} {_low(label)}{place}")
        else:
            out.append(f"{label}{place} {'up' if up else 'down'}")
    return list(dict.fromkeys(out))


def _short_place(ins: Insight) -> str:
    """The place by its first column only ("on the free plan" for free-plan web users)."""
    return f" {tf.where(ins.segment[:1])}" if len(ins.segment) > 1 else _place(ins)


def headline_text(ins: Insight, grain: str = "week", glossary: Sequence[Term] = ()) -> str:
    """A few words for people: "Fewer Android sign-ups finish" (at most 12 words)."""
    gloss = tuple(glossary)
    cands = [apply_plain(c, gloss, explain=False) for c in _headline_candidates(ins)]
    for c in cands:
        if lint_text(c, gloss, HEADLINE_LIMITS, explain=False).ok:
            return c
    return cands[-1]


class _FindingLike:
    """Just enough of a Finding for the fuse helpers that read dates from ``details``."""

    def __init__(self, ins: Insight) -> None:
        self.details = ins.details
        self.window_start = ins.window_start
        self.window_end = ins.window_end


def _as_finding_like(ins: Insight) -> Any:
    return _FindingLike(ins)


# ==========================================================================================
# Board text
# ==========================================================================================
def _about(x: float) -> str:
    """A per-period average for people: "about 2", "almost none"."""
    if x < 0.5:
        return "almost none"
    return f"about {tf.count(tf.round_half_up(x))}"


def _what_candidates(ins: Insight, grain: str) -> list[str]:
    """First sentences, richest first: what happened and how much."""
    up = _up(ins)
    label = _label(ins)
    this = _this(grain)
    gw = _grain_word(grain)
    if ins.kind in THEME_KINDS:
        n_cur, n_base = theme_counts_of(ins)
        n = tf.count(n_cur)
        base = "up" if up else "down"
        was = f"{base} from {_about(n_base)} a {gw}"
        src = f" from {tf.who(ins.segment)}" if ins.segment else ""
        quoted = f"“{ins.theme_label}”"
        return [
            f"{_cap(this)} {n} customer messages{src} mention {quoted}, {was}.",
            f"{_cap(this)} {n} messages{src} say {quoted}, {was}.",
            f"{_cap(this)} {n} notes{src} say {quoted}, {was}.",
            f"{quoted}: {n} notes{src} {this}, {was}.",
        ]
    if ins.kind == "anomaly":
        d = tf.weekday_day(_event_day(_as_finding_like(ins)))
        moved = "jumped" if up else "dropped"
        return [
            f"On {d}, {_low(label)}{_place(ins)} {moved} to {_v(ins, ins.current)}, against "
            f"about {_v(ins, ins.baseline)} on a usual day.",
            f"On {d}, {_low(label)}{_place(ins)} {moved} to {_v(ins, ins.current)}.",
        ]
    if ins.kind == "trend":
        start = _trend_start(_as_finding_like(ins))
        moving = "rising" if up else "falling"
        plural = ins.metric_kind in ("count", "distinct_users") and label.endswith("s")
        keep = "keep" if plural else "keeps"
        out = []
        if ins.metric_kind == "conversion":
            out.append(
                f"{label}{_place(ins)} {keep} {moving}: {_v(ins, ins.current)} {this}, "
                f"from {_v(ins, ins.baseline)} in the {gw} of {tf.day(start)}."
            )
        elif ins.change_rel is not None:
            out.append(
                f"{label}{_place(ins)} {keep} {moving}: {_v(ins, ins.current)} {this}, "
                f"{tf.change_words(ins.change_rel)} since {tf.day(start)}."
            )
        out.append(f"{label}{_place(ins)} {keep} {moving}: {_v(ins, ins.current)} {this}.")
        out.append(f"{label}{_place(ins)} {keep} {moving}.")
        return out
    noun = _conv_noun(ins)
    drv = _key_driver(ins) if not ins.segment else None
    mostly = f", mostly {tf.where(drv.segment)}" if drv is not None else ""
    cores: list[str] = []
    if noun and _whole(ins.current) != _whole(ins.baseline):
        q = tf.qualify(noun[0], ins.segment)
        hundred = tf.per_hundred(ins.current)
        if up:
            cores.append(f"Now {hundred} {q} {noun[1]}, up from {_whole(ins.baseline)}")
        else:
            cores.append(f"Only {hundred} {q} now {noun[1]}, down from {_whole(ins.baseline)}")
            cores.append(f"{hundred} {q} now {noun[1]}, down from {_whole(ins.baseline)}")
    else:
        verb = "rose" if up else "fell"
        if ins.metric_kind == "conversion":
            digits = 1 if tf.pct(ins.current) == tf.pct(ins.baseline) else None
            cores.append(
                f"{label}{_place(ins)} {verb} from {tf.pct(ins.baseline, digits)} "
                f"to {tf.pct(ins.current, digits)} {this}"
            )
        elif ins.change_rel is None:
            cores.append(
                f"{label}{_place(ins)} went from {_v(ins, ins.baseline)} to "
                f"{_v(ins, ins.current)} {this}"
            )
        else:
            cores.append(
                f"{label}{_place(ins)} {verb} {tf.pct_change(ins.change_rel)} {this}, "
                f"to {_v(ins, ins.current)}"
            )
            cores.append(f"{label}{_place(ins)} {verb} {tf.pct_change(ins.change_rel)} {this}")
    out = []
    for core in cores:
        if mostly:
            out.append(f"{core}{mostly}.")
    out += [f"{core}." for core in cores]
    return out


def _why_candidates(ins: Insight) -> list[str]:
    """Second sentences, richest first: the likely why, or the question we asked."""
    k = _top_knowledge(ins)
    t = _top_theme(ins)
    q = ins.question
    out: list[str] = []
    if ins.kind in THEME_KINDS:
        if k is not None:
            out.append(f"{k.team} logged “{k.title}” on {tf.day(k.date)}.")
            out.append(f"{k.team} noted this on {tf.day(k.date)}.")
        if q is not None:
            out.append(f"We have asked {q.team} what is behind it.")
            out.append(f"We have asked {q.team} why.")
        return out
    up = _up(ins)
    people = "users" if any(c.lower() == "platform" for c, _ in ins.segment) else "customers"
    if t is not None and t.segment and any(c.lower() == "platform" for c, _ in t.segment):
        people = "users"
    if k is not None:
        when = tf.day(k.date)
        title = f"“{k.title}”"
        if ins.kind == "anomaly":
            rich = [f"That day, {k.team} logged {title}", f"{k.team} logged {title} that day"]
        elif ins.kind == "trend":
            change = "rise" if up else "fall"
            rich = [
                f"The {change} began around the same time as {_possessive(k.team)} {title} "
                f"on {when}",
                f"It began around the time of {title} ({k.team}, {when})",
                f"{k.team} logged {title} on {when}",
            ]
        else:
            change, verb = ("rise", "rose") if up else ("drop", "fell")
            rich = [
                f"The {change} began around the same time as {_possessive(k.team)} {title} "
                f"on {when}",
                f"It {verb} at the same time as {title} ({k.team}, {when})",
                f"It {verb} just as {k.team} logged {title} on {when}",
            ]
        if t is not None:
            says = _says(t)
            out += [f"{r}, and {people} {says} “{t.label}”." for r in rich]
            out += [f"{r}, and {people} tell us “{t.label}”." for r in rich[1:]]
        out += [f"{r}." for r in rich]
    if q is not None:
        if t is not None:
            out.append(f"{_cap(people)} {_says(t)} “{t.label}”, and we have asked {q.team} why.")
        out.append(f"Nothing we know of explains it yet, so we have asked {q.team}.")
        out.append(f"We have asked {q.team} why.")
    if t is not None and k is None and q is None:
        out.append(f"{_cap(people)} {_says(t)} “{t.label}”.")
    return out


def board_text(ins: Insight, grain: str = "week", glossary: Sequence[Term] = ()) -> str:
    """The board text: the richest candidate that passes the board limits (or the plainest)."""
    whats = _what_candidates(ins, grain)
    whys = _why_candidates(ins)
    gloss = tuple(glossary)
    tried: list[str] = []
    for why in [*whys, ""]:
        for what in whats:
            text = apply_plain(f"{what} {why}".strip(), gloss, explain=False)
            tried.append(text)
            if lint_text(text, gloss, BOARD_LIMITS, explain=False).ok:
                return text
    return tried[0]


# ==========================================================================================
# Team text
# ==========================================================================================
def _signed(ins: Insight, x: float) -> str:
    sign = "+" if x > 0 else ("-" if x < 0 else "")
    if ins.metric_kind == "conversion":
        return f"{sign}{tf.points(x, 1)}"
    return f"{sign}{tf.change_text(x, ins.metric_kind, ins.unit)}"


def _signed_pct(x: float) -> str:
    return f"{'+' if x > 0 else '-' if x < 0 else ''}{tf.points(x, 1)}"


def _rows_word(ins: Insight) -> str:
    return "people" if ins.metric_kind in ("conversion", "distinct_users") else "events"


def _rel_words(rel: float) -> str:
    """A relative change: "up 25%", or "34 times as high" once it has more than doubled."""
    if rel >= 1:
        return f"{tf.times(1 + rel)} as high"
    return tf.change_words(rel)


def _numbers_paragraph(ins: Insight, grain: str) -> str:
    label = _label(ins)
    cur_h = tf.date_range(ins.window_start, ins.window_end, year=True)
    base_h = tf.date_range(ins.baseline_start, ins.baseline_end, year=True)
    gw = _grain_word(grain)
    if ins.kind in THEME_KINDS:
        who = _cap(tf.who(ins.segment)) if ins.segment else "Customers"
        n_cur, n_base = theme_counts_of(ins)
        text = (
            f"{who} mentioned “{ins.theme_label}” {tf.count(n_cur)} times in {cur_h}, against "
            f"{tf.count(n_base)} a {gw} on average over {base_h}"
        )
        if "count_current" in ins.details:
            text += (
                f". That is {tf.pct(ins.current)} of all feedback, against "
                f"{tf.pct(ins.baseline)} before"
            )
            if ins.change_rel is not None:
                text += f" ({_rel_words(ins.change_rel)})"
        elif ins.change_rel is not None:
            text += f" ({_rel_words(ins.change_rel)})"
        if ins.ci_low is not None and ins.ci_high is not None and "count_current" in ins.details:
            text += (
                f"; 95% interval of the change in share {_signed_pct(ins.ci_low)} to "
                f"{_signed_pct(ins.ci_high)}"
            )
        return text + "."
    if ins.kind == "anomaly":
        d = _event_day(_as_finding_like(ins))
        text = (
            f"{label}{_place(ins)}: {_v(ins, ins.current)} on {tf.weekday_day(d)} {d.year}, "
            f"against an expected {_v(ins, ins.baseline)}"
        )
        lo, hi = ins.details.get("expected_low"), ins.details.get("expected_high")
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            text += f" (usual range {_v(ins, lo)} to {_v(ins, hi)})"
        if ins.metric_kind == "conversion":
            text += f": {'up' if ins.change_abs > 0 else 'down'} {tf.points(ins.change_abs, 1)}"
        elif ins.change_rel is not None:
            text += f": {tf.change_words(ins.change_rel)}"
        return text + "."
    cur_v, base_v = _v(ins, ins.current), _v(ins, ins.baseline)
    if ins.metric_kind == "conversion":
        cur_v = tf.pct(ins.current, 1)
        base_v = tf.pct(ins.baseline, 1)
    rows = _rows_word(ins)
    if ins.kind == "trend":
        start = _trend_start(_as_finding_like(ins))
        text = (
            f"{label}{_place(ins)}: {cur_v} in the {gw} to {tf.day(ins.window_end, year=True)} "
            f"({tf.count(ins.n_current)} {rows}), against {base_v} in {base_h} "
            f"({tf.count(ins.n_baseline)} {rows}), a steady {'rise' if _up(ins) else 'fall'} "
            f"since {tf.day(start, year=True)}"
        )
    else:
        text = (
            f"{label}{_place(ins)}: {cur_v} in {cur_h} ({tf.count(ins.n_current)} {rows}), "
            f"against {base_v} over {base_h} ({tf.count(ins.n_baseline)} {rows})"
        )
    change = []
    if ins.metric_kind == "conversion":
        moved = f"{'up' if ins.change_abs > 0 else 'down'} {tf.points(ins.change_abs, 1)}"
        if ins.change_rel is not None:
            moved += (
                f" ({tf.pct_change(ins.change_rel)} {'higher' if ins.change_abs > 0 else 'lower'})"
            )
        change.append(moved)
    elif ins.change_rel is not None:
        change.append(tf.change_words(ins.change_rel))
    if ins.ci_low is not None and ins.ci_high is not None:
        change.append(
            f"95% interval of the change {_signed(ins, ins.ci_low)} to {_signed(ins, ins.ci_high)}"
        )
    if change:
        text += ": " + ", ".join(change)
    text += "."
    if ins.better is not None:
        text += " This is good news." if ins.better else " This is bad news."
    return text


def _drivers_paragraph(ins: Insight) -> str:
    """Where the change sits: the key segments' shares (for a segment: its share of the whole)."""
    if not ins.evidence.drivers:
        return ""
    top = next((d for d in ins.evidence.drivers if d.key), ins.evidence.drivers[0])
    cols = {c for c, _ in top.segment}
    ds = [
        d
        for d in ins.evidence.drivers
        if {c for c, _ in d.segment} == cols and (d.share_of_change >= 0.05 or d is top)
    ][:3]
    share_of = "ratio" if ins.metric_kind == "conversion" or ins.kind in THEME_KINDS else "value"
    parts = []
    for d in ds:
        if share_of == "ratio":
            moved = f"{tf.pct(d.baseline)} to {tf.pct(d.current)}"
        else:
            moved = f"{_v(ins, d.baseline)} to {_v(ins, d.current)}"
        if d.share_of_change < 0:
            parts.append(f"{tf.who(d.segment)} moved against the overall figure ({moved})")
            continue
        share = tf.pct(d.share_of_change)
        more = "more than all of it, " if d.share_of_change > 1 else ""
        parts.append(f"{tf.who(d.segment)} {more}{share} ({moved})")
    what = "rise" if ins.kind in THEME_KINDS and _up(ins) else "change"
    if ins.segment:
        what = f"overall {what}"
    return f"Share of the {what}: " + "; ".join(parts) + "."


def _quote_text(q: Any) -> str:
    src = str(q.source).replace("_", " ")
    return f"“{q.text}” ({src}, {tf.day(q.date)})"


def _themes_paragraph(ins: Insight, grain: str) -> str:
    out = []
    gw = _grain_word(grain)
    for t in ins.evidence.themes:
        quotes = "; ".join(_quote_text(q) for q in t.quotes)
        if ins.kind in THEME_KINDS and t.id == ins.theme:
            if quotes:
                out.append(f"In their words: {quotes}.")
            continue
        who = _cap(tf.who(t.segment)) if t.segment else "Customers"
        text = (
            f"{who} mentioned “{t.label}” {tf.count(t.count)} times, against "
            f"{tf.count(t.count_baseline)} a {gw} before"
        )
        if quotes:
            text += f", e.g. {quotes}"
        text += f". Linked because it {t.why}."
        out.append(text)
    return " ".join(out)


def _knowledge_paragraph(ins: Insight) -> str:
    out = []
    for k in ins.evidence.knowledge:
        noun = _KIND_NOUN.get(k.kind, k.kind)
        text = f"This coincided with {_possessive(k.team)} {noun} “{k.title}” ({tf.day(k.date)})"
        if k.details:
            text += f": {k.details.rstrip('.')}"
        text += f". Linked because: {k.why}."
        out.append(text)
    return " ".join(out)


def _related_paragraph(ins: Insight, by_id: dict[str, Insight]) -> str:
    titles = [by_id[r].title for r in ins.related if r in by_id]
    return ("See also: " + "; ".join(titles) + ".") if titles else ""


def _p(p: float) -> str:
    return "below 0.001" if p < 0.001 else f"{p:.2g}"


def team_text(ins: Insight, grain: str = "week", related: dict[str, Insight] | None = None) -> str:
    """The full-detail text of one insight for the team report."""
    parts = [
        _numbers_paragraph(ins, grain),
        _drivers_paragraph(ins),
        _themes_paragraph(ins, grain),
        _knowledge_paragraph(ins),
    ]
    if ins.question is not None:
        parts.append(f"Open question for {ins.question.text}")
    if related:
        parts.append(_related_paragraph(ins, related))
    method = f"Method: {ins.method.rstrip('.')}" if ins.method else "Method: not recorded"
    if ins.q_value is not None:
        method += f"; adjusted p-value {_p(ins.q_value)}"
    elif ins.p_value is not None:
        method += f"; p-value {_p(ins.p_value)}"
    method += "."
    if ins.evidence.knowledge or ins.evidence.themes:
        method += " The links above are coincidences in time and place, not proof of cause."
    parts.append(method)
    return " ".join(p for p in parts if p)


# ==========================================================================================
# All texts of an insight
# ==========================================================================================
def narrate_one(
    ins: Insight,
    grain: str = "week",
    glossary: Sequence[Term] = (),
    related: dict[str, Insight] | None = None,
) -> Insight:
    gloss = tuple(glossary)
    head = headline_text(ins, grain, gloss)
    return ins.with_narrative(
        Narrative(
            headline=head,
            board=board_text(ins, grain, gloss),
            team=team_text(ins, grain, related),
        )
    )


def words_explained(texts: Sequence[str], glossary: Sequence[Term] = ()) -> list[dict[str, str]]:
    """The terms to explain once in a report: explain-type terms used in ``texts``.

    Board texts and headlines replace short jargon but leave terms whose plain words are a
    definition ("Plus": "paid membership with free delivery"); the report explains each of
    them once, from this list.
    """
    from insightlib.text.plain import JARGON, find_jargon

    terms = tuple(t for t in (*glossary, *JARGON) if t.mode == "explain")
    used = []
    for text in texts:
        used += find_jargon(text, terms)
    by_term = {t.term: t for t in terms}
    seen = dict.fromkeys(used)
    return [{"term": t, "plain": by_term[t].plain} for t in seen if t in by_term]


def narrate(
    insights: Sequence[Insight], period: Period, glossary: Any = None
) -> tuple[Insight, ...]:
    """Fill ``narrative`` (headline, board, team) of every insight; order is kept."""
    gloss = glossary if isinstance(glossary, tuple) else load_glossary(glossary)
    by_id = {i.id: i for i in insights}
    return tuple(narrate_one(i, period.grain, gloss, by_id) for i in insights)


# ==========================================================================================
# Audiences
# ==========================================================================================
def _segment_filter(ins: Insight, wanted: Sequence[str]) -> bool:
    have = {(c.lower(), str(v).lower()) for c, v in ins.segment}
    key = segment_key(ins.segment).lower()
    for w in wanted:
        w = w.strip().lower()
        if w == key or (w == "all" and not ins.segment):
            return True
        if "=" in w:
            pairs = {tuple(p.split("=", 1)) for p in w.split("&")}
            if pairs <= have:
                return True
        elif any(c == w for c, _ in have):
            return True
    return False


def _matches(ins: Insight, spec: AudienceSpec) -> bool:
    if spec.metrics and ins.metric not in spec.metrics:
        return False
    if spec.segments and not _segment_filter(ins, spec.segments):
        return False
    if spec.themes:
        wanted = {t.lower() for t in spec.themes}
        have = {t.lower() for t in (ins.theme, ins.theme_label) if t}
        have |= {t.id.lower() for t in ins.evidence.themes}
        have |= {t.label.lower() for t in ins.evidence.themes}
        if not wanted & have:
            return False
    if spec.teams:
        wanted = {t.lower() for t in spec.teams}
        have = {k.team.lower() for k in ins.evidence.knowledge}
        if ins.question:
            have.add(ins.question.team.lower())
        if not wanted & have:
            return False
    return True


def _same_story(a: Insight, b: Insight) -> bool:
    """Whether a summary should tell ``b`` once ``a`` is told: the same metric in nested
    segments, changes of the same kind and direction in the same segment and window, a theme
    that is evidence of the other, the same likely why (top knowledge entry), or anomalies of
    the same day and segment."""
    if b.id in a.related or a.id in b.related:
        return True
    if a.metric and a.metric == b.metric and a.direction == b.direction:
        sa, sb = set(a.segment), set(b.segment)
        if sa <= sb or sb <= sa:
            return True
        keys_a = {d.segment for d in a.evidence.drivers if d.key}
        if b.segment in keys_a or a.segment in {d.segment for d in b.evidence.drivers if d.key}:
            return True
    if (
        a.segment
        and a.segment == b.segment
        and a.kind == b.kind
        and a.direction == b.direction
        and a.window_start == b.window_start
    ):
        return True  # e.g. orders and revenue in Germany both up: one story about Germany
    ka, kb = _top_knowledge(a), _top_knowledge(b)
    if ka is not None and kb is not None and (ka.date, ka.title) == (kb.date, kb.title):
        return True
    return (
        a.kind == b.kind == "anomaly"
        and a.window_start == b.window_start
        and a.segment == b.segment
    )


def select(insights: Sequence[Insight], spec: AudienceSpec) -> tuple[Insight, ...]:
    """The insights an audience sees, highest score first.

    Filters (``metrics``, ``segments``, ``themes``, ``teams``) combine with AND across kinds
    and OR within one; a segment filter may be a key (``platform=android``), a pair inside a
    crossed segment, or a column name; a team filter matches knowledge credited to the team
    or a question routed to it. A ``summary`` audience shows each story once: the best-scored
    insight of each group of insights on the same metric in nested segments, with the same
    likely why (top knowledge entry), or anomalies of the same day and place; a theme that is
    evidence of a change is told with that change. At most ``max_findings`` (default 5): the
    top :data:`BOARD_MIN` always, more only from a score of :data:`BOARD_EXTRA_MIN_SCORE`.
    """
    ordered = sorted(insights, key=lambda i: (-i.score, i.id))
    chosen = [i for i in ordered if _matches(i, spec)]
    if spec.depth != "summary":
        return tuple(chosen[: spec.max_findings] if spec.max_findings else chosen)
    limit = spec.max_findings or 5
    out: list[Insight] = []
    ids = {i.id for i in chosen}
    for ins in chosen:
        if ins.kind in THEME_KINDS and any(r in ids for r in ins.related):
            continue  # told as evidence of the change it goes with
        if len(out) >= limit:
            break
        if any(_same_story(ins, o) for o in out):
            continue
        if len(out) >= BOARD_MIN and ins.score < BOARD_EXTRA_MIN_SCORE:
            break
        out.append(ins)
    return tuple(out)


# ==========================================================================================
# Digest
# ==========================================================================================
def _digest_item(ins: Insight, level: int) -> str:
    head = ins.narrative.headline or ins.title
    first = ins.narrative.board.split(". ")[0].rstrip(".") if ins.narrative.board else head
    k = _top_knowledge(ins)
    if level == 0:
        return f"- {ins.narrative.board or head}"
    if level == 1:
        credit = ""
        if k is not None:
            credit = f" It coincided with {_possessive(k.team)} “{k.title}”."
        elif ins.question is not None:
            credit = f" We have asked {ins.question.team}."
        return f"- {first}.{credit}"
    if k is not None:
        return f"- {head}, around {_possessive(k.team)} “{k.title}”."
    if ins.question is not None:
        return f"- {head}; we have asked {ins.question.team}."
    return f"- {head}."


def digest(
    board: Sequence[Insight],
    config: Config,
    period: Period,
    *,
    n_more: int = 0,
    n_tests: int | None = None,
    glossary: Sequence[Term] = (),
    has_feedback: bool = True,
) -> str:
    """The chat/e-mail summary: at most 150 words, plain English, from the board's insights."""
    gloss = tuple(glossary)
    kind = {"day": "daily", "week": "weekly", "month": "monthly"}.get(period.grain, "")
    title = config.title or f"{config.project} {kind} insights".strip()
    head = f"{title}, {period.human()}:"
    foot = "Full report: team.html · Board summary: board.pdf"
    if not board:
        checked = (
            f"We ran {n_tests} checks on the numbers we track"
            if n_tests
            else "We checked the numbers we track"
        )
        read = " and read what customers wrote" if has_feedback else ""
        body = f"Nothing unusual {_this(period.grain)}. {checked}{read}; nothing stood out."
        if n_tests == 0:  # honest about what could not be concluded
            body = (
                f"Too little data to test for a change {_this(period.grain)}. No number we track "
                f"had {config.min_volume} users or events, so we cannot say if anything changed."
            )
        if not has_feedback:
            body += (
                " There was no customer feedback, so we cannot say why numbers moved."
                if n_tests == 0
                else " There was no customer feedback to read."
            )
        return apply_plain(f"{head}\n{body}\n{foot}", gloss)
    tail = "More changes are in the full report." if n_more else "Nothing else stood out."
    text = ""
    for level in (0, 1, 2):
        items = "\n".join(_digest_item(i, level) for i in board)
        text = apply_plain(f"{head}\n{items}\n{tail}\n{foot}", gloss)
        if lint_text(text, gloss, DIGEST_LIMITS).ok:
            return text
    return text


# ==========================================================================================
# Checks
# ==========================================================================================
def check_texts(doc: dict[str, Any], glossary: Sequence[Term] = ()) -> list[str]:
    """Every limit broken by the document's headlines, board texts and digest (empty: all ok)."""
    problems = []
    gloss = tuple(glossary)
    for ins in doc.get("insights", []):
        nar = ins.get("narrative") or {}
        for what, limits in (("headline", HEADLINE_LIMITS), ("board", BOARD_LIMITS)):
            r = lint_text(nar.get(what, ""), gloss, limits, explain=False)
            if not r.ok:
                problems.append(f"{ins['id']} {what} “{nar.get(what)}”: {'; '.join(r.problems)}")
    r = lint_text(doc.get("digest", ""), gloss, DIGEST_LIMITS)
    if not r.ok:
        problems.append(f"digest: {'; '.join(r.problems)}")
    return problems


# ==========================================================================================
# The document
# ==========================================================================================
def _baseline_window(period: Period, n: int) -> tuple[date, date]:
    first = period.previous(n)
    return first.start, period.previous().end


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _summary_text(board: Sequence[Insight], n_insights: int, grain: str) -> str:
    if not n_insights:
        return f"Nothing unusual {_this(grain)}."
    if not board:
        return f"Nothing big {_this(grain)}; the team report has {n_insights} smaller findings."
    lead = board[0].narrative.headline or board[0].title
    n = len(board)
    things = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    text = (
        f"One thing stands out {_this(grain)}: {_low(lead)}."
        if n == 1
        else f"{_cap(things)} things stand out {_this(grain)}; the biggest: {_low(lead)}."
    )
    if n_insights > n:
        text += f" The team report has all {n_insights} findings."
    return text


def assemble(
    *,
    quant: Any,
    qual: Any,
    knowledge: Any,
    glossary: Any,
    config: Config,
    period: Period,
    provenance: dict[str, Any] | None = None,
    baseline: tuple[date, date] | None = None,
    check: bool = True,
    score_factors: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Fuse, narrate, select audiences, write the digest and assemble ``insights.json``.

    See :func:`insightlib.fuse.build_document` (the public name).
    """
    gloss = load_glossary(glossary)
    bstart, bend = baseline or _baseline_window(period, config.baseline_periods)
    insights, questions = fuse(quant, qual, knowledge, config, period, (bstart, bend))
    insights = narrate(insights, period, gloss)
    if score_factors:  # learned from teams' verdicts: ranks lower before anything is picked
        insights = tuple(
            sorted(
                (
                    dc_replace(i, score=round(i.score * score_factors[i.id], 4))
                    if i.id in score_factors
                    else i
                    for i in insights
                ),
                key=lambda i: (-i.score, i.id),
            )
        )
    audiences = dict(config.audiences)
    audiences.setdefault("team", AudienceSpec("team", "detailed", None))
    audiences.setdefault("board", AudienceSpec("board", "summary", 5))
    chosen = {name: select(insights, spec) for name, spec in audiences.items()}
    board = chosen["board"]
    prov = dict(provenance or {})
    files = prov.get("files") or {}
    n_tests = getattr(quant, "n_tests", None)
    n_feedback = (files.get("feedback") or {}).get("rows")
    if n_feedback is None and getattr(qual, "assignments", None) is not None:
        n_feedback = len(qual.assignments)
    text = digest(
        board,
        config,
        period,
        n_more=len(insights) - len(board),
        n_tests=n_tests,
        glossary=gloss,
        has_feedback=bool(n_feedback),
    )
    text = inert_markup(text)  # it is pasted into chat and e-mail: no live markup from user text
    params = {
        "grain": period.grain,
        "alpha": config.alpha,
        "min_volume": config.min_volume,
        "baseline_periods": config.baseline_periods,
    }
    params.update(prov.get("parameters") or {})
    from insightlib.fuse import LEAD_DAYS, MAX_KNOWLEDGE, MAX_THEMES, THEME_MIN_SCORE

    params.setdefault(
        "fusion",
        {
            "lead_days": LEAD_DAYS.get(period.grain, 7),
            "theme_min_score": THEME_MIN_SCORE,
            "max_themes": MAX_THEMES,
            "max_knowledge": MAX_KNOWLEDGE,
        },
    )
    prov["files"] = files
    prov["parameters"] = params
    kind = {"day": "daily", "week": "weekly", "month": "monthly"}.get(period.grain, "")
    themes = sorted(getattr(qual, "themes", ()) or (), key=lambda t: (-t.count, t.id))
    linked_since = min([bstart, *(k.date for i in insights for k in i.evidence.knowledge)])
    doc: dict[str, Any] = {
        "schema_version": 1,
        "project": config.project,
        "title": config.title or f"{config.project} {kind} insights".strip(),
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "grain": period.grain,
            "human": period.human(),
        },
        "baseline": {
            "start": bstart.isoformat(),
            "end": bend.isoformat(),
            "periods": config.baseline_periods,
            "human": tf.date_range(bstart, bend, year=True),
        },
        "summary": {
            "n_insights": len(insights),
            "n_tests": n_tests,
            "n_events": (files.get("events") or {}).get("rows"),
            "n_feedback": n_feedback,
            "nothing_found": not insights,
            "text": _summary_text(board, len(insights), period.grain),
        },
        "insights": [i.to_dict() for i in insights],
        "themes": [_theme_dict(t) for t in themes],
        "questions": [_question_dict(q) for q in questions],
        "knowledge": knowledge_dicts(knowledge, since=linked_since, until=period.end),
        "audiences": {
            name: {
                "depth": spec.depth,
                "title": spec.title or name.replace("_", " ").capitalize(),
                "max_findings": spec.max_findings,
                "insight_ids": [i.id for i in chosen[name]],
                "question_ids": [
                    q.id
                    for q in questions
                    if not spec.teams or q.team.lower() in {t.lower() for t in spec.teams}
                ],
            }
            for name, spec in audiences.items()
        },
        "digest": text,
        "glossary": words_explained(
            [t for i in board for t in (i.narrative.headline, i.narrative.board)], gloss
        ),
        "history": {
            "previous": None,
            "new": [i.id for i in insights],
            "continuing": [],
            "resolved": [],
        },
        "provenance": prov,
    }
    if check:
        problems = check_texts(doc, gloss)
        if problems:
            raise PlainTextError(
                "texts for the board break the plain-English limits (grade 8, 40 words, "
                "2 sentences, no jargon):\n  " + "\n  ".join(problems) + "\nShorten the metric "
                "labels in insight.toml or add glossary entries, then run again."
            )
    return doc


def _question_dict(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "team": q.team,
        "text": q.text,
        "insight_id": q.insight_id,
        "reason": q.reason,
    }


def _theme_dict(t: Any) -> dict[str, Any]:
    from insightlib.fuse import _neutral, _redact

    d = t.to_dict()
    d["label"] = _neutral(d.get("label")) or d.get("id")
    d["quotes"] = [
        {**q, "text": _redact(_neutral(q.get("text")) or "")} for q in d.get("quotes", [])
    ]
    return d
