"""Tell each insight in plain English: its title, headline, board and team texts, and the
open question put to a team.

Everything here is deterministic and offline: templates filled from the insight's own fields,
formatted by :mod:`insightlib.text.numbers`, passed through the glossary and the jargon list of
:mod:`insightlib.text.plain`, and checked against the board limits.

Per insight (:func:`narrate`):

- ``title`` — a plain statement for lists and indexes: "Sign-up completion fell on Android".
- ``headline`` — a few words: "Fewer Android sign-ups finish".
- ``board`` — at most 2 sentences and 40 words at reading grade 8 or below: what happened and
  how much, then the likely why (a knowledge entry that *coincided* with it, credited to its
  team, and what customers report) or the question we asked. Candidate texts are tried from
  the richest to the plainest; the first that passes :func:`insightlib.text.plain.lint_text` wins.
- ``team`` — full detail: numbers with intervals, drivers, themes with quotes, knowledge with
  team credit, the open question, method notes and caveats.
- the open question's ``text`` (:func:`question_text`), asked about the insight the question
  was raised for and shared by every insight it covers.

:mod:`insightlib.narrate.audiences` picks an audience's insights,
:mod:`insightlib.narrate.digest` writes the chat/e-mail summary and
:mod:`insightlib.narrate.assemble` builds the whole document.

The words "caused", "because of" and "due to" are never used: a link is a coincidence in time
and place, not proof of cause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from insightlib.document import Insight, KnowledgeLink, Narrative, Question, ThemeLink
from insightlib.fuse import canonical_team
from insightlib.model import (
    ONSET,
    THEME_KINDS,
    as_date,
    event_day,
    theme_counts,
    theme_shift,
    trend_start,
)
from insightlib.text import numbers as tf
from insightlib.text.plain import (
    BOARD_LIMITS,
    HEADLINE_LIMITS,
    JARGON,
    Term,
    apply_plain,
    find_jargon,
    lint_text,
    load_glossary,
)
from insightlib.workspace.periods import Period

__all__ = [
    "narrate",
    "narrate_one",
    "title_text",
    "question_text",
    "headline_text",
    "board_text",
    "team_text",
    "words_explained",
    "cap",
    "low_first",
    "possessive",
    "this_period",
    "top_knowledge",
]

_KIND_NOUN = {
    "release": "release",
    "incident": "incident",
    "campaign": "campaign",
    "pricing": "price change",
    "note": "note",
}
#: What to ask each team (by the rule table's name), about ``who`` and ``when``.
_ASK = {
    "Engineering": "did anything ship or break for {who} {when}?",
    "Marketing": "did a campaign or offer reach {who} {when}?",
    "Pricing": "did prices or offers change for {who} {when}?",
    "Customer Service": "did {who} contact you about this {when}?",
}
_ASK_DEFAULT = "do you know what changed for {who} {when}?"


# ==========================================================================================
# Small helpers
# ==========================================================================================
def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def low_first(s: str) -> str:
    """Lower the first letter unless the word is an acronym or a name ("iOS", "DE orders")."""
    if len(s) > 1 and (s[1].isupper() or s[:1].islower()):
        return s
    return s[:1].lower() + s[1:]


def possessive(team: str) -> str:
    return f"{team}'" if team.endswith("s") else f"{team}'s"


def _grain_word(grain: str) -> str:
    return {"day": "day", "week": "week", "month": "month"}.get(grain, "period")


def this_period(grain: str) -> str:
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


def top_knowledge(ins: Insight) -> KnowledgeLink | None:
    """The best-ranked note credited as a cause (never a routine or no-change note)."""
    return next((k for k in ins.evidence.knowledge if k.role == "cause"), None)


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
            out.append(f"{theme_shift(ins)} customers{where} mention “{ins.theme_label}”")
        elif ins.kind == "anomaly":
            d = event_day(ins)
            out.append(f"{label}{place} {'spiked' if up else 'dropped'} on {d:%A}")
        elif ins.kind == "trend":
            out.append(f"Steady {'rise' if up else 'fall'} in {low_first(label)}{place}")
        elif noun := _conv_noun(ins):
            seg = ins.segment if place == _place(ins) else ()
            out.append(f"{'More' if up else 'Fewer'} {tf.qualify(noun[0], seg)} {noun[1]}")
        elif ins.metric_kind in ("count", "distinct_users"):
            out.append(f"{'More' if up else 'Fewer'} {low_first(label)}{place}")
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


# ==========================================================================================
# Board text
# ==========================================================================================
def _about(x: float) -> str:
    """A per-period average for people: "about 2", "almost none"."""
    if x < 0.5:
        return "almost none"
    return f"about {tf.count(tf.round_half_up(x))}"


def _seasonal(ins: Insight, grain: str, sentences: list[str]) -> list[str]:
    """Each sentence followed by what last year did over the same periods (seasonality)."""
    season = ins.details.get("seasonal")
    if season_unknown(ins):
        from insightlib.quant.notes import SEASON_UNKNOWN

        sentences = [f"{x} {SEASON_UNKNOWN}" for x in sentences] + sentences
    days = [d for d in ins.details.get("holidays", []) if d["date"] >= ins.window_start.isoformat()]
    if days:
        d = days[0]
        when = tf.day(dt.date.fromisoformat(d["date"]))
        said = f"It coincided with {d['name']} in {tf.country_name(d['country'])} ({when})."
        sentences = [f"{x} {said}" for x in sentences] + sentences
    if not season:
        return sentences
    from insightlib.quant.notes import seasonal_phrase

    said = seasonal_phrase(season, grain)
    return [f"{x} {said}" for x in sentences] + sentences


def season_unknown(ins: Insight) -> bool:
    """Less than a year of data and nothing we know of explains the move: whether it is the
    usual season cannot be told, and the texts say so (instead of asking a team)."""
    return bool(ins.details.get("season_unknown")) and not ins.explained


def _what_candidates(ins: Insight, grain: str) -> list[str]:
    """First sentences, richest first: what happened and how much."""
    up = _up(ins)
    label = _label(ins)
    this = this_period(grain)
    gw = _grain_word(grain)
    if ins.kind in THEME_KINDS:
        n_cur, n_base = theme_counts(ins)
        n = tf.count(n_cur)
        base = "up" if up else "down"
        was = f"{base} from {_about(n_base)} a {gw}"
        if theme_shift(ins).startswith("A "):  # the count moved against the share: say shares
            was = f"{tf.pct(ins.current)} of all messages, {base} from about {tf.pct(ins.baseline)}"
        src = f" from {tf.who(ins.segment)}" if ins.segment else ""
        quoted = f"“{ins.theme_label}”"
        return [
            f"{cap(this)} {n} customer messages{src} mention {quoted}, {was}.",
            f"{cap(this)} {n} messages{src} say {quoted}, {was}.",
            f"{cap(this)} {n} notes{src} say {quoted}, {was}.",
            f"{quoted}: {n} notes{src} {this}, {was}.",
        ]
    if ins.kind == "anomaly":
        d = tf.weekday_day(event_day(ins))
        moved = "jumped" if up else "dropped"
        out = [
            f"On {d}, {low_first(label)}{_place(ins)} {moved} to {_v(ins, ins.current)}, against "
            f"about {_v(ins, ins.baseline)} on a usual day.",
            f"On {d}, {low_first(label)}{_place(ins)} {moved} to {_v(ins, ins.current)}.",
        ]
        return _seasonal(ins, grain, out) if ins.details.get("seasonal") else out
    if ins.kind == "trend":
        start = trend_start(ins)
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
        return _seasonal(ins, grain, out)
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
    if ins.details.get("seasonal") or ins.details.get("holidays") or season_unknown(ins):
        return _seasonal(ins, grain, [f"{core}." for core in cores])
    mix = ins.details.get("mix_shift")
    if mix:  # the segment mix moved, not a segment's rate: say that, never "X's rate fell"
        from insightlib.quant.notes import mix_phrase

        said = mix_phrase(mix, ins.metric_kind, ins.unit)
        out += [f"{core}. {said}" for core in cores]
        out += [f"{core}." for core in cores]
        return out
    conc = ins.details.get("concentration")
    if conc:  # a few users (or one order) make most of it: say so, with the figure
        from insightlib.quant.notes import concentration_phrase

        said = concentration_phrase(conc, ins.unit, ins.metric_kind)
        out += [f"{core}. {said}" for core in cores]
    for core in cores:
        if mostly:
            out.append(f"{core}{mostly}.")
    out += [f"{core}." for core in cores]
    return out


def _why_candidates(ins: Insight) -> list[str]:
    """Second sentences, richest first: the likely why, or the question we asked."""
    k = top_knowledge(ins)
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
                f"The {change} began around the same time as {possessive(k.team)} {title} "
                f"on {when}",
                f"It began around the time of {title} ({k.team}, {when})",
                f"{k.team} logged {title} on {when}",
            ]
        else:
            change, verb = ("rise", "rose") if up else ("drop", "fell")
            rich = [
                f"The {change} began around the same time as {possessive(k.team)} {title} "
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
            out.append(f"{cap(people)} {_says(t)} “{t.label}”, and we have asked {q.team} why.")
        out.append(f"Nothing we know of explains it yet, so we have asked {q.team}.")
        out.append(f"We have asked {q.team} why.")
    if t is not None and k is None and q is None:
        out.append(f"{cap(people)} {_says(t)} “{t.label}”.")
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
        who = cap(tf.who(ins.segment)) if ins.segment else "Customers"
        n_cur, n_base = theme_counts(ins)
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
        d = event_day(ins)
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
        start = trend_start(ins)
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
        who = cap(tf.who(t.segment)) if t.segment else "Customers"
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
        if k.role == "routine":  # said plainly: the only candidate, and it says nothing
            text = (
                f"No note explains it. The only candidate is {possessive(k.team)} routine "
                f"{noun} “{k.title}” ({tf.day(k.date)}), which does not say what changed"
            )
        else:
            text = f"This coincided with {possessive(k.team)} {noun} “{k.title}” ({tf.day(k.date)})"
            if k.details:
                text += f": {k.details.rstrip('.')}"
        text += f". Linked because: {k.why}."
        out.append(text)
    if ins.mix_driven and not any(k.role == "cause" for k in ins.evidence.knowledge):
        out.append("It moved with the mix of customers, so no note is credited with it.")
    also = [k for k in ins.evidence.also if k.role == "also"]
    if also:
        out.append(
            "Also that week, explaining nothing here: "
            + "; ".join(
                f"{possessive(k.team)} {_KIND_NOUN.get(k.kind, k.kind)} “{k.title}” "
                f"({tf.day(k.date)})"
                for k in also
            )
            + "."
        )
    return " ".join(out)


def _related_paragraph(ins: Insight, by_id: dict[str, Insight]) -> str:
    titles = [by_id[r].title for r in ins.related if r in by_id]
    return ("See also: " + "; ".join(titles) + ".") if titles else ""


def _p(p: float) -> str:
    return "below 0.001" if p < 0.001 else f"{p:.2g}"


def team_text(ins: Insight, grain: str = "week", related: dict[str, Insight] | None = None) -> str:
    """The full-detail text of one insight for the team report."""
    season = ins.details.get("seasonal")
    if season:
        from insightlib.quant.notes import seasonal_phrase
    parts = [
        _numbers_paragraph(ins, grain),
        seasonal_phrase(season, grain) if season else "",
        _drivers_paragraph(ins),
        _themes_paragraph(ins, grain),
        _knowledge_paragraph(ins),
    ]
    if ins.question is not None:
        parts.append(f"Open question for {ins.question.text}")
    elif season_unknown(ins):
        from insightlib.quant.notes import SEASON_UNKNOWN

        parts.append(SEASON_UNKNOWN)
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
# Title and open question
# ==========================================================================================
def title_text(ins: Insight) -> str:
    """A plain statement of the insight for lists: "Sign-up completion fell on Android"."""
    verb = "rose" if ins.direction == "up" else "fell"
    place = _place(ins)
    if ins.kind in THEME_KINDS:
        return f"{theme_shift(ins)} customers mention “{ins.theme_label}”{place}"
    label = ins.metric_label or (ins.metric or "")
    if ins.kind == "anomaly":
        moved = "spiked" if ins.direction == "up" else "dropped"
        return f"{label}{place} {moved} on {tf.weekday_day(event_day(ins))}"
    if ins.kind == "trend":
        return f"{label}{place}: a steady {'rise' if ins.direction == 'up' else 'fall'}"
    if ins.kind == "hidden_change":
        return f"{label} {verb}{place} while the total held steady"
    return f"{label} {verb}{place}"


def _when(ins: Insight, grain: str) -> str:
    if ins.kind == "anomaly":
        return f"on {tf.weekday_day(event_day(ins))}"
    if ins.kind == "trend":
        return f"since {tf.day(trend_start(ins))}"
    onset = as_date(ins.details.get(ONSET)) if ins.details else None
    if onset:
        return f"around {tf.day(onset)}"
    return (
        f"on {tf.weekday_day(ins.window_start)}"
        if grain == "day" or ins.window_start == ins.window_end
        else f"in the {grain} of {tf.date_range(ins.window_start, ins.window_end)}"
    )


def question_text(ins: Insight, team: str, grain: str = "week") -> str:
    """The open question for ``team`` about ``ins``: what to ask, the fact, and why we ask."""
    who = tf.who(ins.segment) if ins.segment else "customers"
    ask = _ASK.get(canonical_team(team), _ASK_DEFAULT).format(who=who, when=_when(ins, grain))
    label = ins.metric_label or (f"mentions of “{ins.theme_label}”" if ins.theme_label else "it")
    where = "" if not ins.segment else " there"
    verb = "rose" if ins.direction == "up" else "fell"
    if ins.metric_kind == "conversion" and ins.kind not in THEME_KINDS:
        # a share moves in points ("rose 25 points, from 35% to 60%"), never "rose 75%"
        fact = (
            f"{label}{where} {verb} {tf.points(ins.change_abs)}, "
            f"from {tf.pct(ins.baseline)} to {tf.pct(ins.current)}"
        )
    elif ins.change_rel is not None and ins.kind not in THEME_KINDS:
        fact = f"{label}{where} {verb} {tf.pct_change(ins.change_rel)}"
    else:
        n_cur = theme_counts(ins)[0] if ins.kind in THEME_KINDS else ins.current
        fact = f"{label}{where} {verb} to {tf.count(n_cur)}"
    text = f"{team}: {ask} {cap(fact)}, and nothing in the knowledge log explains it"
    routine = next((k for k in ins.evidence.knowledge if k.role == "routine"), None)
    if routine is not None:  # said plainly: the only candidate says nothing
        noun = _KIND_NOUN.get(routine.kind, routine.kind)
        text += (
            f" (the only candidate, the routine {noun} “{routine.title}” of "
            f"{tf.day(routine.date)}, does not say what changed)"
        )
    # the cause may be outside the product: ask that too
    return text + ". Or was it something outside, such as a season, a holiday or the news?"


def _titled(ins: Insight) -> Insight:
    return ins if ins.title else replace(ins, title=title_text(ins))


def _asked(insights: Sequence[Insight], grain: str) -> dict[str, Question]:
    """Every open question of ``insights`` with its text, asked about its own insight."""
    by_id = {i.id: i for i in insights}
    out: dict[str, Question] = {}
    for ins in insights:
        q = ins.question
        if q is None or q.id in out:
            continue
        about = by_id.get(q.insight_id, ins)
        out[q.id] = q if q.text else replace(q, text=question_text(about, q.team, grain))
    return out


# ==========================================================================================
# All texts of an insight
# ==========================================================================================
def narrate_one(
    ins: Insight,
    grain: str = "week",
    glossary: Sequence[Term] = (),
    related: dict[str, Insight] | None = None,
) -> Insight:
    """``ins`` with its title, open question text and narrative (headline, board, team)."""
    gloss = tuple(glossary)
    ins = _titled(ins)
    if ins.question is not None and not ins.question.text:
        ins = replace(ins, question=_asked([ins], grain)[ins.question.id])
    return replace(
        ins,
        narrative=Narrative(
            headline=headline_text(ins, grain, gloss),
            board=board_text(ins, grain, gloss),
            team=team_text(ins, grain, related),
        ),
    )


def words_explained(texts: Sequence[str], glossary: Sequence[Term] = ()) -> list[dict[str, str]]:
    """The terms to explain once in a report: explain-type terms used in ``texts``.

    Board texts and headlines replace short jargon but leave terms whose plain words are a
    definition ("Plus": "paid membership with free delivery"); the report explains each of
    them once, from this list.
    """
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
    """Tell every insight: title, open question and narrative (headline, board, team).

    The order is kept. A question shared by several insights is asked about the insight it
    was raised for (its ``insight_id``) and carries the same text everywhere.
    """
    gloss = glossary if isinstance(glossary, tuple) else load_glossary(glossary)
    titled = [_titled(i) for i in insights]
    asked = _asked(titled, period.grain)
    titled = [replace(i, question=asked[i.question.id]) if i.question else i for i in titled]
    by_id = {i.id: i for i in titled}
    return tuple(narrate_one(i, period.grain, gloss, by_id) for i in titled)
