"""Turn a run folder into reports: run the notebooks, export HTML and PDF, list the runs.

The order a run follows (see docs/run-folder.md)::

    paths = execute_notebooks(run_dir)              # team.ipynb, board.ipynb (papermill)
    export_html(paths["team"], run_dir / "team.html", "team")
    export_html(paths["board"], run_dir / "board.html", "board")
    export_pdf(run_dir / "board.html", run_dir / "board.pdf", max_pages=2)
    write_index(reports_root)                       # reports/index.html

:func:`build_reports` does the first four steps in one call. The notebooks call :func:`check_parameters`
in their first cell after the parameters, so a bad parameter stops them with a clear message.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError, RunError

__all__ = [
    "Run",
    "open_run",
    "check_parameters",
    "PARAMETERS",
    "NOTEBOOKS",
    "notebooks_dir",
    "execute_notebooks",
    "export_html",
    "export_pdf",
    "build_reports",
    "write_index",
    "list_runs",
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
DEFAULT_DEPTH = {"team": "detailed", "board": "summary"}


# ------------------------------------------------------------------------------------ run folder


@dataclass(frozen=True)
class Run:
    """One run folder, read: ``insights.json`` and the frames under ``data/``.

    Attributes
    ----------
    path
        The run folder.
    doc
        The parsed ``insights.json``.
    series, daily, theme_counts
        ``data/series.parquet``, ``data/daily.parquet``, ``data/theme_counts.parquet`` (empty
        frames where a file is missing).
    """

    path: Path
    doc: dict[str, Any]
    series: pd.DataFrame = field(repr=False)
    daily: pd.DataFrame = field(repr=False)
    theme_counts: pd.DataFrame = field(repr=False)

    @property
    def label(self) -> str:
        return str(self.doc.get("period", {}).get("label", self.path.name))

    @property
    def insights(self) -> list[dict[str, Any]]:
        return list(self.doc.get("insights") or [])

    def insight(self, insight_id: str) -> dict[str, Any] | None:
        return next((i for i in self.insights if i.get("id") == insight_id), None)

    def audiences(self) -> dict[str, dict[str, Any]]:
        """The audiences of the run; ``team`` and ``board`` always exist."""
        aud = {k: dict(v) for k, v in (self.doc.get("audiences") or {}).items()}
        aud.setdefault("team", {"depth": "detailed"})
        aud.setdefault("board", {"depth": "summary"})
        return aud

    def depth(self, audience: str) -> str:
        spec = self.audiences().get(audience, {})
        return str(spec.get("depth") or DEFAULT_DEPTH.get(audience, "detailed"))

    def selected(self, audience: str) -> list[dict[str, Any]]:
        """The insights chosen for ``audience``, in order (at most 5 for a summary audience)."""
        spec = self.audiences().get(audience, {})
        ids = spec.get("insight_ids")
        chosen = self.insights if ids is None else [i for i in map(self.insight, ids) if i]
        if self.depth(audience) == "summary":
            chosen = chosen[:5]
        return chosen

    def questions(self, audience: str | None = None) -> list[dict[str, Any]]:
        """Open questions; for an audience its ``question_ids`` (default: those of its insights
        plus the unattached ones)."""
        qs = list(self.doc.get("questions") or [])
        if audience is None:
            return qs
        chosen = self.audiences().get(audience, {}).get("question_ids")
        if chosen is not None:
            return [q for q in qs if q.get("id") in set(chosen)]
        ids = {i.get("id") for i in self.selected(audience)}
        return [q for q in qs if not q.get("insight_id") or q.get("insight_id") in ids]

    @property
    def history(self) -> dict[str, Any]:
        h = self.doc.get("history") or {}
        return {
            "previous": h.get("previous"),
            "new": list(h.get("new") or []),
            "continuing": list(h.get("continuing") or []),
            "resolved": list(h.get("resolved") or []),
        }

    def status(self, insight: Mapping[str, Any]) -> str:
        """``new``, ``continuing`` or ``""`` (no history) for an insight of this run."""
        h = self.history
        if not h["previous"]:  # a first run: "new" would be on every finding and say nothing
            return ""
        if insight.get("id") in h["continuing"]:
            return "continuing"
        if insight.get("id") in h["new"]:
            return "new"
        return str(insight.get("status") or "")


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=["metric", "period_start", "segment", "value"])
    return pd.read_parquet(path)


def open_run(run_dir: str | os.PathLike[str]) -> Run:
    """Read a run folder written by ``insightlib run``.

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
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}.", file=str(file)) from None
    if not isinstance(doc, dict) or doc.get("schema_version") != 1:
        got = doc.get("schema_version") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"schema_version must be 1, got {got!r}.", file=str(file))
    data = path / "data"
    return Run(
        path=path.resolve(),
        doc=doc,
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
    from .explore import metric_choices, period_choices, segment_choices

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


# ------------------------------------------------------------------------------------- execution


def notebooks_dir() -> Path:
    """Where the report notebooks live: ``notebooks/`` of the project (or the installed copy)."""
    for candidate in (
        Path(__file__).resolve().parent.parent / "notebooks",
        Path(__file__).resolve().parent / "resources" / "notebooks",
    ):
        if (candidate / "team_report.ipynb").exists():
            return candidate
    raise RunError(
        "cannot find the report notebooks (notebooks/team_report.ipynb); reinstall insightlib."
    )


def _audience_depths(run_dir: Path, audiences: Iterable[str]) -> dict[str, str]:
    run = open_run(run_dir)
    known = run.audiences()
    out = {}
    for a in audiences:
        if a not in known:
            raise InputError(
                f"unknown audience {a!r}; this run has {', '.join(map(repr, known))}.",
            )
        out[a] = run.depth(a)
    return out


def execute_notebooks(
    run_dir: str | os.PathLike[str],
    audiences: Iterable[str] = ("team", "board"),
    *,
    source_dir: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
    parallel: bool = True,
) -> dict[str, Path]:
    """Execute the report notebook of each audience on ``run_dir`` with papermill.

    A detailed audience gets ``team_report.ipynb``, a summary one ``board_report.ipynb``; the
    executed notebook is saved as ``run_dir/<audience>.ipynb``. The kernel runs in ``run_dir``;
    with ``parallel`` the notebooks run side by side (one kernel each).

    Returns
    -------
    dict
        Audience name -> path of the executed notebook.

    Raises
    ------
    InputError
        A notebook stopped on a bad parameter or run folder.
    RunError
        A notebook failed for another reason (the message names the notebook and the error).
    """
    run_dir = Path(run_dir).resolve()
    src = Path(source_dir) if source_dir else notebooks_dir()
    jobs = [
        (audience, NOTEBOOKS[depth], src, run_dir, kernel_name, timeout)
        for audience, depth in _audience_depths(run_dir, audiences).items()
    ]
    if len(jobs) > 1 and parallel:
        # two kernels side by side: the notebooks spend most of their time importing
        with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as pool:
            results = list(pool.map(lambda job: _execute_one(*job), jobs))
    else:
        results = [_execute_one(*job) for job in jobs]
    return dict(zip([job[0] for job in jobs], results, strict=True))


def _execute_one(
    audience: str, name: str, src: Path, run_dir: Path, kernel_name: str, timeout: int
) -> Path:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    target = run_dir / f"{audience}.ipynb"
    try:
        pm.execute_notebook(
            str(src / f"{name}.ipynb"),
            str(target),
            parameters={"run_dir": str(run_dir), "audience": audience},
            kernel_name=kernel_name,
            # the kernel starts in run_dir; papermill's own ``cwd`` would chdir this whole
            # process, which is not safe with two notebooks running side by side
            resources={"metadata": {"path": str(run_dir)}},
            progress_bar=False,
            report_mode=True,
            execution_timeout=timeout,
            # the kernel's own log (TCP transport warning, interrupt at shutdown) is noise here
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        if exc.ename in ("InputError", "ConfigError", "DataError"):
            raise InputError(f"{name}.ipynb: {exc.evalue}") from None
        raise RunError(
            f"notebook {name}.ipynb failed for audience {audience!r} in cell "
            f"{exc.exec_count}: {exc.ename}: {exc.evalue} (see {target})."
        ) from None
    return target


# ---------------------------------------------------------------------------------------- export


def _write_atomic(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def _page_info(nb_path: Path, audience: str) -> dict[str, str]:
    """Title and period for the page head, from the run's insights.json next to the notebook."""
    doc: dict[str, Any] = {}
    for candidate in (nb_path.parent / "insights.json",):
        if candidate.exists():
            try:
                doc = json.loads(candidate.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                doc = {}
    period = doc.get("period") or {}
    title = doc.get("title") or doc.get("project") or "Insights"
    kind = "Board summary" if audience == "board" else f"{audience.capitalize()} report"
    label = period.get("label", "")
    return {
        "title": f"{title} · {kind} · {label}" if label else f"{title} · {kind}",
        "footer": f"{title} · {period.get('human') or label}",
    }


def export_html(
    nb_path: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    audience: str = "team",
    *,
    depth: str | None = None,
) -> Path:
    """Export an executed report notebook to a self-contained HTML page.

    Uses the nbconvert template ``insight_board`` (summary audiences) or ``insight_team``
    (detailed ones) from ``insightlib/templates/nbconvert``: only cell outputs are shown (no
    code, no parameters), inline SVG charts, an inline print stylesheet, and no script or
    external URL.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb_path, out_html = Path(nb_path), Path(out_html)
    if depth is None:
        depth = DEFAULT_DEPTH.get(audience, "detailed")
        insights = nb_path.parent / "insights.json"
        if insights.exists():
            try:
                depth = open_run(nb_path.parent).depth(audience)
            except InputError:
                pass
    template = "insight_board" if depth == "summary" else "insight_team"
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"parameters", "injected-parameters", "remove-cell"}
    c.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    c.TemplateExporter.exclude_input = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    exporter = HTMLExporter(
        config=c,
        template_name=template,
        extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
    )
    nb = nbformat.read(nb_path, as_version=4)
    body, _resources = exporter.from_notebook_node(
        nb, resources={"insight": _page_info(nb_path, audience)}
    )
    out_html.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_html, body)
    return out_html


# a user stylesheet for WeasyPrint: !important, or the page's own (author) styles win
_COMPACT_CSS = """
html, .report--board { font-size: 9.5pt !important; }
.report--board h1 { font-size: 17pt !important; }
.report--board .finding { padding: 5px 0 !important; }
.report--board .finding h2 { font-size: 11pt !important; }
.report--board .finding p.story { font-size: 9.5pt !important; }
.report--board .changes--compact { margin: 6px 0 !important; }
.report--board .finding--summary .chart { flex: 0 0 255px !important; width: 255px !important; }
"""


def export_pdf(
    html: str | os.PathLike[str],
    pdf: str | os.PathLike[str],
    *,
    max_pages: int | None = None,
    fit: bool = False,
) -> int:
    """Print an exported HTML report to an A4 PDF with WeasyPrint (no LaTeX, no browser).

    Only ``file:`` and ``data:`` URLs are fetched, so the PDF is made offline. When the result
    is longer than ``max_pages``, or with ``fit`` longer than one page, the page is laid out
    once more in a slightly more compact style and the shorter result is kept.

    Returns
    -------
    int
        The number of pages.
    """
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("file", "data"))
    source = HTML(filename=str(html), url_fetcher=fetcher)
    document = source.render()
    pages = len(document.pages)
    if (max_pages is not None and pages > max_pages) or (fit and pages > 1):
        compact = source.render(stylesheets=[CSS(string=_COMPACT_CSS)])
        if len(compact.pages) < pages:
            document = compact
    pdf = Path(pdf)
    tmp = pdf.with_name(f".{pdf.name}.{os.getpid()}.tmp")
    document.write_pdf(tmp)
    os.replace(tmp, pdf)
    return len(document.pages)


def build_reports(
    run_dir: str | os.PathLike[str],
    audiences: Iterable[str] | None = None,
    *,
    max_pdf_pages: int = 2,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Execute, export to HTML and (summary audiences) to PDF, inside ``run_dir``.

    ``audiences`` defaults to every audience of the run. Step timings in seconds are added to
    ``timings`` (``notebooks``, ``html``, ``pdf``) when a dict is given.

    Returns ``{"files": [names written], "pdf_pages": {audience: n}, "timings": {step: s}}``.
    """
    run_dir = Path(run_dir)
    run = open_run(run_dir)
    audiences = list(audiences) if audiences else list(run.audiences())
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    notebooks = execute_notebooks(run_dir, audiences)
    timings["notebooks"] = round(time.perf_counter() - t0, 3)
    files = [p.name for p in notebooks.values()]
    pages: dict[str, int] = {}
    t0 = time.perf_counter()
    for audience, nb in notebooks.items():
        html = export_html(nb, run_dir / f"{audience}.html", audience, depth=run.depth(audience))
        files.append(html.name)
    timings["html"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    for audience in notebooks:
        if run.depth(audience) == "summary":
            pdf = run_dir / f"{audience}.pdf"
            pages[audience] = export_pdf(run_dir / f"{audience}.html", pdf, max_pages=max_pdf_pages)
            files.append(pdf.name)
    timings["pdf"] = round(time.perf_counter() - t0, 3)
    return {"files": files, "pdf_pages": pages, "timings": timings}


# ----------------------------------------------------------------------------------------- index


def list_runs(reports_root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every run folder under ``reports_root`` (newest period first), with what index.html shows.

    Folders whose name starts with a dot (runs being built) and folders without a readable
    ``insights.json`` are skipped.
    """
    root = Path(reports_root)
    runs = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name.startswith(".") or not (folder / "insights.json").is_file():
            continue
        try:
            doc = json.loads((folder / "insights.json").read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            continue
        period = doc.get("period") or {}
        history = doc.get("history") or {}
        top = []
        board = ((doc.get("audiences") or {}).get("board") or {}).get("insight_ids")
        by_id = {i.get("id"): i for i in doc.get("insights") or []}
        ranked = [by_id[i] for i in board if i in by_id] if board else doc.get("insights") or []
        for ins in ranked[:3]:
            narrative = ins.get("narrative") or {}
            top.append(
                {
                    "text": narrative.get("headline") or ins.get("title", ""),
                    "better": ins.get("better"),
                    "new": ins.get("id") in (history.get("new") or []),
                }
            )
        files = [
            (name, label)
            for name, label in (
                ("board.html", "Board summary"),
                ("board.pdf", "PDF"),
                ("team.html", "Team report"),
                ("digest.md", "Digest"),
            )
            if (folder / name).exists()
        ]
        runs.append(
            {
                "folder": folder.name,
                "label": period.get("label", folder.name),
                "start": str(period.get("start", "")),
                "human": period.get("human") or period.get("label", folder.name),
                "title": doc.get("title") or doc.get("project", ""),
                "n_insights": len(doc.get("insights") or []),
                "n_new": len(history.get("new") or []),
                "n_resolved": len(history.get("resolved") or []),
                "resolved": [r.get("title", "") for r in history.get("resolved") or []],
                "previous": history.get("previous"),
                "top": top,
                "files": files,
            }
        )
    runs.sort(key=lambda r: (r["start"], r["label"]), reverse=True)
    return runs


def write_index(reports_root: str | os.PathLike[str]) -> Path:
    """Write ``reports_root/index.html``: every run, newest first, with its top findings."""
    from . import __version__
    from .views import render

    root = Path(reports_root)
    root.mkdir(parents=True, exist_ok=True)
    runs = list_runs(root)
    titles = sorted({r["title"] for r in runs if r["title"]})
    page = render(
        "index.html.j2",
        runs=runs,
        title=" · ".join(titles) or "Insight reports",
        version=__version__,
        css=(TEMPLATES / "nbconvert" / "insight_base" / "report.css").read_text(encoding="utf-8"),
    )
    target = root / "index.html"
    _write_atomic(target, page)
    return target
