"""Reports: the run folder (runfolder), the HTML pieces (views, charts, fragments), the notebooks
and their export (publish), and the interactive explorer (explore)."""

from __future__ import annotations

import sys


def import_jsonschema_lightly() -> None:
    """Import jsonschema (Altair, nbformat, papermill and nbconvert use it) without
    ``rfc3987_syntax``.

    When ``rfc3987_syntax`` is installed (Jupyter's ``jsonschema[format-nongpl]`` brings it),
    jsonschema imports it for its "iri" format checks, and that import builds a parser for the
    whole RFC 3987 grammar: about 1 s of CPU in every process that draws a chart or runs a
    notebook. Nothing here checks IRIs, so jsonschema is imported once with that module hidden;
    it is importable as usual afterwards. Does nothing when either is already imported.
    :mod:`views` and :mod:`publish` call it before importing Altair or papermill; the notebooks'
    kernels (:mod:`fragments`) import neither.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # "import" raises ImportError
    try:
        import jsonschema  # noqa: F401
    except ImportError:  # pragma: no cover - jsonschema comes with nbformat
        pass
    finally:
        if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
            del sys.modules["rfc3987_syntax"]
