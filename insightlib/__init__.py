"""insightlib: plain-English insight reports from product numbers and customer words.

The public API is small; the heavy modules (DuckDB/Ibis, scikit-learn, Altair) load on first
use, so ``import insightlib`` and the CLI start fast.

Examples
--------
>>> import insightlib
>>> ws = insightlib.load_workspace("data/sample")  # doctest: +SKIP
>>> insightlib.run("data/sample", out="reports")  # doctest: +SKIP
PosixPath('reports/2026-W47')
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from insightlib.errors import ConfigError, DataError, InputError, InsightError, RunError

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "InsightError",
    "InputError",
    "ConfigError",
    "DataError",
    "RunError",
    "load_config",
    "load_workspace",
    "parse_period",
    "Period",
    "Finding",
    "Theme",
    "Insight",
    "analyse",
    "analyse_feedback",
    "build_document",
    "lint_text",
    "run",
    "write_sample",
]

_LAZY = {
    "load_config": "workspace.config",
    "load_workspace": "workspace.load",
    "parse_period": "workspace.periods",
    "Period": "workspace.periods",
    "Finding": "model",
    "Theme": "model",
    "Insight": "document",
    "analyse": "quant.changes",
    "analyse_feedback": "qual.analyse",
    "build_document": "narrate.assemble",
    "lint_text": "text.plain",
    "run": "pipeline",
    "write_sample": "sample.story",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'insightlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
