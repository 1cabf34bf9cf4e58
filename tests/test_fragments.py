"""Report pieces rendered once in the main process; the notebooks' kernels only display them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_run import build_run

from insightlib.errors import InputError
from insightlib.report import fragments, runfolder, views
from insightlib.report import publish as report

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "altair", "vl_convert", "sklearn", "ibis", "duckdb", "jinja2")


def _same(a: str, b: str) -> bool:
    """Equal but for the per-process prefix of the SVG element ids (charts.to_svg)."""
    return re.sub(r"\bc\d+-", "c-", a) == re.sub(r"\bc\d+-", "c-", b)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return build_run(tmp_path / "reports")


@pytest.fixture(scope="module")
def rendered_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture run with its pieces rendered (charts take a while: once per module)."""
    run_dir = build_run(tmp_path_factory.mktemp("rendered") / "reports")
    written = report.render_fragments(run_dir)
    assert set(written) == {"team", "board"}
    return run_dir


@pytest.fixture
def rendered(rendered_once: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(rendered_once, tmp_path / "rendered"))


def test_sections_are_what_the_views_render(rendered: Path) -> None:
    run = runfolder.open_run(rendered)
    for audience in ("team", "board"):
        pieces = fragments.read(rendered, audience)
        assert pieces is not None and tuple(pieces) == fragments.SECTIONS
        assert pieces["header"] == views.header_html(run, audience)
        assert pieces["questions"] == views.questions_html(run, audience)
        assert pieces["method"] == views.method_html(run)
        assert len(pieces["findings"]) == len(run.selected(audience))
    board = fragments.read(rendered, "board")["findings"]
    assert all(piece.count("<svg") == 1 for piece in board)
    assert _same("\n".join(board), views.findings_html(run, "board"))


def test_a_kernel_reads_saved_pieces_without_heavy_imports(rendered: Path) -> None:
    run_dir = rendered
    code = (
        "import json, sys\n"
        "from insightlib.report import fragments\n"
        f"page = fragments.page('team_report', {{'run_dir': {str(run_dir)!r}, 'audience': 'team'}})\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules],\n"
        "                  'findings': len(page['findings']), 'header': page['header']}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout)
    assert got["heavy"] == []
    run = runfolder.open_run(run_dir)
    assert got["findings"] == len(run.selected("team")) == 6
    assert got["header"] == views.header_html(run, "team")


def test_missing_or_stale_pieces_are_rendered_and_saved(run_dir: Path) -> None:
    params = {"run_dir": str(run_dir), "audience": "board"}
    assert fragments.read(run_dir, "board") is None
    page = fragments.page("board_report", params)
    assert (run_dir / "fragments" / "board.json").is_file()
    assert fragments.read(run_dir, "board") == page
    assert fragments.read(run_dir, "team") is None  # one audience's pieces are not another's
    # an edited insights.json makes the saved pieces stale
    doc = json.loads((run_dir / "insights.json").read_text(encoding="utf-8"))
    doc["title"] = "Renamed <b>weekly</b>"
    (run_dir / "insights.json").write_text(json.dumps(doc), encoding="utf-8")
    assert fragments.read(run_dir, "board") is None
    page = fragments.page("board_report", params)
    assert "Renamed &lt;b&gt;weekly&lt;/b&gt;" in page["header"]
    assert fragments.read(run_dir, "board") == page
    # so does a changed series file
    series = run_dir / "data" / "series.parquet"
    series.write_bytes(series.read_bytes() + b"\0")
    assert fragments.read(run_dir, "board") is None


def test_pieces_follow_a_moved_folder_but_not_changed_code(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = Path(shutil.move(rendered, tmp_path / "moved"))
    assert fragments.read(moved, "team") is not None
    monkeypatch.setattr(fragments, "_CODE", (*fragments._CODE, "publish.py"))
    assert fragments.read(moved, "team") is None


@pytest.mark.parametrize(
    ("notebook", "parameters", "message"),
    [
        (
            "board_report",
            {"audience": "board", "audiance": "x", "In": ["# Parameters\naudiance = 'x'\n"]},
            "unknown parameter 'audiance'",
        ),
        ("team_report", {"audience": 5}, "'audience' must be a string, got int 5"),
        ("team_report", {"audience": "ceo"}, "parameter 'audience' must be one of"),
    ],
)
def test_bad_parameters_stop_even_with_saved_pieces(
    rendered: Path, notebook: str, parameters: dict, message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        fragments.page(notebook, {"run_dir": str(rendered), **parameters})


def test_fragment_templates_are_compiled_once_across_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled templates are kept in Jinja's per-user cache (keyed by the template's source):
    a later process renders them without compiling them again."""
    import jinja2

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "__init__", _cache_in(tmp_path))
    views._env.cache_clear()
    try:
        first = views.render("nothing.html.j2", doc={"summary": {"n_tests": 3}})

        def no_compile(*args: object, **kwargs: object) -> None:
            raise AssertionError("compiled again")

        views._env.cache_clear()  # as a new process: a new environment, the same cache
        env = views._env()
        monkeypatch.setattr(env, "compile", no_compile)
        assert views.render("nothing.html.j2", doc={"summary": {"n_tests": 3}}) == first
    finally:
        views._env.cache_clear()


def _cache_in(folder: Path):  # noqa: ANN202
    import jinja2

    init = jinja2.FileSystemBytecodeCache.__init__

    def __init__(self, directory=None, pattern="__jinja2_%s.cache"):  # noqa: ANN001, ANN202, N807
        init(self, str(folder), pattern)

    return __init__
