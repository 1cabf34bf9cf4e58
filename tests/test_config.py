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
