from pathlib import Path

import pytest
from conftest import TOML, write_tiny

from insightlib.errors import ConfigError
from insightlib.workspace.config import load_config


def test_valid_config(tiny: Path) -> None:
    cfg = load_config(tiny)
    assert cfg.project == "Tiny"
    assert cfg.segments == ("platform",)
    assert cfg.metrics["revenue"].kind == "sum" and cfg.metrics["revenue"].unit == "USD"
    assert cfg.metrics["active_users"].good == "up"
    assert set(cfg.audiences) == {"team", "board"}
    assert cfg.audiences["board"].depth == "summary"
    assert cfg.sources["events"] == (tiny / "events.csv").resolve()


def _with(tmp_path: Path, toml: str) -> Path:
    return write_tiny(tmp_path / "ws", toml)


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no insight.toml found"):
        load_config(tmp_path)


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    ws = _with(tmp_path, TOML + "\n[report\n")
    with pytest.raises(ConfigError, match=r"insight.toml: not valid TOML"):
        load_config(ws)


def test_unknown_metric_kind_lists_the_allowed_ones(tmp_path: Path) -> None:
    ws = _with(tmp_path, TOML.replace('kind = "distinct_users"', 'kind = "distinct_user"'))
    with pytest.raises(ConfigError, match=r"kind must be one of .* Did you mean 'distinct_users'"):
        load_config(ws)


def test_typo_in_key_gets_did_you_mean(tmp_path: Path) -> None:
    ws = _with(tmp_path, TOML.replace('label = "Revenue"', 'lable = "Revenue"'))
    with pytest.raises(ConfigError, match=r"unknown key 'lable' in \[metrics.revenue\]\. Did you"):
        load_config(ws)


def test_metric_needs_its_fields(tmp_path: Path) -> None:
    ws = _with(tmp_path, TOML.replace('column = "revenue"\n', ""))
    with pytest.raises(ConfigError, match=r"\(kind 'sum'\) needs 'column'"):
        load_config(ws)


def test_source_outside_workspace_is_refused(tmp_path: Path) -> None:
    ws = _with(tmp_path, TOML.replace('events = "events.csv"', 'events = "../../etc/x.csv"'))
    with pytest.raises(ConfigError, match="points outside the workspace"):
        load_config(ws)


def test_audience_with_unknown_metric(tmp_path: Path) -> None:
    toml = TOML + '\n[audiences.engineering]\ndepth = "detailed"\nmetrics = ["revenu"]\n'
    with pytest.raises(ConfigError, match="unknown metric 'revenu'. Did you mean 'revenue'"):
        load_config(_with(tmp_path, toml))


def test_declared_audience_is_kept_with_defaults(tmp_path: Path) -> None:
    toml = TOML + '\n[audiences.board]\nmax_findings = 3\n[audiences.eng]\nmetrics = ["revenue"]\n'
    cfg = load_config(_with(tmp_path, toml))
    assert cfg.audiences["board"].max_findings == 3 and cfg.audiences["board"].depth == "summary"
    assert cfg.audiences["eng"].depth == "detailed"
    assert cfg.audiences["eng"].metrics == ("revenue",)
    assert "team" in cfg.audiences


# every value of insight.toml has a type; a wrong one is refused by `check` and `run` alike
_WRONG_TYPES = [
    (
        'unit = "USD"',
        "unit = {a = 1}",
        r"\[metrics\.revenue\] unit must be a text in quotes, got a table",
    ),
    (
        'unit = "USD"',
        "unit = [1, 2]",
        r"\[metrics\.revenue\] unit must be a text in quotes, got a list",
    ),
    (
        'unit = "USD"',
        'unit = "USD"\ndescription = {x = 1}',
        r"\[metrics\.revenue\] description must be a text in quotes, got a table",
    ),
    (
        'grain = "week"',
        'grain = "week"\nbaseline_periods = true',
        r"\[report\] baseline_periods must be an integer from 1 to 52, got True",
    ),
    ('grain = "week"', 'grain = "week"\nalpha = true', r"\[report\] alpha must be between"),
    ('grain = "week"', 'grain = "week"\ntitle = 3', r"\[report\] title must be a text"),
    (
        'grain = "week"',
        'grain = "week"\n\n[audiences.board]\ntitle = ["x", 1]',
        r"\[audiences\.board\] title must be a text in quotes, got a list",
    ),
    ('name = "Tiny"', 'name = "Tiny"\ndescription = 7', r"\[project\] description must be a text"),
    ('event = "purchase"', "event = 5", r"\[metrics\.revenue\] event must be a non-empty string"),
    (
        'column = "revenue"',
        "column = []",
        r"\[metrics\.revenue\] column must be a non-empty string",
    ),
    (
        'label = "Active users"',
        'label = "Active users"\ncolumn = "revenue"',
        r"\[metrics\.active_users\] column: a metric of kind 'distinct_users' does not use "
        r"'column'",
    ),
    (
        'label = "Active users"',
        'label = "Active users"\nevent = 5',
        r"\[metrics\.active_users\] event must be a non-empty string",
    ),
    (
        'column = "revenue"',
        'column = "revenue"\nfrom = "app_open"',
        r"\[metrics\.revenue\] from: a metric of kind 'sum' does not use 'from'",
    ),
    (
        'glossary = "glossary.csv"',
        'glossary = "glossary.csv"\ntimestamp_format = "dd/mm"',
        r"\[sources\] timestamp_format must be one of 'iso', 'day-first', 'month-first'",
    ),
    (
        'glossary = "glossary.csv"',
        'glossary = "glossary.csv"\ntimestamp_format = {evnts = "day-first"}',
        r"unknown key 'evnts' in \[sources\] timestamp_format\. Did you mean 'events'\?",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), _WRONG_TYPES, ids=[w[1] for w in _WRONG_TYPES])
def test_every_value_type_is_checked(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in TOML
    ws = _with(tmp_path, TOML.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as info:
        load_config(ws)
    assert str(info.value).startswith(str(ws / "insight.toml")) and "\n" not in str(info.value)


def test_timestamp_format_is_read_per_file(tmp_path: Path) -> None:
    one = load_config(
        _with(tmp_path, TOML.replace("[segments]", 'timestamp_format = "day-first"\n\n[segments]'))
    )
    assert one.timestamp_formats == dict.fromkeys(("events", "feedback", "knowledge"), "day-first")
    per = TOML.replace(
        "[segments]", 'timestamp_format = {feedback = "%d/%m/%Y %H:%M"}\n\n[segments]'
    )
    assert load_config(_with(tmp_path / "b", per)).timestamp_formats == {
        "feedback": "%d/%m/%Y %H:%M"
    }


def test_distinct_users_may_count_only_the_users_of_one_event(tmp_path) -> None:
    """`event` on a distinct_users metric is applied (customers who ordered), so accepted."""
    from insightlib.workspace.config import load_config

    (tmp_path / "insight.toml").write_text(
        '[project]\nname = "X"\n\n[sources]\nevents = "e.parquet"\n\n'
        '[metrics.buyers]\nkind = "distinct_users"\nevent = "order"\nlabel = "Customers who ordered"\n'
    )
    m = load_config(tmp_path).metrics["buyers"]
    assert (m.kind, m.event) == ("distinct_users", "order")
