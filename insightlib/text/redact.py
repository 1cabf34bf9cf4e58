"""Make user-supplied text safe to show: strip invisible characters and redact PII.

Two functions do the work:

- :func:`neutralise` removes what a reader cannot see but a renderer obeys: Unicode bidi
  controls (which can reorder a line so it reads differently from what it says), zero-width
  characters, Unicode tag characters and other control characters (tabs and newlines are
  kept). Every piece of user text that reaches an output goes through it.
- :func:`redact` neutralises, then replaces personal data with a bracketed token (see
  :data:`TOKENS`): e-mail addresses (also written with spaces or "at"/"dot", or spelled out:
  "jo dot smith at example dot com"), phone numbers,
  payment cards (any spacing, any digit script), IBANs, IP addresses, links carrying a token or
  query, free-standing secrets, people's names, street addresses, postcodes and booking or
  order references (after a cue word such as "booking", or matching a pattern of
  ``[privacy] patterns`` in insight.toml). Every piece of user text that reaches a shared output
  passes through it: feedback as it is analysed, knowledge rows, notes and answers as they
  are recorded, segment values as they are loaded.

The rules lean towards over-redaction where a miss would leak something (a 13–19 digit run is
a card whether or not it passes the Luhn check), but spare what is plainly not personal: prices
and ranges ("$700-1000 per person"), release versions ("69.0.3497.71"), dates and amounts.

Names. A capitalised word is a first name when it is in the US census first-name lists (the
``names`` package, read offline) or in ``data/first_names.txt`` (given names of the UK, Ireland,
India, Pakistan, Spain, Latin America, Portugal, Brazil, France, Germany, Italy, the Netherlands,
Poland and the Nordic countries, from Faker's lists, MIT licence; made by
``tools/make_name_data.py``, which leaves out names that are English words or of three letters)
and not an ordinary English word (the Dale–Chall easy words, VADER's lexicon, stop words,
months); after a cue ("called", "named", "agent", "Mr", "Dear",
"spoke to", "thanks to", …) any capitalised word counts, and a surname that follows a first
name goes with it. Phone numbers of 7–9 digits count only after a cue word ("call", "phone",
"number", …) or when ``phonenumbers`` judges them a valid number of a common region.

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

import importlib.util
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = [
    "neutralise",
    "redact",
    "find_pii",
    "redact_all",
    "inert_markup",
    "looks_personal",
    "is_first_name",
    "TOKENS",
    "TOKEN_PATTERN",
]

TOKENS = (
    "[email]",
    "[phone]",
    "[card]",
    "[iban]",
    "[link]",
    "[token]",
    "[ip]",
    "[name]",
    "[address]",
    "[postcode]",
    "[ref]",
)
# a redaction token in text (labels and theme words never use one)
TOKEN_PATTERN = re.compile(r"\[(?:" + "|".join(t[1:-1] for t in TOKENS) + r")\]")

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

# e-mail: also with spaces around "@" ("jo.doe @ example.com") or "(at)" / "[dot]" (in the
# local part too: "jo [dot] smith [at] example [dot] com")
_EMAIL = re.compile(
    r"""(?ix)
    (?<![\w.+-])
    [\w.+\-']{1,64}
    (?:(?:\s?[\(\[]\s?dot\s?[\)\]]\s?|\s+dot\s+)[\w.+\-']{1,64}){0,4}   # jo [dot] smith
    (?:\s{0,3}@\s{0,3}|\s?[\(\[]\s?at\s?[\)\]]\s?)
    [\w\-]+(?:(?:\.|\s?[\(\[]\s?dot\s?[\)\]]\s?)[\w\-]+)*
    (?:\.|\s?[\(\[]\s?dot\s?[\)\]]\s?)[a-z]{2,24}
    \b
    """
)
_TLD = r"(?:com|net|org|edu|gov|io|co|uk|de|fr|es|it|nl|eu|at|ch|info|me)"
# "jane at example dot com", "jo dot smith at example dot com", "jane at example.com": only
# with a common top-level domain; the local part may be spelled out too ("jo dot smith",
# "jo underscore smith")
_TLD_HINT = re.compile(rf"\.{_TLD}\b")
_EMAIL_WORDS = re.compile(
    r"(?i)\b(?P<local>[\w.+\-]+(?:\s+(?:dot|underscore|dash|hyphen)\s+[\w.+\-]+)*)"
    r"\s+at\s+(?P<domain>[\w\-]+)"
    rf"(?:(?:\s+dot\s+|\.)[\w\-]+)*(?:\s+dot\s+|\.){_TLD}\b"
)
# "meet at the dot com bubble": a domain never starts with a determiner or a pronoun
_NOT_DOMAINS = frozenset(
    "the a an my your our their his her its this that these those any every some no".split()
)

# Upper-case IBAN shapes always go; mixed/lower-case ones only when the mod-97 check holds.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ \u00a0-]?[A-Z0-9]{4}){2,7}(?:[ \u00a0-]?[A-Z0-9]{1,3})?\b")
_IBAN_ANY = re.compile(
    r"(?i)\b[a-z]{2}\d{2}(?:[ \u00a0-]?[a-z0-9]{4}){2,7}(?:[ \u00a0-]?[a-z0-9]{1,3})?\b"
)

# A card: 13-19 digits of any script (\d is Unicode), separated by up to two spaces, dots,
# dashes, slashes or no-break spaces; the first digit is not a zero (checked in code).
_CARD = re.compile(r"(?<![\w+.])\d(?:[ \u00a0\u2009\u202f.\-/]{0,2}\d){12,18}(?![\w])")

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
_PHONE_CUE = re.compile(
    r"(?i)\b(?:call(?:ed)?|phone|tel|telephone|mobile|cell|number|no|ring|text(?:ed)? me|"
    r"whats ?app|sms|fax|contact)\b[\s.:#]*(?:\w+\s+){0,3}$"
)
_VERSION_CUE = re.compile(
    r"(?i)(?:\b(?:version|ver|v|build|release|update|updated|upgrade|ios|android|chrome|"
    r"windows|macos|firmware|app)\s*\.?\s*|\bv)$"
)
_PRICE_BEFORE = re.compile(r"(?i)(?:[$€£¥₹]|\b(?:usd|eur|gbp|rs|inr|aud|cad|chf))\s*$")
_PRICE_AFTER = re.compile(
    r"(?i)^\s*(?:[$€£¥₹%]|k\b|(?:usd|eur|gbp|dollars?|euros?|pounds?|bucks|per\b|a (?:night|"
    r"month|year|person)|each\b|people\b|persons?\b|guests?\b|nights?\b|days?\b|hours?\b|"
    r"minutes?\b|mins?\b|ms\b|seconds?\b|secs?\b|miles?\b|km\b|mb\b|gb\b|kb\b|bytes\b|"
    r"photos?\b|files?\b|emails?\b|messages?\b|times?\b|"
    r"stars?\b|reviews?\b|users?\b|items?\b|pages?\b|words?\b))"
)
_DATE = re.compile(
    r"""(?x)^(?:
      \d{4}[-./]\d{1,2}[-./]\d{1,2}            # 2026-11-16
    | \d{1,2}[-./]\d{1,2}[-./]\d{2,4}          # 16.11.2026, 11/16/26
    | (?:19|20)\d{2}\s?[-/]\s?(?:19|20)\d{2}   # 2019-2026
    | (?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])   # 20260512
    | \d{1,2}[-./]\d{1,2}[-./]\d{2,4}\s?[-/]\s?\d{1,2}[-./]\d{1,2}[-./]\d{2,4}
    )$"""
)
_IPV4 = re.compile(
    r"(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
    r"(?![\w.])"
)
_IPV6 = re.compile(
    r"(?i)(?<![\w:])(?:[0-9a-f]{1,4}:){1,7}(?::|(?::[0-9a-f]{1,4}){1,6}|[0-9a-f]{1,4})(?![\w:])"
)

# booking / order references: a cue word, then a code holding a digit (in any case; matched
# on the lower-cased text, three times as fast as a case-insensitive pattern)
_REF = re.compile(
    r"""(?x)
    \b(?:booking|order|reservation|confirmation|reference|ref|pnr|ticket|invoice|tracking|
       case|customer|member(?:ship)?|account|policy|claim|parcel|shipment|locator)
    (?:\s+(?:no\.?|nr\.?|number|num|id|code|ref))?\s*[:#]?\s*
    (?P<ref>[a-z]{1,4}[\-/]?\d[a-z0-9\-/]{4,}|\d{7,}|
       (?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{6,})
    (?![\w])
    """
)
_REF_ANY_CASE = re.compile(_REF.pattern, re.IGNORECASE)  # when lower-casing moves letters

# street addresses (US/UK "221B Baker Street", EU "Hauptstraße 5", "12 rue de Rivoli") and
# postcodes (UK "SW1A 1AA", US "CA 90210", after a cue "zip 10115", NL "1012 AB")
_STREET_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy|Gardens|Grove|Row|Mews|Hill)"
)
_CAP = r"[A-Z][a-zA-Z'\-]+"
_ADDRESS_US = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?(?:-\d{{1,4}})?,?\s+(?:(?:[NSEW]\.?|North|South|East|West)\s+)?"
    rf"(?:{_CAP}\s+){{1,3}}{_STREET_TYPE}\b\.?(?:\s+(?:Apt|Apartment|Suite|Unit|Flat|#)\.?\s*"
    rf"\w{{1,5}})?"
)
_ADDRESS_EU = re.compile(
    r"(?i)\b[a-zäöüß][\wäöüß\-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|"
    r"straat|laan|gracht|plein|gatan|vej|vägen)\s+\d{1,4}[a-z]?\b"
    r"|\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|"
    r"quai)\s+(?:(?:de|du|des|la|le|l')\s+)?[A-ZÀ-Ý][\w\-']+(?:\s+[A-ZÀ-Ý][\w\-']+)*"
    r"|\b(?:calle|avenida|plaza|paseo|via|viale|corso|piazza|rua|travessa)\s+"
    r"(?:(?:de|del|della|di|da|do|dos)\s+)?[A-ZÀ-Ý][\w\-']+(?:\s+[A-ZÀ-Ý][\w\-']+)*,?\s+\d{1,4}\b"
)
_ADDRESS_TAIL = re.compile(
    r"^(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?,?\s*(?:(?:[A-Z][a-z]+\s?){1,3},?\s*)?"
    r"(?:[A-Z]{2}\s+)?(?:(?:[A-Z]-)?\d{4,5}(?:-\d{4})?(?:\s+[A-Z][a-zäöüéèß]+)?|"
    r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?"
)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b")
_US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
).split()
_US_ZIP = re.compile(rf"\b(?:{'|'.join(_US_STATES)})\s+\d{{5}}(?:-\d{{4}})?\b")
_POSTCODE_CUE = re.compile(
    r"(?i:\b(?:zip(?:\s?code)?|post\s?code|postal\s?code|plz|code postal|cap|cp)\s*:?\s*)"
    r"(?P<pc>[A-Z0-9]{2,5}(?:[\s\-][A-Z0-9]{2,4})?)\b"
)
_NL_POSTCODE = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\s+[A-Z][a-z]+")
_EU_POSTCODE_CITY = re.compile(r"(?<=, )(?:[A-Z]-)?\d{4,5}\s+[A-Z][a-zäöüéèß]+(?:\s[A-Z][a-z]+)?")

# --- names ---------------------------------------------------------------------------------

_NAME_CUE = re.compile(
    r"(?:\b(?:[Cc]alled|[Nn]amed|[Nn]ame is|[Nn]ame was|[Aa]gent|[Aa]dvisor|[Aa]dviser|"
    r"[Rr]ep|[Rr]epresentative|[Dd]river|[Cc]ourier|[Mm]anager|[Ss]upervisor|[Tt]echnician|"
    r"[Cc]onsultant|[Aa]ssistant|[Ss]poke (?:to|with)|[Tt]alked (?:to|with)|[Cc]hatted with|"
    r"[Ss]peaking (?:to|with)|[Tt]hanks?(?: you)?(?: to)?|[Dd]ear|[Hh]i|[Hh]ello|[Ss]igned|"
    r"[Rr]egards,?|[Ss]incerely,?|[Cc]heers,?)"
    r"|\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?)"
    r"\s+$"
)
_TITLES = frozenset("mr mrs ms miss mx dr prof sir herr frau mme mlle sr sra".split())
_CAP_WORD = re.compile(
    r"(?<![\w'’@.#/\-])[A-ZÀ-Þ][a-zß-ÿ]+(?:[\-'’][A-Z][a-zß-ÿ]+)?"
    r"(?![\w@]|['’`´.]\s?(?:t|ll|re|ve|d|m)\b)"  # not "Don't", "Don.t", "Can't"
)
# words never taken for names, even capitalised: products, assistants, brands, places people
# name without meaning a person
_NOT_NAMES = frozenset(
    "alexa siri cortana echo google gmail chrome drive teams apple android iphone ipad mac "
    "windows microsoft office outlook zoom slack skype amazon prime netflix spotify uber "
    "github testflight safari firefox edge opera samsung galaxy pixel huawei android "
    "america china india georgia jordan paris london berlin sydney victoria florence "
    "max min sky ok hi hey app apps dear thanks thank dino luna edison chanel macy files "
    "asia africa europe israel carolina virginia florida dakota nevada austin houston "
    "una buena bueno mi muy con sin amor bella linda bonita gracias jan soo bo north south "
    "jesus christ god lord esta este nada easter marine numbers manual patience destiny genie "
    "trinity cornell newton".split()
) | frozenset(  # nationalities, languages, countries, regions that are also first names
    "german english french spanish italian dutch irish scottish welsh british american "
    "canadian mexican indian chinese japanese korean russian polish swiss swedish danish "
    "norwegian finnish greek turkish arabic persian brazilian portuguese african asian "
    "european latin christian muslim jewish catholic england france spain italy germany "
    "ireland scotland wales canada mexico brazil russia japan korea egypt kenya chile peru "
    "cuba india israel lebanon syria iran iraq holland".split()
)
_MONTHS_DAYS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


@lru_cache(maxsize=1)
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names that are not ordinary words, all surnames), lower case, read offline."""
    last: set[str] = set()
    try:
        pkg = resources.files("names")
        for line in pkg.joinpath("dist.all.last").read_text(encoding="utf-8").splitlines():
            if line.strip():
                last.add(line.split()[0].lower())
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - a declared dependency
        pass
    return _first_names() - _common_words(), frozenset(last)


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    """Every first name of the lists, ordinary words too ("bill", "mark"), lower case."""
    first: set[str] = set()
    try:
        pkg = resources.files("names")
        for fname in ("dist.male.first", "dist.female.first"):
            for line in pkg.joinpath(fname).read_text(encoding="utf-8").splitlines():
                if line.strip():
                    first.add(line.split()[0].lower())
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - a declared dependency
        pass
    # given names of the UK, Ireland, India, Spain, Latin America and Europe (from Faker)
    return frozenset(first | _data_words("first_names.txt"))


def _data_words(name: str) -> set[str]:
    """The words of a list in ``insightlib/text/data`` (one a line; ``#`` starts a comment)."""
    text = resources.files("insightlib.text").joinpath("data", name).read_text(encoding="utf-8")
    return {w for w in (line.strip() for line in text.splitlines()) if w and w[0] != "#"}


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Ordinary English words (Dale–Chall easy words, VADER's lexicon, stop words, months)."""
    words: set[str] = set(_NOT_NAMES) | set(_MONTHS_DAYS)
    # the file only: importing textstat would import NLTK (about a second at every run)
    spec = importlib.util.find_spec("textstat")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise ModuleNotFoundError("textstat (its easy-word list) is not installed")
    easy = Path(spec.origin).parent / "resources" / "en" / "easy_words.txt"
    words |= set(easy.read_text(encoding="utf-8").split())
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        words |= {w for w in SentimentIntensityAnalyzer().lexicon if w.isalpha()}
    except ImportError:  # pragma: no cover
        pass
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words |= set(ENGLISH_STOP_WORDS)
    words |= {"can", "will", "may", "mark", "bill", "ray", "art", "chase", "else", "even"}
    return frozenset(words)


def is_first_name(word: str) -> bool:
    """True when ``word`` is a first name that is not also an ordinary English word.

    >>> is_first_name("Gina"), is_first_name("Will"), is_first_name("Chrome")
    (True, False, False)
    """
    return word.lower() in _name_lists()[0]


def _find_names(text: str, extra_names: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Spans of people's names: a first name, a cue and a surname, a name + surname.

    A word of the common vocabulary (:func:`_common_words`, which holds ``_NOT_NAMES`` and
    the months) is never a name unless ``extra_names`` (``[privacy] names``) lists it."""
    first, last = _name_lists()
    common = _common_words()
    words = list(_CAP_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        m = words[i]
        low = m.group().lower()
        if not ((low in first and len(low) > 2) or low in extra_names):
            # after a cue ("Mr Patel", "spoke to Smith") a known surname outside the common
            # vocabulary ("Mr. It", "Thanks Google", "Dear Hope" are not names)
            if low not in last or low in common:
                i += 1
                continue
            if _NAME_CUE.search(text[max(0, m.start() - 30) : m.start()]) is None:
                i += 1
                continue
        start, end = m.start(), m.end()
        # up to two surnames right after ("John Smith"), then initials ("Gina R.", "Gina R.J.")
        j = i + 1
        while j < len(words) and j <= i + 2:
            nxt = words[j]
            nlow = nxt.group().lower()
            if text[end : nxt.start()] not in (" ", "\u00a0") or nlow in common:
                break
            if nlow not in last and nlow not in first:
                break
            end = nxt.end()
            j += 1
        init = _INITIALS.match(text, end)
        if init:
            end = init.end()
        spans.append((start, end))
        i = j
    return spans


_INITIALS = re.compile(r" [A-Z]\.(?:[A-Z]\.)*")


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


def _is_version(raw: str, before: str) -> bool:
    """A release version such as 69.0.3497.71 or 4.2017.21210, not a phone number."""
    if _VERSION_CUE.search(before):
        return bool(re.fullmatch(r"\d+(?:\.\d+)+", raw))
    if not re.fullmatch(r"\d+(?:\.\d+){2,}", raw):
        return False
    groups = raw.split(".")
    return any(len(g) == 1 or len(g) > 4 for g in groups)


def _is_range_or_price(raw: str, before: str, after: str) -> bool:
    """ "$700-1000", "700-1000 per person", "3-4 days": an amount or a range, not a phone."""
    if _PRICE_BEFORE.search(before) or _PRICE_AFTER.match(after):
        return True
    m = re.fullmatch(r"([1-9]\d{0,4})\s?[-–]\s?([1-9]\d{0,4})", raw)
    return bool(m and int(m.group(1)) < int(m.group(2)) and not _PHONE_CUE.search(before))


@lru_cache(maxsize=4096)
def _valid_somewhere(digits: str) -> bool:
    """Whether ``phonenumbers`` judges a 7–9 digit number valid in a common region."""
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - a declared dependency
        return False
    for region in (
        "US",
        "GB",
        "FR",
        "ES",
        "IT",
        "NL",
        "AU",
        "CA",
        "IN",
        "IE",
        "DK",
        "NO",
        "HK",
        "SG",
    ):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(digits, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


Span = tuple[str, int, int]


@lru_cache(maxsize=64)
def _compile_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def find_pii(
    text: str,
    *,
    patterns: Sequence[str] = (),
    names: Iterable[str] = (),
) -> list[Span]:
    """The PII spans of ``text`` as ``(kind, start, end)``, non-overlapping, in text order.

    ``kind`` is the token name without brackets (``"email"``, ``"card"``, ``"name"``, ...).
    ``patterns`` are extra regular expressions of booking or order references (``[privacy]
    patterns``); ``names`` extra names to redact (lower case). ``text`` should already be
    neutralised (:func:`redact` does that).
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
    if " dot " in lower or (" at " in lower and _TLD_HINT.search(lower)):
        _spelled_emails(text, add)
    for pat in _compile_patterns(tuple(patterns)):
        for m in pat.finditer(text):
            if m.end() > m.start():
                add("ref", m.start(), m.end())
    has_digit = _ANY_DIGIT.search(text) is not None
    if has_digit:
        same = len(lower) == len(text)  # lower-casing kept every position ("İ" does not)
        for m in _REF.finditer(lower) if same else _REF_ANY_CASE.finditer(text):
            add("ref", m.start("ref"), m.end("ref"))
    if has_digit and _IBAN_START.search(text):
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
    if has_digit:
        if _address_hint(text, lower):
            _addresses(text, add)
        for m in _IPV4.finditer(text):
            if not _VERSION_CUE.search(text[max(0, m.start() - 12) : m.start()]):
                add("ip", m.start(), m.end())
        if "::" in text or text.count(":") >= 5:
            for m in _IPV6.finditer(text):
                raw = m.group()
                if "::" in raw or raw.count(":") >= 5:
                    if re.search(r"[a-fA-F]|\d{3}", raw) or "::" in raw:
                        add("ip", m.start(), m.end())
    if has_digit and _SEVEN_DIGITS.search(text):
        for m in _CARD.finditer(text):
            raw = m.group()
            digits = _digits(raw)
            if 13 <= len(digits) <= 19 and int(digits[0]) != 0:
                before = text[max(0, m.start() - 20) : m.start()]
                if not _is_version(raw, before):
                    add("card", m.start(), m.end())
        for m in _PHONE.finditer(text):
            raw = m.group().strip()
            digits = _digits(raw)
            n = len(digits)
            if n < 7 or n > 15:
                continue
            start = m.start() + (len(m.group()) - len(m.group().lstrip()))
            end = m.start() + len(m.group().rstrip())
            before = text[max(0, start - 40) : start]
            after = text[end : end + 20]
            core = raw.lstrip("+")
            if _harmless_number(core) or _is_version(core, before[-20:]):
                continue
            if _is_range_or_price(core, before[-12:], after):
                continue
            international = raw.startswith("+") or raw.startswith("00")
            if n <= 9 and not international:
                ascii_digits = "".join(str(int(c)) for c in digits)
                if not (_PHONE_CUE.search(before) or _valid_somewhere(ascii_digits)):
                    continue
            add("phone", start, end)
    if long_run:
        for m in re.finditer(r"(?<![\w\-])[A-Za-z0-9_\-]{20,}(?![\w\-])", text):
            if _TOKEN_LIKE.fullmatch(m.group()):
                add("token", m.start(), m.end())
    extra = frozenset(n.lower() for n in names)
    for start, end in _find_names(text, extra):
        add("name", start, end)
    spans.sort(key=lambda s: s[1])
    return spans


def _spelled_emails(text: str, add: Callable[[str, int, int], None]) -> None:
    """E-mail addresses written with "at" and "dot" ("jo dot smith at example dot com").

    Not when the "at" is a preposition: after one ordinary English word that is not a first
    name ("we looked at example dot com pricing", "email me at example.com": a site, nobody's
    address) or before a determiner ("meet at the dot com bubble"). A rejected match is
    searched again from its next word, so it hides no address inside it."""
    pos = 0
    while (m := _EMAIL_WORDS.search(text, pos)) is not None:
        local = m.group("local")
        if m.group("domain").lower() in _NOT_DOMAINS or (local.isalpha() and _ordinary_word(local)):
            pos = m.start() + len(local)
            continue
        add("email", m.start(), m.end())
        pos = m.end()


def _ordinary_word(word: str) -> bool:
    """An English word ("look", "looked", "support", "me") that is not also a first name
    ("bill", "mark", "jo"); inflected forms count by their stem."""
    w = word.lower()
    if w in _first_names():
        return False
    common = _common_words()
    if w in common:
        return True
    stems: list[str] = []
    if w.endswith("ed"):  # looked, arrived, shopped, tried
        stems = [w[:-2], w[:-1], w[:-3], w[:-3] + "y"]
    elif w.endswith("ing"):  # looking, making, shopping
        stems = [w[:-3], w[:-3] + "e", w[:-4]]
    elif w.endswith("s"):  # looks, prices
        stems = [w[:-1], w[:-2]]
    return any(len(s) >= 3 and s in common for s in stems)


def _addresses(text: str, add: Callable[[str, int, int], None]) -> None:
    """Street addresses (with a postcode and town after them) and postcodes."""
    for pat in (_ADDRESS_US, _ADDRESS_EU):
        for m in pat.finditer(text):
            words = set(re.findall(r"[A-Za-z]+", m.group().lower()))
            if words & _NOT_NAMES:  # "2 Google Drive accounts"
                continue
            tail = _ADDRESS_TAIL.match(text[m.end() :])
            end = m.end() + (len(tail.group()) if tail else 0)
            add("address", m.start(), end)
    for pat in (_UK_POSTCODE, _US_ZIP, _NL_POSTCODE, _EU_POSTCODE_CITY):
        for m in pat.finditer(text):
            add("postcode", m.start(), m.end())
    for m in _POSTCODE_CUE.finditer(text):
        if _ANY_DIGIT.search(m.group("pc")):
            add("postcode", m.start("pc"), m.end("pc"))


_AT_WORD = re.compile(r"(?i)[\(\[]\s?at\s?[\)\]]")
_LONG_RUN = re.compile(r"[A-Za-z0-9_\-]{20,}")
_IBAN_START = re.compile(r"(?i)\b[a-z]{2}\d{2}")
# seven digits with any separators between them: never narrower than _PHONE and _CARD (three
# separators at most let "555 - ( 123 ) - 4567" through unredacted)
_SEVEN_DIGITS = re.compile(r"\d(?:[\s().\-/+\u00a0]*\d){6}")
_ANY_DIGIT = re.compile(r"\d")
# cheap pre-check for addresses and postcodes: a street word, a postcode cue (looked for in
# the lower-cased text) or a UK/US shape; three simple patterns are faster than one with all
_STREET_HINT = re.compile(rf"\b{_STREET_TYPE}\b")
_STREET_HINT_LOWER = re.compile(
    r"stra(?:ß|ss)e|str\.|weg\b|gasse|platz|allee|straat|laan|rue\b|"
    r"avenue|calle|via\b|viale|piazza|rua\b|zip|post\s?code|postal|plz\b|cap\b|cp\b"
)
_POSTCODE_HINT = re.compile(
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}\b|\b\d{4}\s?[A-Z]{2}\b|, \d{4,5} "
)


def _address_hint(text: str, lower: str) -> bool:
    return bool(
        _STREET_HINT.search(text) or _STREET_HINT_LOWER.search(lower) or _POSTCODE_HINT.search(text)
    )


def redact(
    text: object,
    *,
    patterns: Sequence[str] = (),
    names: Iterable[str] = (),
) -> str:
    """Neutralise ``text`` and replace personal data with a token of :data:`TOKENS`.

    ``patterns``: extra booking/order reference patterns (``[privacy] patterns``), replaced by
    ``[ref]``; ``names``: extra names to redact.

    >>> redact("Call 555-123-4567 or (555) 123 4567")
    'Call [phone] or [phone]'
    >>> redact("Delivered on 2026-11-16, order took 45 minutes")
    'Delivered on 2026-11-16, order took 45 minutes'
    >>> redact("The agent was called Gina, booking ref BK-482913, $700-1000 per person")
    'The agent was called [name], booking ref [ref], $700-1000 per person'
    """
    clean = neutralise(text)
    if not clean:
        return clean
    spans = find_pii(clean, patterns=patterns, names=names)
    if not spans:
        return clean
    out = _replace(clean, spans)
    # Safety sweep: digits left next to a redaction (two numbers run together) still go.
    return _SWEEP.sub(lambda m: _sweep(m, out), out)


def _sweep(m: re.Match[str], text: str) -> str:
    raw = m.group()
    before = text[max(0, m.start() - 20) : m.start()]
    if re.search(r"\][\s\-./]?$", before) or text[m.end() : m.end() + 2].lstrip("-. ")[:1] == "[":
        return "[phone]"  # digits run together with a redaction: the rest of the same number
    if _harmless_number(raw) or _is_version(raw, before):
        return raw
    if _is_range_or_price(raw, before[-12:], text[m.end() : m.end() + 20]):
        return raw
    return "[phone]"


def _replace(text: str, spans: list[Span]) -> str:
    out: list[str] = []
    pos = 0
    for kind, start, end in spans:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


_SWEEP = re.compile(r"(?<![\w.])\d(?:[ \u00a0().\-/]?\d){6,}(?![\w])")


def _harmless_number(raw: str) -> bool:
    core = raw.strip()
    return bool(
        _DATE.match(core)
        or re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?", core)
        or re.fullmatch(r"\d+\.\d{1,2}", core)
    )


def redact_all(
    texts: Iterable[object],
    *,
    patterns: Sequence[str] = (),
    names: Iterable[str] = (),
) -> list[str]:
    """:func:`redact` over many texts (identical texts are redacted once)."""
    names = tuple(names)
    cache: dict[object, str] = {}
    out = []
    for t in texts:
        key = t if isinstance(t, str) else repr(t)
        r = cache.get(key)
        if r is None:
            r = redact(t, patterns=patterns, names=names)
            cache[key] = r
        out.append(r)
    return out


def looks_personal(value: object) -> str | None:
    """The kind of personal data a *segment value* looks like, or ``None``.

    Segment values are short labels ("ios", "Germany", "pro"); one that holds an e-mail, a
    phone, card, IBAN, IP address, street address, postcode or a token is personal data
    and must not become a segment of a report. Single words are not taken for names here
    (countries and cities are often first names too: "Jordan", "Paris").

    >>> looks_personal("jo@example.com"), looks_personal("Germany"), looks_personal("ios")
    ('email', None, None)
    """
    clean = neutralise(value).strip()
    if not clean:
        return None
    for kind, _, _ in find_pii(clean):
        if kind != "name":
            return kind
    if len(clean.split()) >= 2 and any(k == "name" for k, _, _ in find_pii(clean)):
        return "name"
    return None


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
