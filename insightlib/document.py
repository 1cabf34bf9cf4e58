"""The parts of a run's insights document: insights with their evidence, questions, texts.

Frozen dataclasses; ``to_dict`` gives the JSON contract of ``insights.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from insightlib.model import (
    Quote,
    Segment,
    fields_json,
    segment_dict,
    segment_key,
    segment_text,
    to_json,
)

__all__ = [
    "DriverLink",
    "ThemeLink",
    "KnowledgeLink",
    "Evidence",
    "Question",
    "Narrative",
    "Insight",
]


@dataclass(frozen=True)
class DriverLink:
    """A segment's part in the change (from :class:`~insightlib.model.Driver`) and why it counts."""

    segment: Segment
    share_of_change: float
    contribution: float
    current: float
    baseline: float
    n_current: int
    n_baseline: int
    mix_effect: float | None
    rate_effect: float | None
    volume_share: float | None
    key: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        d = fields_json(self)
        d["segment_text"] = segment_text(self.segment)
        return d


@dataclass(frozen=True)
class ThemeLink:
    """A customer theme that rose around the change, with counts, quotes and the reason."""

    id: str
    label: str
    count: int
    count_baseline: float
    change_rel: float | None
    segment: Segment
    segment_match: bool
    sentiment: float | None
    score: float
    why: str
    quotes: tuple[Quote, ...] = ()
    #: the theme's rise as a share of the change (with the change's sign), where countable
    share_of_change: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class KnowledgeLink:
    """An entry of the knowledge log dated around the change, credited to its team."""

    team: str
    kind: str
    date: date
    title: str
    details: str | None
    segment: Segment
    end_date: date | None
    score: float
    why: str
    #: ``cause`` (a reason that fits: the best candidate first), ``routine`` (only a routine
    #: note fits and customers blame an update: named plainly, explains nothing), ``also``
    #: (dated that week, nothing relates) or ``context`` (its own text says nothing changed)
    role: str = "cause"

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Evidence:
    drivers: tuple[DriverLink, ...] = ()
    themes: tuple[ThemeLink, ...] = ()
    #: credited notes: causes, best first (or one ``routine`` note said plainly)
    knowledge: tuple[KnowledgeLink, ...] = ()
    #: notes of that time and place that explain nothing ("also that week", context)
    also: tuple[KnowledgeLink, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "drivers": [d.to_dict() for d in self.drivers],
            "themes": [t.to_dict() for t in self.themes],
            "knowledge": [k.to_dict() for k in self.knowledge],
            "also_that_week": [k.to_dict() for k in self.also],
        }


@dataclass(frozen=True)
class Question:
    """An open question for a team: a change nothing in the knowledge log explains."""

    id: str
    team: str
    text: str
    insight_id: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Narrative:
    headline: str = ""
    board: str = ""
    team: str = ""

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Insight:
    """A finding joined with its evidence, ready to be told.

    The ``id`` is ``kind:metric-or-theme:segment key``, so the same finding keeps its id from
    one run to the next. ``to_dict`` gives the INSIGHT object of docs/run-folder.md.
    """

    id: str
    kind: str
    title: str
    metric: str | None
    metric_label: str | None
    metric_kind: str | None
    unit: str | None
    theme: str | None
    theme_label: str | None
    segment: Segment
    direction: str
    better: bool | None
    current: float
    baseline: float
    change_abs: float
    change_rel: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    effect_size: float | None
    n_current: int
    n_baseline: int
    score: float
    window_start: date
    window_end: date
    baseline_start: date
    baseline_end: date
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    evidence: Evidence = field(default_factory=Evidence)
    question: Question | None = None
    narrative: Narrative = field(default_factory=Narrative)
    status: str = "new"
    related: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def segment_key(self) -> str:
        return segment_key(self.segment)

    @property
    def mix_driven(self) -> bool:
        """Whether quant flagged the change as moved by the segment mix, not by the rates."""
        d = self.details or {}
        return bool(d.get("mix_shift") or d.get("mix_driven")) or "mix" in self.kind

    @property
    def explained(self) -> bool:
        """A note that fits is credited, or the change is the segment mix's doing."""
        return any(k.role == "cause" for k in self.evidence.knowledge) or self.mix_driven

    def with_narrative(self, narrative: Narrative) -> Insight:
        return replace(self, narrative=narrative)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "metric": self.metric,
            "metric_label": self.metric_label,
            "metric_kind": self.metric_kind,
            "unit": self.unit,
            "theme": self.theme,
            "theme_label": self.theme_label,
            "segment": segment_dict(self.segment),
            "segment_text": segment_text(self.segment),
            "direction": self.direction,
            "better": self.better,
            **{
                k: to_json(getattr(self, k))
                for k in (
                    "current",
                    "baseline",
                    "change_abs",
                    "change_rel",
                    "ci_low",
                    "ci_high",
                    "p_value",
                    "q_value",
                    "effect_size",
                    "n_current",
                    "n_baseline",
                    "score",
                )
            },
            "window": {"start": self.window_start.isoformat(), "end": self.window_end.isoformat()},
            "baseline_window": {
                "start": self.baseline_start.isoformat(),
                "end": self.baseline_end.isoformat(),
            },
            "method": self.method,
            "details": to_json(self.details),
            "status": self.status,
            "evidence": self.evidence.to_dict(),
            "question": self.question.to_dict() if self.question else None,
            "narrative": self.narrative.to_dict(),
            "related": list(self.related),
            "provenance": to_json(self.provenance),
        }
