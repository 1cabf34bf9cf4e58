"""The package's shape: one way data flows (no import circles), no private names across
packages, the notebooks shipped inside the package, and a wheel that runs a report on its own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "insightlib"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, str]]:
    """``(imported insightlib module, imported name or "")`` for every import, at any depth
    (imports inside functions and under ``TYPE_CHECKING`` count: they hide circles)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("insightlib")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("insightlib"):
                out += [(mod, a.name) for a in node.names]
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for mod, imported in _imports(path):
            target = f"{mod}.{imported}" if f"{mod}.{imported}" in modules else mod
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _top(module: str) -> str:
    """The step a module belongs to: its subpackage, or the module itself at the top."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_cycle_finder_finds_a_planted_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# the package's own __init__ re-exports the public API lazily; the CLI and the run pipeline sit
# on top and may import any step. Every other edge must go one way.
_TOP_LEVEL = {"insightlib", "insightlib.__main__"}


def test_no_import_circles_between_modules() -> None:
    graph = _graph()
    graph = {m: {t for t in ts if t not in _TOP_LEVEL} for m, ts in graph.items()}
    assert _cycles(graph) == []


def test_no_import_circles_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        if module in _TOP_LEVEL:
            continue
        src = _top(module)
        graph.setdefault(src, set())
        for t in targets:
            if t not in _TOP_LEVEL and _top(t) != src:
                graph[src].add(_top(t))
                graph.setdefault(_top(t), set())
    assert _cycles(graph) == []


def test_no_private_names_across_packages() -> None:
    offenders = []
    for path in PKG.rglob("*.py"):
        me = _top(_module_name(path))
        for mod, name in _imports(path):
            if name.startswith("_") and not name.startswith("__") and _top(mod) != me:
                offenders.append(f"{_module_name(path)} imports {mod}.{name}")
    assert offenders == []


def test_notebooks_in_the_package_are_the_project_notebooks() -> None:
    top = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    packaged = {p.name: p.read_bytes() for p in (PKG / "report" / "notebooks").glob("*.ipynb")}
    assert set(top) == {"team_report.ipynb", "board_report.ipynb", "explore.ipynb"}
    assert packaged == top, "edit notebooks/ and copy to insightlib/report/notebooks/ (or back)"


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs_a_report(tmp_path: Path) -> None:
    """``pip install insightlib`` alone is enough: notebooks and templates ship in the wheel."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, ROOT],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("insightlib-*.whl")
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "insightlib/report/notebooks/team_report.ipynb",
        "insightlib/report/notebooks/board_report.ipynb",
        "insightlib/report/notebooks/explore.ipynb",
        "insightlib/report/templates/fragments/finding.html.j2",
        "insightlib/sample/story.py",
        "insightlib/py.typed",
    ):
        assert needed in names, needed
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
        check=True,
        cwd=tmp_path,
        env=env,
    )
    work = tmp_path / "elsewhere"  # not the repository: nothing can come from the checkout
    work.mkdir()
    cli = env_dir / "bin" / "insightlib"
    subprocess.run([cli, "sample", "ws"], check=True, cwd=work, env=env)
    done = subprocess.run(
        [cli, "run", "ws", "--out", "reports"], cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    located = subprocess.run(
        [py, "-c", "import insightlib; print(insightlib.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in located.stdout  # the installed copy ran, not the checkout
    runs = [p for p in (work / "reports").iterdir() if p.is_dir()]
    assert len(runs) == 1
    for name in ("team.html", "board.html", "board.pdf", "insights.json", "digest.md"):
        assert (runs[0] / name).stat().st_size > 0, name
    assert "<svg" in (runs[0] / "team.html").read_text(encoding="utf-8")
