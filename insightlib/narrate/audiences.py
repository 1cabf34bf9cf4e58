"""Who sees what: the insights each audience of a run is shown.

An audience (``[audiences.NAME]`` in insight.toml, or the defaults of
:data:`insightlib.workspace.config.DEFAULT_AUDIENCES`) filters by metric, segment, theme and team;
a ``summary`` audience tells each story once and keeps to a few insights.
"""

from __future__ import annotations

from collections.abc import Sequence

from insightlib.document import Insight
from insightlib.model import THEME_KINDS, parse_segment, segment_key
from insightlib.narrate.texts import top_knowledge
from insightlib.workspace.config import AudienceSpec

__all__ = ["select", "BOARD_MIN", "BOARD_EXTRA_MIN_SCORE"]

#: A summary audience always gets its top 3 insights; the 4th and 5th only from this score.
BOARD_MIN = 3
BOARD_EXTRA_MIN_SCORE = 0.5


def _segment_filter(ins: Insight, wanted: Sequence[str]) -> bool:
    have = {(c.lower(), str(v).lower()) for c, v in ins.segment}
    key = segment_key(ins.segment).lower()
    for w in wanted:
        w = w.strip().lower()
        if w == key or (w == "all" and not ins.segment):
            return True
        if "=" in w:
            if set(parse_segment(w)) <= have:
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
    ka, kb = top_knowledge(a), top_knowledge(b)
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
