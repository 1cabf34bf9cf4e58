"""The HTML a report notebook shows, rendered once per run folder and audience.

``insightlib run`` renders every piece of a report (header, findings with their charts, themes,
questions, method) in its own process with :func:`insightlib.report.views.sections` and writes
it to ``fragments/<audience>.json`` in the run folder (:func:`write`). The report notebooks then
only display those pieces: their kernel imports this module (the standard library and nothing
else), not Altair, pandas, scikit-learn or Ibis, so a notebook runs in about a second.

The pieces are a pure function of the run folder (``insights.json`` and ``data/*.parquet``) and
of the code and templates that render them; :func:`fingerprint` hashes all of these, and a piece
whose fingerprint does not match is not used. So an analyst who opens a notebook on a run folder
without fragments (or edits ``insights.json``, or a template) still gets the right report: the
notebook renders the pieces itself and saves them (:func:`page`).

Examples
--------
>>> from insightlib.report import fragments                       # doctest: +SKIP
>>> page = fragments.page("team_report", {"run_dir": "reports/2026-W47", "audience": "team"})
>>> page["findings"][0][:30]                                      # doctest: +SKIP
'<section class="finding ...'
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from insightlib import __version__

__all__ = ["FOLDER", "SECTIONS", "fingerprint", "write", "read", "page"]

#: Sub-folder of the run folder holding ``<audience>.json``.
FOLDER = "fragments"
#: The pieces of a page, in the order the team report shows them. ``findings`` is a list (one
#: piece per finding, or the "nothing unusual" note); the others are one HTML string each.
SECTIONS = (
    "header",
    "changes",
    "findings",
    "themes",
    "questions",
    "track_record",
    "glossary",
    "method",
)
FORMAT = 1

# what the pieces are computed from: the run folder's files ...
_RUN_FILES = (
    "insights.json",
    "data/series.parquet",
    "data/daily.parquet",
    "data/theme_counts.parquet",
)
# ... and the code and templates that render them
_HERE = Path(__file__).resolve().parent
_CODE = ("views.py", "../narrate/stories.py", "charts.py", "runfolder.py", "fragments.py")
_TEMPLATES = _HERE / "templates" / "fragments"


def _code_digest() -> bytes:
    h = hashlib.sha256(f"insightlib {__version__} format {FORMAT}".encode())
    files = [(_HERE / name).resolve() for name in _CODE]
    files += sorted(p for p in _TEMPLATES.rglob("*") if p.is_file())
    for path in files:
        h.update(str(path.relative_to(_HERE.parent)).encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"-")
    return h.digest()


def fingerprint(run_dir: str | os.PathLike[str]) -> str:
    """A hash of what the pieces of ``run_dir`` are computed from (its files and the renderer).

    The run folder's path is not part of it: a run folder that is moved or renamed (as
    ``insightlib run`` does when it publishes) keeps its pieces.
    """
    root = Path(run_dir)
    h = hashlib.sha256(_code_digest())
    for name in _RUN_FILES:
        path = root / name
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def _path(run_dir: str | os.PathLike[str], audience: str) -> Path:
    return Path(run_dir) / FOLDER / f"{audience}.json"


def write(
    run_dir: str | os.PathLike[str],
    audience: str,
    sections: Mapping[str, Any],
    *,
    key: str | None = None,
) -> Path:
    """Save the pieces of ``audience`` (from :func:`views.sections`) in ``run_dir/fragments``.

    ``key`` is the run folder's :func:`fingerprint` (computed when not given).
    """
    missing = [name for name in SECTIONS if name not in sections]
    if missing:
        raise ValueError(f"sections lack {', '.join(missing)}")
    target = _path(run_dir, audience)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": FORMAT,
        "audience": audience,
        "fingerprint": key or fingerprint(run_dir),
        "sections": {name: sections[name] for name in SECTIONS},
    }
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)
    return target


def read(run_dir: str | os.PathLike[str], audience: str) -> dict[str, Any] | None:
    """The saved pieces of ``audience``, or None when missing, unreadable or out of date."""
    try:
        doc = json.loads(_path(run_dir, audience).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT
        or doc.get("audience") != audience
        or doc.get("fingerprint") != fingerprint(run_dir)
        or not isinstance(doc.get("sections"), dict)
        or any(name not in doc["sections"] for name in SECTIONS)
    ):
        return None
    return doc["sections"]


def _injected(namespace: Mapping[str, Any]) -> set[str] | None:
    """Names papermill's injected-parameters cell assigned (None when it cannot tell)."""
    names: set[str] = set()
    for source in namespace.get("In") or []:
        if not isinstance(source, str) or not source.lstrip().startswith("# Parameters"):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return None
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            else:
                return None
    return names


def page(notebook: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The pieces a report notebook shows, for its parameters ``run_dir`` and ``audience``.

    Call it in the cell after the parameters: ``page = fragments.page("team_report",
    globals())``. Saved pieces that match the run folder are used as they are; otherwise the
    parameters are checked (:func:`insightlib.report.runfolder.check_parameters`, which stops
    a bad parameter with a clear message) and the pieces are rendered here and saved.
    """
    run_dir, audience = namespace.get("run_dir"), namespace.get("audience")
    injected = _injected(namespace)
    if (
        isinstance(run_dir, str | os.PathLike)
        and isinstance(audience, str)
        and injected is not None
        and injected <= {"run_dir", "audience"}
    ):
        saved = read(run_dir, audience)
        if saved is not None:
            return saved
    # no saved pieces (or odd parameters): check them, render, and save for the next time
    from insightlib.report import runfolder, views

    run = runfolder.check_parameters(notebook, namespace)
    sections = views.sections(run, str(audience))
    try:
        write(run.path, str(audience), sections)
    except OSError:
        pass  # a read-only run folder: the notebook still shows the report
    return sections
