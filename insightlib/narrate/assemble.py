"""Build a run's ``insights.json`` document: fuse, tell, pick the audiences, write the digest.

:func:`build_document` is the one place the document is put together; the history step only
replaces its ``history`` skeleton and the insights' ``status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from insightlib.document import Question
from insightlib.fuse import (
    LEAD_DAYS,
    MAX_KNOWLEDGE,
    MAX_THEMES,
    THEME_MIN_SCORE,
    fuse,
    knowledge_dicts,
    public_theme,
)
from insightlib.narrate.audiences import select
from insightlib.narrate.digest import digest, summary_text
from insightlib.narrate.texts import narrate, words_explained
from insightlib.text import numbers as tf
from insightlib.text.plain import (
    BOARD_LIMITS,
    DIGEST_LIMITS,
    HEADLINE_LIMITS,
    PlainTextError,
    Term,
    lint_text,
    load_glossary,
)
from insightlib.text.redact import inert_markup
from insightlib.workspace.config import AudienceSpec, Config
from insightlib.workspace.periods import Period

__all__ = ["build_document", "check_texts"]


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
) -> dict[str, Any]:
    """Fuse, narrate, select audiences, write the digest and assemble ``insights.json``.

    ``score_factors`` (insight id -> multiplier, from teams' verdicts) adjusts scores before
    the audiences are picked.

    ``history`` is left as a first-run skeleton (every insight new) for the history step to
    replace; ``provenance`` is passed through (``files``, ``parameters``, ``notes``), with the
    fusion parameters added. With ``check`` (the default) a board text, headline or digest that
    breaks the plain-English limits raises :class:`~insightlib.text.plain.PlainTextError`.
    """
    gloss = load_glossary(glossary)
    bstart, bend = baseline or _baseline_window(period, config.baseline_periods)
    insights, questions = fuse(quant, qual, knowledge, config, period, (bstart, bend))
    insights = narrate(insights, period, gloss)
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
            "text": summary_text(board, len(insights), period.grain),
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
    return public_theme(t).to_dict()
