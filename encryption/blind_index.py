"""Blind indexes: keyed hashes of normalised identifying values, for exact matching without disclosure.

``blind_index(kind, *parts)`` is HMAC-SHA256, under the blind-index key (separate from the encryption
keys), of ``kind``, then each normalised part, joined by the unit separator U+001F (which normalised
text never contains, so ``("ab", "c")`` and ``("a", "bc")`` differ). The digest is truncated to the
first 16 bytes, written as 32 hex digits.

Why 128 bits: it is enough that two different people (or two different phonetic codes) essentially
never collide, even across millions of entries, so a match is a real match of the normalised input;
truncating further would add false matches without hiding anything useful.

What it leaks, to anyone who can read the table: which entries share the same normalised input (the
same name and date of birth appear under two data keys: that is the point of it), and how often a value
occurs, so rare names stand out by frequency (more so for the coarse ``dob`` and phonetic kinds).
Without the blind-index key nobody can test a guess ("is Jane Doe born 2009-01-02 in here?"), and the
key lives outside the database. Shredding a data key deletes its indexes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import jellyfish

from encryption.keyring import get_blind_index_key

DIGEST_BYTES = 16
_SEPARATOR = "\x1f"

# Hyphens and dashes separate words ("Mary-Jane" matches "Mary Jane"); apostrophes and similar marks
# join them ("O'Brien" matches "OBrien"); other punctuation is dropped.
_HYPHENS = re.compile(r"[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212_/.,]")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u201a\u201b\u02bc\u02bb`\u00b4]")
_NOT_WORD = re.compile(r"[^\w ]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalise(value: str) -> str:
    """Fold case, strip accents, treat hyphens as spaces, drop apostrophes, collapse spacing."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    text = _APOSTROPHES.sub("", text)
    text = _HYPHENS.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _NOT_WORD.sub("", text)
    return _SPACES.sub(" ", text).strip()


def blind_index(kind: str, *parts: str) -> str:
    """The blind index of ``parts`` (normalised) for ``kind``: 32 hex digits (128 bits of HMAC-SHA256)."""
    message = _SEPARATOR.join([kind, *(normalise(part) for part in parts)]).encode("utf-8")
    return hmac.new(get_blind_index_key(), message, hashlib.sha256).digest()[:DIGEST_BYTES].hex()


def phonetic_codes(name: str) -> list[str]:
    """Phonetic codes (Metaphone and NYSIIS) of each word of a name, for candidate duplicates.

    Codes carry their algorithm's name so that codes of different algorithms never match. Hash them
    with ``blind_index("name_phonetic", code)`` before storing: the codes themselves are readable.
    """
    codes: set[str] = set()
    for token in normalise(name).split():
        ascii_token = token.encode("ascii", "ignore").decode("ascii")
        if not ascii_token.isalpha():
            ascii_token = "".join(ch for ch in ascii_token if ch.isalpha())
        if not ascii_token:
            continue
        codes.add(f"metaphone:{jellyfish.metaphone(ascii_token)}")
        codes.add(f"nysiis:{jellyfish.nysiis(ascii_token)}")
    return sorted(codes)
