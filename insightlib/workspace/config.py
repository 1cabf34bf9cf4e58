"""Read and validate ``insight.toml``.

The file says what to analyse: the data sources, the segment columns, the metrics, the report
grain, an optional theme codebook and optional audiences. Every problem is reported as a
:class:`~insightlib.errors.ConfigError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insightlib.errors import ConfigError
from insightlib.workspace.periods import GRAINS
from insightlib.workspace.sources import EventSource, parse_event_source

__all__ = [
    "Config",
    "MetricSpec",
    "AudienceSpec",
    "DEFAULT_AUDIENCES",
    "ThemeSpec",
    "DeliverySpec",
    "PrivacySpec",
    "load_config",
    "METRIC_KINDS",
    "CONFIG_NAME",
]

CONFIG_NAME = "insight.toml"
METRIC_KINDS = ("distinct_users", "count", "sum", "mean", "conversion")
SOURCE_NAMES = ("events", "feedback", "knowledge", "glossary")
DEPTHS = ("summary", "detailed")

_TOP_KEYS = (
    "project",
    "sources",
    "segments",
    "metrics",
    "report",
    "themes",
    "audiences",
    "delivery",
    "privacy",
    "scores",
)
_METRIC_KEYS = (
    "kind", "label", "event", "column", "entity", "from", "to", "unit", "good", "description",
)  # fmt: skip
_REPORT_KEYS = ("grain", "min_volume", "alpha", "baseline_periods", "title", "url", "locale")
_AUDIENCE_KEYS = ("depth", "max_findings", "metrics", "segments", "themes", "teams", "title")
_THEME_KEYS = ("label", "keywords")
_DELIVERY_KEYS = (
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "sender",
    "recipients",
    "webhook_url",
    "subject",
)
_SECRET_KEYS = ("password", "smtp_password", "pass", "passwd", "secret", "token", "api_key")
_NEEDS: dict[str, tuple[str, ...]] = {
    "distinct_users": (),
    "count": ("event",),
    "sum": ("event", "column"),
    "mean": ("event", "column"),
    "conversion": ("from", "to"),
}
#: Keys a kind may have but does not need: ``distinct_users`` with an ``event`` counts only the
#: users who did that event (customers who ordered, not everyone active).
#: ``entity`` (count and sum) names the column of what an event belongs to — an order id, a
#: customer id — so "one order made most of the jump" is found per entity, not per user.
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "distinct_users": ("event",),
    "count": ("entity",),
    "sum": ("entity",),
}
#: Keys every metric may have whatever its kind; the rest are the kind's _NEEDS and _OPTIONAL
#: (a key another kind uses would be silently ignored by the engine, so it is refused).
_METRIC_COMMON = ("kind", "label", "unit", "good", "description")
#: ``[sources] timestamp_format``: how ambiguous dates like 05/03/2026 are read.
TIMESTAMP_FORMATS = ("iso", "day-first", "month-first")


@dataclass(frozen=True)
class MetricSpec:
    """One metric of ``[metrics.NAME]``.

    ``kind`` is one of :data:`METRIC_KINDS`. ``good`` says which direction is better.
    """

    name: str
    kind: str
    label: str
    event: str | None = None
    column: str | None = None
    from_event: str | None = None
    to_event: str | None = None
    unit: str | None = None
    good: str = "up"
    description: str = ""
    # count and sum: the column of what an event belongs to (order id, customer id); a one-off
    # concentration is looked for per entity instead of per user
    entity: str | None = None

    @property
    def is_ratio(self) -> bool:
        """True for metrics whose value is a share (conversion) or an average (mean)."""
        return self.kind in ("conversion", "mean")

    @property
    def events(self) -> tuple[str, ...]:
        """The event names this metric reads (empty: all events)."""
        return tuple(e for e in (self.event, self.from_event, self.to_event) if e)


@dataclass(frozen=True)
class ThemeSpec:
    """A codebook theme of ``[themes.NAME]``: a fixed label and the keywords that define it."""

    name: str
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class AudienceSpec:
    """An audience of ``[audiences.NAME]``: how deep, how many findings, which ones."""

    name: str
    depth: str = "detailed"
    max_findings: int | None = None
    metrics: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    title: str = ""


#: The audiences every run has unless insight.toml defines them: the one defaults table.
DEFAULT_AUDIENCES: dict[str, AudienceSpec] = {
    "team": AudienceSpec("team", "detailed", None),
    "board": AudienceSpec("board", "summary", 5),
}


@dataclass(frozen=True)
class DeliverySpec:
    """The optional ``[delivery]`` table: where ``insightlib send`` mails or posts a run.

    Secrets are never read from the file: the SMTP password comes only from the environment
    (``INSIGHTLIB_SMTP_PASSWORD``); see :mod:`insightlib.deliver` for the environment overrides.
    """

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    webhook_url: str | None = None
    subject: str = ""


@dataclass(frozen=True)
class PrivacySpec:
    """The optional ``[privacy]`` table.

    ``patterns``: regular expressions of booking or order references to redact as ``[ref]``
    (besides those after a cue word such as "booking"); ``names``: extra names to redact
    (staff, customers); ``segment_values``: ``"refuse"`` (default: a segment value that looks
    like personal data stops the load with exit 2) or ``"redact"`` (it is replaced).
    """

    patterns: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    segment_values: str = "refuse"


_SCALES = {"1-5": (1.0, 5.0), "0-10": (0.0, 10.0), "1-10": (1.0, 10.0), "0-5": (0.0, 5.0),
           "1-7": (1.0, 7.0), "0-100": (0.0, 100.0)}  # fmt: skip


def _privacy(raw: Any, file: str) -> PrivacySpec:
    if raw is None:
        return PrivacySpec()
    if not isinstance(raw, dict):
        raise ConfigError("[privacy] must be a table.", file=file)
    _check_keys(raw, ("patterns", "names", "segment_values"), "[privacy]", file)
    patterns = _str_list(raw.get("patterns", []), "[privacy] patterns", file)
    for i, pat in enumerate(patterns):
        try:
            re.compile(pat)
        except re.error as exc:
            raise ConfigError(
                f"[privacy] patterns[{i}] {pat!r} is not a valid regular expression: {exc}.",
                file=file,
            ) from None
    mode = raw.get("segment_values", "refuse")
    if mode not in ("refuse", "redact"):
        raise ConfigError(
            f"[privacy] segment_values must be 'refuse' or 'redact', got {mode!r}.", file=file
        )
    names = _str_list(raw.get("names", []), "[privacy] names", file)
    return PrivacySpec(patterns, tuple(n.lower() for n in names), mode)


def _scores(raw: Any, file: str) -> dict[str, tuple[float, float]]:
    """``[scores]``: feedback source -> scale, written "1-5", "0-10", "1-10" or [low, high]."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError('[scores] must be a table, e.g. nps = "0-10".', file=file)
    out: dict[str, tuple[float, float]] = {}
    for source, value in raw.items():
        where = f"[scores] {source}"
        if isinstance(value, str) and value.replace(" ", "") in _SCALES:
            out[source.lower()] = _SCALES[value.replace(" ", "")]
        elif (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            and value[0] < value[1]
        ):
            out[source.lower()] = (float(value[0]), float(value[1]))
        else:
            raise ConfigError(
                f"{where} must be one of {', '.join(repr(k) for k in _SCALES)} or "
                f"[low, high], got {value!r}.",
                file=file,
            )
    return out


@dataclass(frozen=True)
class Config:
    """The validated content of a workspace's ``insight.toml``."""

    root: Path
    path: Path
    project: str
    sources: dict[str, Path]
    segments: tuple[str, ...]
    metrics: dict[str, MetricSpec]
    grain: str = "week"
    min_volume: int = 100
    alpha: float = 0.05
    baseline_periods: int = 4
    title: str = ""
    # [report] url: where the reports folder is published (makes the e-mail's links absolute)
    report_url: str | None = None
    # [report] locale: how numbers, dates and money are written ("en_US" style when None)
    locale: str | None = None
    # [segments.labels]: readable names of segment columns ("plan") and values ("plan.free_trial")
    segment_labels: dict[str, str] = field(default_factory=dict)
    themes: dict[str, ThemeSpec] = field(default_factory=dict)
    audiences: dict[str, AudienceSpec] = field(default_factory=dict)
    delivery: DeliverySpec = field(default_factory=DeliverySpec)
    # [sources.events] as a table: the events live in an engine, not a file (sources.py)
    events_source: EventSource | None = None
    # [sources] timestamp_format: source name -> "iso", "day-first", "month-first" or a pattern
    timestamp_formats: dict[str, str] = field(default_factory=dict)
    # [project] aliases: other names of the product or company (never a theme label)
    aliases: tuple[str, ...] = ()
    privacy: PrivacySpec = field(default_factory=lambda: PrivacySpec())
    # [scores] per feedback source: the score scale (low, high), e.g. nps = "0-10"
    score_scales: dict[str, tuple[float, float]] = field(default_factory=dict)
    # [project] country: the public-holiday calendar where no segment column holds countries
    country: str | None = None

    @property
    def entity_columns(self) -> tuple[str, ...]:
        """The columns metrics name as their ``entity`` (order id, customer id), sorted."""
        return tuple(sorted({m.entity for m in self.metrics.values() if m.entity}))

    def source(self, name: str) -> Path | None:
        return self.sources.get(name)

    def rel(self, path: Path) -> str:
        """A path as the user wrote it, relative to the workspace where possible."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else f" Allowed: {', '.join(allowed)}."


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, file: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"unknown key '{key}' in {where}.{_did_you_mean(key, allowed)}",
                file=file,
            )


def _str(value: Any, where: str, file: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string, got {value!r}.", file=file)
    return value


def _text(value: Any, where: str, file: str) -> str:
    """An optional free text (may be empty) that must be a string, not a table or a list."""
    if not isinstance(value, str):
        raise ConfigError(
            f"{where} must be a text in quotes, got {_toml_type(value)} {value!r}.", file=file
        )
    return value


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _table(value: Any, where: str, file: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where} must be a table (a [section]), got {_toml_type(value)} {value!r}.", file=file
        )
    return value


def _timestamp_formats(value: Any, file: str) -> dict[str, str]:
    """``[sources] timestamp_format``: one format for every file, or a table per file."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = {name: value for name in ("events", "feedback", "knowledge")}
        where = "[sources] timestamp_format"
    else:
        value = _table(value, "[sources] timestamp_format", file)
        _check_keys(value, ("events", "feedback", "knowledge"), "[sources] timestamp_format", file)
        where = "[sources] timestamp_format"
    out = {}
    for name, fmt in value.items():
        fmt = _text(fmt, f"{where} {name}" if len(value) < 3 else where, file).strip()
        if fmt not in TIMESTAMP_FORMATS and "%" not in fmt:
            raise ConfigError(
                f"{where} must be one of {', '.join(map(repr, TIMESTAMP_FORMATS))} or a "
                f"strftime pattern like '%d/%m/%Y %H:%M', got {fmt!r}.",
                file=file,
            )
        out[name] = fmt
    return out


def _str_list(value: Any, where: str, file: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}.", file=file)
    return tuple(value)


def _report_url(value: Any, file: str) -> str | None:
    """``[report] url``: an http(s) address without spaces, query or fragment; no trailing '/'."""
    if value is None:
        return None
    import urllib.parse

    bad = ConfigError(
        "[report] url must be the http:// or https:// address where the reports folder is "
        f'published, like "https://reports.example.com/basketly", got {str(value)[:80]!r}.',
        file=file,
    )
    if not isinstance(value, str) or any(c.isspace() or ord(c) < 32 for c in value):
        raise bad
    try:
        parts = urllib.parse.urlsplit(value.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise bad
    if parts.username or parts.password:
        raise ConfigError(
            "[report] url must not hold a user name or password (it is written into e-mails).",
            file=file,
        )
    return value.strip().rstrip("/")


def _segment_labels(raw: Any, columns: tuple[str, ...], file: str) -> dict[str, str]:
    """``[segments.labels]``: ``column = "Name"`` names a segment column, ``"column.value" =
    "Name"`` one of its values; a table ``[segments.labels.column]`` names several values.

    Returns flat keys (``"plan"``, ``"plan.free_trial"``) → labels. A key whose column is not
    in ``[segments] columns`` is an error naming the key.
    """
    if not isinstance(raw, dict):
        raise ConfigError(
            '[segments.labels] must be a table, like plan = "Plan" and '
            '"plan.free_trial" = "Free trial".',
            file=file,
        )
    out: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict):  # [segments.labels.plan] free_trial = "Free trial"
            items = [
                (f"{key}.{v}", lab, f"[segments.labels.{key}] {v}") for v, lab in value.items()
            ]
        else:
            items = [(key, value, f"[segments.labels] {key}")]
        for flat, label, where in items:
            col = flat.split(".", 1)[0]
            if col not in columns:
                raise ConfigError(
                    f"unknown key '{flat}' in [segments.labels]: '{col}' is not a [segments] "
                    f"column.{_did_you_mean(col, columns)}",
                    file=file,
                )
            if "." in flat and not flat.split(".", 1)[1]:
                raise ConfigError(f"{where}: the key names no value after the dot.", file=file)
            out[flat] = _str(label, where, file).strip()
    return out


def _locale(value: Any, file: str) -> str | None:
    """``[report] locale``: a locale Babel knows, like "en_GB" or "de_DE" (None: en_US style)."""
    if value is None:
        return None
    from babel import Locale, UnknownLocaleError

    text = _str(value, "[report] locale", file).strip()
    try:
        Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ConfigError(
            f'[report] locale must be a locale like "en_GB" or "de_DE", got {text!r}.', file=file
        ) from None
    return text.replace("-", "_")


def _country(value: Any, file: str) -> str | None:
    """``[project] country``: the country whose public holidays are named (ISO code or English
    name), kept as the ``holidays`` package's code."""
    if value is None:
        return None
    from insightlib.text.numbers import country_code

    code = country_code(_str(value, "[project] country", file))
    if code is None:
        raise ConfigError(
            f"[project] country {value!r} is not a country with a public-holiday calendar; "
            'write its ISO code (e.g. "GB", "DE", "US") or its English name.',
            file=file,
        )
    return code


def _delivery(raw: Any, file: str) -> DeliverySpec:
    if raw is None:
        return DeliverySpec()
    if not isinstance(raw, dict):
        raise ConfigError("[delivery] must be a table.", file=file)
    for key in raw:
        if key.lower() in _SECRET_KEYS or "password" in key.lower():
            raise ConfigError(
                f"[delivery] {key}: secrets are not read from insight.toml (it is usually shared "
                "or committed). Remove the key and set INSIGHTLIB_SMTP_PASSWORD in the "
                "environment of the job instead.",
                file=file,
            )
    _check_keys(raw, _DELIVERY_KEYS, "[delivery]", file)
    port = raw.get("smtp_port")
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535
    ):
        raise ConfigError(
            f"[delivery] smtp_port must be an integer from 1 to 65535, got {port!r}.", file=file
        )
    opt = {
        key: _str(raw[key], f"[delivery] {key}", file) if key in raw else None
        for key in ("smtp_host", "smtp_user", "sender", "webhook_url")
    }
    return DeliverySpec(
        smtp_host=opt["smtp_host"],
        smtp_port=port,
        smtp_user=opt["smtp_user"],
        sender=opt["sender"],
        recipients=_str_list(raw.get("recipients", []), "[delivery] recipients", file),
        webhook_url=opt["webhook_url"],
        subject=_str(raw["subject"], "[delivery] subject", file) if "subject" in raw else "",
    )


def load_config(workspace: str | Path) -> Config:
    """Read ``WORKSPACE/insight.toml`` (or a path to the file itself) and validate it.

    Examples
    --------
    >>> cfg = load_config("data/sample")  # doctest: +SKIP
    >>> cfg.metrics["signup_completion"].kind
    'conversion'
    """
    path = Path(workspace)
    if path.is_dir():
        path = path / CONFIG_NAME
    file = str(path)
    if not path.exists():
        raise ConfigError(
            "no insight.toml found. Create one (see README, 'Workspace') or run "
            "`insightlib sample DIR` for an example.",
            file=file,
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}.", file=file) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text; save it as UTF-8.", file=file) from None
    except IsADirectoryError:
        raise ConfigError("is a folder; it must be the insight.toml file.", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}.", file=file) from None
    root = path.parent.resolve()
    _check_keys(raw, _TOP_KEYS, "the top level", file)

    project = raw.get("project", {})
    if not isinstance(project, dict):
        raise ConfigError("[project] must be a table.", file=file)
    _check_keys(project, ("name", "description", "aliases", "country"), "[project]", file)
    name = _str(project.get("name", root.name), "[project] name", file)
    if "description" in project:
        _text(project["description"], "[project] description", file)
    aliases = _str_list(project.get("aliases", []), "[project] aliases", file)
    country = _country(project.get("country"), file)

    src_raw = raw.get("sources")
    if not isinstance(src_raw, dict) or not ({"events", "feedback"} & set(src_raw)):
        raise ConfigError(
            '[sources] must name the events file (events = "events.parquet"), the feedback '
            'file (feedback = "feedback.csv"), or both.',
            file=file,
        )
    has_events = "events" in src_raw
    _check_keys(src_raw, (*SOURCE_NAMES, "timestamp_format"), "[sources]", file)
    timestamp_formats = _timestamp_formats(src_raw.get("timestamp_format"), file)
    sources: dict[str, Path] = {}
    events_source: EventSource | None = None
    for key, value in src_raw.items():
        if key == "timestamp_format":
            continue
        if key == "events" and isinstance(value, dict):
            events_source = parse_event_source(value, file)
            continue
        rel = _str(value, f"[sources] {key}", file)
        target = (root / rel).resolve()
        if root != target and root not in target.parents:
            raise ConfigError(
                f"[sources] {key} = {rel!r} points outside the workspace folder {root}; "
                "keep data files inside the workspace.",
                file=file,
            )
        if target.suffix.lower() not in (".csv", ".parquet"):
            raise ConfigError(
                f"[sources] {key} = {rel!r}: only .csv and .parquet files are supported.",
                file=file,
            )
        sources[key] = target

    seg_raw = raw.get("segments", {})
    if not isinstance(seg_raw, dict):
        raise ConfigError("[segments] must be a table with columns = [...].", file=file)
    _check_keys(seg_raw, ("columns", "labels"), "[segments]", file)
    segments = _str_list(seg_raw.get("columns", []), "[segments] columns", file)
    if len(set(segments)) != len(segments):
        raise ConfigError("[segments] columns lists a column twice.", file=file)
    segment_labels = _segment_labels(seg_raw.get("labels", {}), segments, file)

    met_raw = raw.get("metrics")
    if not has_events:  # feedback only: no numbers to track
        if met_raw:
            raise ConfigError(
                "[metrics] need event data: add [sources] events, or remove the metrics to "
                "read feedback only.",
                file=file,
            )
        met_raw = {}
    elif not isinstance(met_raw, dict) or not met_raw:
        raise ConfigError("define at least one metric, e.g. [metrics.active_users].", file=file)
    metrics: dict[str, MetricSpec] = {}
    for mname, m in met_raw.items():
        where = f"[metrics.{mname}]"
        if not isinstance(m, dict):
            raise ConfigError(f"{where} must be a table.", file=file)
        _check_keys(m, _METRIC_KEYS, where, file)
        kind = m.get("kind")
        if kind not in METRIC_KINDS:
            raise ConfigError(
                f"{where} kind must be one of {', '.join(repr(k) for k in METRIC_KINDS)}, "
                f"got {kind!r}.{_did_you_mean(str(kind), METRIC_KINDS) if kind else ''}",
                file=file,
            )
        for need in _NEEDS[kind]:
            if need not in m:
                raise ConfigError(f"{where} (kind {kind!r}) needs '{need}'.", file=file)
        optional = _OPTIONAL.get(kind, ())
        for key in m:
            if key not in _METRIC_COMMON and key not in _NEEDS[kind] and key not in optional:
                uses = ", ".join(f"'{k}'" for k in (*_NEEDS[kind], *optional, *_METRIC_COMMON[1:]))
                raise ConfigError(
                    f"{where} {key}: a metric of kind {kind!r} does not use '{key}' (it would "
                    f"be ignored). Remove it, or change the kind; this kind uses {uses}.",
                    file=file,
                )
        names = {k: _str(m[k], f"{where} {k}", file) for k in (*_NEEDS[kind], *optional) if k in m}
        good = m.get("good", "up")
        if good not in ("up", "down"):
            raise ConfigError(f"{where} good must be 'up' or 'down', got {good!r}.", file=file)
        unit = m.get("unit")
        metrics[mname] = MetricSpec(
            name=mname,
            kind=kind,
            label=_str(
                m.get("label", mname.replace("_", " ").capitalize()), f"{where} label", file
            ),
            event=names.get("event"),
            column=names.get("column"),
            entity=names.get("entity"),
            from_event=names.get("from"),
            to_event=names.get("to"),
            unit=None if unit is None else _text(unit, f"{where} unit", file) or None,
            good=good,
            description=_text(m.get("description", ""), f"{where} description", file),
        )

    rep = raw.get("report", {})
    if not isinstance(rep, dict):
        raise ConfigError("[report] must be a table.", file=file)
    _check_keys(rep, _REPORT_KEYS, "[report]", file)
    grain = rep.get("grain", "week")
    if grain not in GRAINS:
        raise ConfigError(
            f"[report] grain must be one of 'day', 'week', 'month', got {grain!r}.", file=file
        )
    min_volume = rep.get("min_volume", 100)
    if not isinstance(min_volume, int) or isinstance(min_volume, bool) or min_volume < 1:
        raise ConfigError(
            f"[report] min_volume must be a positive integer, got {min_volume!r}.", file=file
        )
    alpha = rep.get("alpha", 0.05)
    if not isinstance(alpha, float | int) or isinstance(alpha, bool) or not 0 < alpha < 0.5:
        raise ConfigError(f"[report] alpha must be between 0 and 0.5, got {alpha!r}.", file=file)
    baseline_periods = rep.get("baseline_periods", 4)
    if (
        not isinstance(baseline_periods, int)
        or isinstance(baseline_periods, bool)
        or not 1 <= baseline_periods <= 52
    ):
        raise ConfigError(
            f"[report] baseline_periods must be an integer from 1 to 52, got {baseline_periods!r}.",
            file=file,
        )

    report_title = _text(rep.get("title", ""), "[report] title", file)
    report_url = _report_url(rep.get("url"), file)
    locale = _locale(rep.get("locale"), file)

    themes: dict[str, ThemeSpec] = {}
    for tname, t in _table(raw.get("themes", {}), "[themes]", file).items():
        where = f"[themes.{tname}]"
        if not isinstance(t, dict):
            raise ConfigError(f"{where} must be a table.", file=file)
        _check_keys(t, _THEME_KEYS, where, file)
        keywords = _str_list(t.get("keywords", []), f"{where} keywords", file)
        if not keywords:
            raise ConfigError(f"{where} needs at least one keyword.", file=file)
        label = _str(t.get("label", tname.replace("_", " ")), f"{where} label", file)
        themes[tname] = ThemeSpec(tname, label, keywords)

    audiences: dict[str, AudienceSpec] = {}
    for aname, a in _table(raw.get("audiences", {}), "[audiences]", file).items():
        where = f"[audiences.{aname}]"
        if not isinstance(a, dict):
            raise ConfigError(f"{where} must be a table.", file=file)
        _check_keys(a, _AUDIENCE_KEYS, where, file)
        default = DEFAULT_AUDIENCES.get(aname)
        depth = a.get("depth", default.depth if default else "detailed")
        if depth not in DEPTHS:
            raise ConfigError(
                f"{where} depth must be 'summary' or 'detailed', got {depth!r}.", file=file
            )
        mx = a.get("max_findings")
        if mx is not None and (not isinstance(mx, int) or isinstance(mx, bool) or mx < 1):
            raise ConfigError(
                f"{where} max_findings must be a positive integer, got {mx!r}.", file=file
            )
        for key in ("metrics",):
            for mref in _str_list(a.get(key, []), f"{where} {key}", file):
                if mref not in metrics:
                    raise ConfigError(
                        f"{where} metrics names unknown metric '{mref}'."
                        f"{_did_you_mean(mref, tuple(metrics))}",
                        file=file,
                    )
        audiences[aname] = AudienceSpec(
            name=aname,
            depth=depth,
            max_findings=mx,
            metrics=_str_list(a.get("metrics", []), f"{where} metrics", file),
            segments=_str_list(a.get("segments", []), f"{where} segments", file),
            themes=_str_list(a.get("themes", []), f"{where} themes", file),
            teams=_str_list(a.get("teams", []), f"{where} teams", file),
            title=_text(a.get("title", ""), f"{where} title", file),
        )
    for aname, spec in DEFAULT_AUDIENCES.items():
        audiences.setdefault(aname, spec)
    delivery = _delivery(raw.get("delivery"), file)

    return Config(
        root=root,
        path=path.resolve(),
        project=name,
        sources=sources,
        events_source=events_source,
        segments=segments,
        metrics=metrics,
        grain=grain,
        min_volume=min_volume,
        alpha=float(alpha),
        baseline_periods=baseline_periods,
        title=report_title,
        report_url=report_url,
        locale=locale,
        segment_labels=segment_labels,
        timestamp_formats=timestamp_formats,
        themes=themes,
        audiences=audiences,
        delivery=delivery,
        aliases=aliases,
        country=country,
        privacy=_privacy(raw.get("privacy"), file),
        score_scales=_scores(raw.get("scores"), file),
    )
