"""HTML pieces the report notebooks display: header, findings, themes, questions, method.

Every function returns an HTML string rendered with Jinja2 autoescaping from
``insightlib/templates/fragments``; user-supplied text (quotes, knowledge titles, labels) is
escaped, and charts are inline SVG from :func:`insightlib.report.charts.to_svg`. The story text is
the insights' ``narrative`` (``headline`` + ``board`` for summary audiences, ``team`` for
detailed ones); nothing here computes a finding.

Examples
--------
>>> from insightlib import report, views                         # doctest: +SKIP
>>> run = report.open_run("reports/2026-W47")                     # doctest: +SKIP
>>> html = views.finding_html(run, run.selected("board")[0], "board")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from insightlib.document import Insight, InsightsDocument, MetricRow, as_document
from insightlib.model import parse_segment, segment_text, tone_word
from insightlib.report import import_jsonschema_lightly

import_jsonschema_lightly()  # before Altair: it saves about 1 s of CPU (see there)

from insightlib.narrate import stories  # noqa: E402
from insightlib.narrate.stories import THEME_KINDS  # noqa: E402
from insightlib.report import charts  # noqa: E402
from insightlib.report.runfolder import TEMPLATES, Run  # noqa: E402
from insightlib.text import numbers as tf  # noqa: E402

__all__ = [
    "render",
    "fmt_value",
    "fmt_change",
    "fmt_interval",
    "fmt_p",
    "value_kind",
    "question_text",
    "header_html",
    "changes_html",
    "finding_html",
    "findings_html",
    "story_html",
    "story_pieces",
    "scoreboard_html",
    "sparkline_svg",
    "themes_html",
    "theme_rows",
    "questions_html",
    "method_html",
    "glossary_html",
    "track_record_html",
    "figures",
    "sections",
]

KIND_WORDS = {
    "metric_change": "Change",
    "segment_driver": "Where it changed",
    "hidden_change": "Hidden change",
    "anomaly": "Unusual day",
    "trend": "Trend",
    "emerging_theme": "Rising theme",
    "fading_theme": "Fading theme",
}
SOURCE_WORDS = {
    "nps": "NPS comment",
    "survey": "survey",
    "support_ticket": "support ticket",
    "interview": "interview",
    "app_review": "app review",
}
METRIC_KINDS = ("metric_change", "segment_driver", "hidden_change", "trend")


# ------------------------------------------------------------------------------------ formatting


def _minus(text: str) -> str:
    return text.replace("-", "−") if text.startswith("-") else text


def fmt_value(value: Any, kind: str | None = None, unit: str | None = None) -> str:
    """A metric value for people, at table precision (:func:`insightlib.text.numbers.exact_text`):
    ``25.5%``, ``$104,950``, ``1,900``, ``44.10``.

    >>> fmt_value(0.255, "conversion"), fmt_value(104950, "sum", "USD"), fmt_value(44.1, "mean")
    ('25.5%', '$104,950', '44.10')
    """
    v = tf.finite_number(value)
    if v is None:
        return "–"
    return _minus(tf.exact_text(v, kind, unit))


def _rel_text(rel: float) -> str:
    if abs(rel) < 10:
        return tf.signed(tf.pct(abs(rel), 0), rel)
    return f"×{tf.fixed(1 + rel, 0)}"


def _points(delta: float) -> str:
    return tf.signed(tf.fixed(abs(delta) * 100, tf.EXACT_DIGITS["conversion"]), delta)


def _fields(x: Any, *names: str) -> tuple[Any, ...]:
    """``names`` of an insight or a scoreboard row, typed (attributes) or in JSON form (keys)."""
    if isinstance(x, Mapping):
        return tuple(x.get(n) for n in names)
    return tuple(getattr(x, n, None) for n in names)


def fmt_change(insight: Insight | MetricRow | Mapping[str, Any]) -> str:
    """The change of an insight: ``−4.6 points (−15%)`` for shares, ``+26% (+$21,650)`` else."""
    kind, unit, ab, rel = _fields(insight, "metric_kind", "unit", "change_abs", "change_rel")
    ab, rel = tf.finite_number(ab), tf.finite_number(rel)
    parts = []
    rel_text = None if rel is None else _rel_text(rel)
    if kind == "conversion" and ab is not None:
        parts.append(f"{_points(ab)} points")
        if rel_text:
            parts.append(f"({rel_text})")
    else:
        if rel_text:
            parts.append(rel_text)
        if ab is not None:
            sign = "+" if ab > 0 else ""
            text = f"{sign}{fmt_value(ab, kind, unit)}"
            parts.append(f"({text})" if parts else text)
    return _minus(" ".join(parts).replace("(-", "(−").replace(" -", " −")) or "–"


def fmt_interval(insight: Insight | Mapping[str, Any]) -> str:
    """The 95% interval of the change, or ``""``."""
    kind, unit, lo, hi = _fields(insight, "metric_kind", "unit", "ci_low", "ci_high")
    lo, hi = tf.finite_number(lo), tf.finite_number(hi)
    if lo is None or hi is None:
        return ""
    if kind == "conversion":
        text = f"{_points(lo)} to {_points(hi)} points"
    else:
        sign = ("+" if lo > 0 else "", "+" if hi > 0 else "")
        text = f"{sign[0]}{fmt_value(lo, kind, unit)} to {sign[1]}{fmt_value(hi, kind, unit)}"
    return text.replace("-", "−")


def fmt_p(value: Any) -> str:
    """``< 0.001``, ``0.012``."""
    v = tf.finite_number(value)
    if v is None:
        return "–"
    return "< 0.001" if v < 0.001 else tf.fixed(v, 3)


def value_kind(insight: Insight | Mapping[str, Any]) -> str | None:
    """How an insight's values read: its metric kind, or a share for theme findings."""
    if isinstance(insight, Insight):
        metric_kind, kind = insight.metric_kind, insight.kind
    else:
        metric_kind, kind = insight.get("metric_kind"), insight.get("kind")
    if metric_kind:
        return str(metric_kind)
    if kind in THEME_KINDS:
        return "conversion"  # the theme's share of all feedback
    return None


def question_text(question: Mapping[str, Any]) -> str:
    """The question without a leading "Team:" (the reports say "For Team:" themselves)."""
    text = str(question.get("text") or "")
    team = str(question.get("team") or "")
    if team and text.lower().startswith(team.lower() + ":"):
        text = text[len(team) + 1 :].lstrip()
        text = text[:1].upper() + text[1:]
    return text


def _date_text(value: Any) -> str:
    return charts.date_label(value) if value else ""


# ------------------------------------------------------------------------------------ rendering


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja's cache of compiled templates in a private temporary folder of this user (keyed
    by each template's source, so an edited template is compiled again): compiling the
    fragment templates costs about a third of a second at every run; none when the temporary
    folder is not usable."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # pragma: no cover - no usable temporary folder
        return None


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES / "fragments")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(
        value=fmt_value,
        change=fmt_change,
        interval=fmt_interval,
        p=fmt_p,
        day=_date_text,
        ask=question_text,
        kind_words=lambda k: KIND_WORDS.get(k, str(k).replace("_", " ").capitalize()),
        source_words=lambda s: SOURCE_WORDS.get(s, str(s).replace("_", " ")),
        segment_words=lambda seg: segment_text(parse_segment(seg)),
        thousands=lambda n: tf.fixed(n, 0) if tf.finite_number(n) is not None else "–",
        pct=lambda x: (
            _minus(tf.signed(tf.pct(abs(x), 0), x)) if tf.finite_number(x) is not None else "–"
        ),
        share=lambda x: _minus(tf.pct(x, 0)) if tf.finite_number(x) is not None else "–",
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render a fragment template of ``insightlib/templates/fragments`` (autoescaped)."""
    return _env().get_template(template).render(**context)


def _quote(q: Any) -> dict[str, Any]:
    if isinstance(q, str):
        return {"text": q, "source": "", "date": ""}
    return {"text": q.get("text", ""), "source": q.get("source", ""), "date": q.get("date", "")}


def _theme_label(run: Run, theme_id: str | None) -> str:
    theme = run.document.theme(theme_id) if theme_id else None
    if theme is not None:
        return theme.label or str(theme_id)
    return str(theme_id or "").replace("_", " ")


def figures(run: Run, insight: Insight | Mapping[str, Any], audience: str) -> list[dict[str, Any]]:
    """The charts of one insight as ``{"svg": Markup, "alt": str, "legend": [...]}`` (errors as
    ``"note"``); ``legend`` says what every band, line and marker means
    (:func:`insightlib.report.charts.legend`).

    Summary audiences get one small chart; detailed ones the main chart, the driver chart
    (two or more drivers) and the chart of the top customer theme.
    """
    ins = stories.as_insight(insight)
    # the charts draw the insights.json shape of the insight (with how its values read)
    row = dict(insight) if isinstance(insight, Mapping) else ins.to_dict()
    if value_kind(ins):
        row["metric_kind"] = value_kind(ins)
    small = run.depth(audience) == "summary"
    name = ins.metric_label or ins.metric
    start = ins.window_start.isoformat()
    builders: list[tuple[str, Any, list[dict[str, str]]]] = []
    if ins.kind in THEME_KINDS and ins.theme:
        label = _theme_label(run, ins.theme)
        builders.append(
            (
                f"Mentions of {label} per period",
                lambda: charts.theme_chart(
                    run.theme_counts,
                    ins.theme,
                    small,
                    label=label,
                    current=start,
                    better=ins.better,
                ),
                charts.legend(row, "theme"),
            )
        )
    elif ins.kind == "anomaly" and not run.daily.empty:
        builders.append(
            (
                f"{name} per day",
                lambda: charts.anomaly_chart(run.daily, row, small),
                charts.legend(row, "anomaly"),
            )
        )
    elif ins.metric:
        context = not small and bool(ins.segment) and ins.metric_kind in ("conversion", "mean")
        builders.append(
            (
                f"{name} over time",
                lambda: charts.metric_chart(run.series, row, None, small),
                charts.legend(row, "metric", context=context),
            )
        )
    if not small:
        if len(ins.evidence.drivers) >= 2:
            builders.append(
                ("Share of the change by segment", lambda: charts.driver_chart(row), [])
            )
        themes = [t for t in ins.evidence.themes if t.id]
        if themes and ins.kind not in THEME_KINDS:
            top = themes[0]
            builders.append(
                (
                    f"Mentions of {top.label} per period",
                    lambda: charts.theme_chart(
                        run.theme_counts, top.id, label=top.label, current=start
                    ),
                    charts.legend({}, "theme"),
                )
            )
    out = []
    for alt_text, build, legend in builders:
        try:
            out.append({"svg": Markup(charts.to_svg(build())), "alt": alt_text, "legend": legend})
        except (ValueError, KeyError) as exc:
            out.append({"svg": None, "alt": alt_text, "note": f"No chart: {exc}.", "legend": []})
    return out


def _previous_words(run: Run) -> str:
    previous = run.history.previous
    if not previous:
        return ""
    grain = run.document.period.grain
    word = {"week": "last week", "month": "last month", "day": "the day before"}.get(grain)
    try:
        from insightlib.workspace.periods import parse_period

        if word and parse_period(run.label).previous().label == previous:
            return word
    except Exception:  # noqa: BLE001 - a label we cannot parse just gets the plain wording
        pass
    return f"the last run ({previous})"


def header_html(run: Run, audience: str) -> str:
    """Title, period, what was analysed, and (detailed audiences) the list of findings."""
    selected = run.selected(audience)
    lead, basis = _summary_lines(run.document, len(selected))
    depth = run.depth(audience)
    told = stories.for_audience(run.document, audience) if depth != "summary" else []
    status = {}
    for s in told:
        marks = {run.status(m) for m in s.members} - {""}
        status[s.anchor] = "new" if "new" in marks else ("continuing" if marks else "")
    return render(
        "header.html.j2",
        lead=lead,
        basis=basis,
        doc=run.doc,
        audience=audience,
        depth=depth,
        stories=told,
        status=status,
        links=_links(run, audience),
        scoreboard=Markup(scoreboard_html(run)),
        title=run.document.title or run.document.project or "Insights",
        audience_title=_audience_title(run, audience),
    )


def _links(run: Run, audience: str) -> list[tuple[str, str]]:
    """Relative links from a report page to its neighbours: the other audiences and the index."""
    out = []
    for name, spec in run.audiences().items():
        if name == audience:
            continue
        summary = run.depth(name) == "summary"
        title = spec.title or name.capitalize()
        out.append((f"{name}.html", f"{title} summary" if summary else f"{title} report"))
        if summary:
            out.append((f"{name}.pdf", f"{title} PDF"))
    out.append(("../index.html", "All runs"))
    return out


def sparkline_svg(values: list[Any], *, tone: str = "neutral", width: int = 96) -> str:
    """A small inline SVG line of the values (gaps for None), the last point marked."""
    height, pad = 24, 3
    pts = [(n, tf.finite_number(v)) for n, v in enumerate(values)]
    known = [v for _, v in pts if v is not None]
    if len(known) < 2:
        return ""
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    step = (width - 2 * pad) / max(1, len(values) - 1)

    def xy(n: int, v: float) -> str:
        return f"{pad + n * step:.1f},{height - pad - (v - lo) / span * (height - 2 * pad):.1f}"

    runs: list[list[str]] = [[]]
    for n, v in pts:
        if v is None:
            runs.append([])
        else:
            runs[-1].append(xy(n, v))
    colour = {"better": charts.PALETTE["better"], "worse": charts.PALETTE["worse"]}.get(
        tone, charts.PALETTE["primary"]
    )
    lines = "".join(
        f'<polyline points="{" ".join(r)}" fill="none" stroke="{charts.PALETTE["primary"]}" '
        'stroke-width="1.5"/>'
        for r in runs
        if len(r) >= 2
    )
    last = next(((n, v) for n, v in reversed(pts) if v is not None))
    x, y = xy(*last).split(",")
    dot = f'<circle cx="{x}" cy="{y}" r="2.6" fill="{colour}"/>'
    return (
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="last {len(values)} periods">'
        f"{lines}{dot}</svg>"
    )


#: What a report section says, once, when the workspace lacks an input that section needs.
LACKING = {
    "events": "There is no events file, so no numbers are tracked.",
    "feedback": "There is no customer feedback, so no finding is linked to what customers say.",
    "knowledge": (
        "There is no knowledge log (releases, campaigns, incidents), so no finding is linked "
        "to what other teams did."
    ),
    "themes": "There is no customer feedback, so there are no customer themes to show.",
    "asks": (
        "There is no knowledge log, so nothing other teams did could explain a finding; "
        "the questions go to the teams instead."
    ),
}


def lacking(doc: InsightsDocument) -> set[str]:
    """The inputs the run's workspace lacks (``summary.inputs_missing``)."""
    return set(doc.summary.inputs_missing)


def _lacking_html(lines: list[str]) -> str:
    return "".join(f'<p class="missing-input small">{escape(x)}</p>' for x in lines)


def scoreboard_html(run: Run) -> str:
    """Every metric the team follows (``metrics`` of insights.json): label, value this period,
    change against the baseline, a sparkline of the last periods and a status word. Empty when
    the run has no ``metrics``."""
    rows = []
    for m in run.document.metrics:
        if m.segment:
            continue
        ab = tf.finite_number(m.change_abs)
        if ab is None or ab == 0 or m.status in ("steady", "no data", "too small to tell"):
            tone = "neutral"
        else:
            tone = "better" if (ab > 0) == (m.good == "up") else "worse"
        recent = [v for _period, v in m.recent]
        rows.append(
            {
                "label": m.label or m.metric,
                "value": fmt_value(m.current, m.kind, m.unit),
                "change": fmt_change(m) if ab is not None else "–",
                "status": m.status,
                "tone": tone,
                "spark": Markup(sparkline_svg(recent, tone=tone)),
                "periods": len(recent),
            }
        )
    if not rows and "events" in lacking(run.document):
        return render("scoreboard.html.j2", rows=[], lacking=LACKING["events"], baseline={})
    return render("scoreboard.html.j2", rows=rows, baseline=run.document.baseline.to_dict())


def _summary_lines(doc: InsightsDocument, n_selected: int) -> tuple[str, str]:
    """The lead sentence (narrate's ``summary.text``) and what the findings rest on."""
    summary, baseline = doc.summary, doc.baseline
    data = []
    if summary.n_events is not None:
        data.append(f"{tf.fixed(summary.n_events)} events")
    if summary.n_feedback:
        data.append(f"{tf.fixed(summary.n_feedback)} customer comments")
    compared = baseline.human or (
        f"{baseline.start} to {baseline.end}" if baseline.start is not None else ""
    )
    lead = summary.text
    if lead:
        head = f"Based on {' and '.join(data)}" if data else ""
    elif n_selected:
        head = f"{n_selected} finding{'s' if n_selected != 1 else ''}"
        head += f" from {' and '.join(data)}" if data else ""
    else:
        head = "Nothing unusual" + (f" in {' and '.join(data)}" if data else "")
    if compared:
        head = f"{head}, compared with {compared}" if head else f"Compared with {compared}"
    rest = f"{head}." if head else ""
    # what the run could not look at, what is worth watching, what is too small to tell
    extra = list(summary.missing)
    if summary.watch:
        extra.append("Worth watching: " + " ".join(summary.watch))
    if summary.too_small:
        extra.append(summary.too_small)
    return lead, " ".join([rest, *extra]).strip()


def _audience_title(run: Run, audience: str) -> str:
    """The audience's own title from insight.toml; '' when it is just the name."""
    spec = run.audiences().get(audience)
    title = spec.title if spec is not None else ""
    return "" if title.lower() == audience.replace("_", " ").lower() else title


def changes_html(run: Run, audience: str) -> str:
    """What is new since the last run, what continues, and what was resolved."""
    h = run.history
    by_id = {i.id: i.to_dict() for i in run.insights}
    selected_ids = {i.id for i in run.selected(audience)}
    return render(
        "changes.html.j2",
        history=h.to_dict(),
        depth=run.depth(audience),
        since=_previous_words(run),
        new=[by_id[i] for i in h.new if i in by_id and i in selected_ids],
        continuing=[by_id[i] for i in h.continuing if i in by_id and i in selected_ids],
        resolved=[r.to_dict() for r in h.resolved],
    )


def finding_html(
    run: Run, insight: Insight | Mapping[str, Any], audience: str, number: int = 1
) -> str:
    """One finding: headline and text for the audience, its chart(s) and, in detail, evidence."""
    ins = stories.as_insight(insight)
    depth = run.depth(audience)
    quotes = [
        {**_quote(q.to_dict()), "theme": theme.label}
        for theme in ins.evidence.themes
        for q in theme.quotes[:2]
    ]
    row = ins.to_dict()  # the template renders the insights.json shape
    if value_kind(ins):
        row["metric_kind"] = value_kind(ins)
    evidence = row["evidence"]
    return render(
        "finding.html.j2",
        run=run,
        insight=row,
        value_label="Share of feedback" if ins.theme else "This period",
        number=number,
        depth=depth,
        status=run.status(ins),
        narrative=row["narrative"],
        figures=figures(run, row, audience),
        quotes=quotes[:4],
        themes=evidence["themes"],
        knowledge=evidence["knowledge"],
        drivers=evidence["drivers"],
        is_metric=bool(ins.metric or ins.theme),
    )


def _row(insight: Mapping[str, Any], grain: str) -> dict[str, Any]:
    kind = value_kind(insight)
    row = {**insight, "metric_kind": kind} if kind else dict(insight)
    imp = stories.impact(insight, grain)
    row["impact"] = imp.to_dict() if imp else None
    row["tone"] = (
        "neutral" if insight.get("better") is None else ("better" if insight["better"] else "worse")
    )
    return row


def story_html(run: Run, story: stories.Story, audience: str, number: int = 1) -> str:
    """One story: headline, one plain paragraph, its impact, one chart, an evidence table whose
    rows are its findings, quotes and notes once, and (detailed audiences) a collapsed "How we
    know" block with methods, tests and intervals."""
    depth = run.depth(audience)
    grain = run.document.period.grain or "week"
    lead = story.lead.to_dict()  # the templates and charts render the insights.json shape
    kind = value_kind(lead)
    lead_row = {**lead, "metric_kind": kind} if kind else lead
    figs = figures(run, lead_row, audience)[:1]
    questions, seen = [], set()
    for m in story.members:
        if m.question is not None and m.question.text not in seen:
            seen.add(m.question.text)
            questions.append(m.question.to_dict())
    verdicts = [{**v.to_dict(), "finding": m.title} for m in story.members for v in m.verdicts]
    drivers = None
    if depth != "summary" and len(story.lead.evidence.drivers) >= 2:
        try:
            drivers = {
                "svg": Markup(charts.to_svg(charts.driver_chart(lead_row))),
                "words": charts.driver_words(lead_row),
            }
        except (ValueError, KeyError):
            drivers = None
    statuses = {run.status(m) for m in story.members} - {""}
    status = "new" if "new" in statuses else ("continuing" if statuses else "")
    return render(
        "story.html.j2",
        story=story,
        lead=lead_row,
        number=number,
        depth=depth,
        status=status,
        figures=figs,
        rows=[_row(m.to_dict(), grain) for m in story.members],
        quotes=[_quote(q.to_dict()) | {"theme": theme} for q, theme in story.quotes][
            : 2 if depth == "summary" else 3
        ],
        knowledge=[k.to_dict() for k in story.knowledge],
        questions=questions,
        verdicts=verdicts,
        recurrence=[m.recurrence_note for m in story.members if m.recurrence_note],
        learning=[m.learning.why for m in story.members if m.learning and m.learning.why],
        team_link="team.html" if depth == "summary" else "",
        drivers=drivers,
    )


def story_pieces(run: Run, audience: str) -> list[str]:
    """The stories of an audience, one HTML piece each (or the 'nothing unusual' note)."""
    told = stories.for_audience(run.document, audience)
    if not told:
        return [render("nothing.html.j2", doc=run.doc, lacking=sorted(lacking(run.document)))]
    pieces = [story_html(run, s, audience, number=n) for n, s in enumerate(told, start=1)]
    # what the findings could not be linked with, said once above the first one
    lines = [LACKING[x] for x in ("feedback", "knowledge") if x in lacking(run.document)]
    if lines and any(m.metric for s in told for m in s.members):
        pieces[0] = _lacking_html(lines) + pieces[0]
    return pieces


def findings_html(run: Run, audience: str) -> str:
    """All stories of an audience (or a 'nothing unusual' note), as one piece."""
    return "\n".join(story_pieces(run, audience))


def theme_rows(doc: InsightsDocument | Mapping[str, Any], limit: int = 8) -> list[dict[str, Any]]:
    """The customer themes of the period for the table: this period's most mentioned first
    (then the rest by all-time count), with the change *in counts* against the baseline's
    average per period and this period's share of all feedback in its own column."""
    themes = sorted(as_document(doc).themes, key=lambda t: (-t.count_current, -t.count))
    out = []
    for t in themes[:limit]:
        cur, base = t.count_current, tf.finite_number(t.count_baseline)
        change = ""
        if base is not None:
            diff = cur - base
            change = _minus(tf.signed(tf.fixed(abs(diff)), diff))
            if base >= 1:
                rel = diff / base
                change += " (" + (
                    _minus(tf.signed(tf.pct(abs(rel), 0), rel))
                    if abs(rel) < 10
                    else f"×{tf.fixed(cur / base)}"
                )
                change += ")"
        quotes = [_quote(q.to_dict()) for q in t.quotes]
        out.append(
            {
                **t.to_dict(),
                "count_change": change or "–",
                "share_now": t.share_current,
                # praise and complaints about one subject are two themes: say which is which
                "tone": tone_word(t.sentiment),
                "quote": quotes[0] if quotes else None,
            }
        )
    return out


def themes_html(run: Run, limit: int = 8) -> str:
    """The customer themes of the period (:func:`theme_rows`), each with one quote."""
    lack = LACKING["themes"] if "feedback" in lacking(run.document) else ""
    return render(
        "themes.html.j2", themes=theme_rows(run.document, limit), doc=run.doc, lacking=lack
    )


def questions_html(run: Run, audience: str) -> str:
    """'What we ask': the open questions, each routed to a team."""
    return render(
        "questions.html.j2",
        questions=[q.to_dict() for q in run.questions(audience)],
        depth=run.depth(audience),
        n_insights=len(run.document.insights),
        lacking=LACKING["asks"] if "knowledge" in lacking(run.document) and run.insights else "",
    )


def track_record_html(run: Run) -> str:
    """'Track record': verdicts and answers of teams so far (``track_record`` of insights.json)."""
    return render("track_record.html.j2", tr=run.document.track_record or None)


def glossary_html(run: Run) -> str:
    """'Words used': the terms the texts keep but explain once (``glossary`` of insights.json)."""
    terms = [t.to_dict() for t in run.document.glossary]
    return render("glossary.html.j2", terms=terms)


def method_html(run: Run) -> str:
    """How the findings were made: comparison, tests, parameters and input files."""
    from insightlib import __version__

    insights = [i.to_dict() for i in run.insights]
    return render("method.html.j2", doc=run.doc, insights=insights, version=__version__)


def sections(run: Run, audience: str) -> dict[str, Any]:
    """Every piece the report notebooks show for ``audience``, rendered (``fragments.SECTIONS``).

    ``findings`` is a list: one piece per story (:mod:`insightlib.narrate.stories`), or the
    "nothing unusual" note.
    ``insightlib run`` saves the result in the run folder (:mod:`insightlib.report.fragments`),
    so the notebooks only display it.
    """
    return {
        "header": header_html(run, audience),
        "changes": changes_html(run, audience),
        "findings": story_pieces(run, audience),
        "themes": themes_html(run),
        "questions": questions_html(run, audience),
        "track_record": track_record_html(run),
        "glossary": glossary_html(run),
        "method": method_html(run),
    }
