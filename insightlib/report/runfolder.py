"""A run folder as the reports read it: ``insights.json``, the series and the parameters.

:func:`open_run` reads a run folder into a :class:`Run`; the notebooks call
:func:`check_parameters` in their first cell after the parameters, so a bad parameter stops them
with a clear message.
"""

from __future__ import annotations

import ast
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from insightlib.document import Audience, History, Insight, InsightsDocument, Question
from insightlib.errors import InputError
from insightlib.model import column_label, segment_from_key, segment_text
from insightlib.text import numbers as tf
from insightlib.workspace.config import DEFAULT_AUDIENCES
from insightlib.workspace.periods import period_of

__all__ = [
    "Run",
    "open_run",
    "check_parameters",
    "PARAMETERS",
    "NOTEBOOKS",
    "metric_choices",
    "segment_choices",
    "period_choices",
]

TEMPLATES = Path(__file__).parent / "templates"

#: The parameters each notebook declares in its ``parameters`` cell, with their types.
PARAMETERS: dict[str, dict[str, type]] = {
    "team_report": {"run_dir": str, "audience": str},
    "board_report": {"run_dir": str, "audience": str},
    "explore": {"run_dir": str, "metric": str, "segment": str, "period": str},
}
#: Which notebook renders an audience of each depth.
NOTEBOOKS = {"detailed": "team_report", "summary": "board_report"}


# ------------------------------------------------------------------------------------ run folder


@dataclass(frozen=True)
class Run:
    """One run folder, read: ``insights.json`` and the frames under ``data/``.

    Attributes
    ----------
    path
        The run folder.
    document
        The run's :class:`~insightlib.document.InsightsDocument` (upgraded to the current
        schema version when an older insightlib wrote it).
    series, daily, theme_counts
        ``data/series.parquet``, ``data/daily.parquet``, ``data/theme_counts.parquet`` (empty
        frames where a file is missing).
    """

    path: Path
    document: InsightsDocument
    series: pd.DataFrame = field(repr=False)
    daily: pd.DataFrame = field(repr=False)
    theme_counts: pd.DataFrame = field(repr=False)

    @cached_property
    def doc(self) -> dict[str, Any]:
        """The document in its JSON form (the shape of ``insights.json``), for the templates
        that render it; Python code reads :attr:`document`."""
        return self.document.to_dict()

    @property
    def label(self) -> str:
        return self.document.period.label or self.path.name

    @property
    def insights(self) -> tuple[Insight, ...]:
        return self.document.insights

    def insight(self, insight_id: str) -> Insight | None:
        return self.document.insight(insight_id)

    def audiences(self) -> dict[str, Audience]:
        """The audiences of the run; ``team`` and ``board`` always exist."""
        aud = dict(self.document.audiences)
        for name, spec in DEFAULT_AUDIENCES.items():
            aud.setdefault(name, Audience(name, spec.depth, name.capitalize()))
        return aud

    def depth(self, audience: str) -> str:
        spec = self.audiences().get(audience)
        if spec is not None and spec.depth:
            return spec.depth
        default = DEFAULT_AUDIENCES.get(audience)
        return default.depth if default is not None else "detailed"

    def selected(self, audience: str) -> list[Insight]:
        """The insights chosen for ``audience``, in order (at most 5 for a summary audience)."""
        spec = self.audiences().get(audience)
        ids = spec.insight_ids if spec is not None else None
        chosen = list(self.insights) if ids is None else [i for i in map(self.insight, ids) if i]
        if self.depth(audience) == "summary":
            chosen = chosen[:5]
        return chosen

    def questions(self, audience: str | None = None) -> list[Question]:
        """Open questions; for an audience its ``question_ids`` (default: those of its insights
        plus the unattached ones)."""
        qs = self.document.questions
        if audience is not None:
            spec = self.audiences().get(audience)
            chosen = spec.question_ids if spec is not None else None
            if chosen is not None:
                qs = tuple(q for q in qs if q.id in set(chosen))
            else:
                ids = {i.id for i in self.selected(audience)}
                qs = tuple(q for q in qs if not q.insight_id or q.insight_id in ids)
        return list(qs)

    @property
    def history(self) -> History:
        return self.document.history

    def status(self, insight: Insight | Mapping[str, Any]) -> str:
        """``new``, ``continuing`` or ``""`` (no history) for an insight of this run."""
        h = self.document.history
        if not h.previous:  # a first run: "new" would be on every finding and say nothing
            return ""
        iid, own = (
            (insight.id, insight.status)
            if isinstance(insight, Insight)
            else (insight.get("id"), insight.get("status"))
        )
        if iid in h.continuing:
            return "continuing"
        if iid in h.new:
            return "new"
        return str(own or "")


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=["metric", "period_start", "segment", "value"])
    return pd.read_parquet(path)


def open_run(run_dir: str | os.PathLike[str]) -> Run:
    """Read a run folder written by ``insightlib run``.

    From then on numbers are formatted in the run's locale and segments named by its labels
    (``provenance["presentation"]``; see :func:`insightlib.text.numbers.use`).

    Raises
    ------
    InputError
        The folder or its ``insights.json`` is missing or not valid JSON.
    """
    path = Path(run_dir).expanduser()
    file = path / "insights.json"
    if not path.is_dir():
        raise InputError(
            f"run folder {str(path)!r} does not exist; pass the folder that "
            "`insightlib run` wrote, e.g. reports/2026-W47.",
        )
    if not file.exists():
        raise InputError(
            "no insights.json in this folder; pass a run folder written by `insightlib run`.",
            file=str(path),
        )
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}.", file=str(file)) from None
    document = InsightsDocument.from_json(text, file=str(file))
    # what is rendered from the run formats numbers and names segments as its texts do
    tf.use_presentation(document.provenance.get("presentation"))
    data = path / "data"
    return Run(
        path=path.resolve(),
        document=document,
        series=_read_frame(data / "series.parquet"),
        daily=_read_frame(data / "daily.parquet"),
        theme_counts=_read_frame(data / "theme_counts.parquet"),
    )


# ------------------------------------------------------------------------------------ parameters

_KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def _injected_names(namespace: Mapping[str, Any]) -> list[str]:
    """Names assigned by papermill's injected-parameters cell (it starts with ``# Parameters``)."""
    names: list[str] = []
    for source in namespace.get("In") or []:
        if not isinstance(source, str) or not source.lstrip().startswith("# Parameters"):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def _type_name(tp: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, tp.__name__
    )


def check_parameters(notebook: str, namespace: Mapping[str, Any]) -> Run:
    """Validate a notebook's parameters and open its run folder.

    Call it in the cell after the parameters: ``run = check_parameters("team_report",
    globals())``. It checks that no unknown parameter was passed (papermill only warns), that
    each parameter has its declared type, that ``run_dir`` holds a run, and that ``audience``,
    ``metric``, ``segment`` and ``period`` name things the run has.

    Raises
    ------
    InputError
        With a message that names the parameter, what was expected and what came.
    """
    if notebook not in PARAMETERS:
        raise InputError(f"notebook must be one of {', '.join(PARAMETERS)}, got {notebook!r}.")
    declared = PARAMETERS[notebook]
    for name in _injected_names(namespace):
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise InputError(
                f"unknown parameter '{name}' for notebook {notebook}.{hint} "
                f"Its parameters are: {', '.join(declared)}."
            )
    values: dict[str, Any] = {}
    for name, tp in declared.items():
        if name not in namespace:
            raise InputError(f"parameter '{name}' of notebook {notebook} is not set.")
        value = namespace[name]
        if isinstance(value, os.PathLike) and tp is str:
            value = os.fspath(value)
        if not isinstance(value, tp) or (tp is not bool and isinstance(value, bool)):
            raise InputError(
                f"parameter '{name}' must be {_type_name(tp)}, "
                f"got {type(value).__name__} {value!r}."
            )
        values[name] = value
    try:
        run = open_run(values["run_dir"])
    except InputError as exc:
        raise InputError(f"parameter 'run_dir': {exc}") from None
    if "audience" in values:
        audiences = run.audiences()
        if values["audience"] not in audiences:
            raise InputError(
                f"parameter 'audience' must be one of {', '.join(map(repr, audiences))}, "
                f"got {values['audience']!r}."
            )
    if notebook == "explore":
        _check_explore(run, values)
    return run


def _check_explore(run: Run, values: Mapping[str, Any]) -> None:
    metrics = metric_choices(run)
    metric = values["metric"]
    if metric and metric not in dict(metrics).values():
        names = [m for _label, m in metrics]
        close = difflib.get_close_matches(metric, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InputError(
            f"parameter 'metric': unknown metric {metric!r}.{hint} "
            f"The run has: {', '.join(names) or 'no metrics'}."
        )
    metric = metric or (metrics[0][1] if metrics else "")
    segments = [key for _label, key in segment_choices(run, metric)]
    if values["segment"] not in segments:
        raise InputError(
            f"parameter 'segment': {values['segment']!r} is not a segment of {metric!r}; "
            f"use one of {', '.join(segments[:12])}{' …' if len(segments) > 12 else ''}."
        )
    periods = [label for label, _start in period_choices(run)]
    if values["period"] and values["period"] not in periods:
        raise InputError(
            f"parameter 'period': {values['period']!r} is not in the data; "
            f"use a label from {periods[0]} to {periods[-1]}."
            if periods
            else "parameter 'period': the run has no series."
        )


def metric_info(run: Run, metric: str) -> dict[str, Any]:
    """Label, kind and unit of a metric, from insights.json (``metrics`` or an insight)."""
    row = next((m for m in run.document.metrics if m.metric == metric and not m.segment), None)
    info: dict[str, Any] = {}
    if row is not None:  # the scoreboard row names the metric and how its values read
        info = {k: v for k, v in (("label", row.label), ("kind", row.kind), ("unit", row.unit))}
        info = {k: v for k, v in info.items() if v is not None}
    for ins in run.insights:
        if ins.metric == metric:
            info.setdefault("label", ins.metric_label)
            info.setdefault("kind", ins.metric_kind)
            info.setdefault("unit", ins.unit)
            break
    info["label"] = info.get("label") or metric.replace("_", " ").capitalize()
    return info


def metric_choices(run: Run) -> list[tuple[str, str]]:
    """``(label, name)`` of every metric in the series, those with findings first."""
    if run.series.empty:
        return []
    names = list(dict.fromkeys(run.series["metric"].astype(str)))
    ranked = [i.metric for i in run.insights if i.metric in names]
    names = list(dict.fromkeys(ranked + sorted(names)))
    return [(metric_info(run, m)["label"], m) for m in names]


def segment_words(key: str) -> str:
    segment = segment_from_key(key)
    if not segment:
        return "all customers"
    return " / ".join(f"{column_label(c)}: {segment_text(((c, v),))}" for c, v in segment)


def segment_choices(run: Run, metric: str) -> list[tuple[str, str]]:
    """``(words, key)`` of the segments the series has for ``metric``: ``"all"`` first, then
    the largest this period."""
    if run.series.empty:
        return [("all customers", "all")]
    rows = run.series[run.series["metric"] == metric]
    keys = sorted(set(rows["segment"].astype(str)))
    # this period's largest segments first (people in the segment, else the metric's volume)
    starts = pd.to_datetime(rows["period_start"]).dt.normalize()
    now = rows[starts == starts.max()] if len(rows) else rows
    size_col = next(
        (c for c in ("users", "denominator", "value") if c in now.columns and now[c].notna().any()),
        None,
    )
    size = now.groupby(now["segment"].astype(str))[size_col].sum() if size_col else pd.Series()
    keys.sort(key=lambda k: (-float(size.get(k, 0.0) or 0.0), k))
    keys = ["all"] + [k for k in keys if k != "all"]
    return [(segment_words(k), k) for k in keys]


def period_choices(run: Run) -> list[tuple[str, pd.Timestamp]]:
    """``(label, start)`` of every period in the series, oldest first."""
    if run.series.empty:
        return []
    grain = run.document.period.grain or "week"
    starts = sorted(pd.to_datetime(run.series["period_start"]).dt.normalize().unique())
    return [(period_of(pd.Timestamp(s).date(), grain).label, pd.Timestamp(s)) for s in starts]
