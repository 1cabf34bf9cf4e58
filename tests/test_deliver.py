"""``insightlib send`` against a real SMTP server (aiosmtpd) and a real HTTP server, plus the
exit codes and ``--log`` of ``insightlib run``."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import TOML, write_tiny
from fixtures_run import HOSTILE_TITLE, build_run

from insightlib import deliver
from insightlib.cli import main
from insightlib.errors import ConfigError
from insightlib.workspace.config import load_config

DIGEST = (
    f"Basketly weekly insights, 16–22 Nov 2026:\n- Checkout fell after “{HOSTILE_TITLE}”.\n"
    "- Tom & Jerry's <b>bold</b> claim.\nFull report: team.html · Board summary: board.pdf\n"
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) + b"\n%%EOF\n"
PASSWORD = "s3cret-Pa55word"
TOKEN = "T0KEN-abc123"
DELIVERY_TOML = """
[delivery]
smtp_host = "127.0.0.1"
smtp_port = {port}
sender = "Insights <insights@example.com>"
recipients = ["board@example.com", "team@example.com"]
subject = "{{project}} digest {{period}}"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in deliver.ENV.values():
        monkeypatch.delenv(name, raising=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path: Path, workspace: Path | None = None, label: str = "2026-W47") -> Path:
    run = build_run(tmp_path / "reports", label)
    (run / "digest.md").write_text(DIGEST, encoding="utf-8")
    (run / "board.pdf").write_bytes(PDF)
    info = {"period": label, "workspace": str(workspace or tmp_path / "gone"), "timings_s": {}}
    (run / "run.json").write_text(json.dumps(info), encoding="utf-8")
    return run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return _run(tmp_path)


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == ("robot", PASSWORD), handled=False)

    def message(self, i: int = -1) -> email.message.EmailMessage:
        return email.message_from_bytes(
            self.envelopes[i].original_content, policy=email.policy.default
        )


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    ctl = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    ctl.start()
    try:
        yield inbox, port
    finally:
        ctl.stop()


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, bytes]] = []
    status = 200
    location: str | None = None

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append((self.path, dict(self.headers), body))
        self.send_response(self.status)
        if self.location:
            self.send_header("Location", self.location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[type[_Hook], str]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 200, "location": None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int, to: str = "ceo@example.com") -> None:
    monkeypatch.setenv("INSIGHTLIB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("INSIGHTLIB_SMTP_PORT", str(port))
    monkeypatch.setenv("INSIGHTLIB_MAIL_FROM", "insights@example.com")
    monkeypatch.setenv("INSIGHTLIB_MAIL_TO", to)


# ------------------------------------------------------------------------------------------
# E-mail
# ------------------------------------------------------------------------------------------
def test_send_mails_digest_with_escaped_html_and_pdf(
    run_dir: Path, smtp, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    inbox, port = smtp
    _smtp_env(monkeypatch, port, "ceo@example.com, cfo@example.com")
    assert main(["send", str(run_dir)]) == 0
    assert "e-mailed to ceo@example.com, cfo@example.com" in capsys.readouterr().out

    [env] = inbox.envelopes
    assert env.mail_from == "insights@example.com"
    assert env.rcpt_tos == ["ceo@example.com", "cfo@example.com"]
    msg = inbox.message()
    assert msg["Subject"] == "Basketly weekly insights: 16–22 Nov 2026 (2026-W47)"
    assert msg["To"] == "ceo@example.com, cfo@example.com"
    assert msg.get_content_type() == "multipart/mixed"

    text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text.strip() == DIGEST.strip()
    page = msg.get_body(preferencelist=("html",)).get_content()
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;bold&lt;/b&gt; claim." in page
    assert page.count("<li>") == 2

    [pdf] = list(msg.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "board-2026-W47.pdf"
    assert pdf.get_content() == (run_dir / "board.pdf").read_bytes() == PDF
    assert not (run_dir / "digest.eml").exists()


def test_config_comes_from_the_workspace_in_run_json(
    tmp_path: Path, smtp, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = smtp
    ws = write_tiny(tmp_path / "ws", TOML + DELIVERY_TOML.format(port=port))
    run = _run(tmp_path, workspace=ws)
    assert main(["send", str(run)]) == 0
    msg = inbox.message()
    assert inbox.envelopes[0].rcpt_tos == ["board@example.com", "team@example.com"]
    assert msg["Subject"] == "Basketly digest 2026-W47"
    assert msg["From"] == "Insights <insights@example.com>"
    # --to overrides the configured recipients
    assert main(["send", str(run), "--to", "me@example.com"]) == 0
    assert inbox.envelopes[1].rcpt_tos == ["me@example.com"]
    assert "To" in inbox.message() and inbox.message()["To"] == "me@example.com"


def test_environment_overrides_the_file(
    tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    ws = write_tiny(tmp_path / "ws", TOML + DELIVERY_TOML.format(port=1))
    run = _run(tmp_path)
    monkeypatch.setenv("INSIGHTLIB_SMTP_PORT", str(port))  # the file's port 1 would fail
    monkeypatch.setenv("INSIGHTLIB_MAIL_TO", "env@example.com")
    assert main(["send", str(run), "--workspace", str(ws)]) == 0
    assert inbox.envelopes[0].rcpt_tos == ["env@example.com"]


def test_password_only_from_environment_and_never_written(
    run_dir: Path, smtp, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path
) -> None:
    inbox, port = smtp
    _smtp_env(monkeypatch, port)
    monkeypatch.setenv("INSIGHTLIB_SMTP_USER", "robot")
    monkeypatch.setenv("INSIGHTLIB_SMTP_PASSWORD", PASSWORD)
    log = tmp_path / "send.log"
    assert main(["send", str(run_dir), "--log", str(log)]) == 0
    assert inbox.logins == [("robot", PASSWORD)]
    assert len(inbox.envelopes) == 1

    monkeypatch.setenv("INSIGHTLIB_SMTP_PASSWORD", "wrong-" + PASSWORD)
    assert main(["send", str(run_dir), "--log", str(log)]) == 1
    out = capsys.readouterr()
    assert "e-mail not sent via 127.0.0.1" in out.err and "535" in out.err
    assert len(inbox.envelopes) == 1

    assert main(["send", str(run_dir), "--dry-run", "--log", str(log)]) == 0
    written = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    written.append((out.out + out.err + capsys.readouterr().out).encode())
    assert not [w for w in written if PASSWORD.encode() in w]
    assert repr(deliver.settings_from()).count(PASSWORD) == 0


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[_Inbox, int, Path]]:
    """An SMTP server offering STARTTLS with a self-signed certificate for 127.0.0.1."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    inbox, port = _Inbox(), _free_port()
    ctl = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=ctx,
        require_starttls=True,
        authenticator=inbox.authenticate,
    )
    ctl.start()
    try:
        yield inbox, port, cert
    finally:
        ctl.stop()


def test_starttls_is_used_when_offered(
    run_dir: Path, tls_smtp, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    inbox, port, cert = tls_smtp
    _smtp_env(monkeypatch, port)
    monkeypatch.setenv("INSIGHTLIB_SMTP_USER", "robot")
    monkeypatch.setenv("INSIGHTLIB_SMTP_PASSWORD", PASSWORD)
    # the system does not trust a self-signed certificate: a clear failure, nothing sent
    assert main(["send", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert "TLS failed" in err and "CERTIFICATE_VERIFY_FAILED" in err and not inbox.envelopes
    # trusting it, the message goes over STARTTLS with a login
    monkeypatch.setattr(deliver, "_tls_context", lambda: ssl.create_default_context(cafile=cert))
    assert main(["send", str(run_dir)]) == 0
    assert "(STARTTLS)" in capsys.readouterr().out
    assert inbox.logins == [("robot", PASSWORD)] and len(inbox.envelopes) == 1


def test_password_never_sent_in_clear_to_a_remote_server(
    run_dir: Path, smtp, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    inbox, port = smtp
    monkeypatch.setattr(deliver, "_is_loopback", lambda host: False)  # pretend it is remote
    _smtp_env(monkeypatch, port)
    monkeypatch.setenv("INSIGHTLIB_SMTP_USER", "robot")
    monkeypatch.setenv("INSIGHTLIB_SMTP_PASSWORD", PASSWORD)
    assert main(["send", str(run_dir)]) == 1
    assert "offers no TLS" in capsys.readouterr().err
    assert inbox.logins == [] and inbox.envelopes == []


def test_connection_refused_exits_1_without_traceback(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _smtp_env(monkeypatch, _free_port())
    assert main(["send", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert "e-mail not sent via 127.0.0.1:" in err and "connection refused" in err
    assert "Traceback" not in err


def test_dry_run_writes_eml_and_sends_nothing(
    run_dir: Path, smtp, hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    handler, url = hook
    _smtp_env(monkeypatch, port)
    monkeypatch.setenv("INSIGHTLIB_WEBHOOK_URL", url)
    assert main(["send", str(run_dir), "--dry-run"]) == 0
    assert inbox.envelopes == [] and handler.received == []
    msg = email.message_from_bytes(
        (run_dir / "digest.eml").read_bytes(), policy=email.policy.default
    )
    assert msg["To"] == "ceo@example.com"


def test_no_recipient_is_exit_2_and_writes_nothing(run_dir: Path, capsys) -> None:
    """`send` (or `send --dry-run`) without any recipient: exit 2, no .eml without To:, and no
    claim of settings from a [delivery] table that the workspace does not have."""
    for args in ([], ["--dry-run"]):
        assert main(["send", str(run_dir), *args]) == 2
        out = capsys.readouterr()
        assert "no recipient" in out.err and "--to" in out.err and "Traceback" not in out.err
        assert "[delivery]" not in out.out
        assert not (run_dir / "digest.eml").exists()


def test_no_delivery_table_is_not_named_as_a_source(tmp_path: Path, capsys) -> None:
    ws = write_tiny(tmp_path / "ws")
    run = _run(tmp_path, workspace=ws)
    assert main(["send", str(run), "--dry-run", "--to", "me@example.com"]) == 0
    out = capsys.readouterr().out
    assert "[delivery]" not in out and "settings from --to" in out


def test_nothing_configured_writes_a_parseable_eml(run_dir: Path, capsys) -> None:
    assert main(["send", str(run_dir), "--to", "me@example.com"]) == 0
    eml = run_dir / "digest.eml"
    assert f"wrote {eml}" in capsys.readouterr().out
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "me@example.com"
    assert msg["Subject"].endswith("(2026-W47)")
    assert msg.get_body(preferencelist=("plain",)).get_content().strip() == DIGEST.strip()
    assert "&lt;img" in msg.get_body(preferencelist=("html",)).get_content()
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_content() == PDF
    assert not list(run_dir.glob(".digest.eml*"))  # no temporary file left


def test_missing_board_pdf_sends_without_attachment(run_dir: Path, capsys) -> None:
    (run_dir / "board.pdf").unlink()
    assert main(["send", str(run_dir), "--to", "me@example.com"]) == 0
    assert "no board PDF attached" in capsys.readouterr().out
    msg = email.message_from_bytes(
        (run_dir / "digest.eml").read_bytes(), policy=email.policy.default
    )
    assert list(msg.iter_attachments()) == []


def test_latest_sends_the_newest_run(tmp_path: Path, capsys) -> None:
    _run(tmp_path, label="2026-W46")
    newest = _run(tmp_path, label="2026-W47")
    older = tmp_path / "reports" / "2026-W46"
    doc = json.loads((older / "insights.json").read_text())
    doc["period"]["end"] = "2026-11-15"
    (older / "insights.json").write_text(json.dumps(doc))
    (tmp_path / "reports" / ".tmp-2026-W48-1").mkdir()  # an unfinished run is ignored
    assert main(["send", str(tmp_path / "reports"), "--latest", "--to", "me@example.com"]) == 0
    assert (newest / "digest.eml").exists() and not (older / "digest.eml").exists()
    assert main(["send", str(tmp_path / "reports")]) == 2
    assert "add --latest" in capsys.readouterr().err
    assert deliver.find_latest(tmp_path / "reports") == newest


def test_subject_and_headers_resist_injection(tmp_path: Path) -> None:
    doc_path = _run(tmp_path) / "insights.json"
    doc = json.loads(doc_path.read_text())
    doc["title"] = "Evil\r\nBcc: victim@example.com"
    doc_path.write_text(json.dumps(doc))
    msg, _ = deliver.build_message(doc_path.parent, deliver.settings_from(env={}))
    assert "\n" not in msg["Subject"] and msg["Bcc"] is None
    with pytest.raises(ConfigError, match="not an e-mail address"):
        deliver.settings_from(env={}, to=["a@example.com\r\nBcc: victim@example.com"])


# ------------------------------------------------------------------------------------------
# Webhook
# ------------------------------------------------------------------------------------------
def test_webhook_receives_the_digest(
    run_dir: Path, hook, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    handler, url = hook
    monkeypatch.setenv("INSIGHTLIB_WEBHOOK_URL", url)
    assert main(["send", str(run_dir)]) == 0
    [(path, headers, body)] = handler.received
    assert path == f"/hooks/{TOKEN}"
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"text": DIGEST.strip()}
    out = capsys.readouterr().out
    assert "posted the digest to http://127.0.0.1:" in out and TOKEN not in out
    assert not (run_dir / "digest.eml").exists()


@pytest.mark.parametrize(("status", "location"), [(500, None), (404, None), (302, "/elsewhere")])
def test_webhook_error_status_exits_1(
    run_dir: Path, hook, monkeypatch: pytest.MonkeyPatch, capsys, status, location
) -> None:
    handler, url = hook
    handler.status, handler.location = status, location
    monkeypatch.setenv("INSIGHTLIB_WEBHOOK_URL", url)
    assert main(["send", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert f"the server answered HTTP {status}" in err
    assert TOKEN not in err and "Traceback" not in err
    assert len(handler.received) == 1  # the redirect was not followed


def test_both_channels_are_tried_when_one_fails(
    run_dir: Path, hook, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    handler, url = hook
    _smtp_env(monkeypatch, _free_port())
    monkeypatch.setenv("INSIGHTLIB_WEBHOOK_URL", url)
    assert main(["send", str(run_dir)]) == 1
    assert len(handler.received) == 1
    err = capsys.readouterr().err
    assert "connection refused" in err and "still done: posted the digest" in err


# ------------------------------------------------------------------------------------------
# Bad input and configuration: exit 2
# ------------------------------------------------------------------------------------------
def test_password_in_insight_toml_is_refused(tmp_path: Path, capsys) -> None:
    ws = write_tiny(tmp_path / "ws", TOML + '\n[delivery]\nsmtp_password = "hunter2"\n')
    with pytest.raises(ConfigError, match="secrets are not read from insight.toml"):
        load_config(ws)
    run = _run(tmp_path, workspace=ws)
    assert main(["send", str(run)]) == 2
    err = capsys.readouterr().err
    assert "INSIGHTLIB_SMTP_PASSWORD" in err and "hunter2" not in err


def test_delivery_table_is_validated(tmp_path: Path) -> None:
    ws = write_tiny(tmp_path / "ws", TOML + '\n[delivery]\nrecipient = ["a@example.com"]\n')
    with pytest.raises(ConfigError, match="Did you mean 'recipients'"):
        load_config(ws)
    ws = write_tiny(tmp_path / "ws", TOML + '\n[delivery]\nsmtp_port = "587"\n')
    with pytest.raises(ConfigError, match="smtp_port must be an integer"):
        load_config(ws)
    assert load_config(write_tiny(tmp_path / "ws", TOML)).delivery == deliver.DeliverySpec()
    ws = write_tiny(tmp_path / "ws", TOML + DELIVERY_TOML.format(port=2525))
    spec = load_config(ws).delivery
    assert spec.smtp_port == 2525 and spec.recipients == ("board@example.com", "team@example.com")


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"INSIGHTLIB_SMTP_HOST": "127.0.0.1", "INSIGHTLIB_SMTP_PORT": "abc"}, [], "port"),
        ({"INSIGHTLIB_SMTP_HOST": "127.0.0.1"}, [], "no recipients"),
        ({"INSIGHTLIB_SMTP_HOST": "mail.example.com"}, ["--to", "not-an-address"], "e-mail"),
        ({"INSIGHTLIB_WEBHOOK_URL": "ftp://example.com/x"}, [], "http:// or https://"),
        ({"INSIGHTLIB_SMTP_PASSWORD": PASSWORD}, [], "no SMTP user"),
        ({}, ["--workspace", "/nonexistent/ws"], "no insight.toml"),
    ],
)
def test_bad_configuration_exits_2(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys, env, args, message
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["send", str(run_dir), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and PASSWORD not in err
    assert not (run_dir / "digest.eml").exists()


def test_not_a_run_folder_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["send", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["send", str(tmp_path / "nope"), "--latest"]) == 2


# ------------------------------------------------------------------------------------------
# insightlib run: exit codes and --log
# ------------------------------------------------------------------------------------------
def _log_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_run_bad_input_exits_2_and_logs_failed(tmp_path: Path, tiny: Path, capsys) -> None:
    log = tmp_path / "logs" / "run.log"
    code = main(["run", str(tiny), "--period", "2020-W01", "--out", str(tmp_path / "r")])
    assert code == 2
    assert main(["run", str(tmp_path / "nowhere"), "--log", str(log)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    lines = _log_lines(log)
    assert lines[0].endswith("[1/7] Loading and checking the workspace")
    assert "failed exit=2" in lines[-1] and "no insight.toml" in lines[-1]


def test_run_other_failure_exits_1_and_logs_each_step(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from insightlib.quant import changes as quant

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(quant, "analyse", boom)
    log = tmp_path / "run.log"
    log.write_text("earlier line\n")
    assert main(["run", str(tiny), "--out", str(tmp_path / "r"), "--log", str(log)]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: disk on fire" in err and "Traceback" not in err
    lines = _log_lines(log)
    assert lines[0] == "earlier line"  # appended, not overwritten
    assert [ln.split(" ", 3)[3] for ln in lines[1:3]] == [
        "[1/7] Loading and checking the workspace",
        "[2/7] Measuring metrics and changes",
    ]
    assert lines[1].split(" ")[1:3] == ["run", str(tiny)]
    assert "failed exit=1" in lines[-1] and "disk on fire" in lines[-1]
    assert len(lines) == 4


def test_run_success_exits_0_and_logs_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from insightlib import pipeline

    def fake_run(workspace, *, period, out, audiences, progress):
        for i in range(7):
            progress(i + 1, 7, f"step {i + 1}")
        return Path(out) / "2026-W47"

    monkeypatch.setattr(pipeline, "run", fake_run)
    log = tmp_path / "run.log"
    assert main(["run", "ws", "--out", str(tmp_path), "--log", str(log), "-q"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "2026-W47")
    lines = _log_lines(log)
    assert len(lines) == 8 and lines[6].endswith("[7/7] step 7")
    assert f"ok {tmp_path / '2026-W47'} (" in lines[-1]
    assert all(ln[:4].isdigit() and ln[19] == "Z" for ln in lines)


def test_unwritable_log_is_bad_input(tmp_path: Path, tiny: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", str(tiny), "--log", str(blocker / "run.log")]) == 2
    assert "cannot write the log" in capsys.readouterr().err


@pytest.mark.slow
def test_scheduled_job_end_to_end(tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's cron line on the tiny workspace: run, then send --latest over SMTP."""
    inbox, port = smtp
    toml = TOML.replace('grain = "week"', 'grain = "week"\nmin_volume = 1')  # tiny data
    ws = write_tiny(tmp_path / "ws", toml + DELIVERY_TOML.format(port=port))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "ws", "--out", "reports", "--log", "reports/run.log", "-q"]) == 0
    assert main(["send", "reports", "--latest", "--log", "reports/run.log"]) == 0
    run = tmp_path / "reports" / "2026-W46"
    info = json.loads((run / "run.json").read_text())
    assert info["workspace"] == str(ws.resolve())
    assert set(info["timings_s"]) >= {"load", "quant", "qual", "fuse", "history", "reports"}
    msg = inbox.message()
    assert msg["Subject"] == "Tiny digest 2026-W46"
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_content() == (run / "board.pdf").read_bytes()
    assert pdf.get_content().startswith(b"%PDF")
    lines = _log_lines(tmp_path / "reports" / "run.log")
    assert sum("run ws [" in ln for ln in lines) == 7
    assert " run ws ok " in lines[7] and " send reports e-mailed to " in lines[-2]
    assert " send reports ok" in lines[-1]


# ------------------------------------------------------------------------------------------
# Secrets in URLs and header values (issue 17)
# ------------------------------------------------------------------------------------------
SECRET_PATH = "SECRETPATH-9f8e7d"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {
                "INSIGHTLIB_WEBHOOK_URL": f"https://hooks.example.com/services/T0/B0/a b/{SECRET_PATH}"
            },
            r"webhook URL .*\(https://hooks\.example\.com/…\) holds a space",
        ),
        (
            {
                "INSIGHTLIB_WEBHOOK_URL": f"https://user:{SECRET_PATH}@hooks.example.com:x/{SECRET_PATH}"
            },
            r"webhook URL .*must be an http:// or https:// URL, got \(an unreadable URL\)",
        ),
        (
            {
                "INSIGHTLIB_SMTP_HOST": "127.0.0.1",
                "INSIGHTLIB_SMTP_USER": "bob\r\nRCPT TO:<x@example.com>",
            },
            r"the SMTP user .* holds a line break",
        ),
        (
            {
                "INSIGHTLIB_SMTP_HOST": "127.0.0.1",
                "INSIGHTLIB_SMTP_USER": "bob",
                "INSIGHTLIB_SMTP_PASSWORD": f"{SECRET_PATH}\r\nQUIT",
            },
            r"INSIGHTLIB_SMTP_PASSWORD holds a line break",
        ),
    ],
    ids=["webhook-space", "webhook-bad-port-credentials", "smtp-user-crlf", "password-crlf"],
)
def test_secrets_and_line_breaks_exit_2_showing_the_host_only(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, env, message
) -> None:
    import re

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    log = tmp_path / "send.log"
    assert main(["send", str(run_dir), "--to", "a@example.com", "--log", str(log)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert err.count("\n") == 1 and "Traceback" not in err
    logged = log.read_text(encoding="utf-8")
    assert "failed exit=2" in logged
    for text in (err, logged):
        assert SECRET_PATH not in text and "a b/" not in text and "RCPT" not in text


def test_a_webhook_failure_never_shows_the_url_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.client

    url = f"https://hooks.example.com/services/{SECRET_PATH}?token={SECRET_PATH}"

    def boom(*args, **kwargs):
        raise http.client.InvalidURL(f"URL can't contain control characters. {url!r}")

    monkeypatch.setattr(deliver.urllib.request.OpenerDirector, "open", boom)
    with pytest.raises(deliver.DeliveryError) as info:
        deliver.post_webhook(url, "hi")
    assert SECRET_PATH not in str(info.value) and "hooks.example.com" in str(info.value)

    def refused(*args, **kwargs):
        raise OSError(f"cannot reach {url}")

    monkeypatch.setattr(deliver.urllib.request.OpenerDirector, "open", refused)
    with pytest.raises(deliver.DeliveryError) as info:
        deliver.post_webhook(url, "hi")
    assert SECRET_PATH not in str(info.value)


def test_every_printed_error_cuts_urls_to_the_host(tmp_path: Path, capsys) -> None:
    from insightlib.errors import RunError

    def fail(args):
        raise RunError(f"could not reach https://u:{SECRET_PATH}@h.example.com/p/{SECRET_PATH}?k=1")

    import insightlib.cli as cli

    parser = cli.build_parser()
    args = parser.parse_args(["check", str(tmp_path)])
    args.func = fail
    orig = cli.build_parser

    class P:
        def parse_args(self, argv):
            return args

    cli.build_parser = lambda: P()  # type: ignore[assignment]
    try:
        assert cli.main(["check", str(tmp_path)]) == 1
    finally:
        cli.build_parser = orig
    err = capsys.readouterr().err
    assert SECRET_PATH not in err and "https://h.example.com/…" in err


# ------------------------------------------------------------------------------------------
# The HTML e-mail: scoreboard, first chart inline, links
# ------------------------------------------------------------------------------------------
CHART_SVG = (
    '<svg class="marks" width="120" height="60" viewBox="0 0 120 60" '
    'xmlns="http://www.w3.org/2000/svg"><rect width="120" height="60" fill="#fff"/>'
    '<path d="M0,50L60,10L120,30" stroke="#36c" fill="none"/></svg>'
)
METRICS = [
    {
        "metric": "revenue",
        "label": "Revenue <script>x</script>",
        "kind": "sum",
        "unit": "USD",
        "current": 22226.0,
        "baseline": 20000.0,
        "change_abs": 2226.0,
        "change_rel": 0.1113,
        "status": "up",
        "segment": None,
    },
    {"metric": "revenue", "label": "Revenue, Android", "segment": {"platform": "android"}},
]


def _rich_run(tmp_path: Path, toml_extra: str = "") -> Path:
    ws = write_tiny(tmp_path / "ws", TOML + toml_extra)
    run = _run(tmp_path, workspace=ws)
    doc = json.loads((run / "insights.json").read_text(encoding="utf-8"))
    doc["metrics"] = METRICS
    (run / "insights.json").write_text(json.dumps(doc), encoding="utf-8")
    (run / "board.html").write_text(f"<html><body>{CHART_SVG}</body></html>", encoding="utf-8")
    return run


def _eml(run: Path) -> email.message.EmailMessage:
    return email.message_from_bytes((run / "digest.eml").read_bytes(), policy=email.policy.default)


def test_html_email_has_scoreboard_inline_chart_and_absolute_links(tmp_path: Path) -> None:
    url = "https://reports.example.com/basketly/"
    run = _rich_run(tmp_path, f'url = "{url}"\n')
    assert main(["send", str(run), "--dry-run", "--to", "me@example.com"]) == 0
    msg = _eml(run)
    page = msg.get_body(preferencelist=("html",)).get_content()
    # the scoreboard: the whole-population metric, escaped, with value and change
    assert "Scoreboard" in page and "Revenue &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>" not in page and "$22,226" in page and "Revenue, Android" not in page
    # the first chart inline, as a PNG part the HTML refers to by its Content-ID
    [img] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert img.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    cid = img["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in page
    # links are absolute (no doubled slash), in HTML and in the plain text
    base = "https://reports.example.com/basketly"
    for href in (f"{base}/2026-W47/board.html", f"{base}/2026-W47/team.html", f"{base}/index.html"):
        assert f'href="{href}"' in page
        assert href in msg.get_body(preferencelist=("plain",)).get_content()
    assert "Full report: team.html" not in page
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"


def test_without_report_url_no_file_name_is_written_as_a_link(tmp_path: Path) -> None:
    run = _rich_run(tmp_path)
    assert main(["send", str(run), "--dry-run", "--to", "me@example.com"]) == 0
    msg = _eml(run)
    page = msg.get_body(preferencelist=("html",)).get_content()
    assert "<a " not in page and "href=" not in page
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert text.strip() == DIGEST.strip()  # the digest as written, nothing made up


@pytest.mark.parametrize(
    "value",
    [
        '"reports.example.com"',
        '"javascript:alert(1)"',
        '"https://a b.example.com"',
        "3",
        '"https://u:pw@reports.example.com"',
        '"https://reports.example.com/?q=1"',
    ],
)
def test_bad_report_url_is_a_config_error(tmp_path: Path, value: str) -> None:
    ws = write_tiny(tmp_path / "ws", TOML + f"url = {value}\n")
    with pytest.raises(ConfigError, match=r"\[report\] url"):
        load_config(ws)
    assert main(["check", str(ws)]) == 2
