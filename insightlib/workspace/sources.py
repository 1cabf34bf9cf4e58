"""Events that live in an engine (Spark, PostgreSQL, a DuckDB database) instead of a file.

``insight.toml`` can point the events source at a table::

    [sources.events]
    backend = "postgres"               # duckdb | pyspark | postgres
    table = "events"                   # optionally "schema.table"
    url_env = "INSIGHTLIB_EVENTS_URL"  # NAME of the environment variable holding the URL

The connection URL (with its password) is read from the environment at run time, never from the
file, and never written to a report: ``run.json`` records the backend and the table only. For
``pyspark`` the URL is optional: without one the active Spark session is used (e.g. under
``spark-submit``), or a local one is started; with one, a Spark Connect session
(``sc://host:15002``). For ``duckdb`` the URL is the path of a database file.

:func:`open_events` connects and returns the Ibis table; :func:`load_events` checks it with
the one events validator (:mod:`insightlib.workspace.validate`: the rules a CSV or Parquet file
passes, run in the engine, so ``inf``, NaN and absurd amounts are refused there too). The metric logic itself lives once, in :mod:`insightlib.quant.engine`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from insightlib.errors import ConfigError, DataError
from insightlib.workspace.validate import check_events, utc_timestamp

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "BACKENDS",
    "EventSource",
    "parse_event_source",
    "open_events",
    "load_events",
    "utc_timestamp",
]

BACKENDS = ("duckdb", "pyspark", "postgres")
_KEYS = ("backend", "table", "url_env")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class EventSource:
    """``[sources.events]`` as a table: where the events live (no secrets in here)."""

    backend: str
    table: str = "events"
    url_env: str | None = None

    @property
    def label(self) -> str:
        """How reports name the source: backend and table, never the URL."""
        return f"{self.backend}:{self.table}"


def parse_event_source(raw: dict[str, Any], file: str) -> EventSource:
    """Validate the ``[sources.events]`` table; refuses URLs and secrets written in the file."""
    for key, value in raw.items():
        low = key.lower()
        secret = any(w in low for w in ("password", "secret", "token", "passwd"))
        if secret or low in ("url", "uri", "dsn", "connection"):
            raise ConfigError(
                f"[sources.events] {key}: connection URLs and credentials are not read from "
                "insight.toml (it is usually shared or committed). Put the URL in an environment "
                'variable and name the variable instead, e.g. url_env = "INSIGHTLIB_EVENTS_URL".',
                file=file,
            )
        if isinstance(value, str) and re.search(r"://[^/@\s]*:[^/@\s]*@", value):
            raise ConfigError(
                f"[sources.events] {key} holds a URL with a password; keep it in an environment "
                'variable and name the variable: url_env = "INSIGHTLIB_EVENTS_URL".',
                file=file,
            )
    unknown = [k for k in raw if k not in _KEYS]
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}' in [sources.events]. Allowed: {', '.join(_KEYS)}.",
            file=file,
        )
    backend = raw.get("backend")
    if backend not in BACKENDS:
        raise ConfigError(
            f"[sources.events] backend must be one of {', '.join(map(repr, BACKENDS))}, "
            f"got {backend!r}.",
            file=file,
        )
    table = raw.get("table", "events")
    if not isinstance(table, str) or not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)?", table):
        raise ConfigError(
            f"[sources.events] table must be a table name (or schema.table), got {table!r}.",
            file=file,
        )
    url_env = raw.get("url_env")
    if url_env is not None and (not isinstance(url_env, str) or not _ENV_NAME.match(url_env)):
        raise ConfigError(
            f"[sources.events] url_env is the NAME of an environment variable holding the "
            f"connection URL (e.g. INSIGHTLIB_EVENTS_URL), got {url_env!r}.",
            file=file,
        )
    if backend in ("postgres", "duckdb") and url_env is None:
        raise ConfigError(
            f"[sources.events] backend {backend!r} needs url_env, the name of the environment "
            "variable that holds the connection URL.",
            file=file,
        )
    return EventSource(backend, table, url_env)


def _scrub(text: str, url: str | None) -> str:
    """An error message without the URL's password."""
    if url:
        text = text.replace(url, "<url>")
        m = re.search(r"://[^/@\s:]*:([^/@\s]*)@", url)
        if m and m.group(1):
            text = text.replace(m.group(1), "***")
    return text


def _url(src: EventSource) -> str | None:
    if src.url_env is None:
        return None
    url = os.environ.get(src.url_env)
    if not url:
        raise ConfigError(
            f"[sources.events] url_env = {src.url_env!r}, but that environment variable is not "
            f"set; export it with the connection URL of the {src.backend} database."
        )
    return url


def _connect(src: EventSource, url: str | None) -> Any:
    import ibis

    if src.backend == "postgres":
        if not url.startswith(("postgres://", "postgresql://")):  # type: ignore[union-attr]
            raise ConfigError(
                f"${src.url_env} must be a postgres:// or postgresql:// URL for backend 'postgres'."
            )
        return ibis.connect(url.replace("postgresql://", "postgres://", 1))  # type: ignore[union-attr]
    if src.backend == "duckdb":
        path = url.removeprefix("duckdb://")  # type: ignore[union-attr]
        return ibis.duckdb.connect(path, read_only=True)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if url:
        builder = builder.remote(url)
    session = SparkSession.getActiveSession() if not url else None
    return ibis.pyspark.connect(session or builder.getOrCreate())


def open_events(src: EventSource) -> ir.Table:
    """Connect to the source's engine and return its events table (nothing is fetched)."""
    url = _url(src)
    try:
        con = _connect(src, url)
    except ConfigError:
        raise
    except ImportError as exc:
        raise ConfigError(
            f"[sources.events] backend {src.backend!r} needs an extra package ({exc.name}); "
            "install insightlib with the backends extra (see README, 'Beyond one machine')."
        ) from None
    except Exception as exc:
        raise DataError(
            f"cannot connect to the {src.backend} events source: "
            f"{_scrub(f'{type(exc).__name__}: {exc}', url)}",
            file=src.label,
        ) from None
    db: Any = None
    name = src.table
    if "." in name:
        db, name = name.split(".", 1)
    try:
        return con.table(name, database=db)
    except Exception as exc:
        raise DataError(
            f"table not found in the {src.backend} database ({_scrub(str(exc), url)[:200]}).",
            file=src.label,
        ) from None


def load_events(cfg: Any, files: dict[str, dict[str, Any]]) -> tuple[ir.Table, date, date]:
    """The loader's step for ``[sources.events]`` as a table: open it, check it with the one
    events validator (:func:`insightlib.workspace.validate.check_events`: the same rules and
    messages as a file's, the first bad row named by its time and event), record provenance.

    ``files["events"]`` gets the backend, the table and the row count (no URL, no checksum:
    the table is not a file).
    """
    src: EventSource = cfg.events_source
    table = open_events(src)
    checked = check_events(table, cfg, src.label, what="table", text_numbers=False)
    if checked.personal:  # [privacy] segment_values = "redact": a table is not rewritten
        col, values = next(iter(checked.personal.items()))
        kind = next(iter(values.values()))
        raise DataError(
            f"segment value looks like personal data ({kind}); segment values appear in every "
            f'report, and [privacy] segment_values = "redact" cannot rewrite a {src.backend} '
            "table. Map the value to a category in the table (or a view) instead.",
            file=src.label,
            column=col,
        )
    files["events"] = {
        "path": src.label,
        "backend": src.backend,
        "table": src.table,
        "rows": checked.rows,
    }
    return table, checked.first, checked.last
