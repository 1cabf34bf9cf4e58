"""Build a run's insights document: fuse, tell, pick the audiences, write the digest.

:func:`build_document` is the one place an :class:`~insightlib.document.InsightsDocument` is
put together; the memory step adds what earlier runs and teams know with
:meth:`~insightlib.document.InsightsDocument.remember`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from insightlib.document import (
    Audience,
    BaselineInfo,
    GlossaryEntry,
    History,
    InsightsDocument,
    KnowledgeEntry,
    MetricRow,
    PeriodInfo,
    Summary,
)
from insightlib.fuse import (
    LEAD_DAYS,
    MAX_KNOWLEDGE,
    MAX_THEMES,
    THEME_MIN_SCORE,
    fuse,
    knowledge_dicts,
    public_theme,
)
from insightlib.model import theme_shift
from insightlib.narrate import stories
from insightlib.narrate.audiences import select
from insightlib.narrate.digest import digest, summary_text
from insightlib.narrate.texts import narrate, words_explained
from insightlib.text import numbers as tf
from insightlib.text.plain import (
    BOARD_LIMITS,
    DIGEST_LIMITS,
    HEADLINE_LIMITS,
    Term,
    apply_plain,
    lint_text,
    load_glossary,
)
from insightlib.text.redact import inert_markup
from insightlib.workspace.config import DEFAULT_AUDIENCES, Config
from insightlib.workspace.periods import Period

__all__ = ["build_document", "check_texts"]


# ==========================================================================================
# Checks
# ==========================================================================================
def check_texts(doc: InsightsDocument, glossary: Sequence[Term] = ()) -> list[str]:
    """Every limit broken by the document's headlines, board texts and digest (empty: all ok)."""
    problems = []
    gloss = tuple(glossary)
    for ins in doc.insights:
        for what, limits in (("headline", HEADLINE_LIMITS), ("board", BOARD_LIMITS)):
            text = getattr(ins.narrative, what)
            r = lint_text(text, gloss, limits, explain=False)
            if not r.ok:
                problems.append(f"{ins.id} {what} “{text}”: {'; '.join(r.problems)}")
    r = lint_text(doc.digest, gloss, DIGEST_LIMITS)
    if not r.ok:
        problems.append(f"digest: {'; '.join(r.problems)}")
    return problems


# ==========================================================================================
# Texts that break the limits: rewritten plainer, never a failed run
# ==========================================================================================
_PLAIN_END = "The team report has the numbers."


def _plain_headlines(ins: Any) -> list[str]:
    """Fallback headlines, richest first; the last one always passes the limits."""
    up = ins.direction == "up"
    label = ins.metric_label or ins.theme_label or ""
    if ins.theme is not None and ins.metric is None:
        out = [f"{theme_shift(ins)} customers mention “{label}”"] if label else []
        return [*out, f"A customer topic {'grew' if up else 'shrank'}"]
    return [
        *([f"{label} {'up' if up else 'down'}"] if label else []),
        f"One number went {'up' if up else 'down'}",
    ]


def _first_ok(cands: Sequence[str], gloss: tuple[Term, ...], limits: Any) -> str:
    for c in cands:
        if lint_text(c, gloss, limits, explain=False).ok:
            return c
    return cands[-1]


def _knowledge_row(knowledge: Any, title: str) -> int | None:
    try:
        hits = [i for i, t in enumerate(knowledge["title"].astype(str)) if t == title]
    except (KeyError, TypeError, AttributeError):
        return None
    return hits[0] + 1 if hits else None


def _cause(
    ins: Any,
    broken: str,
    limits: Any,
    gloss: tuple[Term, ...],
    config: Config,
    knowledge: Any,
    segment_rows: dict[str, dict[str, int]] | None = None,
) -> str:
    """The input (file and key, or file, column and row) whose words made ``broken`` break
    ``limits``. ``segment_rows`` (column -> value -> first data row, from the loader) gives a
    segment value's row in the events file."""
    toml = config.rel(config.path)
    inputs: list[tuple[str, str]] = []
    if ins.metric and ins.metric_label:
        inputs.append((ins.metric_label, f"{toml} [metrics.{ins.metric}] label"))
    if ins.theme and ins.theme_label:
        where = (
            f"{toml} [themes.{ins.theme}] label"
            if ins.theme in config.themes
            else f"{config.rel(config.sources['feedback'])} (the theme's words)"
            if "feedback" in config.sources
            else "the feedback (the theme's words)"
        )
        inputs.append((ins.theme_label, where))
    events = config.rel(config.sources["events"]) if "events" in config.sources else "events"
    for col, value in ins.segment or ():
        row = (segment_rows or {}).get(col, {}).get(str(value))
        at = f", row {row}" if row else ""
        inputs.append((str(value), f"{events}, column '{col}'{at}, value {str(value)[:60]!r}"))
    kfile = config.rel(config.sources["knowledge"]) if "knowledge" in config.sources else None
    for k in ins.evidence.knowledge if ins.evidence else ():
        row = _knowledge_row(knowledge, k.title)
        where = (
            f"{kfile}, row {row}"
            if kfile and row
            else "an answer in history.sqlite"
            if kfile
            else "the knowledge log"
        )
        inputs.append((k.title, f"{where} (title)"))
    # the cause is the input whose removal lets the broken text pass; else the longest in it
    variants = [(v, w) for t, w in inputs for v in {t, apply_plain(t, gloss, explain=False)}]
    low = broken.lower()
    present = sorted(
        ((t, w) for t, w in variants if t and t.lower() in low), key=lambda tw: -len(tw[0])
    )
    for text, where in present:  # matched whatever the case (a label may be lower-cased)
        without = re.sub(re.escape(text), "it", broken, flags=re.IGNORECASE)
        if lint_text(without, gloss, limits, explain=False).ok:
            return where
    if present:
        return max(present, key=lambda tw: len(tw[0]))[1]
    return "the generated wording (no single input)"


def _repair_texts(
    insights: Sequence[Any],
    gloss: tuple[Term, ...],
    config: Config,
    knowledge: Any,
    segment_rows: dict[str, dict[str, int]] | None = None,
) -> tuple[tuple[Any, ...], list[str]]:
    """Replace every headline or board text that breaks the plain-English limits by a plainer
    template (shorter label, then a generic sentence); return the notes naming the cause."""
    out, notes = [], []
    for ins in insights:
        nar = ins.narrative
        if nar is None:
            out.append(ins)
            continue
        new: dict[str, str] = {}
        causes: list[str] = []
        headline = nar.headline
        if not lint_text(headline, gloss, HEADLINE_LIMITS, explain=False).ok:
            headline = new["headline"] = _first_ok(_plain_headlines(ins), gloss, HEADLINE_LIMITS)
            causes.append(
                _cause(ins, nar.headline, HEADLINE_LIMITS, gloss, config, knowledge, segment_rows)
            )
        if not lint_text(nar.board, gloss, BOARD_LIMITS, explain=False).ok:
            causes.append(
                _cause(ins, nar.board, BOARD_LIMITS, gloss, config, knowledge, segment_rows)
            )
            cands = [f"{h}. {_PLAIN_END}" for h in (headline, *_plain_headlines(ins))]
            new["board"] = _first_ok(cands, gloss, BOARD_LIMITS)
        if new:
            problems = [
                f"{what} “{getattr(nar, what)[:80]}”: "
                + "; ".join(lint_text(getattr(nar, what), gloss, lim, explain=False).problems)
                for what, lim in (("headline", HEADLINE_LIMITS), ("board", BOARD_LIMITS))
                if what in new
            ]
            notes.append(
                f"{ins.id}: a board text broke the plain-English limits and was replaced by "
                f"a plainer one ({' | '.join(problems)}); the words came from "
                f"{' and '.join(dict.fromkeys(causes))}."
            )
            ins = replace(ins, narrative=replace(nar, **new))
        out.append(ins)
    return tuple(out), notes


# ==========================================================================================
# The document
# ==========================================================================================
def _baseline_window(period: Period, n: int) -> tuple[date, date]:
    first = period.previous(n)
    return first.start, period.previous().end


def build_document(
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
    link_record: dict[tuple[str, str], float] | None = None,
    segment_rows: dict[str, dict[str, int]] | None = None,
) -> InsightsDocument:
    """Fuse, narrate, select audiences, write the digest: the run's insights document.

    ``score_factors`` (insight id -> multiplier, from teams' verdicts) adjusts scores before
    the audiences are picked; ``link_record`` (``(team, kind) -> -1..1``, the teams' past
    verdicts on links) moves candidate causes in fusion's ranking.

    ``history`` is left as a first-run skeleton (every insight new) for the history step to
    replace; ``provenance`` is passed through (``files``, ``parameters``, ``notes``), with the
    fusion parameters added. A headline or board text that breaks the plain-English limits is
    replaced by a plainer template and a provenance note names the input that caused it (a
    segment value by its first row in the events file, from ``segment_rows``); with
    ``check`` (the default) a digest that still breaks them is noted too: texts never fail a run.
    """
    gloss = load_glossary(glossary)
    bstart, bend = baseline or _baseline_window(period, config.baseline_periods)
    insights, questions = fuse(
        quant, qual, knowledge, config, period, (bstart, bend), link_record=link_record
    )
    insights = narrate(insights, period, gloss)
    insights, repaired = _repair_texts(insights, tuple(gloss), config, knowledge, segment_rows)
    asked = {i.question.id: i.question for i in insights if i.question is not None}
    questions = tuple(asked.get(q.id, q) for q in questions)
    if score_factors:  # learned from teams' verdicts: ranks lower before anything is picked
        insights = tuple(
            sorted(
                (
                    replace(i, score=round(i.score * score_factors[i.id], 4))
                    if i.id in score_factors
                    else i
                    for i in insights
                ),
                key=lambda i: (-i.score, i.id),
            )
        )
    audiences = {**DEFAULT_AUDIENCES, **config.audiences}
    chosen = {name: select(insights, spec) for name, spec in audiences.items()}
    board = chosen["board"]
    prov = dict(provenance or {})
    files = prov.get("files") or {}
    n_tests = getattr(quant, "n_tests", None)
    n_feedback = (files.get("feedback") or {}).get("rows")
    if n_feedback is None and getattr(qual, "assignments", None) is not None:
        n_feedback = len(qual.assignments)
    from insightlib.quant import notes as qnotes

    watch = qnotes.watch_lines(getattr(quant, "watch", ()) or (), period.grain)
    too_small = qnotes.too_small_line(getattr(quant, "too_small", ()) or (), period.grain)
    # every number we track too small to tell (or none testable): say so, not "nothing stood out"
    small_overall = {
        x.get("metric") for x in getattr(quant, "too_small", ()) or () if not x.get("segment")
    }
    untestable = n_tests == 0 or (bool(config.metrics) and set(config.metrics) <= small_overall)
    text = digest(
        board,
        config,
        period,
        n_more=len(insights) - len(board),
        n_tests=n_tests,
        glossary=gloss,
        has_feedback=bool(n_feedback),
        watch=watch,
        has_events=not getattr(quant, "no_events", False),
        untestable=untestable,
    )
    missing = []  # each input the workspace lacks, said once here (and once per section)
    lacks = []
    if getattr(quant, "no_events", False):
        lacks.append("events")
        missing.append("Numbers: there is no events file, so no metrics were measured.")
    if not n_feedback:
        lacks.append("feedback")
        missing.append("Customer words: there is no feedback, so nothing customers wrote was read.")
    if knowledge is None or len(knowledge) == 0:
        lacks.append("knowledge")
        missing.append(
            "Other teams' notes: there is no knowledge log, so no finding was matched with a "
            "release, campaign or incident."
        )
    text = inert_markup(text)  # it is pasted into chat and e-mail: no live markup from user text
    params = {
        "grain": period.grain,
        "alpha": config.alpha,
        "min_volume": config.min_volume,
        "baseline_periods": config.baseline_periods,
    }
    params.update(prov.get("parameters") or {})
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
    if repaired:
        prov["notes"] = [*(prov.get("notes") or []), *repaired]
    kind = {"day": "daily", "week": "weekly", "month": "monthly"}.get(period.grain, "")
    themes = sorted(getattr(qual, "themes", ()) or (), key=lambda t: (-t.count, t.id))
    linked_since = min([bstart, *(k.date for i in insights for k in i.evidence.knowledge)])
    doc = InsightsDocument(
        project=config.project,
        title=config.title or f"{config.project} {kind} insights".strip(),
        period=PeriodInfo(period.label, period.start, period.end, period.grain, period.human()),
        baseline=BaselineInfo(
            bstart, bend, config.baseline_periods, tf.date_range(bstart, bend, year=True)
        ),
        summary=Summary(
            n_insights=len(insights),
            n_tests=n_tests,
            untestable=untestable,
            n_events=(files.get("events") or {}).get("rows"),
            n_feedback=n_feedback,
            nothing_found=not insights,
            text=summary_text(
                [i.narrative.headline or i.title for i in board], len(insights), period.grain
            ),
            watch=tuple(watch),
            too_small=too_small,
            missing=tuple(missing),
            inputs_missing=tuple(lacks),
        ),
        # every metric overall: the scoreboard (quant/changes.py, Context.scoreboard)
        metrics=tuple(
            MetricRow.from_dict(r)
            for r in qnotes.metrics_rows(getattr(quant, "scoreboard", ()) or ())
        ),
        insights=tuple(insights),
        themes=tuple(public_theme(t) for t in themes),
        questions=questions,
        knowledge=tuple(
            KnowledgeEntry.from_dict(k)
            for k in knowledge_dicts(knowledge, since=linked_since, until=period.end)
        ),
        audiences={
            name: Audience(
                name=name,
                depth=spec.depth,
                title=spec.title or name.replace("_", " ").capitalize(),
                max_findings=spec.max_findings,
                insight_ids=tuple(i.id for i in chosen[name]),
                question_ids=tuple(
                    q.id
                    for q in questions
                    if not spec.teams or q.team.lower() in {t.lower() for t in spec.teams}
                ),
            )
            for name, spec in audiences.items()
        },
        digest=text,
        glossary=tuple(
            GlossaryEntry(g["term"], g["plain"])
            for g in words_explained(
                [t for i in board for t in (i.narrative.headline, i.narrative.board)], gloss
            )
        ),
        history=History(new=tuple(i.id for i in insights)),
        provenance=prov,
    )
    told = stories.for_audience(doc, "board") if board else []
    if told:  # the summary names the board's first story, as the board shows it
        text = summary_text([s.headline for s in told], len(insights), period.grain)
        doc = replace(doc, summary=replace(doc.summary, text=text))
    if check:  # after _repair_texts only the digest can still break its limits: noted
        problems = check_texts(doc, gloss)
        if problems:
            notes = [
                *(prov.get("notes") or []),
                *(f"plain-English limits (grade 8, no jargon) not met: {p}" for p in problems),
            ]
            doc = replace(doc, provenance={**prov, "notes": notes})
    return doc
