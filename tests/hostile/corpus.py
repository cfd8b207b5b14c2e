"""Hostile values that a browser, a script or a confused integration might send to any form field.

Plain data: each entry is ``name: value``. A value is a string (sent as the field's value), a list
(the field sent several times), ``MISSING`` (the field left out), or ``RawBytes`` (bytes that the test
client cannot express as ``str``, sent percent-encoded in a hand-built body). Names, never values, are
what the tests print, so a failure report is readable and carries nothing odd into a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawBytes:
    """A field value sent as these exact bytes (for example invalid UTF-8, or an encoded lone surrogate)."""

    data: bytes


MISSING = object()

C0_CONTROLS = "".join(chr(c) for c in range(0x01, 0x20) if chr(c) not in "\t\n\r")
C1_CONTROLS = "".join(chr(c) for c in range(0x7F, 0xA0))

HOSTILE: dict[str, object] = {
    # Bytes that break storage, logs and terminals.
    "nul": "Zain\x00ab",
    "nul_only": "\x00",
    "crlf_header": "Zainab\r\nSet-Cookie: sessionid=forged\r\nX-Injected: yes",
    "lf_only": "first line\nsecond line",
    "c0_controls": f"a{C0_CONTROLS}b",
    "escape_sequence": "\x1b[2J\x1b[31mred\x1b]0;title\x07",
    "c1_controls": f"a{C1_CONTROLS}b",
    "bidi_override": "Zainab\u202egnp.exe",
    "bidi_isolates": "\u2066Zainab\u2069\u202a\u202b\u202c\u202d",
    "zero_width": "Za\u200bin\u200cab\u200d\ufeff\u2060",
    "soft_hyphen": "Zai\u00adnab",
    # Bytes the client cannot send as str: lone surrogates (UTF-8 of U+D800) and invalid UTF-8.
    "lone_surrogate": RawBytes(b"Zain\xed\xa0\x80ab"),
    "invalid_utf8": RawBytes(b"Zain\xff\xfe\xc0\xafab"),
    "overlong_slash": RawBytes(b"..\xc0\xaf..\xc0\xafetc"),
    "replacement_char": "Zain\ufffdab",
    "noncharacters": "Zain\ufffe\uffffab",
    # Size.
    "long_10k": "x" * 10_001,
    "long_1m": "y" * 1_000_000,
    "long_word_unicode": "\U0001f469\u200d\U0001f467" * 3_000,
    # Markup and injection into other languages.
    "html": '<b onmouseover="alert(1)">bold</b>',
    "script": "</textarea></title><script>alert(document.cookie)</script>",
    "attribute_break": '" autofocus onfocus="alert(1)" x="',
    "javascript_url": "javascript:alert(1)",
    "svg": "<svg/onload=alert(1)>",
    "django_template": "{{ request.user.password }}{% debug %}{# x #}",
    "other_templates": "${7*7}#{7*7}<%= 7*7 %>{{7*'7'}}",
    "sql_quote": "'; DROP TABLE referrals_subject; --",
    "sql_or": "' OR '1'='1' --",
    "sql_like": "%_%\\",
    "path_traversal": "../../../../etc/passwd",
    "path_windows": "..\\..\\..\\windows\\win.ini",
    "format_string": "%s%s%s%n%x{0}{__class__.__mro__}%(password)s",
    "csv_formula": "=HYPERLINK(\"http://x\",\"y\")",
    "header_like": "Location: https://evil.example/",
    "url_encoded": "%00%0d%0a%3Cscript%3E",
    # Unicode that looks like something else.
    "nfd_accent": "Zai\u0301nab",
    "fullwidth": "\uff3a\uff41\uff49\uff4e\uff41\uff42",
    "homoglyph": "Z\u0430inab",
    "combining_flood": "Z" + "\u0301" * 500,
    "emoji": "\U0001f469\U0001f3fd\u200d\U0001f9b1",
    "right_to_left_name": "\u0632\u064a\u0646\u0628",
    "astral_plane": "\U00010348\U0001d11e",
    "unicode_spaces": "\u00a0\u2003\u3000",
    "whitespace_only": "   \t  ",
    "empty": "",
    # Numbers.
    "int_huge": "9" * 30,
    "int_bigint_edge": str(2**63),
    "int_int_edge": str(2**31),
    "int_4301_digits": "1" * 4301,
    "negative": "-1",
    "negative_huge": "-" + "9" * 30,
    "zero": "0",
    "decimal": "1.5",
    "exponent": "1e309",
    "nan": "NaN",
    "infinity": "Infinity",
    "negative_infinity": "-inf",
    "hex": "0x1f",
    "thousands": "1,000",
    # Dates.
    "date_zero": "0000-00-00",
    "date_min": "0001-01-01",
    "date_max": "9999-12-31",
    "date_impossible": "2024-02-30",
    "date_year_10000": "10000-01-01",
    "date_negative": "-0001-01-01",
    "date_words": "yesterday",
    # Identifiers and references.
    "uuid_nil": "00000000-0000-0000-0000-000000000000",
    "reference_like": "S-0000-0000",
    "json_object": '{"admin": true, "pk": 1}',
    # Wrong shapes: the field several times, or not at all.
    "list": ["first", "second"],
    "list_of_hostile": ["\x00", "<script>alert(1)</script>", "9" * 30],
    "empty_list": [],
    "missing": MISSING,
}

# Sent to every field of every form. Chosen so that each family above (bytes, size, markup, numbers,
# dates, shapes) is represented while the suite stays quick.
CORE = [
    "nul", "crlf_header", "c0_controls", "bidi_override", "lone_surrogate", "long_10k", "script", "int_huge",
    "negative", "nan", "date_max", "list_of_hostile", "missing",
]

# Values that must never be stored as they are: rejected with a message, or (for invisible characters
# that carry no meaning) stripped.
CONTROL_VALUES = ["nul", "nul_only", "c0_controls", "escape_sequence", "c1_controls",
                  "bidi_override", "bidi_isolates", "lone_surrogate", "invalid_utf8", "overlong_slash",
                  "replacement_char", "noncharacters"]
# Line breaks belong in a textarea, never in a one-line field.
LINE_BREAK_VALUES = ["crlf_header", "lf_only"]
INVISIBLE_VALUES = ["zero_width", "soft_hyphen"]
MARKUP_VALUES = ["html", "script", "attribute_break", "svg"]

# A body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default) and more fields than
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000): both must be refused with a 400, not read.
OVERSIZE_BODY_BYTES = 3 * 1024 * 1024
TOO_MANY_FIELDS = 1_500


def forbidden_in_page(text: str) -> list[str]:
    """Raw characters that must never appear in a page we render (escaped markup is fine)."""
    found = []
    for char in set(text):
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code <= 0x9F or 0x202A <= code <= 0x202E or (
            0x2066 <= code <= 0x2069
        ) or 0xD800 <= code <= 0xDFFF:
            found.append(f"U+{code:04X}")
    return sorted(found)
