"""``insightlib send``: e-mail a run's digest (board PDF attached) and/or post it to a chat webhook.

Settings come from the ``[delivery]`` table of the workspace's ``insight.toml`` (see
:class:`~insightlib.workspace.config.DeliverySpec`), overridden by the environment, overridden by the
command line (``--to``)::

    INSIGHTLIB_SMTP_HOST, INSIGHTLIB_SMTP_PORT, INSIGHTLIB_SMTP_USER, INSIGHTLIB_SMTP_PASSWORD,
    INSIGHTLIB_MAIL_FROM, INSIGHTLIB_MAIL_TO (comma-separated), INSIGHTLIB_WEBHOOK_URL

The password is read only from the environment and is never written anywhere: not into the
message, the ``.eml`` file, ``run.json``, a log line or an error message. Webhook URLs usually
carry a token, so messages show only their scheme and host.

SMTP: port 465 uses implicit TLS (``SMTP_SSL``); any other port upgrades with STARTTLS when the
server offers it. Without TLS the password is sent only to a loopback server (tests, a local
relay); elsewhere the send stops with an error instead.

With neither an SMTP host nor a webhook configured (or with ``dry_run``), the message is written
to ``RUN_DIR/digest.eml`` so it can be opened in a mail program or sent by hand. Without any
recipient (no ``--to``, ``INSIGHTLIB_MAIL_TO``, ``[delivery] recipients`` or webhook) nothing is
written and the command stops with exit code 2.
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import json
import os
import re
import secrets
import smtplib
import ssl
import string
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from insightlib.document import InsightsDocument
from insightlib.errors import ConfigError, InputError, RunError
from insightlib.workspace.config import CONFIG_NAME, DeliverySpec, load_config

__all__ = [
    "DeliveryError",
    "Settings",
    "settings_from",
    "find_latest",
    "build_message",
    "send_smtp",
    "post_webhook",
    "send",
    "ENV",
]

ENV = {
    "smtp_host": "INSIGHTLIB_SMTP_HOST",
    "smtp_port": "INSIGHTLIB_SMTP_PORT",
    "smtp_user": "INSIGHTLIB_SMTP_USER",
    "password": "INSIGHTLIB_SMTP_PASSWORD",
    "sender": "INSIGHTLIB_MAIL_FROM",
    "recipients": "INSIGHTLIB_MAIL_TO",
    "webhook_url": "INSIGHTLIB_WEBHOOK_URL",
}
DEFAULT_PORT = 587
TIMEOUT_S = 30.0
EML_NAME = "digest.eml"
_CTRL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class DeliveryError(RunError):
    """Mail or webhook delivery failed (CLI exit code 1)."""


@dataclass(frozen=True)
class Settings:
    """Delivery settings after merging the file, the environment and the command line."""

    smtp_host: str | None = None
    smtp_port: int = DEFAULT_PORT
    smtp_user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    webhook_url: str | None = field(default=None, repr=False)
    subject: str = ""
    sources: tuple[str, ...] = ()  # where the settings came from, for messages

    @property
    def configured(self) -> bool:
        return bool(self.smtp_host or self.webhook_url)


def _clean(text: str) -> str:
    """One line of text: control characters and line breaks become spaces."""
    return _CTRL.sub(" ", text).strip()


def _address(value: str, where: str) -> str:
    addr = value.strip()
    name, email = parseaddr(addr)
    if (
        not email
        or _CTRL.search(addr)
        or email.count("@") != 1
        or not all(email.split("@"))
        or any(c in email for c in " ,;<>")
    ):
        raise ConfigError(f"{where}: {value!r} is not an e-mail address like name@example.com.")
    return addr


def _addresses(values: Sequence[str], where: str) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                out.append(_address(part, where))
    return tuple(dict.fromkeys(out))


def _redact_url(url: str) -> str:
    """``https://hooks.example.com/…``: webhook paths and queries usually hold a token, and
    ``user:password@`` a credential; only the scheme, host and port are ever shown."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number, a bad IPv6 literal, ...
        return "(an unreadable URL)"
    scheme = parts.scheme if parts.scheme.isalpha() else "?"
    return f"{scheme}://{host}{port}/…"


_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def scrub(text: str) -> str:
    """``text`` with every URL cut to scheme and host (for messages, logs and exceptions)."""

    def cut(m: re.Match[str]) -> str:
        url = m.group(0)
        tail = len(url) - len(url.rstrip(").,;:!?]"))
        return _redact_url(url[: len(url) - tail]) + url[len(url) - tail :]

    return _URL.sub(cut, str(text))


def _check_url(url: str, where: str) -> str:
    url = url.strip()
    shown = _redact_url(url)
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(f"{where} must be an http:// or https:// URL, got {shown}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an http:// or https:// URL, got {shown}.")
    if _CTRL.search(url) or any(c.isspace() for c in url):
        raise ConfigError(
            f"{where} ({shown}) holds a space or a control character; a URL cannot (copy it "
            "again, or write a space as %20)."
        )
    return url


def _header(value: str | None, where: str) -> str | None:
    """A value that goes into an SMTP command or header: CR, LF and other control characters
    are refused (they would inject commands or headers); the value is not shown (it may be a
    secret, or text crafted to mislead a log reader)."""
    if value is not None and _CTRL.search(value):
        raise ConfigError(f"{where} holds a line break or control character; remove it.")
    return value


def settings_from(
    spec: DeliverySpec | None = None,
    env: Mapping[str, str] | None = None,
    *,
    to: Sequence[str] | None = None,
    file: str | None = None,
) -> Settings:
    """Merge ``[delivery]`` (``spec``), the environment and ``--to`` into validated settings.

    Raises :class:`~insightlib.errors.ConfigError` for an unusable value (exit code 2).
    """
    spec = spec or DeliverySpec()
    env = os.environ if env is None else env
    src = [f"{file} [delivery]"] if file else []

    def pick(key: str, base: Any) -> Any:
        value = env.get(ENV[key], "").strip()
        if value:
            src.append(ENV[key])
            return value
        return base

    host = pick("smtp_host", spec.smtp_host)
    port_raw = pick("smtp_port", spec.smtp_port)
    try:
        port = int(port_raw) if port_raw is not None else DEFAULT_PORT
    except ValueError:
        raise ConfigError(f"{ENV['smtp_port']} must be a port number, got {port_raw!r}.") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"the SMTP port must be from 1 to 65535, got {port}.")
    user = _header(
        pick("smtp_user", spec.smtp_user),
        f"the SMTP user ({ENV['smtp_user']} or [delivery] smtp_user)",
    )
    password = _header(env.get(ENV["password"]) or None, ENV["password"])
    _header(spec.subject, "[delivery] subject")
    sender = pick("sender", spec.sender)
    env_to = env.get(ENV["recipients"], "").strip()
    if to:
        recipients = _addresses(to, "--to")
        src.append("--to")
    elif env_to:
        recipients = _addresses([env_to], ENV["recipients"])
        src.append(ENV["recipients"])
    else:
        recipients = _addresses(spec.recipients, "[delivery] recipients")
    webhook = pick("webhook_url", spec.webhook_url)
    if host is not None:
        host = host.strip()
        if not host or _CTRL.search(host) or any(c in host for c in " /@"):
            raise ConfigError(f"the SMTP host must be a host name, got {host!r}.")
    if sender is not None:
        sender = _address(sender, f"the sender ({ENV['sender']} or [delivery] sender)")
    if webhook is not None:
        webhook = _check_url(webhook, f"the webhook URL ({ENV['webhook_url']} or [delivery])")
    if host and not recipients:
        raise ConfigError(
            f"an SMTP host ({host}) is set but no recipients: set [delivery] recipients, "
            f"{ENV['recipients']} or --to."
        )
    if password and not user:
        raise ConfigError(
            f"{ENV['password']} is set but no SMTP user: set {ENV['smtp_user']} or "
            "[delivery] smtp_user."
        )
    return Settings(
        smtp_host=host or None,
        smtp_port=port,
        smtp_user=user,
        password=password,
        sender=sender,
        recipients=recipients,
        webhook_url=webhook,
        subject=spec.subject,
        sources=tuple(src),
    )


# ------------------------------------------------------------------------------------------
# The run folder
# ------------------------------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read it as JSON ({exc}).", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object.", file=str(path))
    return data


def _read_document(path: Path) -> InsightsDocument:
    from insightlib.text import numbers as tf

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it as JSON ({exc}).", file=str(path)) from None
    doc = InsightsDocument.from_json(text, file=str(path))
    # the e-mail formats numbers and names segments as the run's reports do
    tf.use_presentation(doc.provenance.get("presentation"))
    return doc


def _period_end(run: Path) -> str:
    try:
        end = _read_document(run / "insights.json").period.end
    except InputError:
        return ""
    return "" if end == date.min else end.isoformat()


def _finished(run: Path) -> str:
    try:
        return str(json.loads((run / "run.json").read_text(encoding="utf-8"))["finished"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def find_latest(root: str | Path) -> Path:
    """The newest run folder under a reports root: latest period end, then latest finish."""
    root = Path(root)
    if not root.is_dir():
        raise InputError("no such reports folder.", file=str(root))
    runs = [
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "insights.json").is_file()
    ]
    if not runs:
        raise InputError(
            "holds no run folder (a folder with insights.json); run `insightlib run` first.",
            file=str(root),
        )
    return max(runs, key=lambda p: (_period_end(p), _finished(p), p.name))


def _run_folder(run_dir: str | Path) -> tuple[Path, InsightsDocument, str]:
    run = Path(run_dir)
    if not (run / "insights.json").is_file():
        hint = ""
        if run.is_dir() and any((p / "insights.json").is_file() for p in run.iterdir()):
            hint = " It looks like a reports root: add --latest to send its newest run."
        raise InputError(f"not a run folder (no insights.json).{hint}", file=str(run))
    doc = _read_document(run / "insights.json")
    digest_file = run / "digest.md"
    if digest_file.is_file():
        text = digest_file.read_text(encoding="utf-8").strip()
    else:
        text = doc.digest.strip()
    if not text:
        raise InputError("the run has no digest (digest.md) to send.", file=str(run))
    return run, doc, text


def _workspace_spec(
    run: Path, workspace: str | Path | None
) -> tuple[DeliverySpec | None, str | None, str | None, str | None]:
    """``[delivery]`` of the workspace named by ``--workspace`` or else by run.json: the spec,
    the file to name as its source, a note, and ``[report] url``."""
    if workspace is not None:
        cfg = load_config(workspace)  # named explicitly: it must be there and valid
        return cfg.delivery, _named(cfg), None, cfg.report_url
    info_path = run / "run.json"
    if not info_path.is_file():
        return None, None, "no run.json: using the environment only", None
    ws = _read_json(info_path).get("workspace")
    if not ws or not (Path(ws) / CONFIG_NAME).is_file():
        return None, None, f"workspace {ws or '?'} not reachable: using the environment only", None
    cfg = load_config(ws)
    return cfg.delivery, _named(cfg), None, cfg.report_url


def _named(cfg: Any) -> str | None:
    """The file to name as a source of settings: only when it has a ``[delivery]`` table."""
    return str(cfg.path) if cfg.delivery != DeliverySpec() else None


# ------------------------------------------------------------------------------------------
# The message
# ------------------------------------------------------------------------------------------
def _subject(settings: Settings, doc: InsightsDocument) -> str:
    label = doc.period.label
    human = doc.period.human or label
    project = doc.project or "insightlib"
    title = doc.title or f"{project} insights"
    if settings.subject:
        text = settings.subject.replace("{project}", project).replace("{period}", label)
        return _clean(text.replace("{title}", title).replace("{human}", human))
    when = f"{human} ({label})" if human and human != label else label
    return _clean(f"{title}: {when}" if when else title)


FOOT = "Full report:"  # the digest's last line names the report files


def _links(run: Path, url: str | None) -> list[tuple[str, str]]:
    """(label, address) of the pages a reader can open: absolute with ``[report] url``, else
    none (a relative file name in an e-mail opens nothing)."""
    if not url:
        return []
    base = f"{url}/{urllib.parse.quote(run.name)}"
    return [
        ("Board summary", f"{base}/board.html"),
        ("Full team report", f"{base}/team.html"),
        ("All reports", f"{url}/index.html"),
    ]


def _plain(text: str, links: list[tuple[str, str]]) -> str:
    """The plain-text body: the digest, its last line naming the pages by their addresses."""
    if not links:
        return text
    lines = text.rstrip("\n").split("\n")
    if lines and lines[-1].startswith(FOOT):
        lines.pop()
    return "\n".join([*lines, *(f"{label}: {href}" for label, href in links)])


def _scoreboard_rows(doc: InsightsDocument) -> list[tuple[str, str, str, str]]:
    """(label, value, change, status) of every whole-population metric of ``metrics``."""
    from insightlib.report.views import fmt_change, fmt_value

    rows = []
    for m in doc.metrics:
        if m.segment:
            continue
        change = fmt_change(m) if m.change_abs is not None else "–"
        rows.append((m.label or m.metric, fmt_value(m.current, m.kind, m.unit), change, m.status))
    return rows


_SVG = re.compile(r'<svg class="marks".*?</svg>', re.S)


def first_chart_png(run: Path) -> bytes | None:
    """The board's first chart as a PNG (e-mail programs do not show SVG), or None."""
    for name in ("board.html", "team.html"):
        page = run / name
        if not page.is_file():
            continue
        m = _SVG.search(page.read_text(encoding="utf-8", errors="replace"))
        if not m:
            continue
        try:
            import vl_convert as vlc

            return bytes(vlc.svg_to_png(m.group(0), scale=2))
        except Exception:  # noqa: BLE001 -- no chart is better than no e-mail
            return None
    return None


def _html(
    text: str,
    subject: str,
    attached: bool,
    *,
    scoreboard: Sequence[tuple[str, str, str, str]] = (),
    chart_cid: str | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """The e-mail's HTML body: the digest, the scoreboard, the first chart, the links. Every
    piece of text is escaped; links only with ``[report] url`` (absolute addresses)."""
    esc = html.escape
    parts: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            parts.append("<ul>\n" + "\n".join(f"<li>{i}</li>" for i in items) + "\n</ul>")
            items.clear()

    lines = text.splitlines()
    if links and lines and lines[-1].startswith(FOOT):
        lines.pop()  # replaced by the real links below
    for line in lines:
        line = line.strip()
        if not line:
            flush()
        elif line.startswith(("- ", "* ", "• ")):
            items.append(esc(line[2:].strip()))
        else:
            flush()
            parts.append(f"<p>{esc(line)}</p>")
    flush()
    if scoreboard:
        cell = 'style="padding: 2px 10px 2px 0; text-align: left"'
        head = "".join(f"<th {cell}>{h}</th>" for h in ("Metric", "Now", "Change", "Status"))
        body = "\n".join(
            "<tr>" + "".join(f"<td {cell}>{esc(c)}</td>" for c in row) + "</tr>"
            for row in scoreboard
        )
        parts.append(
            '<h2 style="font-size: 1.1em">Scoreboard</h2>\n'
            f'<table style="border-collapse: collapse"><tr>{head}</tr>\n{body}\n</table>'
        )
    if chart_cid:
        parts.append(
            f'<p><img src="cid:{esc(chart_cid)}" alt="The first chart of the board summary" '
            'style="max-width: 100%; height: auto"></p>'
        )
    if links:
        parts.append(
            "<p>"
            + " · ".join(
                f'<a href="{esc(href, quote=True)}">{esc(label)}</a>' for label, href in links
            )
            + "</p>"
        )
    if attached:
        parts.append("<p><em>The board summary is attached as a PDF.</em></p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(subject)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.45; max-width: 40em">\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def build_message(
    run_dir: str | Path, settings: Settings | None = None, *, url: str | None = None
) -> tuple[EmailMessage, list[str]]:
    """The e-mail for a run: the digest as plain text, an HTML alternative (digest, scoreboard
    from insights.json ``metrics``, the board's first chart inline as a PNG, links), ``board.pdf``
    attached. ``url`` (``[report] url``) makes the links absolute; without it no link is written.

    Returns the message and notes (e.g. a missing board PDF).
    """
    settings = settings or Settings()
    run, doc, text = _run_folder(run_dir)
    notes: list[str] = []
    subject = _subject(settings, doc)
    sender = settings.sender or settings.smtp_user or "insightlib@localhost"
    if "@" not in parseaddr(sender)[1]:
        sender = f"{sender}@localhost"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    pdf = run / "board.pdf"
    attached = pdf.is_file()

    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    if settings.recipients:
        msg["To"] = ", ".join(settings.recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid("insightlib", domain=domain)
    msg["X-Mailer"] = "insightlib"
    links = _links(run, url)
    png = first_chart_png(run)
    # letters only: a Content-ID shows in the HTML body, and make_msgid's long digit runs there
    # read like a card number to anyone (and any filter) scanning the message for personal data
    cid = f"<chart.{''.join(secrets.choice(string.ascii_lowercase) for _ in range(20))}@{domain}>"
    cid = cid if png else None
    msg.set_content(_plain(text, links) + "\n")
    body = _html(
        text,
        subject,
        attached,
        scoreboard=_scoreboard_rows(doc),
        chart_cid=cid[1:-1] if cid else None,
        links=links,
    )
    msg.add_alternative(body, subtype="html")
    if png and cid:
        html_part = msg.get_payload()[1]
        html_part.add_related(png, maintype="image", subtype="png", cid=cid, filename="chart.png")
    if attached:
        label = re.sub(r"[^A-Za-z0-9._-]+", "-", doc.period.label)
        msg.add_attachment(
            pdf.read_bytes(),
            maintype="application",
            subtype="pdf",
            filename=f"board-{label}.pdf" if label.strip("-") else "board.pdf",
        )
    else:
        notes.append(f"{pdf} not found: the e-mail has no board PDF attached")
    return msg, notes


def write_eml(msg: EmailMessage, path: Path) -> Path:
    """Write ``msg`` to ``path`` atomically (a temporary file renamed into place)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(msg.as_bytes())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DeliveryError(f"cannot write {path}: {exc.strerror or exc}.") from None
    return path


# ------------------------------------------------------------------------------------------
# Sending
# ------------------------------------------------------------------------------------------
def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _why(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        err = exc.smtp_error
        err = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
        return f"the server answered {exc.smtp_code} {_clean(err)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"the server refused every recipient ({', '.join(exc.recipients)})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running and the port right?)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__


def _tls_context() -> ssl.SSLContext:
    """The TLS settings for SMTP: the system's trusted certificates, host names checked."""
    return ssl.create_default_context()


def send_smtp(msg: EmailMessage, settings: Settings, *, timeout: float = TIMEOUT_S) -> str:
    """Send ``msg`` to ``settings.recipients``; returns how (for the log). Raises DeliveryError."""
    host, port = settings.smtp_host, settings.smtp_port
    if not host:
        raise ConfigError("no SMTP host configured.")
    where = f"{host}:{port}"
    context = _tls_context()
    how = "plain"
    try:
        if port == 465:
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            how = "TLS"
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            server.ehlo()
            if how != "TLS" and server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
                how = "STARTTLS"
            if settings.smtp_user and settings.password:
                if how == "plain" and not _is_loopback(host):
                    raise DeliveryError(
                        f"e-mail not sent: {where} offers no TLS, and the password is only ever "
                        "sent encrypted. Use port 465 or a server with STARTTLS."
                    )
                server.login(settings.smtp_user, settings.password)
            refused = server.send_message(
                msg, from_addr=parseaddr(msg["From"])[1], to_addrs=list(settings.recipients)
            )
    except DeliveryError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"e-mail not sent via {where}: {_why(exc)}.") from None
    note = f" ({len(refused)} refused: {', '.join(refused)})" if refused else ""
    return f"e-mailed to {', '.join(settings.recipients)} via {where} ({how}){note}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would silently become a GET without the digest: treat it as an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def _scrub_url(text: str, url: str) -> str:
    """``text`` without the URL or any piece of its path, query or credentials."""
    parts = urllib.parse.urlsplit(url)
    for piece in (url, parts.path, parts.query, parts.netloc, *parts.path.split("/")):
        if piece and len(piece) > 3 and piece != parts.hostname:
            text = text.replace(piece, "…")
    return scrub(text)


def post_webhook(url: str, text: str, *, timeout: float = TIMEOUT_S) -> str:
    """POST ``{"text": text}`` as JSON to ``url``; a non-2xx answer raises DeliveryError."""
    shown = _redact_url(url)
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "insightlib"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, BaseException) else None
        why = _why(reason) if reason else str(exc.reason)
        raise DeliveryError(f"digest not posted to {shown}: {_scrub_url(why, url)}.") from None
    except (ValueError, http.client.HTTPException) as exc:  # InvalidURL & kin quote the URL
        raise DeliveryError(
            f"digest not posted to {shown}: the URL is not valid ({type(exc).__name__})."
        ) from None
    except OSError as exc:
        raise DeliveryError(
            f"digest not posted to {shown}: {_scrub_url(_why(exc), url)}."
        ) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"digest not posted to {shown}: the server answered HTTP {status}.")
    return f"posted the digest to {shown} (HTTP {status})"


def send(
    run_dir: str | Path,
    *,
    latest: bool = False,
    workspace: str | Path | None = None,
    to: Sequence[str] | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> list[str]:
    """``insightlib send``: deliver a run as configured; returns one line per thing done.

    With ``latest``, ``run_dir`` is a reports root and its newest run is sent. Bad input or
    configuration raises :class:`InputError` (exit 2); a failed delivery raises
    :class:`DeliveryError` (exit 1) after trying every configured channel.
    """
    run = find_latest(run_dir) if latest else Path(run_dir)
    run, doc, text = _run_folder(run)
    spec, file, note, url = _workspace_spec(run, workspace)
    settings = settings_from(spec, env, to=to, file=file)
    if not settings.recipients and not settings.webhook_url:
        where = (
            f"[delivery] recipients in {file}" if file else "[delivery] recipients in insight.toml"
        )
        raise ConfigError(
            f"no recipient: nobody to send {run.name} to. Add --to name@example.com, set "
            f"{ENV['recipients']} or {where} (or a webhook: {ENV['webhook_url']})."
        )
    msg, notes = build_message(run, settings, url=url)
    lines = [f"run {run}"]
    if settings.sources:  # names only, never values
        lines.append(f"settings from {', '.join(settings.sources)}")
    if note:
        lines.append(f"note: {note}")
    lines += [f"note: {n}" for n in notes]

    if dry_run or not settings.configured:
        why = "dry run" if dry_run else "no SMTP host or webhook configured"
        if settings.recipients:  # an .eml is written only with its To: line
            path = write_eml(msg, run / EML_NAME)
            lines.append(f"wrote {path} ({why}; nothing sent)")
        if dry_run and settings.webhook_url:
            lines.append(f"would post the digest to {_redact_url(settings.webhook_url)} ({why})")
        return lines

    done: list[str] = []
    failures: list[str] = []
    if settings.smtp_host:
        try:
            done.append(send_smtp(msg, settings, timeout=timeout))
        except DeliveryError as exc:
            failures.append(str(exc))
    if settings.webhook_url:
        try:
            done.append(post_webhook(settings.webhook_url, text, timeout=timeout))
        except DeliveryError as exc:
            failures.append(str(exc))
    if failures:
        also = f" (still done: {'; '.join(done)})" if done else ""
        raise DeliveryError(" ".join(failures) + also)
    return lines + done
