"""Turn a run folder into reports: run the notebooks, export HTML and PDF, list the runs.

The order a run follows (see docs/run-folder.md)::

    render_fragments(run_dir)                       # fragments/team.json, board.json (charts)
    paths = execute_notebooks(run_dir)              # team.ipynb, board.ipynb (papermill)
    export_html(paths["team"], run_dir / "team.html", "team")
    export_html(paths["board"], run_dir / "board.html", "board")
    export_pdf(run_dir / "board.html", run_dir / "board.pdf", max_pages=2)
    write_index(reports_root)                       # reports/index.html

:func:`build_reports` does the first five steps in one call. Every piece of HTML (charts
included) is rendered here, in this process, once; the notebooks' kernels only display the
pieces (:mod:`insightlib.report.fragments`), so they import nothing heavy. The run folder itself is read by
:mod:`insightlib.report.runfolder`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from insightlib import __version__
from insightlib.document import InsightsDocument
from insightlib.errors import InputError, RunError
from insightlib.report import import_jsonschema_lightly
from insightlib.report.runfolder import NOTEBOOKS, TEMPLATES, open_run
from insightlib.workspace.config import DEFAULT_AUDIENCES

# before papermill, nbconvert or Altair import it (in the notebook threads): see there
import_jsonschema_lightly()

__all__ = [
    "notebooks_dir",
    "render_fragments",
    "execute_notebooks",
    "export_html",
    "export_pdf",
    "build_reports",
    "write_index",
    "list_runs",
]

# ------------------------------------------------------------------------------------- execution


def notebooks_dir() -> Path:
    """Where the report notebooks live: inside the package (``insightlib/report/notebooks``).

    The project's top-level ``notebooks/`` holds the same files for analysts to open in
    JupyterLab; ``tests/test_packaging.py`` keeps the two copies identical.
    """
    here = Path(__file__).resolve().parent / "notebooks"
    if (here / "team_report.ipynb").exists():
        return here
    raise RunError(
        "cannot find the report notebooks (insightlib/report/notebooks); reinstall insightlib."
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


def render_fragments(
    run_dir: str | os.PathLike[str], audiences: Iterable[str] = ("team", "board")
) -> dict[str, Path]:
    """Render what each audience's notebook shows and save it in ``run_dir/fragments``.

    The pieces are :func:`insightlib.report.views.sections` of the run folder, keyed by its
    :func:`insightlib.report.fragments.fingerprint`; the notebooks display them as they are.
    Returns audience -> path of ``fragments/<audience>.json``.
    """
    from insightlib.report import fragments, views

    run_dir = Path(run_dir).resolve()
    run = open_run(run_dir)
    audiences = list(_audience_depths(run_dir, audiences))
    key = fragments.fingerprint(run_dir)
    return {a: fragments.write(run_dir, a, views.sections(run, a), key=key) for a in audiences}


def execute_notebooks(
    run_dir: str | os.PathLike[str],
    audiences: Iterable[str] = ("team", "board"),
    *,
    source_dir: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
    parallel: bool = True,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, Path]:
    """Execute the report notebook of each audience on ``run_dir`` with papermill.

    A detailed audience gets ``team_report.ipynb``, a summary one ``board_report.ipynb``; the
    executed notebook is saved as ``run_dir/<audience>.ipynb``. The kernel runs in ``run_dir``;
    with ``parallel`` the notebooks run side by side (one kernel each).

    The kernels are started first (a kernel takes about a second to start, in its own
    process); ``meanwhile``, when given, is called in this thread while they start, and the
    notebooks run once it has returned (:func:`build_reports` renders the fragments there).

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
    go, cancelled = threading.Event(), threading.Event()
    # two kernels side by side: each notebook runs in its own process
    workers = min(len(jobs), os.cpu_count() or 1) if parallel else 1
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        futures = [pool.submit(_execute_one, *job, go=go, cancelled=cancelled) for job in jobs]
        try:
            if meanwhile is not None:
                meanwhile()
        except BaseException:
            cancelled.set()  # the kernels are shut down without running anything
            raise
        finally:
            go.set()
        results = [future.result() for future in futures]
    return dict(zip([job[0] for job in jobs], results, strict=True))


def _execute_one(
    audience: str,
    name: str,
    src: Path,
    run_dir: Path,
    kernel_name: str,
    timeout: int,
    *,
    go: threading.Event,
    cancelled: threading.Event,
) -> Path:
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from papermill.exceptions import PapermillExecutionError

    target = run_dir / f"{audience}.ipynb"
    # start the kernel now (in run_dir: papermill's own ``cwd`` would chdir this whole process,
    # which is not safe with two notebooks running side by side); the notebook runs on ``go``.
    # jupyter_core's run_sync uses this thread's event loop, as papermill does below.
    km = AsyncKernelManager(kernel_name=kernel_name)
    run_sync(km.start_kernel)(
        cwd=str(run_dir),
        # the kernel's own log (TCP transport warning, interrupt at shutdown) is noise here
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
    try:
        go.wait()
        if cancelled.is_set():
            return target
        pm.execute_notebook(
            str(src / f"{name}.ipynb"),
            str(target),
            parameters={"run_dir": str(run_dir), "audience": audience},
            kernel_name=kernel_name,
            km=km,
            resources={"metadata": {"path": str(run_dir)}},
            progress_bar=False,
            report_mode=True,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as exc:
        if exc.ename in ("InputError", "ConfigError", "DataError"):
            raise InputError(f"{name}.ipynb: {exc.evalue}") from None
        raise RunError(
            f"notebook {name}.ipynb failed for audience {audience!r} in cell "
            f"{exc.exec_count}: {exc.ename}: {exc.evalue} (see {target})."
        ) from None
    finally:
        run_sync(km.shutdown_kernel)(now=True)
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
    doc = _read_doc(nb_path.parent / "insights.json")
    title = (doc.title or doc.project if doc else "") or "Insights"
    kind = "Board summary" if audience == "board" else f"{audience.capitalize()} report"
    label = doc.period.label if doc else ""
    human = doc.period.human if doc else ""
    return {
        "title": f"{title} · {kind} · {label}" if label else f"{title} · {kind}",
        "footer": f"{title} · {human or label}",
    }


def _read_doc(path: Path) -> InsightsDocument | None:
    """The document at ``path``, or ``None`` when it is missing or unreadable."""
    try:
        return InsightsDocument.from_json(path.read_text(encoding="utf-8"), file=str(path))
    except (OSError, UnicodeDecodeError, InputError):
        return None


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
    from traitlets.config import Config

    nb_path, out_html = Path(nb_path), Path(out_html)
    if depth is None:
        default = DEFAULT_AUDIENCES.get(audience)
        depth = default.depth if default else "detailed"
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
    exporter = _html_exporter()(
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


def _html_exporter() -> type:
    """nbconvert's HTMLExporter without its last pass, which parses the whole page with
    BeautifulSoup and writes it out again only to give images without one an ``alt`` text and
    JupyterLab's cells a ``tabindex``: the report pages have neither (charts carry ``alt``, the
    templates no JupyterLab classes), so the pass changed nothing but the spelling of the
    markup and took half the export's time. ``tests/test_report.py`` checks that the page
    stays the same document."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):  # type: ignore[misc]
        def from_notebook_node(  # type: ignore[override]
            self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


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


def _import_exporters() -> None:
    try:
        import nbconvert  # noqa: F401
        import weasyprint  # noqa: F401
    except Exception:  # noqa: BLE001 - export_html / export_pdf import them again and report
        pass


def build_reports(
    run_dir: str | os.PathLike[str],
    audiences: Iterable[str] | None = None,
    *,
    max_pdf_pages: int = 2,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Execute, export to HTML and (summary audiences) to PDF, inside ``run_dir``.

    ``audiences`` defaults to every audience of the run. Step timings in seconds are added to
    ``timings`` (``fragments``, ``notebooks``, ``html``, ``pdf``) when a dict is given; the
    kernels start while the fragments are rendered, so ``notebooks`` is the wait after that.

    Returns ``{"files": [names written], "pdf_pages": {audience: n}, "timings": {step: s}}``.
    """
    run_dir = Path(run_dir)
    run = open_run(run_dir)
    audiences = list(audiences) if audiences else list(run.audiences())
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()

    def render() -> None:
        # charts and HTML pieces, here, while the kernels start in their own processes
        render_fragments(run_dir, audiences)
        timings["fragments"] = round(time.perf_counter() - t0, 3)
        # the exporters load while the notebooks run
        threading.Thread(target=_import_exporters, daemon=True).start()

    notebooks = execute_notebooks(run_dir, audiences, meanwhile=render)
    timings["notebooks"] = round(time.perf_counter() - t0 - timings["fragments"], 3)
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


def _run_folders(root: Path, replace: Mapping[str, Path | None]) -> list[tuple[str, Path]]:
    """``(name, path to read)`` of every published run folder, with ``replace`` applied."""
    names = {p.name: p for p in root.iterdir()} if root.is_dir() else {}
    names.update({name: root / name for name in replace})
    out = []
    for name in sorted(names):
        path = replace[name] if name in replace else names[name]
        if path is None or name.startswith(".") or not (path / "insights.json").is_file():
            continue
        out.append((name, path))
    return out


def list_runs(
    reports_root: str | os.PathLike[str], *, replace: Mapping[str, Path | None] | None = None
) -> list[dict[str, Any]]:
    """Every run folder under ``reports_root`` (newest period first), with what index.html shows.

    Folders whose name starts with a dot (runs being built) and folders without a readable
    ``insights.json`` are skipped. ``replace`` maps a folder name to the folder to read in its
    place (a staged run about to be published) or to None (left out).
    """
    root = Path(reports_root)
    runs = []
    for fname, folder in _run_folders(root, replace or {}):
        doc = _read_doc(folder / "insights.json")
        if doc is None:
            continue
        history = doc.history
        board = doc.audiences["board"].insight_ids if "board" in doc.audiences else None
        by_id = {i.id: i for i in doc.insights}
        ranked = [by_id[i] for i in board if i in by_id] if board else list(doc.insights)
        top = [
            {
                "text": ins.narrative.headline or ins.title,
                "better": ins.better,
                "new": ins.id in history.new,
            }
            for ins in ranked[:3]
        ]
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
                "folder": fname,
                "label": doc.period.label or fname,
                "start": doc.period.start.isoformat() if doc.period.start != date.min else "",
                "human": doc.period.human or doc.period.label or fname,
                "title": doc.title or doc.project,
                "n_insights": len(doc.insights),
                "n_new": len(history.new),
                "n_resolved": len(history.resolved),
                "resolved": [r.title or "" for r in history.resolved],
                "previous": history.previous,
                "top": top,
                "files": files,
            }
        )
    runs.sort(key=lambda r: (r["start"], r["label"]), reverse=True)
    return runs


def write_index(
    reports_root: str | os.PathLike[str],
    *,
    replace: Mapping[str, Path | None] | None = None,
    target: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``reports_root/index.html``: every run, newest first, with its top findings.

    ``replace`` is passed to :func:`list_runs`; ``target`` writes the page elsewhere (the
    publish step stages the index of a run before it swaps the run folder in).
    """

    from insightlib.report.views import render

    root = Path(reports_root)
    root.mkdir(parents=True, exist_ok=True)
    runs = list_runs(root, replace=replace)
    titles = sorted({r["title"] for r in runs if r["title"]})
    page = render(
        "index.html.j2",
        runs=runs,
        title=" · ".join(titles) or "Insight reports",
        version=__version__,
        css=(TEMPLATES / "nbconvert" / "insight_base" / "report.css").read_text(encoding="utf-8"),
    )
    out = Path(target) if target is not None else root / "index.html"
    _write_atomic(out, page)
    return out
