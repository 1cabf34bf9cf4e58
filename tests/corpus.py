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
        r"feedback\.csv(, row \d+)?: .*(unclosed quote|not valid CSV)",
    ),
    Case(
        "latin1",
        _bytes("glossary.csv", "term,plain\nCVR,taux de réussite\n".encode("latin-1")),
        r"glossary\.csv: is not UTF-8 text \(byte 24, line 2\)",
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
