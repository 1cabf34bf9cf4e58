"""Report notebooks, HTML/PDF export and the runs index, checked on the fixture run folder."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from fixtures_run import (
    HOSTILE_QUOTE,
    HOSTILE_TITLE,
    ID_CHECKOUT,
    build_run,
    built_reports,
    document,
)
from papermill.exceptions import PapermillExecutionError

from insightlib.errors import InputError
from insightlib.narrate import stories
from insightlib.report import publish as report
from insightlib.report import runfolder, views

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _text(page: str) -> str:
    """The visible text of a page, unescaped, whitespace collapsed (for phrase checks)."""
    no_svg = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
    no_style = re.sub(r"<style.*?</style>", " ", no_svg, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", no_style)).split())


def _assert_self_contained(page: str) -> None:
    assert not re.search(r"<script", page, re.I), "no JavaScript in a report"
    assert "cdn" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.I)
    # no code and no parameters cell
    for code in ("check_parameters", "fragments.page", "run_dir", "display(HTML", "import "):
        assert code not in page


# --------------------------------------------------------------------------------- fast: library


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return build_run(tmp_path / "reports")


def test_open_run_and_selection(run_dir: Path) -> None:
    run = runfolder.open_run(run_dir)
    assert run.label == "2026-W47"
    assert [i.id for i in run.selected("board")][0] == ID_CHECKOUT
    assert len(run.selected("board")) == 5 and len(run.selected("team")) == 6
    assert run.depth("board") == "summary" and run.depth("team") == "detailed"
    assert run.status(run.selected("team")[3]) == "continuing"
    assert not run.series.empty and not run.daily.empty and not run.theme_counts.empty


def test_open_run_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        runfolder.open_run(tmp_path / "nope")
    with pytest.raises(InputError, match="no insights.json"):
        runfolder.open_run(tmp_path)
    (tmp_path / "insights.json").write_text('{"schema_version": 3}')
    with pytest.raises(InputError, match="schema_version must be one of 1, 2, got 3"):
        runfolder.open_run(tmp_path)


def test_check_parameters(run_dir: Path) -> None:
    ok = {"run_dir": str(run_dir), "audience": "board"}
    assert runfolder.check_parameters("board_report", ok).label == "2026-W47"
    injected = {**ok, "In": ["", "run_dir = '..'", '# Parameters\naudiance = "board"\n']}
    with pytest.raises(InputError, match="unknown parameter 'audiance'.*Did you mean 'audience'"):
        runfolder.check_parameters("board_report", injected)
    with pytest.raises(InputError, match="'audience' must be a string, got int 5"):
        runfolder.check_parameters("board_report", {**ok, "audience": 5})
    with pytest.raises(InputError, match="'audience' must be one of 'team', 'board', got 'ceo'"):
        runfolder.check_parameters("board_report", {**ok, "audience": "ceo"})
    with pytest.raises(InputError, match="parameter 'run_dir'.*does not exist"):
        runfolder.check_parameters("team_report", {**ok, "run_dir": str(run_dir / "x")})
    explore = {"run_dir": str(run_dir), "metric": "", "segment": "all", "period": ""}
    runfolder.check_parameters("explore", explore)
    with pytest.raises(InputError, match="unknown metric 'checkout_conversoin'.*Did you mean"):
        runfolder.check_parameters("explore", {**explore, "metric": "checkout_conversoin"})
    with pytest.raises(InputError, match="'segment': 'platform=tv' is not a segment"):
        runfolder.check_parameters("explore", {**explore, "segment": "platform=tv"})
    with pytest.raises(InputError, match="'period': '2020-W01' is not in the data"):
        runfolder.check_parameters("explore", {**explore, "period": "2020-W01"})


def test_fragments_escape_user_text(run_dir: Path) -> None:
    run = runfolder.open_run(run_dir)
    checkout = run.insight(ID_CHECKOUT)
    team = views.finding_html(run, checkout, "team")
    assert html.escape(HOSTILE_QUOTE, quote=False) in team
    assert "<script" not in team and "<img" not in team
    assert html.escape(HOSTILE_TITLE, quote=False) in team
    board = views.finding_html(run, checkout, "board")
    assert board.count("<svg") == 1 and "Fewer customers complete checkout" in board


def test_formatting() -> None:
    assert views.fmt_value(0.255, "conversion") == "25.5%"
    assert views.fmt_value(104950.0, "sum", "USD") == "$104,950"
    # currency before the number, given as a code or a symbol (not "22,226 $")
    assert views.fmt_value(22226.0, "sum", "$") == "$22,226"
    assert views.fmt_value(104950.0, "sum", "EUR") == "€104,950"
    assert views.fmt_value(-1150.0, "sum", "€") == "−€1,150"
    assert views.fmt_value(12.0, "mean", "min") == "12.00 min"
    assert views.fmt_value(-1150.0, "distinct_users") == "−1,150"
    ins = {"metric_kind": "conversion", "change_abs": -0.046, "change_rel": -0.153}
    assert views.fmt_change(ins) == "−4.6 points (−15%)"
    assert views.fmt_change({"metric_kind": "sum", "unit": "USD", "change_abs": 21650.0,
                             "change_rel": 0.26}) == "+26% (+$21,650)"  # fmt: skip
    assert views.fmt_p(4e-8) == "< 0.001"


def test_notebooks_are_committed_clean_with_typed_parameters() -> None:
    for name, declared in runfolder.PARAMETERS.items():
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), name
        assert all(not c.outputs and c.execution_count is None for c in code), name
        # the report notebooks check their parameters in fragments.page (when they render)
        first = "check_parameters" if name == "explore" else f'fragments.page("{name}", globals())'
        assert first in code[1].source, name
        params = pm.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
        assert list(params) == list(declared), name
        for p in params.values():
            assert p["inferred_type_name"] == "str" and p["help"], (name, p)
        for line in code[0].source.splitlines():
            assert re.match(r"^\w+: \w+ = .+  # .+", line), line


# ------------------------------------------------------------------------- slow: papermill runs


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_reports(tmp_path_factory.mktemp("reports"))


@pytest.mark.slow
def test_run_folder_outputs(built: Path) -> None:
    run = built / "2026-W47"
    for name in ("team.ipynb", "board.ipynb", "team.html", "board.html", "board.pdf"):
        assert (run / name).stat().st_size > 1000, name
    info = json.loads((run / "build.json").read_text())
    assert info["pdf_pages"]["board"] <= 2
    assert set(info["timings"]) == {"fragments", "notebooks", "html", "pdf"}
    nb = nbformat.read(run / "board.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["audience"] == "board"


@pytest.mark.slow
def test_board_html_shows_the_summary(built: Path) -> None:
    page = (built / "2026-W47" / "board.html").read_text()
    text = _text(page)
    doc = document()
    assert "<title>Basketly weekly insights · Board summary · 2026-W47</title>" in page
    assert "Basketly weekly insights" in text and "16–22 Nov 2026" in text
    board_ids = doc["audiences"]["board"]["insight_ids"]
    for ins in doc["insights"]:
        shown = ins["narrative"]["headline"] in text
        assert shown == (ins["id"] in board_ids), ins["id"]
        if shown:
            assert ins["narrative"]["board"] in text
    sparklines = len(re.findall(r'<svg\b[^>]*class="spark"', page))  # the scoreboard's
    assert sparklines == len(doc.get("metrics") or [])
    assert page.count("<svg") - sparklines == len(board_ids)  # one small chart per finding
    assert "What we ask" in text
    for q in doc["questions"]:
        assert q["text"] in text
    assert "Since last week: 4 new, 2 continuing, 1 resolved." in text
    assert doc["summary"]["text"] in text and "Board summary" in text
    assert "Words used: free-delivery week : no delivery fee on orders over 30 EUR." in text
    assert "On-time deliveries fell in France" in text
    assert text.count("New ") >= 4 and "Continuing" in text
    _assert_self_contained(page)


@pytest.mark.slow
def test_team_html_shows_every_finding_with_evidence(built: Path) -> None:
    page = (built / "2026-W47" / "team.html").read_text()
    text = _text(page)
    doc = document()
    for ins in doc["insights"]:
        assert ins["title"] in text and ins["narrative"]["team"] in text
        assert ins["method"] in text
    # one story per section: its findings as rows, methods in a collapsed "How we know"
    told = stories.for_audience(doc, "team")
    # one "How we know" per story, and one more for the method section's tests
    assert page.count('<details class="how">') == len(told) + 1
    assert page.count('<section class="story') == len(told)
    assert "What customers say" in text and "What other teams know" in text
    assert "How these findings were made" in text and "What customers talk about" in text
    # the most telling chart of each story (the driver chart waits in "How we know")
    shown = re.sub(r"<details.*?</details>", "", page, flags=re.S)
    assert shown.count("<figure") == len(told)
    assert "By platform" in page
    # hostile user text is shown, escaped, never as markup
    assert html.escape(HOSTILE_QUOTE, quote=False) in page
    assert html.escape(HOSTILE_TITLE, quote=False) in page
    assert "<img" not in page and "onerror=alert(1)>" not in page.replace("&gt;", "")
    _assert_self_contained(page)


@pytest.mark.slow
def test_index_lists_runs_newest_first(built: Path) -> None:
    page = (built / "index.html").read_text()
    text = _text(page)
    assert text.index("16–22 Nov 2026") < text.index("9–15 Nov 2026")
    assert 'href="2026-W47/board.html"' in page and 'href="2026-W47/board.pdf"' in page
    assert 'href="2026-W46/board.html"' not in page  # only files that exist are linked
    assert "Fewer customers complete checkout, mostly on Android" in text
    assert "4 new, 1 resolved since 2026-W46" in text
    _assert_self_contained(page)


def _error_cell(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    raise AssertionError("no error cell")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "parameters", "message"),
    [
        ("board_report", {"audiance": "board"}, "unknown parameter 'audiance'"),
        ("team_report", {"audience": 5}, "'audience' must be a string, got int 5"),
        ("explore", {"metric": "checkout_conversoin"}, "Did you mean 'checkout_conversion'"),
    ],
)
def test_bad_parameter_stops_the_notebook_in_its_first_cell(
    built: Path, tmp_path: Path, notebook: str, parameters: dict, message: str
) -> None:
    out = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError, match=re.escape(message)) as exc:
        pm.execute_notebook(
            str(NOTEBOOKS / f"{notebook}.ipynb"),
            str(out),
            parameters={"run_dir": str(built / "2026-W47"), **parameters},
            kernel_name="python3",
            progress_bar=False,
        )
    assert exc.value.ename == "InputError"
    # parameters cell, injected cell, then the check: the first cell that does anything
    assert _error_cell(out) == 2


@pytest.mark.slow
def test_explore_notebook_runs_with_widgets(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"),
        str(out),
        parameters={
            "run_dir": str(built / "2026-W47"),
            "metric": "checkout_conversion",
            "segment": "platform=android",
            "period": "2026-W45",
        },
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    mimes = [
        m for c in nb.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})
    ]
    assert mimes.count("application/vnd.jupyter.widget-view+json") == 2


def test_explorer_widgets_update(run_dir: Path) -> None:
    from insightlib.report import explore

    run = runfolder.open_run(run_dir)
    ex = explore.MetricExplorer(run)
    assert ex.metric.value == "checkout_conversion" and ex.period.value == "2026-W47"
    assert "<svg" in ex.view.value and "Checkout conversion fell" in ex.view.value
    ex.segment.value = "platform=android"
    assert "Platform: Android" in ex.view.value  # the column by its label
    assert "No finding was reported" in ex.view.value
    ex.period.value = "2026-W40"
    assert "2026-W40" in ex.view.value and "There is no run folder for 2026-W40" in ex.view.value
    ex.metric.value = "revenue"
    assert ex.segment.value == "platform=android" and "Revenue" in ex.view.value
    themes = explore.ThemeBrowser(run)
    assert "card declined at payment" in themes.view.value
    assert html.escape(HOSTILE_QUOTE, quote=False) in themes.view.value
    themes.theme.value = "delivery_slots"
    assert "no delivery slots available" in themes.view.value and "<svg" in themes.view.value


def test_execute_notebooks_rejects_unknown_audience(run_dir: Path) -> None:
    with pytest.raises(InputError, match="unknown audience 'ceo'"):
        report.execute_notebooks(run_dir, ["ceo"])


def test_nothing_found_and_first_run(tmp_path: Path) -> None:
    doc = document()
    doc["insights"], doc["questions"] = [], []
    doc["audiences"] = {
        "team": {"depth": "detailed", "insight_ids": []},
        "board": {"depth": "summary", "insight_ids": []},
    }
    doc["history"] = {"previous": None, "new": [], "continuing": [], "resolved": []}
    doc["summary"]["text"] = "Nothing unusual this week."
    run = runfolder.open_run(build_run(tmp_path, doc=doc))
    nothing = _text(views.findings_html(run, "board"))
    assert "Nothing unusual this period" in nothing
    assert "No metric, segment or customer theme moved more than its usual range" in nothing
    doc["summary"]["n_feedback"] = 0
    quiet = _text(
        views.findings_html(runfolder.open_run(build_run(tmp_path / "c", doc=doc)), "board")
    )
    assert "No metric or segment moved more than its usual range" in quiet
    doc["summary"]["n_feedback"] = 2100
    header = _text(views.header_html(run, "board"))
    assert "Nothing unusual this week. Based on 512,345 events and 2,100 customer" in header
    del doc["summary"]["text"]
    run = runfolder.open_run(build_run(tmp_path / "b", doc=doc))
    assert "Nothing unusual in 512,345 events" in _text(views.header_html(run, "board"))
    assert views.changes_html(run, "board").strip() == ""
    assert "First recorded run" in views.changes_html(run, "team")
    assert "Nothing this period" in views.questions_html(run, "board")


def test_export_html_shows_outputs_only(run_dir: Path) -> None:
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(
        cells=[
            new_code_cell('run_dir: str = "x"  # folder', metadata={"tags": ["parameters"]}),
            new_code_cell("secret_code = 1", metadata={"tags": ["injected-parameters"]}),
            new_markdown_cell("# notebook-only heading"),
            new_code_cell(
                "display(things)",
                outputs=[
                    new_output("stream", name="stderr", text="a warning\n"),
                    new_output("display_data", data={"text/html": "<p>shown html</p>"}),
                    new_output("display_data", data={"image/svg+xml": "<svg><rect/></svg>"}),
                    new_output("display_data", data={"application/javascript": "alert(1)"}),
                    new_output("execute_result", data={"text/plain": "'repr'"}, execution_count=1),
                ],
            ),
        ]
    )
    nb_path = run_dir / "board.ipynb"
    nbformat.write(nb, nb_path)
    page = report.export_html(nb_path, run_dir / "board.html", "board").read_text()
    assert "<p>shown html</p>" in page and '<figure class="chart"><svg><rect' in page
    assert "report--board" in page and "<title>Basketly weekly insights · Board summary" in page
    for hidden in ("secret_code", "display(things)", "a warning", "alert(1)", "'repr'", "heading"):
        assert hidden not in page
    _assert_self_contained(page)
    pages = report.export_pdf(run_dir / "board.html", run_dir / "board.pdf", max_pages=2)
    assert pages == 1 and (run_dir / "board.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("audience", ["board", "team"])
def test_export_skips_nbconverts_soup_pass_but_writes_the_same_document(
    run_dir: Path, audience: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is the document nbconvert's HTMLExporter writes (which parses its page with
    BeautifulSoup and writes it out again): the same once that pass's spelling is applied."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    run = runfolder.open_run(run_dir)
    body = views.header_html(run, audience) + views.changes_html(run, "team")
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g><text x="1">8%</text></g></svg>'
    nb = new_notebook(
        cells=[
            new_code_cell('run_dir: str = "x"', metadata={"tags": ["parameters"]}),
            new_code_cell(
                "show()",
                outputs=[
                    new_output("display_data", data={"text/html": body}),
                    new_output("display_data", data={"image/svg+xml": svg}),
                    new_output("display_data", data={"text/html": "<p>5&nbsp;% &amp; x’s</p>"}),
                ],
            ),
        ]
    )
    nb_path = run_dir / f"{audience}.ipynb"
    nbformat.write(nb, nb_path)
    ours = report.export_html(nb_path, run_dir / "ours.html", audience).read_text()
    monkeypatch.setattr(report, "_html_exporter", lambda: HTMLExporter)
    theirs = report.export_html(nb_path, run_dir / "theirs.html", audience).read_text()
    assert ours != theirs  # the pass is skipped ...
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs  # ... the page is the same


@pytest.mark.slow
def test_kernels_run_in_the_run_folder_and_leave_our_cwd_alone(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbformat.v4 import new_code_cell, new_notebook

    src = tmp_path / "nbs"
    src.mkdir()
    for name in ("team_report", "board_report"):
        nb = new_notebook(
            cells=[
                new_code_cell('run_dir: str = ""  # run', metadata={"tags": ["parameters"]}),
                new_code_cell("import os, time\ntime.sleep(0.5)\nprint(os.getcwd())"),
            ]
        )
        nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
        nbformat.write(nb, src / f"{name}.ipynb")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    out = report.execute_notebooks(run_dir, ("team", "board"), source_dir=src)
    assert Path.cwd() == here
    for path in out.values():
        printed = nbformat.read(path, as_version=4).cells[-1].outputs[0]["text"].strip()
        assert Path(printed) == run_dir.resolve()
