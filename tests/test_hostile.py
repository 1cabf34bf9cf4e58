"""Hostile text and personal data in feedback and knowledge never reach the outputs live.

The sample workspace gets ``<script>``, ``onerror=``, ``javascript:`` links, Markdown and HTML
injection, bidi and zero-width characters, a 20,000-character line, and e-mail addresses, phone,
card and IBAN numbers planted where the reports quote them (``corpus.write_hostile_sample``).
After one full run: no injected markup is live in any HTML report (checked by parsing, and by
headless Chromium with the network off), the digest and e-mail carry no live markup, no output
holds an invisible control character, and no output holds the personal data — the team report
shows only the redacted forms.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from corpus import HOSTILE, INVISIBLE, PII, write_hostile_sample

from insightlib.cli import main
from insightlib.text.redact import find_pii

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOTEXT = shutil.which("pdftotext")
REPORTS = ("team.html", "board.html")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    ws = write_hostile_sample(base / "ws")
    out = base / "reports"
    assert main(["run", str(ws), "--out", str(out)]) == 0
    return out


def _run(out: Path) -> Path:
    return out / "2026-W47"


def _pdf_text(path: Path) -> str:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    res = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True)
    return res.stdout


def _email_text(run: Path) -> str:
    from insightlib.deliver import build_message

    msg, _ = build_message(run)
    parts = [str(msg["Subject"])]
    for part in msg.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            parts.append(part.get_content())
    return "\n".join(parts)


def _outputs(out: Path) -> dict[str, str]:
    """Every text output of the run (the PDF as its text, insights.json decoded)."""
    run = _run(out)
    texts = {name: (run / name).read_text(encoding="utf-8") for name in REPORTS}
    texts["index.html"] = (out / "index.html").read_text(encoding="utf-8")
    texts["digest.md"] = (run / "digest.md").read_text(encoding="utf-8")
    raw = (run / "insights.json").read_text(encoding="utf-8")
    texts["insights.json"] = raw
    texts["insights.json (decoded)"] = json.dumps(json.loads(raw), ensure_ascii=False)
    texts["run.json"] = (run / "run.json").read_text(encoding="utf-8")
    if PDFTOTEXT:
        texts["board.pdf"] = _pdf_text(run / "board.pdf")
    texts["e-mail"] = _email_text(run)
    return texts


class _Markup(HTMLParser):
    """Collects what a browser would treat as live: tags, attributes, script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _markup(html: str) -> _Markup:
    p = _Markup()
    p.feed(html)
    p.close()
    return p


def test_the_hostile_text_reaches_the_reports(hostile_run: Path) -> None:
    """Guards the test itself: the payloads are really quoted (escaped) in the reports."""
    team = (_run(hostile_run) / "team.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=" in team or "&lt;script&gt;" in team
    assert "[email]" in team and "[card]" in team
    board = (_run(hostile_run) / "board.html").read_text(encoding="utf-8")
    assert "javascript:" in board or "&lt;" in board


@pytest.mark.parametrize("name", [*REPORTS, "index.html"])
def test_no_injected_markup_is_live_in_html(hostile_run: Path, name: str) -> None:
    path = hostile_run / name if name == "index.html" else _run(hostile_run) / name
    html = path.read_text(encoding="utf-8")
    assert "<h1>owned" not in html and "<svg onload" not in html
    p = _markup(html)
    for tag, attrs in p.tags:
        assert tag not in ("iframe", "object", "embed"), (name, tag, attrs)
        for k, v in attrs:
            assert not k.startswith("on"), (name, tag, k, v)
            assert "javascript:" not in (v or "").lower(), (name, tag, k, v)
            assert "pwned" not in (v or ""), (name, tag, k, v)
    for body in p.scripts:
        assert "pwned" not in body and "javascript:" not in body, body[:200]


def test_digest_and_email_carry_no_live_markup(hostile_run: Path) -> None:
    texts = _outputs(hostile_run)
    digest = texts["digest.md"]
    assert "<" not in digest and ">" not in digest, digest
    assert "](" not in digest, digest
    if "e-mail" in texts:
        html_parts = _markup(texts["e-mail"])
        for _tag, attrs in html_parts.tags:
            for k, v in attrs:
                assert not k.startswith("on") and "javascript:" not in (v or "").lower()
    raw = texts["insights.json"]
    assert "<" not in raw and ">" not in raw, "insights.json writes < and > as \\u escapes"


def test_no_invisible_characters_in_any_output(hostile_run: Path) -> None:
    for name, text in _outputs(hostile_run).items():
        bad = sorted({f"U+{ord(c):04X}" for c in text if c in INVISIBLE})
        assert not bad, f"{name} holds {bad}"


def test_no_personal_data_in_any_output(hostile_run: Path) -> None:
    texts = _outputs(hostile_run)
    for name, text in texts.items():
        for kind, value in PII.items():
            assert value not in text, f"{name} holds the {kind} {value!r}"
        assert "jo.doe" not in text and "7946 0958" not in text and "3704 0044" not in text, name
    for name in ("board.html", "digest.md", "board.pdf", "e-mail"):
        if name in texts:
            text = texts[name]
            if name.endswith(".html"):
                text = " ".join(_markup_text(text))
            found = [(k, text[s:e]) for k, s, e in find_pii(text) if k in ("email", "card", "iban")]
            assert not found, f"{name}: {found}"


def _markup_text(html: str) -> list[str]:
    out: list[str] = []

    class T(HTMLParser):
        skip = False

        def handle_starttag(self, tag, attrs):
            self.skip = tag in ("script", "style", "svg")

        def handle_endtag(self, tag):
            self.skip = False

        def handle_data(self, data):
            if not self.skip:
                out.append(data)

    T().feed(html)
    return out


def test_team_report_shows_only_redacted_forms(hostile_run: Path) -> None:
    team = (_run(hostile_run) / "team.html").read_text(encoding="utf-8")
    for token in ("[email]", "[phone]", "[card]", "[iban]"):
        assert token in team, token
    assert HOSTILE[8][-100:] not in team, "a 20,000-character line is shown whole"


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (chromium)")
@pytest.mark.parametrize("name", [*REPORTS, "index.html"])
def test_no_injected_script_runs_in_a_browser(hostile_run: Path, name: str, tmp_path: Path) -> None:
    page = hostile_run / name if name == "index.html" else _run(hostile_run) / name
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "</body>" in dom, "Chromium did not render the page"
    p = _markup(dom)
    marked = [(t, a) for t, a in p.tags if any(k == "data-pwned" for k, _ in a)]
    assert not marked, f"an injected script ran in {name}: {marked}"
