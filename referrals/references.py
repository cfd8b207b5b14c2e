"""Human-readable reference numbers: what screens, URLs and the access trail show instead of names.

Random, not sequential, so a reference reveals neither how many records exist nor when one was made.
The alphabet leaves out letters that are easily confused when read aloud or handwritten (I, L, O, U).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 32**8 ≈ 1.1e12 references per prefix. Nothing looks a new reference up before use: a clash (about one in
# a million at a million rows) fails the unique constraint and the transaction, never duplicates.
_BODY = 8


def new_reference(prefix: str) -> str:
    """A fresh reference such as ``S-4KQ7-M2XD``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def reference_pattern(prefix: str) -> str:
    """A URL-converter-friendly regular expression for one prefix's references."""
    return rf"{prefix}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}"


def looks_like(prefix: str, value: str) -> bool:
    """Whether ``value`` has the shape of a reference with this prefix (a cheap first check)."""
    return re.fullmatch(reference_pattern(prefix), value or "") is not None
