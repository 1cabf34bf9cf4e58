"""Interactive exploration of a run in JupyterLab (``notebooks/explore.ipynb``).

:class:`MetricExplorer` shows a metric for a segment over time with a period marked, and the
run's finding for it if there is one; :class:`ThemeBrowser` shows a customer theme's volume and
quotes. Both are ipywidgets whose content comes from :func:`metric_view_html` and
:func:`theme_view_html`, plain functions that the tests call directly.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from insightlib.document import InsightsDocument
from insightlib.errors import InputError
from insightlib.model import segment_dict, segment_from_key
from insightlib.report import charts
from insightlib.report.runfolder import (
    Run,
    metric_choices,
    metric_info,
    period_choices,
    segment_choices,
    segment_words,
)
from insightlib.report.views import render

__all__ = [
    "metric_choices",
    "segment_choices",
    "period_choices",
    "metric_view_html",
    "theme_view_html",
    "MetricExplorer",
    "ThemeBrowser",
]


def _other_run(run: Run, label: str) -> InsightsDocument | None:
    """The document of the run for ``label`` in the same reports root, if there is one."""
    if label == run.label:
        return run.document
    path = run.path.parent / label / "insights.json"
    if not path.exists():
        return None
    try:
        return InsightsDocument.from_json(path.read_text(encoding="utf-8"), file=str(path))
    except (OSError, UnicodeDecodeError, InputError):
        return None


def _nested(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> bool:
    return a <= b or b <= a


def baseline_value(rows: pd.DataFrame, kind: str | None) -> float | None:
    """The baseline as the report computes it: for shares and averages the pooled ratio of the
    baseline periods (all their numerators over all their denominators), for counts, users and
    sums the mean per period."""
    if rows.empty:
        return None
    if kind in ("conversion", "mean") and {"numerator", "denominator"} <= set(rows.columns):
        den = float(rows["denominator"].sum())
        return float(rows["numerator"].sum()) / den if den > 0 else None
    return float(rows["value"].mean())


def metric_view_html(run: Run, metric: str, segment: str = "all", period: str = "") -> str:
    """A metric for a segment over time with ``period`` marked, and what was found about it."""
    periods = dict(period_choices(run))
    label = period or run.label
    start = periods.get(label)
    if start is None and periods:
        label, start = list(periods.items())[-1]
    info = metric_info(run, metric)
    doc = _other_run(run, label)
    findings = [
        ins
        for ins in (doc.insights if doc is not None else ())
        if ins.metric == metric and ins.segment_key == segment
    ]
    starts = list(periods.values())
    idx = starts.index(start) if start in starts else len(starts) - 1
    n_base = run.document.baseline.periods or 4
    base_starts = starts[max(0, idx - n_base) : idx]
    rows = run.series[(run.series["metric"] == metric) & (run.series["segment"] == segment)]
    rows = rows.assign(period_start=pd.to_datetime(rows["period_start"]).dt.normalize())
    value = rows.loc[rows["period_start"] == start, "value"]
    base_rows = rows[rows["period_start"].isin(base_starts)]
    base = base_rows["value"]
    current = float(value.iloc[0]) if len(value) else None
    baseline = baseline_value(base_rows, info.get("kind"))
    grain_end = (starts[idx + 1] - timedelta(days=1)) if idx + 1 < len(starts) else None
    pseudo = findings[0] if findings and label == run.label else None
    insight = {
        "metric": metric,
        "metric_label": info["label"],
        "metric_kind": info.get("kind"),
        "unit": info.get("unit"),
        "segment": segment_dict(segment_from_key(segment)),
        "window": {"start": str(start.date()) if start is not None else None},
        "better": pseudo.better if pseudo else None,
        "direction": pseudo.direction if pseudo else None,
        "baseline": baseline,
    }
    if grain_end is not None:
        insight["window"]["end"] = str(grain_end.date())
    if base_starts:
        end = start - timedelta(days=1)
        insight["baseline_window"] = {"start": str(base_starts[0].date()), "end": str(end.date())}
    chosen = set(segment_from_key(segment))
    knowledge = [  # the chart draws the notes in their insights.json shape
        k.to_dict() for k in run.document.knowledge if _nested(set(k.segment), chosen)
    ]
    try:
        svg = charts.to_svg(charts.metric_chart(run.series, insight, knowledge))
        note = ""
    except ValueError as exc:
        svg, note = "", f"No chart: {exc}."
    from markupsafe import Markup

    return render(
        "metric_view.html.j2",
        label=info["label"],
        kind=info.get("kind"),
        unit=info.get("unit"),
        where=segment_words(segment),
        period=label,
        current=current,
        baseline=baseline,
        n_base=len(base),
        findings=[f.to_dict() for f in findings],
        run_found=doc is not None,
        svg=Markup(svg),
        note=note,
    )


def _theme_quotes(run: Run, theme_id: str) -> list[dict[str, Any]]:
    quotes: dict[str, dict[str, Any]] = {}
    theme = run.document.theme(theme_id)
    found = [*(theme.quotes if theme is not None else ())]
    for ins in run.insights:
        found += [q for t in ins.evidence.themes if t.id == theme_id for q in t.quotes]
    for q in found:
        quotes.setdefault(q.id or q.text, q.to_dict())
    return list(quotes.values())


def theme_view_html(run: Run, theme_id: str) -> str:
    """A customer theme: mentions per period, this period against usual, and its quotes."""
    from markupsafe import Markup

    found = run.document.theme(theme_id)
    theme = found.to_dict() if found is not None else None
    label = (found.label if found is not None else "") or theme_id.replace("_", " ")
    try:
        svg = charts.to_svg(
            charts.theme_chart(
                run.theme_counts,
                theme_id,
                label=label,
                current=run.document.period.start.isoformat(),
            )
        )
        note = ""
    except (ValueError, KeyError, IndexError) as exc:
        svg, note = "", f"No chart: {exc}."
    return render(
        "theme_view.html.j2",
        theme=theme or {"label": label},
        quotes=_theme_quotes(run, theme_id),
        svg=Markup(svg),
        note=note,
    )


class MetricExplorer:
    """Dropdowns for metric, segment and period above a chart and its story.

    ``widget`` is the ipywidgets box to display; ``metric``, ``segment`` and ``period`` are
    the dropdowns and ``view`` the HTML widget they update.
    """

    def __init__(self, run: Run, metric: str = "", segment: str = "all", period: str = ""):
        import ipywidgets as w

        self.run = run
        self._busy = False
        metrics = metric_choices(run)
        first = metric or (metrics[0][1] if metrics else "")
        layout = w.Layout(width="auto")
        self.metric = w.Dropdown(options=metrics, value=first or None, description="Metric")
        self.segment = w.Dropdown(
            options=segment_choices(run, first), value=segment, description="Segment"
        )
        labels = [label for label, _start in period_choices(run)]
        self.period = w.Dropdown(
            options=labels, value=period or (run.label if run.label in labels else None)
        )
        self.period.description = "Period"
        for d in (self.metric, self.segment, self.period):
            d.layout = layout
            d.style = {"description_width": "60px"}
        self.view = w.HTML()
        self.metric.observe(self._metric_changed, names="value")
        self.segment.observe(self._refresh, names="value")
        self.period.observe(self._refresh, names="value")
        self.widget = w.VBox([w.HBox([self.metric, self.segment, self.period]), self.view])
        self._refresh()

    def _metric_changed(self, _change: Any = None) -> None:
        keep = self.segment.value
        options = segment_choices(self.run, self.metric.value)
        self._busy = True  # one refresh at the end, not one per trait change
        try:
            self.segment.options = options  # resets the value to the first option
            self.segment.value = keep if keep in dict(options).values() else "all"
        finally:
            self._busy = False
        self._refresh()

    def _refresh(self, _change: Any = None) -> None:
        if self._busy:
            return
        if not self.metric.value:
            self.view.value = "<p>This run has no metric series.</p>"
            return
        self.view.value = metric_view_html(
            self.run, self.metric.value, self.segment.value or "all", self.period.value or ""
        )

    def _ipython_display_(self) -> None:  # pragma: no cover - display hook
        from IPython.display import display

        display(self.widget)


class ThemeBrowser:
    """A dropdown of customer themes above the theme's chart and quotes."""

    def __init__(self, run: Run):
        import ipywidgets as w

        self.run = run
        from insightlib.report.views import theme_rows

        themes = [
            (f"{t['label']} ({t['count_current']})", t["id"])
            for t in theme_rows(run.document, limit=10**6)  # this period's most mentioned first
            if t["id"]
        ]
        self.theme = w.Dropdown(
            options=themes,
            value=themes[0][1] if themes else None,
            description="Theme",
            layout=w.Layout(width="auto"),
        )
        self.view = w.HTML()
        self.theme.observe(self._refresh, names="value")
        self.widget = w.VBox([self.theme, self.view])
        self._refresh()

    def _refresh(self, _change: Any = None) -> None:
        if not self.theme.value:
            self.view.value = "<p>This run has no customer themes.</p>"
            return
        self.view.value = theme_view_html(self.run, self.theme.value)

    def _ipython_display_(self) -> None:  # pragma: no cover - display hook
        from IPython.display import display

        display(self.widget)
