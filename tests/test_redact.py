"""PII redaction and neutralising of user text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insightlib.text.redact import find_pii, neutralise, redact, redact_all


@pytest.mark.parametrize(
    "text",
    [
        "jane.doe@example.com",
        "JANE_DOE+news@Mail.Example.CO.UK",
        "j.o'neil@example.ie",
        "jane [at] example [dot] com",
        "jane (at) example.com",
        "jane at example dot com",
    ],
)
def test_emails_are_redacted(text: str) -> None:
    out = redact(f"Write to {text} please.")
    assert out == "Write to [email] please."


@pytest.mark.parametrize(
    "phone",
    [
        "+1 (555) 123-4567",
        "555-123-4567",
        "(555) 123 4567",
        "555.123.4567",
        "1-800-555-0199",
        "+44 20 7946 0958",
        "020 7946 0958",
        "07700 900123",
        "+44 7700 900123",
        "+49 30 12345678",
        "+49 (0)30 1234 5678",
        "030 1234567",
        "0151 23456789",
        "0049 151 23456789",
        "+49 151 23456789",
        "+33 6 12 34 56 78",
    ],
)
def test_phone_numbers_are_redacted(phone: str) -> None:
    out = redact(f"Call me on {phone}, thanks")
    assert out == "Call me on [phone], thanks"


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5500 0000 0000 0004",
        "378282246310005",  # Amex, 15 digits
        "4111 1111 1111 1112",  # fails Luhn: redacted anyway
        "6011 0009 9013 9424 123",  # 19 digits
    ],
)
def test_card_numbers_are_redacted_luhn_or_not(card: str) -> None:
    assert redact(f"My card {card} was charged twice.") == "My card [card] was charged twice."


@pytest.mark.parametrize(
    "iban",
    ["DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32"],
)
def test_ibans_are_redacted(iban: str) -> None:
    assert redact(f"IBAN {iban} and more") == "IBAN [iban] and more"


def test_lower_case_iban_needs_a_valid_checksum() -> None:
    assert redact("iban de89370400440532013000 ok") == "iban [iban] ok"


@pytest.mark.parametrize(
    "url",
    [
        "https://basketly.com/reset?token=abc123",
        "https://basketly.com/verify#code=991",
        "http://user:secret@basketly.com/x",
        "https://app.basketly.com/r/8f3a9c2b7d1e4f6a9b0c7d2e",
        "www.basketly.com/login?session=xyz",
        "https://basketly.com/reset-password/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln",
    ],
)
def test_urls_with_tokens_are_redacted(url: str) -> None:
    assert redact(f"Open {url} now") == "Open [link] now"


def test_plain_urls_and_harmless_numbers_stay() -> None:
    text = (
        "See https://basketly.com/help. Delivered on 2026-11-16 at 14:30, 16.11.2026, "
        "waited 45 minutes, paid $12.99 (1,299.00 total), app v5.2.1, order #48213, "
        "between 2019-2026."
    )
    assert redact(text) == text


def test_free_standing_tokens_are_redacted() -> None:
    assert redact("key sk_live_51HxYzAbCdEf1234567890 leaked") == "key [token] leaked"


def test_several_kinds_in_one_text() -> None:
    text = "Hi, I'm jo@example.org, +44 7700 900123, card 4012888888881881, see www.x.io/?a=1"
    out = redact(text)
    assert out == "Hi, I'm [email], [phone], card [card], see [link]"
    kinds = [k for k, _, _ in find_pii(neutralise(text))]
    assert kinds == ["email", "phone", "card", "link"]


def test_neutralise_strips_invisible_and_control_characters() -> None:
    text = "pay\u200bpal \u202eevil\u202c \u2066x\u2069 \ufeffbom\x07\x1b[31m tag\U000e0041"
    assert neutralise(text) == "paypal evil x bom[31m tag"


def test_neutralise_keeps_newlines_tabs_and_emoji() -> None:
    assert neutralise("a\r\nb\rc\u2028d\te 😡 👍🏽") == "a\nb\nc\nd\te 😡 👍🏽"


def test_neutralise_handles_none_nan_and_numbers() -> None:
    assert neutralise(None) == ""
    assert neutralise(float("nan")) == ""
    assert neutralise(42) == "42"


def test_zero_width_characters_cannot_hide_an_email() -> None:
    assert redact("mail jo\u200bhn@exa\u200dmple.com") == "mail [email]"


def test_redact_is_idempotent_and_handles_empty() -> None:
    text = "Call 555-123-4567 or mail a@b.de, card 4111 1111 1111 1111"
    once = redact(text)
    assert redact(once) == once
    assert redact("") == ""
    assert redact(None) == ""


def test_redact_all_matches_redact() -> None:
    texts = ["a@b.de", "a@b.de", "", "fine", None]
    assert redact_all(texts) == [redact(t) for t in texts]


_WORDS = st.sampled_from(["the", "driver", "was", "late", "code", "never", "arrived", "😡", "ok"])
_PII = st.one_of(
    st.builds(
        lambda a, b: f"{a}@{b}.com",
        st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8})?", fullmatch=True),
        st.from_regex(r"[a-z]{2,10}", fullmatch=True),
    ),
    st.builds(
        lambda groups, sep: sep.join(groups),
        st.lists(st.from_regex(r"[0-9]{4}", fullmatch=True), min_size=4, max_size=4).filter(
            lambda g: g[0][0] != "0"
        ),
        st.sampled_from([" ", "-", ""]),
    ),
    st.builds(lambda n: f"+44 7700 {n}", st.from_regex(r"[0-9]{6}", fullmatch=True)),
    st.builds(
        lambda t: f"https://x.io/reset?token={t}", st.from_regex(r"[a-z0-9]{4,12}", fullmatch=True)
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_WORDS, _PII), min_size=1, max_size=12))
def test_no_pii_survives_in_random_text(parts: list[str]) -> None:
    out = redact(" ".join(parts))
    assert "@" not in out
    assert "token=" not in out
    assert not re.search(r"\d(?:[ -]?\d){6,}", out)


# ------------------------------------------------------------------------------------------
# Boundaries: a phone has at least 7 digits, a card at least 13
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("phone", ["555 1234", "5551234", "555-1234", "(555) 1234", "+1 555 1234"])
def test_seven_digits_are_a_phone(phone: str) -> None:
    assert redact(f"Call {phone} now") == "Call [phone] now"


@pytest.mark.parametrize("number", ["555 123", "555123", "55-51-23", "order 482131"])
def test_six_digits_are_not_a_phone(number: str) -> None:
    assert redact(f"Ref {number} now") == f"Ref {number} now"
    assert find_pii(f"Ref {number} now") == []


@pytest.mark.parametrize(
    "card", ["4222222222222", "4222 2222 22222", "4222-2222-2222-2", "1234567890123"]
)
def test_thirteen_digits_are_a_card(card: str) -> None:
    assert redact(f"My card {card} failed") == "My card [card] failed"
    assert [k for k, _, _ in find_pii(f"My card {card} failed")] == ["card"]


@pytest.mark.parametrize("digits", ["422222222222", "4222 2222 2222", "1234567890123456789"[:12]])
def test_twelve_digits_are_a_phone_not_a_card(digits: str) -> None:
    assert [k for k, _, _ in find_pii(f"My card {digits} failed")] == ["phone"]


def test_fifteen_digits_are_still_a_phone_and_nineteen_still_a_card() -> None:
    assert [k for k, _, _ in find_pii("call +491512345678901 now")] == ["phone"]
    assert [k for k, _, _ in find_pii("card 4111111111111111111 now")] == ["card"]
    assert [k for k, _, _ in find_pii("code 0111111111111111 now")] == []  # 16 digits, no card


def test_dates_amounts_and_ranges_near_a_phone_stay() -> None:
    text = "On 16.11.2026 I paid 1,299.00 and 12.34 in 2019-2026, call 0151 2345678"
    assert redact(text) == "On 16.11.2026 I paid 1,299.00 and 12.34 in 2019-2026, call [phone]"
    # two numbers run together next to a redaction are swept up too
    assert redact("jo@example.org 5551234") == "[email] [phone]"


def test_sentence_punctuation_after_a_link_stays() -> None:
    assert redact("Open https://x.io/reset?token=abc123. Then") == "Open [link]. Then"
    assert redact("see www.x.io/?a=1, ok") == "see [link], ok"
    assert redact("see www.x.io/?a=1!?") == "see [link]!?"


def test_a_phone_after_a_colon_keeps_the_colon() -> None:
    assert redact("call: 555 1234") == "call: [phone]"
    assert redact("call:\u00a0555 1234 now") == "call:\u00a0[phone] now"


@pytest.mark.parametrize("sep", [" ", "-", "\u00a0"])
def test_words_after_a_lower_case_iban_are_kept(sep: str) -> None:
    iban = sep.join(["be68", "5390", "0754", "7034"])
    words = sep.join(["from", "bank"])
    assert redact(f"iban {iban}{sep}{words} ok") == f"iban [iban]{sep}{words} ok"


def test_iban_shapes_at_their_limits() -> None:
    assert redact("acct NO93 8601 1117 947 ok") == "acct [iban] ok"  # 15 characters
    assert redact("acct no93 8601 1117 947 ok") == "acct [iban] ok"  # checksum holds
    assert redact("ref AB12 1CDE FGHI J234 ok") == "ref [iban] ok"  # 4 digits after the code
    assert redact("ref AB12 CDEF GHIJ K234 ok") == "ref AB12 CDEF GHIJ K234 ok"  # 3 digits
    assert redact("ref AB12 3456 7890 ok") == "ref AB12 [phone] ok"  # 12 characters: no IBAN


def test_iban_checksum() -> None:
    from insightlib.text.redact import _iban_ok

    assert _iban_ok("DE89 3704 0044 0532 0130 00") and _iban_ok("de89-3704-0044-0532-0130-00")
    assert _iban_ok("NO9386011117947") and _iban_ok("no93\u00a08601\u00a01117\u00a0947")
    assert not _iban_ok("DE88 3704 0044 0532 0130 00")
    assert not _iban_ok("NO938601111794")  # 14 characters
    assert not _iban_ok("DE89 3704 0044 0532 0130 0$")
    assert not _iban_ok("X" * 35)


def test_tokens_are_reported_as_tokens() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
    assert [k for k, _, _ in find_pii(f"auth {jwt} here")] == ["token"]
    assert redact(f"auth {jwt} here") == "auth [token] here"


def test_numbers_run_together_next_to_a_redaction_are_swept() -> None:
    # 16 digits starting with 0: neither a card nor a phone; next to an e-mail it still goes
    assert redact("jo@example.org 0123 4567 8901 2345") == "[email] [phone]"


def test_amounts_and_dates_are_not_phones() -> None:
    for text in (
        "paid 1.234.567 total",
        "sum 1234567.89 ok",
        "on 16/11/2026 ok",
        "1,234,567 units",
    ):
        assert redact(text) == text


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://basketly.com/help#", False),
        ("https://basketly.com/help#a", True),
        ("https://basketly.com/search?q", True),
        ("https://basketly.com/a=b", True),
        ("https://basketly.com/p?x", True),
        ("https://basketly.com/help/faq", False),
    ],
)
def test_which_links_carry_a_secret(url: str, secret: bool) -> None:
    assert redact(f"see {url} now") == ("see [link] now" if secret else f"see {url} now")


def test_neutralise_keeps_numbers_and_redact_all_caches_by_value() -> None:
    assert neutralise(1.5) == "1.5" and neutralise(7) == "7"
    assert redact_all([1, 2, "a@b.io", "a@b.io", ["x"]]) == [
        "1",
        "2",
        "[email]",
        "[email]",
        "['x']",
    ]


def test_inert_markup() -> None:
    from insightlib.text.redact import inert_markup

    assert inert_markup("<b>x</b> [a](javascript:y) ok") == "‹b›x‹/b› [a] (javascript:y) ok"
    assert inert_markup("[a]  (b) plain") == "[a] (b) plain"
    assert inert_markup("[a]\n(b)") == "[a] (b)"


# --- issue 13: names, addresses, postcodes, references, IPs, spaced cards and e-mails --------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The agent was called Gina and she hung up",
            "The agent was called [name] and she hung up",
        ),
        ("Spoke to John Smith yesterday", "Spoke to [name] yesterday"),
        ("Thanks to Maria from support!", "Thanks to [name] from support!"),
        ("Mr Patel never called back", "Mr [name] never called back"),
        ("Gina was rude to me", "[name] was rude to me"),
        ("Dear Sarah, thanks for nothing", "Dear [name], thanks for nothing"),
        ("I live at 221B Baker Street, London NW1 6XE", "I live at [address]"),
        ("Send it to 1600 Pennsylvania Avenue NW, Washington, DC 20500", "Send it to [address]"),
        ("Meine Adresse: Hauptstraße 5, 10115 Berlin", "Meine Adresse: [address]"),
        ("J'habite 12 rue de Rivoli, 75001 Paris", "J'habite [address]"),
        ("My postcode is SW1A 1AA", "My postcode is [postcode]"),
        ("zip 90210 is wrong", "zip [postcode] is wrong"),
        ("booking ref BK-482913 was lost", "booking ref [ref] was lost"),
        ("Order number 123456789 never arrived", "Order number [ref] never arrived"),
        ("my order ABC12345 is late", "my order [ref] is late"),
        ("Server IP 192.168.1.23 blocked me", "Server IP [ip] blocked me"),
        ("IPv6 2001:db8::8a2e:370:7334 here", "IPv6 [ip] here"),
        ("Call me on 555-1234", "Call me on [phone]"),
        ("card 4111.1111.1111.1111 charged", "card [card] charged"),
        ("card 4111  1111  1111  1111 charged", "card [card] charged"),
        ("card ４１１１ １１１１ １１１１ １１１１ charged", "card [card] charged"),
        ("card ٤١١١ ١١١١ ١١١١ ١١١١ charged", "card [card] charged"),
        ("mail jo.doe @ example.com now", "mail [email] now"),
        ("mail jo.doe@ example.com now", "mail [email] now"),
        ("mail jo.doe at gmail.com now", "mail [email] now"),
    ],
)
def test_new_kinds_of_personal_data_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "$700-1000 per person is a lot",
        "It costs 700-1000 a night",
        "Version 69.0.3497.71 broke the toolbar",
        "After update 4.2017.21210 audio stops in background",
        "iOS 14.2 and Chrome 69 on Windows 10",
        "Between 3-4 days, 10:30-11:00, 2019-2026, paid €1.299,00 and 1,299.99",
        "Will it work? Mark as read. Grace period. May 2020.",
        "I have 2 Google Drive accounts and 5000 photos",
        "Alexa and Siri are better",
        "Google Drive stopped syncing on my iPhone 12",
        "This app is great, thanks Google!",
        "I love Microsoft Teams, my teacher uses it",
        "Don't update, Don’t bother",
        "order #48213 arrived",
        "I miss Inbox so much",
        "build 10.0.19041.1 is out",
    ],
)
def test_prices_versions_and_ordinary_words_are_not_redacted(text: str) -> None:
    assert redact(text) == text


def test_configured_reference_patterns_and_names() -> None:
    text = "Trip XJ-88-QT and Zorbex both bad"
    assert redact(text) == text
    out = redact(text, patterns=[r"\bXJ-\d\d-[A-Z]{2}\b"], names=["zorbex"])
    assert out == "Trip [ref] and [name] both bad"


def test_segment_values_that_look_personal() -> None:
    from insightlib.text.redact import looks_personal

    assert looks_personal("jo@example.com") == "email"
    assert looks_personal("+44 7700 900123") == "phone"
    assert looks_personal("10.0.0.12") == "ip"
    assert looks_personal("Jane Miller") == "name"
    for ok in ("ios", "Germany", "Jordan", "pro plan", "2026-11", "v5.2"):
        assert looks_personal(ok) is None, ok


def test_ordinary_words_from_the_easy_word_list_are_not_first_names() -> None:
    """'Honey', 'Ivy' and 'Dawn' are first names in the census lists, but also Dale–Chall easy
    words (textstat's list, read as a file): ordinary words, so they are not names, and reading
    the list imports neither textstat nor NLTK (a second at every run)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from insightlib.text.redact import is_first_name\n"
        "print([is_first_name(w) for w in ('honey', 'ivy', 'dawn', 'gina')],"
        " 'textstat' in sys.modules, 'nltk' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[False,", "False,", "False,", "True]", "False", "False"]


# --- given names beyond the US census lists (insightlib/text/data/first_names.txt) ---------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The agent was called Siobhan", "The agent was called [name]"),
        ("Siobhan hung up on me twice", "[name] hung up on me twice"),
        ("Priya in support sorted it out", "[name] in support sorted it out"),
        ("Joaquín was really helpful", "[name] was really helpful"),
        ("thanks to Joaquin and Aoife", "thanks to [name] and [name]"),
        ("Arjun said the refund was sent", "[name] said the refund was sent"),
        ("Ask for Niamh or Saoirse at the desk", "Ask for [name] or [name] at the desk"),
        ("Björn and Agnieszka were kind", "[name] and [name] were kind"),
        ("the driver Anjali left it outside", "the driver [name] left it outside"),
        ("Lucía from the call centre", "[name] from the call centre"),
    ],
)
def test_given_names_of_many_countries_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Edit: it works again. Constant crashes before that.",
        "Corona lockdown made us use Teams",
        "Forum posts say the same. Pastor at our church uses it.",
        "Saga continues. Peer review of the update: bad.",
        "Flying to São Paulo tomorrow",
        "As a reporter in Washington, DC, I need this",
        "Sud América siempre está",
        "Just a Lotta problems with sync",
        "Pero no funciona. Leider nicht.",
        "Dev team please fix. Mar 2020 update.",
        "Grace period ended. Hope this helps. Will it sync?",
        "Page won't load. Major bug. Season pass gone. Golden hour photos. Rocky start.",
        "Rosa is not a color here but Joy is a feeling",
    ],
)
def test_words_that_are_also_foreign_given_names_are_not_redacted(text: str) -> None:
    if "Rosa" in text:  # a name written as one stays a name; "Joy" is an ordinary word
        assert redact(text) == "[name] is not a color here but Joy is a feeling"
        return
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Mail me at jo.smith@example.com, thanks.", [("email", "jo.smith@example.com")]),
        ("jo@example.com;jo@example.org", [("email", "jo@example.com"), ("email", "jo@example.org")]),
        ("Card 4111 1111 1111 1111 was charged (twice).", [("card", "4111 1111 1111 1111")]),
        (
            "Call +44 20 7946 0958 or (415) 555-2671!",
            [("phone", "+44 20 7946 0958"), ("phone", "(415) 555-2671")],
        ),
        ("The agent was called Gina and she was rude.", [("name", "Gina")]),
        ("Booking ref ABC-12345 never arrived", [("ref", "ABC-12345")]),
        (
            "see https://example.com/reset?token=abcdef1234567890abcdef1234567890 now",
            [("link", "https://example.com/reset?token=abcdef1234567890abcdef1234567890")],
        ),
        ("IBAN GB82 WEST 1234 5698 7654 32 for refunds", [("iban", "GB82 WEST 1234 5698 7654 32")]),
        ("I live at 221B Baker Street, London NW1 6XE.", [("address", "221B Baker Street, London NW1 6XE")]),
        ("It cost $700-1000 per person in version 69.0.3497.71", []),
    ],
)  # fmt: skip
def test_find_pii_spans_are_exactly_the_personal_data(text: str, found: list) -> None:
    """Each span covers the personal data and nothing around it (no sentence punctuation, no
    leading space), in text order; prices and version numbers are not personal data."""
    spans = find_pii(text, patterns=[r"ABC-\d{5}"])
    assert [(k, text[s:e]) for k, s, e in spans] == found
    assert [s for _, s, _ in spans] == sorted(s for _, s, _ in spans)


# --- e-mail addresses spelled out in words ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jo dot smith at example dot com", "[email]"),
        ("Write to jo dot smith at example dot com please.", "Write to [email] please."),
        ("JO DOT SMITH AT EXAMPLE DOT COM", "[email]"),
        ("mail jo underscore smith at gmail dot com", "mail [email]"),
        ("mary dash jones at example dot co dot uk", "[email]"),
        ("jo [dot] smith [at] example [dot] com", "[email]"),
        ("jo dot smith (at) example.com today", "[email] today"),
        # a first name that is also a word is still someone's address
        ("bill at example dot com", "[email]"),
        ("ask ted at example.com", "ask [email]"),
        # a rejected "at" (after an ordinary word) does not hide the address after it
        ("write at anna dot de at web dot de", "write at [email]"),
    ],
)
def test_spelled_out_emails_are_redacted_whole(text: str, expected: str) -> None:
    """ "jo dot smith at example dot com" used to leave "jo dot" in clear."""
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "meet at the dot com bubble",  # a domain never starts with "the"
        "Keynote at the dot com expo",  # (and "keynote" is no ordinary word)
        "we looked at example dot com pricing",  # "at" after an ordinary word: a site
        "look at example.com for details",
        "email me at example dot com",
        "I shopped at amazon dot com and stayed at hotels dot com",
        "support at example dot com",  # a role address after an ordinary word: nobody's
        "the dot com bubble burst",
    ],
)
def test_at_and_dot_in_prose_are_not_emails(text: str) -> None:
    assert redact(text) == text


def test_spelled_out_email_span_is_the_whole_address() -> None:
    text = "Write to Jo dot Smith at example dot com, thanks."
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [
        ("email", "Jo dot Smith at example dot com")
    ]


# --- exact tests of the rules mutation testing found untested (docs/mutation.md) -----------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "Gina R. was rude",
            ["Gina R"],
        ),  # an initial goes with the name (its "." is the sentence's)
        ("Ask Gina R.J. about it", ["Gina R.J"]),
        ("Gina Smith Jones Patel called", ["Gina Smith Jones"]),  # at most two surnames
        ("Gina\u00a0Smith called", ["Gina\u00a0Smith"]),  # a no-break space joins them too
        ("Gina  Smith called", ["Gina"]),  # two spaces do not
        ("Gina Xyzzy called", ["Gina"]),  # not a known surname
        ("Gina Chrome helped", ["Gina"]),  # a product, not a surname
        ("Amy was rude", ["Amy"]),  # three letters are enough
        ("Jo was here", []),  # two are not, without a cue ...
        ("Dear Jo, thanks", ["Jo"]),  # ... but a surname-list word after a cue is
        ("Mr Look helped", []),  # an ordinary word after a cue is not
        ("Dear Hope and Gina", ["Gina"]),  # nor does it hide the name after it
        ("Thanks to Smith for help", ["Smith"]),
        ("Patel told Gina", ["Gina"]),  # a surname needs a cue; the name after it is found
        ("Jordan and Austin loved it", []),  # places that are also first names
    ],
)
def test_name_spans_by_hand(text: str, names: list[str]) -> None:
    assert [text[s:e] for k, s, e in find_pii(text) if k == "name"] == names


def test_configured_names_win_over_the_common_vocabulary() -> None:
    """``[privacy] names`` lists "jordan" (an agent called Jordan): it is redacted although
    Jordan is also a country, after a cue too."""
    assert redact("Ask Jordan in support") == "Ask Jordan in support"
    assert redact("Ask Jordan in support", names=["jordan"]) == "Ask [name] in support"
    assert redact("Thanks to Zorbex", names=["zorbex"]) == "Thanks to [name]"


def test_is_first_name_and_the_name_data_file() -> None:
    from insightlib.text.redact import _data_words, is_first_name

    assert is_first_name("GINA") and is_first_name("siobhan")
    assert not is_first_name("Smith")  # a surname only
    assert not is_first_name("Will")  # an ordinary word
    words = _data_words("first_names.txt")
    assert {"siobhan", "aoife", "joaquín"} <= words
    assert "" not in words and not any(w.startswith("#") for w in words)
    assert all(w == w.strip() for w in words)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # digits left next to a redaction are the rest of the same number, even if they look
        # like a date (before it, or right after it)
        ("jo@example.com 12.11.2026", "[email] [phone]"),
        ("12.11.2026 jo@example.com", "[phone] [email]"),
        ("12.11.2026. Gina was rude", "12.11.2026. [name] was rude"),  # not adjacent
        # elsewhere in a text that held personal data, a 7-digit run goes ...
        ("jo@example.com sent 5551234 twice", "[email] sent [phone] twice"),
        # ... unless it is a date, a version, an amount or a range
        ("jo@example.com wrote on 2026-11-16 again", "[email] wrote on 2026-11-16 again"),
        ("jo@example.com runs version 10.2017.21210", "[email] runs version 10.2017.21210"),
        ("jo@example.com crashes on 4.0.3497.712", "[email] crashes on 4.0.3497.712"),
        ("$1234567 paid by jo@example.com", "$1234567 paid by [email]"),
        ("jo@example.com paid 1234567 dollars", "[email] paid 1234567 dollars"),
    ],
)
def test_the_safety_sweep_by_hand(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The call cost $1234567 in total", None),  # an amount, even after a cue word
        ("between 10000-10000 units", "between [phone] units"),  # no range: not rising
        ("10000-20000 of them", None),  # a range of ten digits
        ("crashes on 4.0.3497.712 daily", None),  # versions without a cue word
        ("crashes on 10.2017.21210 daily", None),
        ("1,234,567,890 downloads", None),  # an amount with thousands separators
        ("grew to 12.345.678.901 this year", None),  # the same with dots
        (
            "2 Google Drive accounts; I live at 221B Baker Street, London NW1 6XE",
            "2 Google Drive accounts; I live at [address]",
        ),
    ],
)
def test_numbers_that_are_not_phones_by_hand(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


def test_iban_length_limits() -> None:
    from insightlib.text.redact import _iban_ok

    # GB + check digits + 30 ones (34 characters, the longest IBAN) and + 31 (35): both pass
    # the mod-97 check; only the first is an IBAN
    assert _iban_ok("GB57" + "1" * 30)
    assert not _iban_ok("GB90" + "1" * 31)
    assert not _iban_ok("GB58" + "1" * 30)  # a wrong check digit


def test_redact_all_passes_patterns_and_names() -> None:
    out = redact_all(["Trip XJ-88-QT", "Zorbex was rude", "Trip XJ-88-QT"],
                     patterns=[r"\bXJ-\d\d-[A-Z]{2}\b"], names=["zorbex"])  # fmt: skip
    assert out == ["Trip [ref]", "[name] was rude", "Trip [ref]"]


def test_looks_personal_takes_no_single_word_for_a_name() -> None:
    from insightlib.text.redact import looks_personal

    assert looks_personal("Gina") is None and looks_personal("Gina Miller") == "name"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 7-9 digits need a cue word, a valid number of a common region or a "+"/"00" prefix
        ("Try +1234567 today", "Try [phone] today"),
        ("Try 001234567 today", "Try [phone] today"),
        ("Try 098765432 today", None),  # nine digits, no cue, valid nowhere
        ("see 1111111111 here", "see [phone] here"),  # ten digits need nothing
        # one number skipped does not end the search for the next
        ("Room 12, call +44 20 7946 0958", "Room 12, call [phone]"),
        ("On 2026-11-16 call +44 20 7946 0958", "On 2026-11-16 call [phone]"),
        ("$700-1000 per person, call +44 20 7946 0958", "$700-1000 per person, call [phone]"),
        # wide separators: the pre-check must not be narrower than the phone pattern
        ("Call 555 - ( 123 ) - 4567 now", "Call [phone] now"),
        # amounts, versions and prices with a "+" or a cue word
        ("Downloads grew +1.000.000 this year", None),
        ("version 12.34.5678.90 crashes", None),
        ("It was 1234567890 dollars", None),
        ("Version 12.34.5678.9012.345 broke it", None),  # a card-length version after a cue
        ("12.34.5678.9012.345 broke it", "[card] broke it"),
    ],
)
def test_phone_and_card_rules_by_hand(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN NO00 8601 1117 947 ok", "IBAN [iban] ok"),  # 15 characters, upper case
        ("V 10.2.3.4 is out", None),  # a version after "V", not an IP address
        ("10.2.3.4 is out", "[ip] is out"),
        ("gateway fe80::1 down", "gateway [ip] down"),
        ("host 1::2 is down", "host [ip] is down"),
        ("addr 2001:0db8:85a3:0000:0000:8a2e:0370:7334 down", "addr [ip] down"),
        ("FE80:AB:CD:EF:12:34:56:78 x", "[ip] x"),
        ("fe80:ab:cd:ef:12:34:56:78 x", "[ip] x"),
        ("scores 1:2:3:4:5:6 today", None),  # no hex letter, no three digits, no "::"
        ("My postcode is SW1A 2AX", "My postcode is [postcode]"),  # ends in "X"
        ("İstanbul: booking ref BK-482913 lost", "İstanbul: booking ref [ref] lost"),
    ],
)
def test_iban_ip_postcode_and_reference_rules_by_hand(text: str, expected: str | None) -> None:
    """ "İ" lower-cases to two characters, so references are then matched on the text itself."""
    assert redact(text) == (text if expected is None else expected)


def test_a_number_skipped_does_not_end_the_search() -> None:
    # (redact then sweeps the skipped number too, as it sits in a text with a redaction)
    text = "Try 098765432 or +44 20 7946 0958"
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [("phone", "+44 20 7946 0958")]


def test_a_pattern_that_matches_only_punctuation_adds_nothing() -> None:
    assert redact("Really?", patterns=[r"\?"]) == "Really?"
    assert find_pii("Really?", patterns=[r"\?"]) == []


@pytest.mark.parametrize(
    ("word", "ordinary"),
    [
        ("look", True),  # a common word
        ("Bill", False),  # and a first name
        ("looked", True),  # look + ed
        ("closed", True),  # close + d
        ("shopped", True),  # shop + ped
        ("carried", True),  # carry: y -> ied
        ("looking", True),  # look + ing
        ("voting", True),  # vote: e -> ing
        ("trading", True),  # trade (seven letters: the stem is not the word's first four)
        ("shipping", True),  # ship + ping
        ("petting", True),  # pet + ting
        ("looks", True),  # look + s
        ("buses", True),  # bus + es (a stem of three letters)
        ("zorbexed", False),  # no stem is a word
        ("zorbexing", False),
        ("zorbexes", False),
        ("zorbex", False),
        ("info", False),
    ],
)
def test_ordinary_words_for_the_at_in_prose_rule(word: str, ordinary: bool) -> None:
    """The "at" after one ordinary word is prose ("we looked at example dot com")."""
    from insightlib.text.redact import _ordinary_word

    assert _ordinary_word(word) is ordinary


def test_an_iban_shape_failing_its_checksum_keeps_the_other_redactions() -> None:
    # the lower-case IBAN loop gives up on "ab12cdefghijklmnop" (no checksum, nothing to cut)
    # and goes on: the e-mail before it stays redacted
    assert redact("jo@example.com ab12cdefghijklmnop") == "[email] ab12cdefghijklmnop"
