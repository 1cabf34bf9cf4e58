"""The run's insights document (``insights.json``): one typed, versioned object.

:class:`InsightsDocument` is what a run produces and every reader loads — the report notebooks,
views and explorer (through :class:`insightlib.report.runfolder.Run`), the run history, the
verdicts loop and delivery. It is built once, by
:func:`insightlib.narrate.assemble.build_document`; the memory step adds what earlier runs and
teams know with :meth:`InsightsDocument.remember`, which returns a new document (nothing here
is changed in place). :meth:`InsightsDocument.to_json` writes the JSON contract and
:meth:`InsightsDocument.from_json` reads it back, upgrading a document written by an earlier
schema version (:func:`upgrade`), as dbt does with its run artifacts.

Schema versions
---------------
1. The first contract (docs/run-folder.md).
2. ``metrics`` (one row per metric the team follows, for the scoreboard: ``metric``, ``label``,
   ``kind``, ``unit``, ``current``, ``change_abs``, ``status``, ``recent`` …) is always present,
   ``[]`` until a step writes the rows; ``track_record`` is always present (``null`` before
   the memory step); every insight always
   carries ``verdicts`` and ``learning`` (before the memory step: ``[]`` and ``null``);
   ``recurrence`` (``true``) and ``recurrence_note`` come together, only for a recurrence.

Examples
--------
>>> doc = InsightsDocument.from_json(path.read_text())  # doctest: +SKIP
>>> doc.insights[0].narrative.board  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from insightlib.errors import InputError
from insightlib.model import (
    Finding,
    Quote,
    Segment,
    Theme,
    as_date,
    fields_json,
    parse_segment,
    segment_dict,
    segment_key,
    segment_text,
    to_json,
    undeclared_details,
)

__all__ = [
    "SCHEMA_VERSION",
    "DriverLink",
    "ThemeLink",
    "KnowledgeLink",
    "Evidence",
    "Question",
    "Narrative",
    "Verdict",
    "Learning",
    "Insight",
    "PeriodInfo",
    "BaselineInfo",
    "Summary",
    "MetricRow",
    "KnowledgeEntry",
    "Audience",
    "GlossaryEntry",
    "Resolved",
    "History",
    "InsightsDocument",
    "upgrade",
    "as_document",
]

#: The version of the ``insights.json`` shape this code writes.
SCHEMA_VERSION = 2


# ------------------------------------------------------------------------------------------
# Reading JSON values (the one place that knows the keys of insights.json)
# ------------------------------------------------------------------------------------------
def _f(v: Any) -> float | None:
    """A number as written (an int stays an int), ``None`` for missing, NaN or not a number."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _fz(v: Any) -> float:
    x = _f(v)
    return math.nan if x is None else x


def _i(v: Any) -> int:
    x = _f(v)
    return 0 if x is None else int(x)


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def _day(v: Any) -> date:
    return as_date(v) or date.min


def _b(v: Any) -> bool | None:
    return None if v is None else bool(v)


def _quote(q: Any) -> Quote:
    if isinstance(q, str):
        return Quote(id="", text=q, source="", date=date.min)
    return Quote(
        id=str(q.get("id") or ""),
        text=str(q.get("text") or ""),
        source=str(q.get("source") or ""),
        date=_day(q.get("date")),
        segment={str(k): str(v) for k, v in (q.get("segment") or {}).items()},
    )


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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DriverLink:
        return cls(
            segment=parse_segment(d.get("segment")),
            share_of_change=_fz(d.get("share_of_change")),
            contribution=_fz(d.get("contribution")),
            current=_fz(d.get("current")),
            baseline=_fz(d.get("baseline")),
            n_current=_i(d.get("n_current")),
            n_baseline=_i(d.get("n_baseline")),
            mix_effect=_f(d.get("mix_effect")),
            rate_effect=_f(d.get("rate_effect")),
            volume_share=_f(d.get("volume_share")),
            key=bool(d.get("key")),
            why=str(d.get("why") or ""),
        )


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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ThemeLink:
        return cls(
            id=str(d.get("id") or ""),
            label=str(d.get("label") or d.get("id") or ""),
            count=_i(d.get("count")),
            count_baseline=_fz(d.get("count_baseline")),
            change_rel=_f(d.get("change_rel")),
            segment=parse_segment(d.get("segment")),
            segment_match=bool(d.get("segment_match")),
            sentiment=_f(d.get("sentiment")),
            score=_fz(d.get("score")),
            why=str(d.get("why") or ""),
            quotes=tuple(_quote(q) for q in d.get("quotes") or ()),
            share_of_change=_f(d.get("share_of_change")),
        )


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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KnowledgeLink:
        return cls(
            team=str(d.get("team") or ""),
            kind=str(d.get("kind") or "note"),
            date=_day(d.get("date")),
            title=str(d.get("title") or ""),
            details=_s(d.get("details")),
            segment=parse_segment(d.get("segment")),
            end_date=as_date(d.get("end_date")),
            score=_fz(d.get("score")),
            why=str(d.get("why") or ""),
            role=str(d.get("role") or "cause"),
        )


@dataclass(frozen=True)
class Evidence:
    """What an insight rests on: the segments that drive it, themes and knowledge entries."""

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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Evidence:
        d = d or {}
        return cls(
            drivers=tuple(DriverLink.from_dict(x) for x in d.get("drivers") or ()),
            themes=tuple(ThemeLink.from_dict(x) for x in d.get("themes") or ()),
            knowledge=tuple(KnowledgeLink.from_dict(x) for x in d.get("knowledge") or ()),
            also=tuple(KnowledgeLink.from_dict(x) for x in d.get("also_that_week") or ()),
        )


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

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Question:
        return cls(
            id=str(d.get("id") or ""),
            team=str(d.get("team") or ""),
            text=str(d.get("text") or ""),
            insight_id=str(d.get("insight_id") or ""),
            reason=str(d.get("reason") or ""),
        )


@dataclass(frozen=True)
class Narrative:
    """The texts of an insight: a headline, the board text and the team text."""

    headline: str = ""
    board: str = ""
    team: str = ""

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Narrative:
        d = d or {}
        return cls(
            str(d.get("headline") or ""), str(d.get("board") or ""), str(d.get("team") or "")
        )


@dataclass(frozen=True)
class Verdict:
    """A team's verdict on an insight, or an answer to a question about it (``source``)."""

    team: str
    verdict: str
    note: str | None = None
    date: str | None = None
    period: str | None = None
    source: str = "verdict"
    question_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Verdict:
        return cls(
            team=str(d.get("team") or ""),
            verdict=str(d.get("verdict") or ""),
            note=_s(d.get("note")),
            date=_s(d.get("date")),
            period=_s(d.get("period")),
            source=str(d.get("source") or "verdict"),
            question_id=_s(d.get("question_id")),
        )


@dataclass(frozen=True)
class Learning:
    """Why an insight's score was multiplied by ``factor`` (a team refuted it)."""

    factor: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


@dataclass(frozen=True, kw_only=True)
class Insight(Finding):
    """A :class:`~insightlib.model.Finding` joined with its evidence, told in words.

    An insight *is* its finding (every field of :class:`~insightlib.model.Finding`) plus what
    fusion, narration and the memory step add. The finding's own ``drivers`` are not kept:
    they are in ``evidence.drivers``, with why each counts. The ``id`` is
    ``kind:metric-or-theme:segment key``, so the same finding keeps its id from one run to the
    next. ``to_dict`` gives the INSIGHT object of docs/run-folder.md.
    """

    id: str
    title: str = ""
    metric_label: str | None = None
    metric_kind: str | None = None
    unit: str | None = None
    theme_label: str | None = None
    evidence: Evidence = field(default_factory=Evidence)
    question: Question | None = None
    narrative: Narrative = field(default_factory=Narrative)
    status: str = "new"
    related: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    verdicts: tuple[Verdict, ...] = ()
    learning: Learning | None = None
    recurrence_note: str | None = None

    @classmethod
    def of(cls, finding: Finding, **told: Any) -> Insight:
        """The insight of ``finding``: its fields, without its drivers, plus ``told``."""
        own = {name: getattr(finding, name) for name in _FINDING_FIELDS}
        own["drivers"] = ()
        return cls(**{**own, **told})

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
            "verdicts": [v.to_dict() for v in self.verdicts],
            "learning": self.learning.to_dict() if self.learning else None,
            **(
                {"recurrence": True, "recurrence_note": self.recurrence_note}
                if self.recurrence_note is not None
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Insight:
        window = d.get("window") or {}
        base = d.get("baseline_window") or {}
        learning = d.get("learning")
        question = d.get("question")
        return cls(
            id=str(d["id"]),
            kind=str(d.get("kind") or ""),
            title=str(d.get("title") or ""),
            metric=_s(d.get("metric")),
            metric_label=_s(d.get("metric_label")),
            metric_kind=_s(d.get("metric_kind")),
            unit=_s(d.get("unit")),
            theme=_s(d.get("theme")),
            theme_label=_s(d.get("theme_label")),
            segment=parse_segment(d.get("segment")),
            direction=str(d.get("direction") or ""),
            better=_b(d.get("better")),
            current=_fz(d.get("current")),
            baseline=_fz(d.get("baseline")),
            change_abs=_fz(d.get("change_abs")),
            change_rel=_f(d.get("change_rel")),
            ci_low=_f(d.get("ci_low")),
            ci_high=_f(d.get("ci_high")),
            p_value=_f(d.get("p_value")),
            q_value=_f(d.get("q_value")),
            effect_size=_f(d.get("effect_size")),
            n_current=_i(d.get("n_current")),
            n_baseline=_i(d.get("n_baseline")),
            score=_f(d.get("score")) or 0.0,
            window_start=_day(window.get("start")),
            window_end=_day(window.get("end") or window.get("start")),
            baseline_start=_day(base.get("start")),
            baseline_end=_day(base.get("end") or base.get("start")),
            method=str(d.get("method") or ""),
            details=_declared(str(d.get("kind") or ""), d.get("details")),
            evidence=Evidence.from_dict(d.get("evidence")),
            question=Question.from_dict(question) if question else None,
            narrative=Narrative.from_dict(d.get("narrative")),
            status=str(d.get("status") or "new"),
            related=tuple(str(r) for r in d.get("related") or ()),
            provenance=dict(d.get("provenance") or {}),
            verdicts=tuple(Verdict.from_dict(v) for v in d.get("verdicts") or ()),
            learning=(
                Learning(_fz(learning.get("factor")), str(learning.get("why") or ""))
                if isinstance(learning, Mapping)
                else None
            ),
            recurrence_note=_s(d.get("recurrence_note")),
        )


# ------------------------------------------------------------------------------------------
# The document's other parts
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodInfo:
    """The period reported on."""

    label: str
    start: date
    end: date
    grain: str
    human: str = ""

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PeriodInfo:
        return cls(
            label=str(d.get("label") or ""),
            start=_day(d.get("start")),
            end=_day(d.get("end") or d.get("start")),
            grain=str(d.get("grain") or ""),
            human=str(d.get("human") or ""),
        )


@dataclass(frozen=True)
class BaselineInfo:
    """The periods the reported one is compared with."""

    start: date | None
    end: date | None
    periods: int | None = None
    human: str = ""

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BaselineInfo:
        periods = d.get("periods")
        return cls(
            start=as_date(d.get("start")),
            end=as_date(d.get("end")),
            periods=None if periods is None else _i(periods),
            human=str(d.get("human") or ""),
        )


@dataclass(frozen=True)
class Summary:
    """How much was looked at and the one-line summary."""

    n_insights: int = 0
    n_tests: int | None = None
    #: every number we track was too small to tell (or none could be tested)
    untestable: bool = False
    n_events: int | None = None
    n_feedback: int | None = None
    nothing_found: bool = True
    text: str = ""
    #: lines about metrics to keep an eye on, and about what was too small or missing
    watch: tuple[str, ...] = ()
    too_small: str = ""
    missing: tuple[str, ...] = ()
    #: the inputs the workspace lacks, by name ("events", "feedback", "knowledge"): each
    #: report section that needs one says so once
    inputs_missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Summary:
        opt = {
            k: (None if d.get(k) is None else _i(d.get(k)))
            for k in ("n_tests", "n_events", "n_feedback")
        }
        return cls(
            n_insights=_i(d.get("n_insights")),
            nothing_found=bool(d.get("nothing_found", not d.get("n_insights"))),
            untestable=bool(d.get("untestable")),
            text=str(d.get("text") or ""),
            watch=tuple(str(w) for w in d.get("watch") or ()),
            too_small=str(d.get("too_small") or ""),
            missing=tuple(str(m) for m in d.get("missing") or ()),
            inputs_missing=tuple(str(m) for m in d.get("inputs_missing") or ()),
            **opt,
        )


@dataclass(frozen=True)
class MetricRow:
    """A scoreboard row: one metric the team follows, overall, this period against its
    baseline (from :meth:`insightlib.quant.changes.Context.scoreboard`)."""

    metric: str
    label: str
    kind: str | None = None
    unit: str | None = None
    good: str = "up"
    segment: Segment = ()
    current: float | None = None
    baseline: float | None = None
    change_abs: float | None = None
    change_rel: float | None = None
    #: the 95% interval of ``change_abs``
    interval: tuple[float | None, float | None] | None = None
    baseline_periods: tuple[str, ...] = ()
    p_value: float | None = None
    q_value: float | None = None
    #: rising, falling, seasonal, steady, worth watching, too small to tell, no data
    status: str = ""
    #: (period label, value or None for a gap), oldest first
    recent: tuple[tuple[str, float | None], ...] = ()

    @property
    def metric_kind(self) -> str | None:
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        d = fields_json(self)
        d["interval"] = list(self.interval) if self.interval is not None else None
        d["recent"] = [{"period": p, "value": v} for p, v in self.recent]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MetricRow:
        iv = d.get("interval")
        recent = []
        for r in d.get("recent") or ():
            if isinstance(r, Mapping):
                recent.append((str(r.get("period") or ""), _f(r.get("value"))))
            else:  # a bare value
                recent.append(("", _f(r)))
        return cls(
            metric=str(d.get("metric") or ""),
            label=str(d.get("label") or d.get("metric") or ""),
            kind=_s(d.get("kind")),
            unit=_s(d.get("unit")),
            good=str(d.get("good") or "up"),
            segment=parse_segment(d.get("segment")),
            current=_f(d.get("current")),
            baseline=_f(d.get("baseline")),
            change_abs=_f(d.get("change_abs")),
            change_rel=_f(d.get("change_rel")),
            interval=(_f(iv[0]), _f(iv[1]))
            if isinstance(iv, list | tuple) and len(iv) == 2
            else None,
            baseline_periods=tuple(str(p) for p in d.get("baseline_periods") or ()),
            p_value=_f(d.get("p_value")),
            q_value=_f(d.get("q_value")),
            status=str(d.get("status") or ""),
            recent=tuple(recent),
        )


@dataclass(frozen=True)
class KnowledgeEntry:
    """An entry of the knowledge log (neutralised and PII-redacted)."""

    date: date
    team: str
    kind: str
    title: str
    details: str | None = None
    segment: Segment = ()
    end_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KnowledgeEntry:
        return cls(
            date=_day(d.get("date")),
            team=str(d.get("team") or ""),
            kind=str(d.get("kind") or "note"),
            title=str(d.get("title") or ""),
            details=_s(d.get("details")),
            segment=parse_segment(d.get("segment")),
            end_date=as_date(d.get("end_date")),
        )


@dataclass(frozen=True)
class Audience:
    """Who sees what: an audience's depth, title and the insights and questions it is shown."""

    name: str
    depth: str
    title: str
    max_findings: int | None = None
    insight_ids: tuple[str, ...] | None = None
    question_ids: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = fields_json(self)
        del d["name"]
        return d

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> Audience:
        ids, qids, mx = d.get("insight_ids"), d.get("question_ids"), d.get("max_findings")
        return cls(
            name=name,
            depth=str(d.get("depth") or ""),
            title=str(d.get("title") or name.replace("_", " ").capitalize()),
            max_findings=None if mx is None else _i(mx),
            insight_ids=None if ids is None else tuple(str(i) for i in ids),
            question_ids=None if qids is None else tuple(str(i) for i in qids),
        )


@dataclass(frozen=True)
class GlossaryEntry:
    """A term the texts keep but explain once."""

    term: str
    plain: str

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class Resolved:
    """An insight of the previous run that no longer holds."""

    id: str
    title: str | None
    kind: str | None
    period: str

    def to_dict(self) -> dict[str, Any]:
        return fields_json(self)


@dataclass(frozen=True)
class History:
    """This run against the latest earlier one: new, continuing and resolved insights."""

    previous: str | None = None
    new: tuple[str, ...] = ()
    continuing: tuple[str, ...] = ()
    resolved: tuple[Resolved, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": self.previous,
            "new": list(self.new),
            "continuing": list(self.continuing),
            "resolved": [r.to_dict() for r in self.resolved],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> History:
        d = d or {}
        return cls(
            previous=_s(d.get("previous")),
            new=tuple(str(i) for i in d.get("new") or ()),
            continuing=tuple(str(i) for i in d.get("continuing") or ()),
            resolved=tuple(
                Resolved(
                    str(r.get("id")),
                    _s(r.get("title")),
                    _s(r.get("kind")),
                    str(r.get("period") or ""),
                )
                for r in d.get("resolved") or ()
            ),
        )


def _theme(d: Mapping[str, Any]) -> Theme:
    return Theme(
        id=str(d.get("id") or ""),
        label=str(d.get("label") or d.get("id") or ""),
        terms=tuple(str(t) for t in d.get("terms") or ()),
        count=_i(d.get("count")),
        share=_fz(d.get("share")),
        sentiment=_fz(d.get("sentiment")),
        count_current=_i(d.get("count_current")),
        count_baseline=_fz(d.get("count_baseline")),
        share_current=_fz(d.get("share_current")),
        share_baseline=_fz(d.get("share_baseline")),
        change_rel=_f(d.get("change_rel")),
        sources={str(k): _i(v) for k, v in (d.get("sources") or {}).items()},
        segments={
            str(c): {str(k): _i(v) for k, v in (vals or {}).items()}
            for c, vals in (d.get("segments") or {}).items()
        },
        quotes=tuple(_quote(q) for q in d.get("quotes") or ()),
        codebook=bool(d.get("codebook")),
    )


# ------------------------------------------------------------------------------------------
# The document
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InsightsDocument:
    """A run's ``insights.json``, typed. See the module docstring."""

    project: str
    title: str
    period: PeriodInfo
    baseline: BaselineInfo
    summary: Summary
    metrics: tuple[MetricRow, ...]
    insights: tuple[Insight, ...]
    themes: tuple[Theme, ...]
    questions: tuple[Question, ...]
    knowledge: tuple[KnowledgeEntry, ...]
    audiences: dict[str, Audience]
    digest: str
    glossary: tuple[GlossaryEntry, ...]
    history: History
    provenance: dict[str, Any]
    track_record: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    # -------------------------------------------------------------------------- lookups
    def insight(self, insight_id: str) -> Insight | None:
        return next((i for i in self.insights if i.id == insight_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def theme(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    # -------------------------------------------------------------------------- memory
    def remember(
        self,
        history: History,
        *,
        verdicts: Mapping[str, Sequence[Verdict]] | None = None,
        learning: Mapping[str, Learning] | None = None,
        recurrence: Mapping[str, str] | None = None,
        track_record: Mapping[str, Any] | None = None,
    ) -> InsightsDocument:
        """This document with what earlier runs and teams know, as one new document.

        ``history`` (from :func:`insightlib.memory.history.compare`) sets each insight's
        ``status``; ``verdicts``, ``learning`` and ``recurrence`` (notes) are per insight id,
        from :func:`insightlib.memory.verdicts.learn`.
        """
        continuing = set(history.continuing)
        verdicts, learning, recurrence = verdicts or {}, learning or {}, recurrence or {}
        insights = tuple(
            replace(
                i,
                status="continuing" if i.id in continuing else "new",
                verdicts=tuple(verdicts.get(i.id, ())),
                learning=learning.get(i.id),
                recurrence_note=recurrence.get(i.id),
            )
            for i in self.insights
        )
        return replace(
            self,
            insights=insights,
            history=history,
            track_record=dict(track_record) if track_record is not None else None,
        )

    # -------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "project": self.project,
            "title": self.title,
            "period": self.period.to_dict(),
            "baseline": self.baseline.to_dict(),
            "summary": self.summary.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
            "insights": [i.to_dict() for i in self.insights],
            "themes": [t.to_dict() for t in self.themes],
            "questions": [q.to_dict() for q in self.questions],
            "knowledge": [k.to_dict() for k in self.knowledge],
            "audiences": {k: a.to_dict() for k, a in self.audiences.items()},
            "digest": self.digest,
            "glossary": [g.to_dict() for g in self.glossary],
            "history": self.history.to_dict(),
            "provenance": to_json(self.provenance),
            "track_record": to_json(self.track_record),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The ``insights.json`` text: strict JSON (no NaN), ``<``, ``>`` and ``&`` written as
        ``\\u`` escapes — the same data, but user text in it cannot become markup if a tool
        pastes the JSON into a web page."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> InsightsDocument:
        """Read a document of any known schema version (older ones are upgraded first)."""
        d = upgrade(raw)
        return cls(
            schema_version=SCHEMA_VERSION,
            project=str(d.get("project") or ""),
            title=str(d.get("title") or ""),
            period=PeriodInfo.from_dict(d.get("period") or {}),
            baseline=BaselineInfo.from_dict(d.get("baseline") or {}),
            summary=Summary.from_dict(d.get("summary") or {}),
            metrics=tuple(
                MetricRow.from_dict(m) for m in d.get("metrics") or () if isinstance(m, Mapping)
            ),
            insights=tuple(Insight.from_dict(i) for i in d.get("insights") or ()),
            themes=tuple(_theme(t) for t in d.get("themes") or ()),
            questions=tuple(Question.from_dict(q) for q in d.get("questions") or ()),
            knowledge=tuple(KnowledgeEntry.from_dict(k) for k in d.get("knowledge") or ()),
            audiences={
                str(k): Audience.from_dict(str(k), v or {})
                for k, v in (d.get("audiences") or {}).items()
            },
            digest=str(d.get("digest") or ""),
            glossary=tuple(
                GlossaryEntry(str(g.get("term")), str(g.get("plain")))
                for g in d.get("glossary") or ()
                if g.get("term") and g.get("plain")
            ),
            history=History.from_dict(d.get("history")),
            provenance=dict(d.get("provenance") or {}),
            track_record=d.get("track_record"),
        )

    @classmethod
    def from_json(cls, text: str, *, file: str | None = None) -> InsightsDocument:
        """Parse ``insights.json`` text; :class:`~insightlib.errors.InputError` when it is not
        JSON or not a document this version of insightlib can read."""
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid JSON: {exc}.", file=file) from None
        try:
            return cls.from_dict(raw)
        except InputError as exc:
            raise InputError(str(exc), file=file) from None


def _declared(kind: str, details: Any) -> dict[str, Any]:
    """A finding's details as read from a file: the keys its kind declares
    (:data:`insightlib.model.DETAILS_BY_KIND`); others (a hand-edited file, a key an earlier
    version wrote and this one no longer reads) are left out rather than refused."""
    d = dict(details) if isinstance(details, Mapping) else {}
    for key in undeclared_details(kind, d):
        del d[key]
    return d


def upgrade(raw: Any) -> dict[str, Any]:
    """A document dict of an earlier schema version in the shape of :data:`SCHEMA_VERSION`.

    Raises
    ------
    InputError
        ``raw`` is not a document, or has a schema version this code does not know.
    """
    version = raw.get("schema_version") if isinstance(raw, Mapping) else None
    if version not in range(1, SCHEMA_VERSION + 1) or isinstance(version, bool):
        got = version if isinstance(raw, Mapping) else type(raw).__name__
        raise InputError(
            f"schema_version must be one of {', '.join(map(str, range(1, SCHEMA_VERSION + 1)))}"
            f", got {got!r}; a newer insightlib wrote this run, upgrade insightlib to read it."
        )
    d = dict(raw)
    if version == 1:  # 1 -> 2: metrics, track_record and the memory fields always present
        insights = []
        for ins in d.get("insights") or ():
            ins = dict(ins)
            ins.setdefault("verdicts", [])
            det = ins.get("details")
            if isinstance(det, Mapping) and "date" in det and "day" not in det:
                # version 1's unusual day was ``details.date``; runs write ``details.day``
                ins["details"] = {
                    **{k: v for k, v in det.items() if k != "date"},
                    "day": det["date"],
                }
            ins.setdefault("learning", None)
            insights.append(ins)
        d["insights"] = insights
        d.setdefault("metrics", [])
        d.setdefault("track_record", None)
        d["schema_version"] = 2
    return d


def as_document(doc: InsightsDocument | Mapping[str, Any]) -> InsightsDocument:
    """``doc`` typed: a document as is, a dict read with :meth:`InsightsDocument.from_dict`
    (a dict without ``schema_version`` is taken to be in the version-1 shape)."""
    if isinstance(doc, InsightsDocument):
        return doc
    return InsightsDocument.from_dict({"schema_version": 1, **doc})
