"""Property-based tests (hypothesis): loaders, number formatters and text safety.

- The CSV reader and the whole loader raise nothing but :class:`~insightlib.errors.InputError`
  (DataError/ConfigError, exit code 2) on arbitrary bytes and arbitrary text.
- The number formatters never write "nan" or "inf", never raise, and round-trip sensible values.
- :func:`~insightlib.text.redact.redact` leaves no e-mail, card number or invisible character, and
  :func:`~insightlib.text.redact.inert_markup` leaves no markup.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pytest
from conftest import write_tiny
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from insightlib.errors import InputError
from insightlib.text import numbers as tf
from insightlib.text.redact import inert_markup, neutralise, redact
from insightlib.workspace.load import load_workspace, read_table

_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12
) | st.sampled_from(
    ["", '"', '""', ",", "\n", "\r\n", "2026-11-03", "1e309", "nan", "-0", "\ufeff", "\x00"]
)


@_SETTINGS
@given(data=st.binary(max_size=400))
def test_read_table_on_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    try:
        df = read_table(path, "any.csv")
    except InputError as exc:
        assert str(exc).startswith("any.csv")
    else:
        assert len(df.columns) >= 1


@_SETTINGS
@given(rows=st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=0, max_size=8))
@example(rows=[['"', "\r", '"']])  # a quoted carriage return in the header
def test_read_table_on_arbitrary_csv_text(tmp_path: Path, rows: list[list[str]]) -> None:
    text = "\n".join(",".join(r) for r in rows)
    if text.startswith("\ufeff"):  # at the start of a file it is the byte order mark, not text
        text = text[1:]
    path = tmp_path / "any.csv"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        df = read_table(path, "any.csv")
    except InputError as exc:
        assert str(exc).startswith("any.csv")  # names the file
        return
    # read: the columns are the first line's names, unique and non-empty; no more rows than
    # lines; every cell is text that occurs in the file
    # read as CSV must be: newline="" (a quoted "\r" stays "\r", not "\n")
    with open(path, encoding="utf-8", newline="") as fh:
        body = fh.read()
    first = next(csv.reader(io.StringIO(body, newline="")))
    assert list(df.columns) == [h.strip() for h in first]
    assert all(df.columns) and len(set(df.columns)) == len(df.columns)
    assert len(df) <= text.count("\n") + text.count("\r")
    assert all(isinstance(v, str) and v in body for v in df.to_numpy().ravel())


_NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=8
)


@_SETTINGS
@given(
    header=st.lists(_NAME, min_size=1, max_size=5, unique=True),
    body=st.lists(st.lists(_CELL, min_size=5, max_size=5), max_size=6),
)
def test_read_table_round_trips_quoted_csv(
    tmp_path: Path, header: list[str], body: list[list[str]]
) -> None:
    """Any table written by the csv module comes back cell for cell (blank rows dropped)."""
    header = [h.strip() for h in header]
    if (
        not all(header)
        or len(set(header)) < len(header)
        or (len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")))
    ):
        return
    rows = [r[: len(header)] for r in body]
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([header, *rows])
    path = tmp_path / "t.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    try:
        df = read_table(path, "t.csv")
    except InputError as exc:
        # only text the file format cannot hold: NUL, a byte-order mark, an encoding problem
        assert str(exc).startswith("t.csv")
        assert any("\x00" in c or "\ufeff" in c for r in [header, *rows] for c in r)
        return
    kept = [r for r in rows if any(c.strip() for c in r)]
    assert list(df.columns) == header
    assert df.to_numpy().tolist() == kept


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("prop") / "ws")


_COLUMNS = {
    "events.csv": "timestamp,user_id,event,platform,revenue",
    "feedback.csv": "id,created_at,source,text,score",
    "knowledge.csv": "date,team,kind,title,segment",
}


@_SETTINGS
@given(
    name=st.sampled_from(sorted(_COLUMNS)),
    rows=st.lists(st.lists(_CELL, min_size=5, max_size=5), min_size=0, max_size=6),
    raw=st.booleans(),
)
def test_load_workspace_raises_only_input_errors(
    ws_dir: Path, name: str, rows: list[list[str]], raw: bool
) -> None:
    path = ws_dir / name
    original = path.read_bytes()
    body = "\n".join(",".join(r) for r in rows)
    text = body if raw else _COLUMNS[name] + "\n" + body
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_workspace(ws_dir)
        except InputError as exc:
            assert "\n" not in str(exc).strip() or name == "feedback.csv"
    finally:
        path.write_bytes(original)


# --- number formatters ----------------------------------------------------------------------

_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
_FORMATTERS = [tf.pct, tf.pct_change, tf.points, tf.count, tf.number, tf.per_hundred, tf.times]


@settings(max_examples=300, deadline=None)
@given(x=_ANY_FLOAT, unit=st.sampled_from([None, "USD", "EUR", "CHF", "min"]))
def test_formatters_never_write_nan_or_inf(x: float, unit: str | None) -> None:
    outs = [f(x) for f in _FORMATTERS]
    outs += [tf.money(x, unit), tf.number(x, unit), tf.change_words(x), tf.about_one_in(x)]
    for out in outs:
        assert isinstance(out, str) and out
        low = out.lower()
        assert "nan" not in low and "inf" not in low, (x, out)
    if not math.isfinite(x):
        assert tf.count(x) == tf.UNKNOWN and tf.money(x, unit) == tf.UNKNOWN


def _num(text: str) -> float:
    return float(re.sub(r"[^\d.\-]", "", text))


@settings(max_examples=300, deadline=None)
@given(x=st.floats(min_value=0, max_value=1))
def test_pct_round_trips(x: float) -> None:
    text = tf.pct(x)
    assert text.endswith("%")
    back = _num(text) / 100
    assert abs(back - x) <= 0.005 + 1e-12, (x, text)
    if x > 0:
        assert text not in ("0%", "0.00%") or x < 0.00005, (x, text)


@settings(max_examples=300, deadline=None)
@given(n=st.floats(min_value=-999_999, max_value=999_999))
def test_count_round_trips_below_a_million(n: float) -> None:
    back = _num(tf.count(n))
    assert abs(back - n) <= (0.5 if abs(n) >= 10 else 0.05) + 1e-9, (n, tf.count(n))


@settings(max_examples=300, deadline=None)
@given(x=st.floats(min_value=-999_999, max_value=999_999), unit=st.sampled_from(["USD", "EUR"]))
def test_money_round_trips_and_keeps_the_sign(x: float, unit: str) -> None:
    text = tf.money(x, unit)
    assert text.lstrip("-")[0] in "$€"
    back = _num(text.replace("$", "").replace("€", ""))
    assert abs(back - x) <= (0.5 if abs(x) >= 100 else 0.005) + 1e-9, (x, text)
    assert text.startswith("-") == (back < 0)


@settings(max_examples=200, deadline=None)
@given(rel=st.floats(min_value=-0.999, max_value=50))
def test_change_words_agree_with_the_sign(rel: float) -> None:
    text = tf.change_words(rel)
    if text != "unchanged":
        assert text.startswith("up " if rel > 0 else "down "), (rel, text)


# --- text safety ----------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<!\d)[1-9](?:[ \-]?\d){12,18}(?!\d)")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\x00-\x08]")

_PIECES = st.one_of(
    st.text(max_size=15),
    st.from_regex(r"[a-z][a-z0-9.]{0,8}@[a-z]{2,8}\.(com|org|co\.uk)", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{3}( |-)?[0-9]{4}( |-)?[0-9]{4}( |-)?[0-9]{4}", fullmatch=True),
    st.sampled_from(["\u202e", "\u200b", "\ufeff", "\u2066", "<script>", "](javascript:", "@"]),
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_PIECES, min_size=1, max_size=10), sep=st.sampled_from([" ", ", ", "\n"]))
def test_redact_leaves_no_email_card_or_invisible_character(parts: list[str], sep: str) -> None:
    out = redact(sep.join(parts))
    assert not _EMAIL.search(out), out
    assert not _CARD.search(out), out
    assert not _INVISIBLE.search(out), out
    assert redact(out) == out  # idempotent


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_inert_markup_and_neutralise(text: str) -> None:
    out = inert_markup(neutralise(text))
    assert "<" not in out and ">" not in out and "](" not in out
    assert not _INVISIBLE.search(out)


# --- segment keys: any column and value round-trips through segment_key / parse_segment ----

_segment_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["B&B", "Food & drink", "a=b", "50%", "%26", " x ", "&", "=", "all", "nan", "", "%2"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_segment_text.filter(bool), _segment_text, max_size=3),
)
@example({"category": "Food & drink", "plan": "a=b"})
@example({"c": " %41 "})
def test_segment_keys_round_trip_any_value(pairs: dict[str, str]) -> None:
    from insightlib.model import parse_segment, segment_key

    segment = tuple(sorted(pairs.items()))
    key = segment_key(segment)
    assert parse_segment(key) == segment, key
    # the key is one string per segment: no two segments share a key
    if segment:
        assert key != "all" and key.count("&") == len(segment) - 1, key
