"""environment.yml (conda) and pyproject.toml (pip) declare the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI names in pyproject.toml
CONDA_NAMES = {
    "duckdb": "python-duckdb",
    "ibis-framework[duckdb]": "ibis-duckdb",
    "vadersentiment": "vadersentiment",
    "psycopg[binary]": "psycopg",
}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _env() -> tuple[dict[str, str], dict[str, str], str]:
    conda: dict[str, str] = {}
    pip: dict[str, str] = {}
    python = ""
    in_pip = False
    text = (ROOT / "environment.yml").read_text()
    for raw in text.split("dependencies:", 1)[1].splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.strip() == "- pip:":
            in_pip = True
            continue
        m = re.match(r"^(\s*)- (.+)$", line)
        if not m:
            in_pip = False if not line.startswith(" ") else in_pip
            continue
        item = m.group(2).strip()
        if in_pip and len(m.group(1)) > 2:
            if item != "-e .":
                name, spec = _split(item)
                pip[name] = spec
            continue
        in_pip = False
        if item.startswith("python="):
            python = item.split("=", 1)[1]
        elif item != "pip":
            name, spec = _split(item)
            conda[name] = spec
    return conda, pip, python


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = [*project["dependencies"], *extras["dev"], *extras["backends"], *extras["lab"]]
    conda, pip, python = _env()
    seen: set[str] = set()
    for req in wanted:
        name, spec = _split(req)
        cname = CONDA_NAMES.get(name, name)
        if cname in conda:
            assert conda[cname] == spec, f"{req}: environment.yml has {cname}{conda[cname]}"
            seen.add(cname)
        elif name in pip:
            assert pip[name] == spec, f"{req}: environment.yml pip has {name}{pip[name]}"
            seen.add(name)
        else:
            raise AssertionError(f"{req} is in pyproject.toml but not in environment.yml")
    extra = (set(conda) | set(pip)) - seen
    assert not extra, f"environment.yml has packages pyproject.toml lacks: {sorted(extra)}"
    assert python, "environment.yml pins no python version"
    lo = re.search(r">=\s*([\d.]+)", project["requires-python"]).group(1)
    assert tuple(map(int, python.split("."))) >= tuple(map(int, lo.split(".")))


def test_environment_yml_installs_the_project_itself() -> None:
    text = (ROOT / "environment.yml").read_text()
    assert "- -e ." in text and "conda-forge" in text


def test_every_make_install_names_whole_extras() -> None:
    """``$(call INSTALL,-e '.[dev,backends]')`` splits at the comma: make would run
    ``pip install -e '.[dev`` (CI failed on it). Every install call names its extras whole."""
    root = Path(__file__).resolve().parents[1]
    calls = re.findall(r"\$\(call INSTALL,([^)]*)\)", (root / "Makefile").read_text())
    assert calls
    for arg in calls:
        assert "," not in arg, f"comma inside $(call INSTALL,{arg}): use a variable"
    extras = {e for a in calls for e in re.findall(r"\[([^\]]*)\]", a)}
    text = (root / "Makefile").read_text()
    for name in re.findall(r"^([A-Z_]+) := (-e '\.\[[^\]]*\]')", text, re.M):
        extras |= set(re.findall(r"\[([^\]]*)\]", name[1]))
    assert "dev,backends" in extras  # the backends stamp installs dev and backends together
