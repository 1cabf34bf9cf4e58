"""Issue 14, words: segments named by ``[segments.labels]`` and numbers in ``[report] locale``.

One formatter (text/numbers.py) does both; the pipeline switches it for a run's texts and
``open_run`` for the reports rendered from the run.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import TOML, write_tiny

from insightlib import model
from insightlib.cli import main
from insightlib.errors import ConfigError
from insightlib.report import runfolder
from insightlib.text import numbers as tf
from insightlib.workspace.config import load_config

TRIAL = (("plan", "free_trial"),)
CROSS = (("plan", "free_trial"), ("platform", "android"))
OTHER = (("acquisition_channel", "paid_search"),)


def _cfg(tmp_path: Path, extra: str):
    write_tiny(
        tmp_path / "ws",
        TOML.replace('columns = ["platform"]', 'columns = ["platform", "plan"]') + extra,
    )
    return load_config(tmp_path / "ws" / "insight.toml")


# ------------------------------------------------------------------------------ segment labels
def test_default_labels_read_underscores_as_spaces_and_capitalise() -> None:
    assert model.humanise("free_trial") == "Free trial" and model.humanise("DE") == "DE"
    for seg in (TRIAL, CROSS, OTHER):
        texts = [tf.who(seg), tf.where(seg), tf.qualify("orders", seg), model.segment_text(seg)]
        for text in texts:
            assert "free_trial" not in text and "paid_search" not in text, text
            assert "plan is" not in text and "_" not in text, text
    assert tf.who(TRIAL) == "Free trial plan customers"
    assert tf.where(OTHER) == "with acquisition channel Paid search"
    assert model.segment_text(CROSS) == "Free trial / Android"


def test_labels_name_columns_and_values() -> None:
    tf.use(None, {"plan.free_trial": "Trial", "acquisition_channel": "Channel"})
    assert tf.who(TRIAL) == "Trial plan customers"
    assert tf.where(CROSS) == "on the Trial plan on Android"
    assert tf.where(OTHER) == "with channel Paid search"
    assert model.segment_text(TRIAL) == "Trial"
    assert runfolder.segment_words("acquisition_channel=paid_search") == "Channel: Paid search"
    tf.use(None, None)
    assert tf.who(TRIAL) == "Free trial plan customers"


def test_config_reads_labels_flat_or_as_a_table(tmp_path: Path) -> None:
    cfg = _cfg(
        tmp_path,
        '\n[segments.labels]\nplan = "Plan"\n"plan.free_trial" = "Free trial"\n'
        '[segments.labels.platform]\nandroid = "Android app"\n',
    )
    assert cfg.segment_labels == {
        "plan": "Plan",
        "plan.free_trial": "Free trial",
        "platform.android": "Android app",
    }


@pytest.mark.parametrize(
    "extra, key",
    [
        ('\n[segments.labels]\nplna = "Plan"\n', "plna"),
        ('\n[segments.labels]\n"country.DE" = "Germany"\n', "country.DE"),
        ("\n[segments.labels.plna]\nfree = 'Free'\n", "plna.free"),
    ],
)
def test_a_label_of_an_unknown_column_is_exit_2_naming_the_key(
    tmp_path: Path, capsys, extra: str, key: str
) -> None:
    with pytest.raises(ConfigError, match=f"unknown key '{key}' in \\[segments.labels\\]"):
        _cfg(tmp_path, extra)
    assert main(["check", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert f"'{key}'" in err and "Traceback" not in err


def test_a_label_must_be_a_text(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[segments.labels\] plan must be a non-empty string"):
        _cfg(tmp_path, "\n[segments.labels]\nplan = 3\n")


# ------------------------------------------------------------------------------ locale
def test_default_style_is_unchanged() -> None:
    assert (tf.fixed(1234.5, 1), tf.pct(0.305), tf.money(22226, "EUR")) == (
        "1,234.5",
        "31%",
        "€22,226",
    )
    assert tf.exact_text(-1234.5, "sum", "USD") == "-$1,235"
    assert tf.day(date(2026, 11, 17)) == "17 Nov"


def test_de_de_numbers_percent_and_currency() -> None:
    with tf.presenting("de_DE"):
        assert tf.fixed(1234.5, 1) == "1.234,5"
        assert tf.pct(0.305) == "31\u00a0%"
        assert tf.money(22226, "EUR") == "22.226\u00a0€"
        assert tf.money(52.3, "USD") == "52,30\u00a0$"
        assert tf.exact_text(22226.4, "sum", "EUR") == "22.226\u00a0€"
        assert tf.count(1_234_567) == "1,2 million"  # English words, German number
        assert tf.change_words(-0.3) == "down 30\u00a0%"
        assert tf.change_words(0.001) == "unchanged"
        assert tf.times(2.0) == "2 times" and tf.times(2.25) == "2,3 times"
    assert tf.fixed(1234.5, 1) == "1,234.5"  # back to the default after the block


def test_locale_orders_the_day_and_month() -> None:
    d = date(2026, 11, 17)
    with tf.presenting("en_US"):
        assert tf.day(d) == "Nov 17" and tf.date_range(date(2026, 11, 16), d) == "Nov 16–17"
    with tf.presenting("en_GB"):
        assert tf.day(d) == "17 Nov" and tf.money(1234, "GBP") == "£1,234"


def test_config_checks_the_locale(tmp_path: Path) -> None:
    assert _cfg(tmp_path, "").locale is None
    text = TOML.replace('grain = "week"', 'grain = "week"\nlocale = "de_DE"')
    write_tiny(tmp_path / "ws2", text)
    assert load_config(tmp_path / "ws2" / "insight.toml").locale == "de_DE"
    write_tiny(tmp_path / "ws3", TOML.replace('grain = "week"', 'grain = "week"\nlocale = "xx_QQ"'))
    with pytest.raises(ConfigError, match=r"\[report\] locale must be a locale"):
        load_config(tmp_path / "ws3" / "insight.toml")


def test_open_run_uses_the_runs_presentation(tmp_path: Path) -> None:
    from fixtures_run import build_run

    folder = build_run(tmp_path)
    doc = json.loads((folder / "insights.json").read_text())
    doc.setdefault("provenance", {})["presentation"] = tf.presentation(
        "de_DE", {"country.DE": "Deutschland"}
    )
    (folder / "insights.json").write_text(json.dumps(doc))
    runfolder.open_run(folder)
    assert tf.fixed(1234.5, 1) == "1.234,5"
    assert tf.where((("country", "DE"),)) == "in Deutschland"


# ------------------------------------------------------------------------------ the sample
@pytest.mark.slow
def test_no_raw_segment_value_reaches_a_reader(sample_reports: Path, tmp_path: Path) -> None:
    """board, team, digest, index, the e-mail and the explorer's dropdowns name the sample's
    ``free_trial`` plan in words; insights.json keeps the raw value in ``segment``."""
    assert main(["send", str(sample_reports), "--dry-run", "--to", "me@example.com"]) == 0
    outputs = {
        "board": (sample_reports / "board.html").read_text(),
        "team": (sample_reports / "team.html").read_text(),
        "digest": (sample_reports / "digest.md").read_text(),
        "index": (sample_reports.parent / "index.html").read_text(),
        "e-mail": (sample_reports / "digest.eml").read_text(),
    }
    run = runfolder.open_run(sample_reports)
    choices = [
        words
        for m in (x for _, x in runfolder.metric_choices(run))
        for words, _ in runfolder.segment_choices(run, m)
    ]
    outputs["explorer"] = "\n".join(choices)
    for name, text in outputs.items():
        for raw in ("free_trial", "plan is", "plan=", "plan: free"):
            assert raw not in text, f"{raw!r} in the {name}"
    assert "Free trial" in outputs["team"] and "Plan: Free trial" in outputs["explorer"]
    # insights.json is for machines: it keeps the raw value (segment keys, drivers)
    assert "free_trial" in (sample_reports / "insights.json").read_text()


ODD = "Food & drink <b>=x</b>"  # a category with the key separators and markup in it


@pytest.mark.slow
def test_a_segment_value_with_key_separators_reads_whole_and_escaped(
    sample_ws: Path, tmp_path: Path
) -> None:
    """Segment keys join pairs with "&" and "="; a value holding them ("Food & drink", "B&B")
    used to split into wrong pairs. Renamed from the sample's ``free`` plan, it reaches the
    team report whole and HTML-escaped, the explorer names it, and every key in the run
    parses back to it."""
    import shutil

    import pandas as pd

    from insightlib import pipeline

    ws = tmp_path / "ws"
    shutil.copytree(sample_ws, ws)
    events = pd.read_parquet(ws / "events.parquet")
    events["plan"] = events["plan"].replace({"free": ODD})
    events.to_parquet(ws / "events.parquet", index=False)
    feedback = pd.read_csv(ws / "feedback.csv", dtype=str, keep_default_na=False)
    feedback["plan"] = feedback["plan"].replace({"free": ODD})
    feedback.to_csv(ws / "feedback.csv", index=False)
    out = pipeline.run(ws, out=tmp_path / "reports")

    team = (out / "team.html").read_text()
    assert "Food &amp; drink &lt;b&gt;=x&lt;/b&gt;" in team
    pages = [team, *((out / n).read_text() for n in ("board.html", "digest.md"))]
    for page in pages:
        assert "<b>=x" not in page and "%26" not in page and "%3D" not in page
    run = runfolder.open_run(out)
    assert ("plan", ODD) in {
        p for key in set(run.series["segment"]) for p in model.parse_segment(key)
    }
    choices = {
        w for m in run.series["metric"].unique() for w, _ in runfolder.segment_choices(run, m)
    }
    assert f"Plan: {ODD}" in choices
    doc = json.loads((out / "insights.json").read_text())
    drivers = [d for i in doc["insights"] for d in i["evidence"].get("drivers", [])]
    assert any(d["segment"].get("plan") == ODD for d in drivers)
    covered = [k for i in doc["insights"] for k in i["details"].get("covers", [])]
    assert covered and any(("plan", ODD) in model.parse_segment(k) for k in covered)


# ------------------------------------------------------------------------------ charts
def _chart_texts(svg: str) -> list[str]:
    import re

    return re.findall(r">([^<]+)</text>", svg)


def test_charts_write_numbers_and_days_in_the_locale() -> None:
    import fixtures_run as fx

    from insightlib.report import charts

    ins = {i["id"]: i for i in fx.insights()}
    revenue = {**ins[fx.ID_REVENUE_DE], "unit": "EUR"}
    default = _chart_texts(charts.to_svg(charts.metric_chart(fx.series_frame(), revenue, [], True)))
    assert "€100k" in default and "1 Nov" in default  # the symbol first, as in the texts
    with tf.presenting("de_DE"):
        texts = _chart_texts(
            charts.to_svg(charts.metric_chart(fx.series_frame(), revenue, [], True))
        )
        assert "100k\u00a0€" in texts and not any(t.startswith("€") for t in texts)
        share = _chart_texts(
            charts.to_svg(charts.metric_chart(fx.series_frame(), ins[fx.ID_CHECKOUT], [], True))
        )
        assert "25,5\u00a0%" in share  # the labelled value, as tf.exact_text writes it
    with tf.presenting("en_US"):
        days = _chart_texts(
            charts.to_svg(charts.anomaly_chart(fx.daily_frame(), ins[fx.ID_OUTAGE], True))
        )
        assert "Nov 15" in days and "15 Nov" not in days
