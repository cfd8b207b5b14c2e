"""Which characters free text may hold, shared by the forms (which refuse them with a message) and the
services (which refuse them whatever the caller).

Control characters, bidirectional overrides and unreadable bytes have no place in a safeguarding
record: they hide or reorder text on screen (a name that reads differently from what is stored), break
exports, terminals and logs, and PostgreSQL refuses NUL in text outright.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

# Dropped silently: invisible, and meaningless in names and notes. (Zero-width joiner and non-joiner
# are kept: they change how some scripts and emoji are written.)
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
# Embeddings, overrides and isolates: they reorder how text is displayed.
BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
# What a browser sends for bytes that were not UTF-8, and code points that are not characters.
UNREADABLE = frozenset({0xFFFD, 0xFFFE, 0xFFFF})


def _forbidden(char: str, *, multiline: bool) -> bool:
    code = ord(char)
    if code < 0x20:
        return not (char == "\t" or (multiline and char in "\n\r"))
    return (0x7F <= code <= 0x9F or code in BIDI_CONTROLS or 0xD800 <= code <= 0xDFFF or code in UNREADABLE)


def has_control_characters(text: str, *, multiline: bool = True) -> bool:
    """Whether ``text`` holds anything a text field refuses."""
    return any(_forbidden(char, multiline=multiline) for char in text)


def scrub(value: Any) -> Any:
    """``value`` with every refused character removed, for showing a submission back on the page."""
    if isinstance(value, str):
        return "".join(char for char in value if not _forbidden(char, multiline=True))
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def require_plain_text(*, single_line: dict[str, str | None] | None = None,
                       multi_line: dict[str, str | None] | None = None) -> None:
    """Raise ``ValidationError`` if any of the named texts holds refused characters (line breaks too,
    for one-line texts). Services call it so that a caller other than a form (a command, an import)
    cannot store what the forms refuse. The message names the field, never its value."""
    for texts, multiline in ((single_line or {}, False), (multi_line or {}, True)):
        for name, text in texts.items():
            if text and has_control_characters(text, multiline=multiline):
                raise ValidationError(f"The {name} contains hidden or control characters that cannot be stored.")
