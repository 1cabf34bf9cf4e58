"""A corpus of bad, hostile and odd workspaces, built by mutating the ``tiny`` workspace.

Each :class:`Case` names a change to a fresh copy of ``tiny`` (see ``conftest.write_tiny``) and
what must happen: either ``error`` (a regular expression the one-line CLI message must match;
exit code 2) or ``ok`` (the workspace loads; ``check`` may look at the loaded result).
``HOSTILE`` and ``PII`` hold the strings the hostile-text tests plant in feedback and knowledge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from conftest import write_tiny

from insightlib.workspace.load import Workspace


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path], None]
    error: str | None = None  # regex for the CLI message; None: the workspace must load
    check: Callable[[Workspace], bool] | None = None  # True when the loaded data is right


def build(root: Path, case: Case) -> Path:
    """A fresh ``tiny`` workspace at ``root`` with ``case`` applied."""
    write_tiny(root)
    case.mutate(root)
    return root


def _csv(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        df = pd.read_csv(root / name, dtype=str, keep_default_na=False)
        fn(df).to_csv(root / name, index=False)

    return mutate


def _set(name: str, row: int, col: str, value: str) -> Callable[[Path], None]:
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return _csv(name, fn)


def _bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        (root / name).write_bytes(data)

    return mutate


def _toml(old: str, new: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        text = (root / "insight.toml").read_text()
        assert old in text, old
        (root / "insight.toml").write_text(text.replace(old, new, 1))

    return mutate


def _append(name: str, text: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        with open(root / name, "a", encoding="utf-8") as fh:
            fh.write(text)

    return mutate


def _semicolons(root: Path) -> None:
    pd.read_csv(root / "events.csv", dtype=str).to_csv(root / "events.csv", index=False, sep=";")


def _unclosed_quote(root: Path) -> None:
    with open(root / "feedback.csv", "a", encoding="utf-8") as fh:
        fh.write('f9,2026-11-13T09:00:00Z,survey,"This quote never ends,\n')


def _feedback_rows(n: int, special: dict[int, str]) -> Callable[[Path], None]:
    """Append ``n`` feedback rows; row ``i`` in ``special`` gets that text (raw CSV) instead."""

    def mutate(root: Path) -> None:
        with open(root / "feedback.csv", "a", encoding="utf-8", newline="") as fh:
            for i in range(n):
                text = special.get(i, f"fine {i}")
                fh.write(f"x{i},2026-11-13T09:00:00Z,survey,{text},5\n")

    return mutate


def _dates(fmt: str, only_days_up_to: int = 31) -> Callable[[Path], None]:
    """Events timestamps rewritten with ``fmt`` (days after ``only_days_up_to`` stay ISO)."""

    def fn(df: pd.DataFrame) -> pd.DataFrame:
        t = pd.to_datetime(df["timestamp"])
        pick = t.dt.day <= only_days_up_to
        df.loc[pick, "timestamp"] = t[pick].dt.strftime(fmt)
        return df

    return _csv("events.csv", fn)


def _folder_for(name: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        (root / name).unlink()
        (root / name).mkdir()
        (root / name / "inside.csv").write_text("a,b\n1,2\n")

    return mutate


def _long_field(root: Path) -> None:
    """A validly quoted 4 MB feedback text with commas, quotes and line breaks in it."""
    body = 'It said ""no"", then, again:\n' * 150_000
    with open(root / "feedback.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write(f'long1,2026-11-13T09:00:00Z,survey,"{body}",3\n')


def _parquet_events_with(value: float) -> Callable[[Path], None]:
    """events.csv turned into events.parquet (typed), row 4's revenue set to ``value``."""

    def mutate(root: Path) -> None:
        df = pd.read_csv(root / "events.csv")
        df.loc[3, "revenue"] = value
        df.to_parquet(root / "events.parquet", index=False)
        (root / "events.csv").unlink()
        _toml('events = "events.csv"', 'events = "events.parquet"')(root)

    return mutate


def _mixed_times(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[0, "timestamp"] = "2026-11-02T12:00:00+02:00"  # offset
    df.loc[1, "timestamp"] = "2026-11-02 05:00:00-05:00"  # space separator, negative offset
    df.loc[2, "timestamp"] = "2026-11-02"  # date only
    df.loc[3, "timestamp"] = "2026-11-02T10:03:00.123456Z"  # fractional seconds
    df.loc[4, "timestamp"] = "2026-11-02T10:04:00"  # naive: taken as UTC
    return df


def _mixed_ok(ws: Workspace) -> bool:
    got = list(ws.events["timestamp"].iloc[:5])
    want = ["2026-11-02 10:00", "2026-11-02 10:00", "2026-11-02", "2026-11-02 10:03:00.123456"]
    return got == [pd.Timestamp(w) for w in [*want, "2026-11-02 10:04"]]


def _many_segments(df: pd.DataFrame) -> pd.DataFrame:
    df["platform"] = [f"device-{i:05d}" for i in range(len(df))]
    return df


BAD: list[Case] = [
    Case(
        "wrong_delimiter",
        _semicolons,
        r"^insightlib: error: events\.csv: has a single column .* another delimiter",
    ),
    Case(
        "ragged_row",
        _append("events.csv", "2026-11-15T12:00:00Z,u1,app_open,ios,,surplus\n"),
        r"events\.csv, row 169: has 6 fields where the header has 5",
    ),
    Case(
        "unclosed_quote",
        _unclosed_quote,
        r"feedback\.csv: the quote opened on line 5 is never closed",
    ),
    Case(
        "latin1",
        _bytes("glossary.csv", "term,plain\nCVR,taux de réussite\n".encode("latin-1")),
        r"glossary\.csv: is not UTF-8 text \(byte 24, line 2; it looks like Latin-1 / "
        r"Windows-1252 \('CVR,taux de réussite'\)\)",
    ),
    Case(
        "unclosed_quote_on_line_78",
        _feedback_rows(500, {73: '"This quote never ends'}),
        r"^insightlib: error: feedback\.csv: the quote opened on line 78 is never closed",
    ),
    Case(
        "stray_quote_closed_far_below",
        _feedback_rows(500, {73: '"opens here', 400: 'closes" here'}),
        r"feedback\.csv: is not valid CSV in the row that starts on line 78 \(the parser "
        r"stopped on line 405",
    ),
    Case(
        "quote_swallowing_rows",
        _feedback_rows(500, {73: '"opens here', 400: 'closes here"'}),
        r"feedback\.csv, row 77: a quote opened on line 78 runs to line 405 and swallows 326 "
        r"lines that look like rows",
    ),
    Case(
        "nul_bytes",
        _bytes("glossary.csv", b"term,plain\nCVR,conv\x00ersion rate\n"),
        r"glossary\.csv: holds a NUL byte on line 2",
    ),
    Case(
        "folder_in_place_of_feedback",
        _folder_for("feedback.csv"),
        r"^insightlib: error: feedback\.csv: is a folder, not a file",
    ),
    Case(
        "folder_in_place_of_insight_toml",
        _folder_for("insight.toml"),
        r"^insightlib: error: \S*insight\.toml: is a folder; it must be the insight\.toml file",
    ),
    Case(
        "folder_in_place_of_events",
        _folder_for("events.csv"),
        r"^insightlib: error: events\.csv: is a folder, not a file",
    ),
    Case(
        "infinite_amount",
        _set("events.csv", 3, "revenue", "inf"),
        r"events\.csv, column 'revenue', row 4: value 'inf' is not a finite number",
    ),
    Case(
        "negative_infinite_amount",
        _set("events.csv", 5, "revenue", "-Infinity"),
        r"events\.csv, column 'revenue', row 6: value '-Infinity' is not a finite number",
    ),
    Case(
        "absurd_amount",
        _set("events.csv", 3, "revenue", "1e307"),
        r"events\.csv, column 'revenue', row 4: value '1e307' is out of range; amounts must "
        r"lie within ±1e\+15",
    ),
    Case(
        "parquet_infinite_amount",
        _parquet_events_with(float("inf")),
        r"events\.parquet, column 'revenue', row 4: value 'inf' is not a finite number",
    ),
    Case(
        "parquet_absurd_amount",
        _parquet_events_with(-1e300),
        r"events\.parquet, column 'revenue', row 4: value '-1e\+300' is out of range; amounts must lie",
    ),
    Case(
        "infinite_score",
        _set("feedback.csv", 0, "score", "inf"),
        r"feedback\.csv, column 'score', row 1: value 'inf' is not a finite number",
    ),
    Case(
        "ambiguous_day_month",
        _dates("%d/%m/%Y %H:%M", only_days_up_to=12),
        r"events\.csv, column 'timestamp', row 1: '02/11/2026 10:00' can be read as day/month "
        r"or month/day, and no value in the column decides\. Say which in insight\.toml: "
        r"\[sources\] timestamp_format",
    ),
    Case(
        "day_first_and_month_first_in_one_column",
        lambda root: (
            _dates("%d/%m/%Y")(root),
            _set("events.csv", 20, "timestamp", "11/13/2026")(root),
        ),
        r"events\.csv, column 'timestamp', row \d+: '\d\d/\d\d/2026' cannot share a column "
        r"with '\d\d/\d\d/2026': one is day-first, the other month-first",
    ),
    Case(
        "iso_format_required_but_day_month_given",
        lambda root: (
            _toml("[segments]", 'timestamp_format = "iso"\n\n[segments]')(root),
            _set("feedback.csv", 1, "created_at", "10/11/2026")(root),
        ),
        r"feedback\.csv, column 'created_at', row 2: cannot read '10/11/2026' as a date/time; "
        r"\[sources\] timestamp_format says 'iso'",
    ),
    Case(
        "pattern_does_not_fit_a_value",
        lambda root: (
            _toml("[segments]", 'timestamp_format = {feedback = "%d.%m.%Y"}\n\n[segments]')(root),
            _csv(
                "feedback.csv",
                lambda d: d.assign(created_at=["03.11.2026", "10.11.2026", "2026-11-12"]),
            )(root),
        ),
        r"feedback\.csv, column 'created_at', row 3: cannot read '2026-11-12' as a date/time; "
        r"\[sources\] timestamp_format says '%d\.%m\.%Y'",
    ),
    Case(
        "toml_unit_table",
        _toml('unit = "USD"', "unit = {a = 1}"),
        r"^insightlib: error: \S*insight\.toml: \[metrics\.revenue\] unit must be a text in "
        r"quotes, "
        r"got a table",
    ),
    Case(
        "toml_unit_list",
        _toml('unit = "USD"', "unit = [1, 2]"),
        r"insight\.toml: \[metrics\.revenue\] unit must be a text in quotes, got a list",
    ),
    Case(
        "toml_description_table",
        _toml('unit = "USD"', 'unit = "USD"\ndescription = {x = 1}'),
        r"insight\.toml: \[metrics\.revenue\] description must be a text in quotes",
    ),
    Case(
        "toml_baseline_periods_bool",
        _toml('grain = "week"', 'grain = "week"\nbaseline_periods = true'),
        r"insight\.toml: \[report\] baseline_periods must be an integer from 1 to 52, got True",
    ),
    Case(
        "toml_audience_title_list",
        _append("insight.toml", '\n[audiences.board]\ntitle = ["x", 1]\n'),
        r"insight\.toml: \[audiences\.board\] title must be a text in quotes, got a list",
    ),
    Case(
        "toml_metric_key_the_kind_ignores",
        _toml('label = "Active users"', 'label = "Active users"\ncolumn = "revenue"'),
        r"insight\.toml: \[metrics\.active_users\] column: a metric of kind 'distinct_users' "
        r"does not use 'column'",
    ),
    Case(
        "toml_metric_column_on_a_count",
        _append(
            "insight.toml",
            '\n[metrics.opens]\nkind = "count"\nevent = "app_open"\ncolumn = "revenue"\n',
        ),
        r"insight\.toml: \[metrics\.opens\] column: a metric of kind 'count' does not use "
        r"'column'",
    ),
    Case(
        "toml_timestamp_format_unknown",
        _toml("[segments]", 'timestamp_format = "european"\n\n[segments]'),
        r"insight\.toml: \[sources\] timestamp_format must be one of 'iso', 'day-first'",
    ),
    Case("empty_events", _bytes("events.csv", b""), r"events\.csv: is empty"),
    Case(
        "whitespace_only_feedback", _bytes("feedback.csv", b"\n \n\t\n"), r"feedback\.csv: is empty"
    ),
    Case(
        "header_only_events",
        _bytes("events.csv", b"timestamp,user_id,event,platform,revenue\n"),
        r"events\.csv: has a header but no data rows",
    ),
    Case(
        "missing_column",
        _csv("events.csv", lambda d: d.drop(columns=["user_id"])),
        r"events\.csv, column 'user_id': missing column",
    ),
    Case(
        "missing_feedback_text_column",
        _csv("feedback.csv", lambda d: d.drop(columns=["text"])),
        r"feedback\.csv, column 'text': missing column",
    ),
    Case(
        "wrong_type_amount",
        _set("events.csv", 7, "revenue", "12,50 EUR"),
        r"events\.csv, column 'revenue', row 8: value '12,50 EUR' is not a number",
    ),
    Case(
        "wrong_type_score",
        _set("feedback.csv", 1, "score", "nine"),
        r"feedback\.csv, column 'score', row 2: value 'nine' is not a number",
    ),
    Case(
        "bad_timestamp",
        _set("events.csv", 10, "timestamp", "last tuesday"),
        r"events\.csv, column 'timestamp', row 11: cannot read 'last tuesday'",
    ),
    Case(
        "empty_timestamp",
        _set("feedback.csv", 2, "created_at", ""),
        r"feedback\.csv, column 'created_at', row 3: is empty",
    ),
    Case(
        "future_event",
        _set("events.csv", 12, "timestamp", "2062-11-03T10:00:00Z"),
        r"events\.csv, column 'timestamp', row 13: '2062-11-03.*' is in the future",
    ),
    Case(
        "future_feedback",
        _set("feedback.csv", 0, "created_at", "2206-11-03"),
        r"feedback\.csv, column 'created_at', row 1: '2206-11-03' is in the future",
    ),
    Case(
        "metric_event_never_occurs",
        _toml('event = "purchase"', 'event = "purchse"'),
        r"insight\.toml: \[metrics\.revenue\] event 'purchse' never occurs in events\.csv, so "
        r"the metric cannot be measured\. Did you mean 'purchase'\?",
    ),
    Case(
        "toml_syntax_error",
        _append("insight.toml", "\n[report\n"),
        r"insight\.toml: not valid TOML: .*line \d+",
    ),
    Case(
        "toml_unknown_key",
        _toml("grain = ", "grian = "),
        r"insight\.toml: unknown key 'grian' in \[report\]\. Did you mean 'grain'\?",
    ),
    Case(
        "source_outside_workspace",
        _toml('events = "events.csv"', 'events = "../../../etc/passwd.csv"'),
        r"insight\.toml: \[sources\] events = '\.\./\.\./\.\./etc/passwd\.csv' points outside",
    ),
    Case(
        "source_absolute_path",
        _toml('glossary = "glossary.csv"', 'glossary = "/etc/glossary.csv"'),
        r"insight\.toml: \[sources\] glossary = '/etc/glossary\.csv' points outside",
    ),
    Case(
        "knowledge_bad_segment",
        _csv("knowledge.csv", lambda d: d.assign(segment="os=android")),
        r"knowledge\.csv, column 'segment', row 1: segment 'os=android'",
    ),
    Case(
        "header_with_empty_name",
        _bytes("glossary.csv", b"term,,plain\nCVR,x,conversion rate\n"),
        r"glossary\.csv: the header has no name for column 2",
    ),
    Case(
        "header_with_duplicate_name",
        _bytes("glossary.csv", b"term,plain,term\nCVR,conversion rate,x\n"),
        r"glossary\.csv, column 'term': appears twice in the header",
    ),
    Case(
        "conflicting_feedback_ids",
        _set("feedback.csv", 2, "id", "f1"),
        r"feedback\.csv, column 'id', row 3: id 'f1' is used by two different rows",
    ),
]

ODD_BUT_OK: list[Case] = [
    Case(
        "utf16_bom",
        _bytes("glossary.csv", "term,plain\nCVR,conversion rate\n".encode("utf-16")),
        check=lambda ws: (
            ws.glossary.iloc[0].to_dict() == {"term": "CVR", "plain": "conversion rate"}
        ),
    ),
    Case("mixed_time_formats_and_zones", _csv("events.csv", _mixed_times), check=_mixed_ok),
    Case(
        "utf16_without_bom",
        _bytes("glossary.csv", "term,plain\nCVR,taux de réussite\n".encode("utf-16-le")),
        check=lambda ws: (
            ws.glossary.iloc[0].to_dict() == {"term": "CVR", "plain": "taux de réussite"}
        ),
    ),
    Case(
        "utf16_big_endian_without_bom",
        _bytes("glossary.csv", "term,plain\nCVR,conversion rate\n".encode("utf-16-be")),
        check=lambda ws: (
            ws.glossary.iloc[0].to_dict() == {"term": "CVR", "plain": "conversion rate"}
        ),
    ),
    Case(
        "day_first_decided_by_the_column",
        _dates("%d/%m/%Y %H:%M:%S"),
        # 02/11/2026 is 2 November (13/11/2026 further down decides the order), never 11 February
        check=lambda ws: (
            ws.events["timestamp"].iloc[0] == pd.Timestamp("2026-11-02 10:00")
            and ws.events["timestamp"].max() == pd.Timestamp("2026-11-15 11:05")
            and "dates read day-first" in " ".join(ws.notes)
        ),
    ),
    Case(
        "month_first_decided_by_the_column",
        _dates("%m/%d/%Y %H:%M"),
        check=lambda ws: (
            ws.events["timestamp"].iloc[0] == pd.Timestamp("2026-11-02 10:00")
            and "dates read month-first" in " ".join(ws.notes)
        ),
    ),
    Case(
        "ambiguous_dates_with_timestamp_format",
        lambda root: (
            _dates("%d/%m/%Y %H:%M", only_days_up_to=12)(root),
            _toml("[segments]", 'timestamp_format = "day-first"\n\n[segments]')(root),
        ),
        check=lambda ws: (
            ws.events["timestamp"].iloc[0] == pd.Timestamp("2026-11-02 10:00")
            and ws.first_day.isoformat() == "2026-11-02"
        ),
    ),
    Case(
        "per_file_pattern",
        lambda root: (
            _toml("[segments]", 'timestamp_format = {feedback = "%d.%m.%Y %H:%M"}\n\n[segments]')(
                root
            ),
            _csv(
                "feedback.csv",
                lambda d: d.assign(
                    created_at=["03.11.2026 09:00", "10.11.2026 09:00", "12.11.2026 00:00"]
                ),
            )(root),
        ),
        check=lambda ws: str(ws.feedback["created_at"].iloc[0]) == "2026-11-03 09:00:00",
    ),
    Case(
        "long_quoted_field_4mb",
        _long_field,
        check=lambda ws: len(ws.feedback) == 4 and len(ws.feedback["text"].iloc[-1]) > 4_000_000,
    ),
    Case(
        "duplicated_feedback_rows",
        _csv("feedback.csv", lambda d: pd.concat([d, d.iloc[[1, 1]]])),
        check=lambda ws: len(ws.feedback) == 3 and "2 exact duplicate" in " ".join(ws.notes),
    ),
    Case(
        "duplicated_event_rows",
        _csv("events.csv", lambda d: pd.concat([d, d.iloc[[5, 6]]])),
        check=lambda ws: (
            len(ws.events) == 14 * 12 + 2 and "2 exact duplicate event rows" in " ".join(ws.notes)
        ),
    ),
    Case(
        "negative_amounts",
        _set("events.csv", 1, "revenue", "-12.5"),
        check=lambda ws: float(ws.events["revenue"].iloc[1]) == -12.5,
    ),
    Case(
        "header_only_feedback",
        _bytes("feedback.csv", b"id,created_at,source,text,score\n"),
        check=lambda ws: len(ws.feedback) == 0,
    ),
    Case(
        "future_knowledge_is_a_plan",
        _set("knowledge.csv", 0, "date", "2099-01-01"),
        check=lambda ws: str(ws.knowledge["date"].iloc[0]) == "2099-01-01",
    ),
    Case(
        "thousands_of_segment_values",
        _csv("events.csv", _many_segments),
        check=lambda ws: ws.events["platform"].nunique() == 14 * 12,
    ),
    Case(
        "crlf_and_bom_utf8",
        lambda root: (root / "events.csv").write_bytes(
            b"\xef\xbb\xbf" + (root / "events.csv").read_bytes().replace(b"\n", b"\r\n")
        ),
        check=lambda ws: len(ws.events) == 14 * 12,
    ),
]


# --- hostile text and PII ------------------------------------------------------------------

HOSTILE = [
    "<script>document.body.setAttribute('data-pwned','script')</script> checkout broke",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\"> checkout broke",
    "[click here](javascript:document.body.setAttribute('data-pwned','md')) checkout broke",
    '<a href="javascript:alert(1)">checkout broke</a>',
    "**bold** _it_ # Heading\n\n| table | injection |\n</td></tr></table><h1>owned</h1>",
    "\"><svg onload=\"document.body.setAttribute('data-pwned','svg')\"> checkout broke",
    "{{7*7}} ${7*7} {% raw %} checkout broke",
    "checkout \u202egnikrow ton\u202c broke \u200bhidden\u200d zero\ufeffwidth \u2066x\u2069",
    "checkout broke " + "A" * 20000,
]
PII = {
    "email": "jo.doe+shop@example.co.uk",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "iban": "DE89 3704 0044 0532 0130 00",
}
PII_TEXT = (
    f"checkout broke, mail me at {PII['email']} or call {PII['phone']}; "
    f"card {PII['card']} was charged twice, refund to {PII['iban']}"
)
INVISIBLE = "\u202e\u202c\u200b\u200d\ufeff\u2066\u2069"


def write_hostile(root: Path) -> Path:
    """``tiny`` with many hostile and PII-laden feedback rows and knowledge entries.

    The current week (2026-W46) gets a burst of complaints so that a theme (with quotes) is
    reported, and knowledge entries dated in that week carry hostile titles and details.
    """
    write_tiny(root)
    texts = HOSTILE + [PII_TEXT]
    rows = []
    n = 0
    for day in pd.date_range("2026-11-02", "2026-11-08", freq="D"):
        rows.append((f"b{n}", f"{day:%Y-%m-%d}T09:00:00Z", "survey", "All fine, thanks", "8"))
        n += 1
    for rep in range(4):
        for i, t in enumerate(texts):
            when = f"2026-11-{9 + (i + rep) % 7:02d}T1{rep}:00:00Z"
            rows.append((f"h{n}", when, "support_ticket", t, "1"))
            n += 1
    pd.DataFrame(rows, columns=["id", "created_at", "source", "text", "score"]).to_csv(
        root / "feedback.csv", index=False
    )
    know = [
        ("2026-11-10", "Engineering", "release", HOSTILE[0], HOSTILE[1], "platform=android"),
        ("2026-11-11", "Support <b>team</b>", "incident", HOSTILE[2], PII_TEXT, ""),
        ("2026-11-12", "Marketing", "campaign", f"Promo for {PII['email']}", HOSTILE[7], ""),
        ("2026-11-13", "Product", "note", HOSTILE[5], HOSTILE[8], ""),
    ]
    pd.DataFrame(know, columns=["date", "team", "kind", "title", "details", "segment"]).to_csv(
        root / "knowledge.csv", index=False
    )
    return root


def write_hostile_sample(root: Path) -> Path:
    """The sample workspace with hostile text and PII planted where the reports will quote it.

    Every current-week feedback row that mentions a code or a payment (the planted story) gets
    a hostile payload and personal data appended, so the quotes of the reported findings carry
    them; the knowledge entries of that week get hostile titles and details.
    """
    from insightlib.sample.story import write_sample

    write_sample(root)
    fb = pd.read_csv(root / "feedback.csv", dtype=str, keep_default_na=False)
    hit = (fb["created_at"] >= "2026-11-16") & fb["text"].str.contains("code|pay|card", case=False)
    payloads = HOSTILE[:8] + [PII_TEXT]
    idx = fb.index[hit]
    for j, i in enumerate(idx):
        fb.loc[i, "text"] = f"{fb.loc[i, 'text']} {payloads[j % len(payloads)]} {PII_TEXT}"
    fb.to_csv(root / "feedback.csv", index=False)
    kn = pd.read_csv(root / "knowledge.csv", dtype=str, keep_default_na=False)
    cur = kn["date"] >= "2026-11-16"
    for j, i in enumerate(kn.index[cur]):
        kn.loc[i, "title"] = f"{kn.loc[i, 'title']} {HOSTILE[j % 8]} {PII['email']}"
        kn.loc[i, "details"] = f"{kn.loc[i, 'details']} {HOSTILE[(j + 1) % 8]} {PII_TEXT}"
    kn.to_csv(root / "knowledge.csv", index=False)
    return root
