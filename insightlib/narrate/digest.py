"""The digest: a short plain-text summary of a run to paste into chat or e-mail (at most 150
words), and the one-line summary of the document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from insightlib.document import Insight, InsightsDocument, as_document
from insightlib.narrate.texts import cap, low_first, possessive, this_period, top_knowledge
from insightlib.text.plain import DIGEST_LIMITS, Term, apply_plain, lint_text
from insightlib.workspace.config import Config
from insightlib.workspace.periods import Period

__all__ = ["digest", "summary_text", "with_verdicts"]


def _digest_item(ins: Insight, level: int) -> str:
    head = ins.narrative.headline or ins.title
    first = ins.narrative.board.split(". ")[0].rstrip(".") if ins.narrative.board else head
    k = top_knowledge(ins)
    if level == 0:
        return f"- {ins.narrative.board or head}"
    if level == 1:
        credit = ""
        if k is not None:
            credit = f" It coincided with {possessive(k.team)} “{k.title}”."
        elif ins.question is not None:
            credit = f" We have asked {ins.question.team}."
        return f"- {first}.{credit}"
    if k is not None:
        return f"- {head}, around {possessive(k.team)} “{k.title}”."
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
    watch: Sequence[str] = (),
    has_events: bool = True,
    untestable: bool = False,
) -> str:
    """The chat/e-mail summary: at most 150 words, plain English, from the board's insights.

    ``watch`` holds "worth watching" lines (large moves that are not significant), told when
    nothing else stood out instead of "nothing unusual"."""
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
        body = f"Nothing unusual {this_period(period.grain)}. {checked}{read}; nothing stood out."
        for n in (2, 1):  # as many "worth watching" lines as the digest's limits allow
            if len(watch) < n:
                continue
            text = (
                f"No clear change {this_period(period.grain)}. {checked}{read}. Worth watching: "
                + " ".join(watch[:n])
            )
            if lint_text(apply_plain(f"{head}\n{text}\n{foot}", gloss), gloss, DIGEST_LIMITS).ok:
                body = text
                break
        if n_tests == 0 or untestable:  # honest about what could not be concluded
            body = (
                f"Too little data to test for a change {this_period(period.grain)}. Every number "
                "we track is too small (or too new) to tell whether it changed."
            )
        if not has_events:  # feedback only
            body = (
                f"Nothing unusual in what customers wrote {this_period(period.grain)}. There is "
                "no event data, so no numbers were checked."
            )
        elif not has_feedback:
            body += (
                " There was no customer feedback, so we cannot say why numbers moved."
                if n_tests == 0 or untestable
                else " There was no customer feedback to read."
            )
        return apply_plain(f"{head}\n{body}\n{foot}", gloss)
    tail = "More changes are in the full report." if n_more else "Nothing else stood out."
    if not has_events:
        tail += " There is no event data, so no numbers were checked."
    text = ""
    for level in (0, 1, 2):
        items = "\n".join(_digest_item(i, level) for i in board)
        text = apply_plain(f"{head}\n{items}\n{tail}\n{foot}", gloss)
        if lint_text(text, gloss, DIGEST_LIMITS).ok:
            return text
    return text


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def summary_text(headlines: Sequence[str], n_insights: int, grain: str) -> str:
    """The run's one-line summary: how many things the board tells and the first of them.

    ``headlines`` are the board's stories' headlines, first first (the board shows stories, and
    the summary names the one it shows first: the story a theme joined is led by its metric)."""
    if not n_insights:
        return f"Nothing unusual {this_period(grain)}."
    if not headlines:
        return (
            f"Nothing big {this_period(grain)}; the team report has {n_insights} smaller findings."
        )
    lead = headlines[0]
    n = len(headlines)
    things = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    text = (
        f"One thing stands out {this_period(grain)}: {low_first(lead)}."
        if n == 1
        else f"{cap(things)} things stand out {this_period(grain)}; the biggest: {low_first(lead)}."
    )
    if n_insights > n:
        text += f" The team report has all {n_insights} findings."
    return text


def _short(text: str, words: int = 25) -> str:
    parts = " ".join(str(text).split()).split(" ")
    out = " ".join(parts[:words])
    return (out.rstrip(".,;:") + "…") if len(parts) > words else out.rstrip()


def with_verdicts(text: str, doc: InsightsDocument | Mapping[str, Any]) -> str:
    """``text`` (the digest) with what teams said about the board's findings, as the board shows
    it: the latest verdict or answer per finding ("Marketing answered: …"). The lines go before
    the last line (the links); a digest without any verdict is returned unchanged."""
    doc = as_document(doc)
    board = doc.audiences.get("board")
    by_id = {i.id: i for i in doc.insights}
    lines: list[str] = []
    for iid in board.insight_ids if board else ():
        ins = by_id.get(iid)
        if ins is None or not ins.verdicts:
            continue
        v = ins.verdicts[-1]
        word = "answered" if v.source == "answer" else v.verdict
        what = ins.narrative.headline or ins.title or ""
        note = f": {_short(v.note)}" if v.note else ""
        about = f" ({_short(what, 12)})" if what else ""
        lines.append(f"- {v.team} {word}{note}{about}".rstrip(".") + ".")
    if not lines:
        return text
    body = text.rstrip("\n").split("\n")
    foot = body.pop() if len(body) > 1 else ""
    block = ["What teams said:", *lines[:5]]
    return "\n".join([*body, *block, *([foot] if foot else [])])
