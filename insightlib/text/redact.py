"""Make user-supplied text safe to show: strip invisible characters and redact PII.

Two functions do the work:

- :func:`neutralise` removes what a reader cannot see but a renderer obeys: Unicode bidi
  controls (which can reorder a line so it reads differently from what it says), zero-width
  characters, Unicode tag characters and other control characters (tabs and newlines are
  kept). Every piece of user text that reaches an output goes through it.
- :func:`redact` neutralises, then replaces personal data with a bracketed token:
  ``[email]``, ``[phone]``, ``[card]``, ``[iban]``, ``[link]`` (a URL carrying a token or a
  query string) and ``[token]`` (a free-standing API key or JWT-like secret). Quotes in every
  report pass through it.

The rules lean towards over-redaction: a 13–19 digit run is a card whether or not it passes
the Luhn check, and a run of 7–15 digits that is not obviously a date or a year range is a
phone number. A lost order number is a smaller harm than a leaked card.

Examples
--------
>>> redact("Mail me at jo.doe+x@example.co.uk or call +44 20 7946 0958")
'Mail me at [email] or call [phone]'
>>> redact("card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00")
'card [card], IBAN [iban]'
>>> redact("reset via https://basketly.com/reset?token=abc123 please")
'reset via [link] please'
>>> neutralise("abc\\u202edcba\\u200b")
'abcdcba'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["neutralise", "redact", "find_pii", "redact_all", "inert_markup", "TOKENS"]

TOKENS = ("[email]", "[phone]", "[card]", "[iban]", "[link]", "[token]")

# --- invisible and control characters ----------------------------------------------------

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad"
_INVISIBLE = re.compile(
    "["
    + re.escape(_BIDI + _ZERO_WIDTH)
    + "\U000e0000-\U000e007f"  # tag characters (invisible text)
    + "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0/C1 controls except \t \n \r
    + "\ufff9-\ufffb"  # interlinear annotation controls
    + "]"
)
_LINE_SEPARATORS = re.compile("\r\n?|[\u2028\u2029\x85]")


def neutralise(text: object) -> str:
    """Return ``text`` as a plain string without bidi controls, zero-width or control chars.

    Tabs and newlines stay (``\\r\\n``, ``\\r`` and the Unicode line/paragraph separators become
    ``\\n``); the result is NFC-normalised. ``None`` and NaN give ``""``.

    >>> neutralise("pay\\u200bpal \\u202eevil\\u202c\\x07")
    'paypal evil'
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        if isinstance(text, float) and text != text:  # NaN
            return ""
        text = str(text)
    text = _LINE_SEPARATORS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFC", text)


# --- PII patterns --------------------------------------------------------------------------

_URL = re.compile(
    r"""(?ix)
    \b(?:(?:https?|ftp)://|www\.)      # scheme or www.
    [^\s<>"'\]\[)(]+                   # the rest, up to whitespace or a bracket
    """
)
_URL_USERINFO = re.compile(r"^(?:[a-z]+://)?[^/\s@]+:[^/\s@]*@", re.I)
_TOKEN_LIKE = re.compile(
    r"""(?x)
    (?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{20,}   # long mixed run
    | [A-Fa-f0-9]{24,}                                                     # hex digest
    """
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]+)?")
_SECRET_WORD = re.compile(
    r"(?i)(?:token|secret|key|password|passwd|pwd|auth|session|sig|signature|code|otp|"
    r"access|reset|magic|invite|ticket|sid)"
)

_EMAIL = re.compile(
    r"""(?ix)
    (?<![\w.+-])
    [\w.+\-']{1,64}
    (?:@|\s?[\(\[]\s?at\s?[\)\]]\s?)
    [\w\-]+(?:(?:\.|\s?[\(\[]\s?dot\s?[\)\]]\s?)[\w\-]+)*
    (?:\.|\s?[\(\[]\s?dot\s?[\)\]]\s?)[a-z]{2,24}
    \b
    """
)

# Upper-case IBAN shapes always go; mixed/lower-case ones only when the mod-97 check holds.
# "jane at example dot com": only with a common top-level domain, to spare ordinary prose.
_EMAIL_WORDS = re.compile(
    r"(?i)\b[\w.+\-]+\s+at\s+[\w\-]+(?:\s+dot\s+[\w\-]+)*\s+dot\s+"
    r"(?:com|net|org|edu|gov|io|co|uk|de|fr|es|it|nl|eu|at|ch|info|me)\b"
)

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ \u00a0-]?[A-Z0-9]{4}){2,7}(?:[ \u00a0-]?[A-Z0-9]{1,3})?\b")
_IBAN_ANY = re.compile(
    r"(?i)\b[a-z]{2}\d{2}(?:[ \u00a0-]?[a-z0-9]{4}){2,7}(?:[ \u00a0-]?[a-z0-9]{1,3})?\b"
)

# A card: 13-19 digits, first digit 1-9, optional single space/dash/nbsp between digits.
_CARD = re.compile(r"(?<![\w+])[1-9](?:[ \u00a0\-]?\d){12,18}(?![\w])")

# A phone-like run: optional + or 00, digits with spaces, dashes, dots, slashes, parentheses.
_PHONE = re.compile(
    r"""(?x)
    (?<![\w+/.\-])
    (?:\+|\b00)?\s?
    (?:\(\s?\+?\d{1,4}\s?\)\s?)?       # (0), (555), (+44)
    \d(?:[\d\u00a0 ().\-/]{0,24}\d)?
    (?![\w])
    """
)
_DATE = re.compile(
    r"""(?x)^(?:
      \d{4}[-./]\d{1,2}[-./]\d{1,2}            # 2026-11-16
    | \d{1,2}[-./]\d{1,2}[-./]\d{2,4}          # 16.11.2026, 11/16/26
    | (?:19|20)\d{2}\s?[-/]\s?(?:19|20)\d{2}   # 2019-2026
    | \d{1,2}[-./]\d{1,2}[-./]\d{2,4}\s?[-/]\s?\d{1,2}[-./]\d{1,2}[-./]\d{2,4}
    )$"""
)


_AT_WORD = re.compile(r"(?i)[\(\[]\s?at\s?[\)\]]")
_LONG_RUN = re.compile(r"[A-Za-z0-9_\-]{20,}")
_IBAN_START = re.compile(r"(?i)\b[a-z]{2}\d{2}")
_SEVEN_DIGITS = re.compile(r"\d(?:[\s().\-/+\u00a0]{0,3}\d){6}")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(raw: str) -> bool:
    s = re.sub(r"[\s\u00a0-]", "", raw).upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    try:
        num = int("".join(str(int(c, 36)) for c in moved))
    except ValueError:
        return False
    return num % 97 == 1


def _url_has_secret(url: str) -> bool:
    """True when a URL carries a query, a fragment with data, credentials or a token-like path."""
    if "?" in url or "=" in url or _URL_USERINFO.match(url):
        return True
    if "#" in url and len(url.split("#", 1)[1]) > 0:
        return True
    path = re.sub(r"(?i)^(?:[a-z]+://|www\.)[^/]*", "", url)
    for part in re.split(r"[/;,&]", path):
        if _TOKEN_LIKE.fullmatch(part) or _JWT.search(part) or _SECRET_WORD.search(part):
            return True
    return False


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


Span = tuple[str, int, int]


def find_pii(text: str) -> list[Span]:
    """The PII spans of ``text`` as ``(kind, start, end)``, non-overlapping, in text order.

    ``kind`` is the token name without brackets (``"email"``, ``"card"``, ...). ``text``
    should already be neutralised (:func:`redact` does that).
    """
    spans: list[Span] = []
    taken = bytearray(len(text))

    def add(kind: str, start: int, end: int) -> None:
        # trim trailing punctuation that belongs to the sentence
        while end > start and text[end - 1] in ".,;:!?)]}'\"":
            if text[end - 1] == ")" and text[start:end].count("(") >= text[start:end].count(")"):
                break
            end -= 1
        while start < end and text[start] in " \u00a0":
            start += 1
        if end <= start or any(taken[start:end]):
            return
        spans.append((kind, start, end))
        taken[start:end] = b"\x01" * (end - start)

    lower = text.lower()
    has_url = "://" in lower or "www." in lower
    if has_url:
        for m in _URL.finditer(text):
            if _url_has_secret(m.group()):
                add("link", m.start(), m.end())
    long_run = _LONG_RUN.search(text) is not None
    if long_run:
        for m in _JWT.finditer(text):
            add("token", m.start(), m.end())
    if "@" in text or _AT_WORD.search(lower):
        for m in _EMAIL.finditer(text):
            if "@" in m.group() or _AT_WORD.search(m.group()):
                add("email", m.start(), m.end())
    if " dot " in lower:
        for m in _EMAIL_WORDS.finditer(text):
            add("email", m.start(), m.end())
    if _IBAN_START.search(text):
        for m in _IBAN.finditer(text):
            compact = re.sub(r"[\s\u00a0-]", "", m.group())
            if len(compact) >= 15 and sum(c.isdigit() for c in compact[4:]) >= 4:
                add("iban", m.start(), m.end())
        for m in _IBAN_ANY.finditer(text):
            raw = m.group()
            # drop trailing groups (words caught by the pattern) until the checksum holds
            while len(re.sub(r"[\s\u00a0-]", "", raw)) >= 15:
                if _iban_ok(raw):
                    add("iban", m.start(), m.start() + len(raw))
                    break
                cut = max(raw.rfind(" "), raw.rfind("-"), raw.rfind("\u00a0"))
                if cut <= 4:
                    break
                raw = raw[:cut]
    if _SEVEN_DIGITS.search(text):
        for m in _CARD.finditer(text):
            n = len(_digits(m.group()))
            if 13 <= n <= 19:
                add("card", m.start(), m.end())
        for m in _PHONE.finditer(text):
            raw = m.group().strip()
            n = len(_digits(raw))
            if n < 7 or n > 15:
                continue
            if _harmless_number(raw.lstrip("+")):  # a date, a date range, an amount
                continue
            start = m.start() + (len(m.group()) - len(m.group().lstrip()))
            add("phone", start, m.start() + len(m.group().rstrip()))
    if long_run:
        for m in re.finditer(r"(?<![\w\-])[A-Za-z0-9_\-]{20,}(?![\w\-])", text):
            if _TOKEN_LIKE.fullmatch(m.group()):
                add("token", m.start(), m.end())
    spans.sort(key=lambda s: s[1])
    return spans


def redact(text: object) -> str:
    """Neutralise ``text`` and replace PII with ``[email]``, ``[phone]``, ``[card]``,
    ``[iban]``, ``[link]`` or ``[token]``.

    >>> redact("Call 555-123-4567 or (555) 123 4567")
    'Call [phone] or [phone]'
    >>> redact("Delivered on 2026-11-16, order took 45 minutes")
    'Delivered on 2026-11-16, order took 45 minutes'
    """
    clean = neutralise(text)
    if not clean or not _MAYBE.search(clean):
        return clean
    spans = find_pii(clean)
    if not spans:
        return clean
    out = _replace(clean, spans)
    # Safety sweep: digits left next to a redaction (two numbers run together) still go.
    return _SWEEP.sub(lambda m: m.group() if _harmless_number(m.group()) else "[phone]", out)


def _replace(text: str, spans: list[Span]) -> str:
    out: list[str] = []
    pos = 0
    for kind, start, end in spans:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


_SWEEP = re.compile(r"(?<![\w])\d(?:[ \u00a0().\-/]?\d){6,}(?![\w])")


def _harmless_number(raw: str) -> bool:
    core = raw.strip()
    return bool(
        _DATE.match(core)
        or re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?", core)
        or re.fullmatch(r"\d+\.\d{1,2}", core)
    )


# Quick pre-check: text without a digit, '@', URL or long run cannot hold PII we look for.
_MAYBE = re.compile(r"\d|@|[\(\[]\s?at\s?[\)\]]|\sdot\s|://|www\.|[A-Za-z0-9_\-]{20,}", re.I)


def redact_all(texts: Iterable[object]) -> list[str]:
    """:func:`redact` over many texts (identical texts are redacted once)."""
    cache: dict[object, str] = {}
    out = []
    for t in texts:
        key = t if isinstance(t, str) else repr(t)
        r = cache.get(key)
        if r is None:
            r = redact(t)
            cache[key] = r
        out.append(r)
    return out


_LINK_OPEN = re.compile(r"\]\s*\(")


def inert_markup(text: str) -> str:
    """Make plain text (the digest) inert when pasted where Markdown, HTML or chat markup renders.

    ``<`` and ``>`` become the look-alike ``‹`` and ``›`` (no HTML tag, no Slack ``<url|link>``
    or ``<!channel>``), and ``](`` becomes ``] (`` (no Markdown link, so no ``javascript:``
    target). The text reads the same to a person.

    >>> inert_markup('<a href="javascript:x">hi</a> [click](javascript:y)')
    '‹a href="javascript:x"›hi‹/a› [click] (javascript:y)'
    """
    return _LINK_OPEN.sub("] (", text.replace("<", "\u2039").replace(">", "\u203a"))
