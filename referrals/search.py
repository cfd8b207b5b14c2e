"""Finding a young person by name and date of birth, through the blind indexes that matching uses.

Names are never stored in clear, so a search cannot scan them: it computes the same keyed hashes that
recording a concern stores (``referrals.intake._identity_indexes``) and asks the key store which data
keys carry them:

- her first and last name and date of birth: the exact index (``name_dob``);
- her last name and date of birth, with the start of her first name or none at all: the
  ``family_dob`` index, then the first names of those few records are decrypted and compared;
- her first and last name, with or without a date of birth: the sounds-alike index
  (``name_phonetic``: Metaphone of the first given name and of the family name), so "Natascha Dupond"
  finds "Natasha Dupont".

Only the records the searcher may see are kept (``restrict``: a MASH lead's borough, ``view``; the data
protection officer every borough, ``export``), and only active ones (a merged record's name leads to
the record it was merged into, which carries the same indexes; an erased record has none). A search
cannot start from a part of a last name or from a date of birth alone: no index holds either, and that
is deliberate (DESIGN.md §6: matching without disclosure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from agencies import capabilities
from encryption import ERASED
from encryption import services as encryption
from encryption.blind_index import blind_index, normalise, phonetic_codes
from encryption.keys import prefetch_data_keys
from referrals.choices import IdentityIndex, SubjectStatus
from referrals.models import Subject

MAX_RESULTS = 50
EXACT = IdentityIndex.EXACT.value
SOUNDS_LIKE = IdentityIndex.SOUNDS_LIKE.value
SAME_FAMILY_AND_BIRTHDAY = IdentityIndex.SAME_FAMILY_AND_BIRTHDAY.value
# Why a record was found, in the searcher's words; the first that applies is shown.
MATCH_LABELS = {
    EXACT: "Same name and date of birth",
    SAME_FAMILY_AND_BIRTHDAY: "Same last name and date of birth",
    SOUNDS_LIKE: "Name sounds alike",
}


@dataclass
class Found:
    """One record found, as the searcher may see it (name, age, borough and reference)."""

    subject: Subject
    name: str
    age: int | None
    borough: str
    reasons: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.subject.reference

    @property
    def match(self) -> str:
        return next(MATCH_LABELS[kind] for kind in MATCH_LABELS if kind in self.reasons)


def _age(subject: Subject, today: dt.date) -> int | None:
    born = subject.date_of_birth
    if born not in (None, ERASED):
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    estimate = subject.age_estimate
    return int(estimate) if estimate not in (None, ERASED) and str(estimate).isdigit() else None


def _digests(given: str, family: str, dob: dt.date | None) -> dict[str, str]:
    """The blind-index digests the search can look up: the very ones recording stores."""
    digests: dict[str, str] = {}
    given_words = normalise(given).split()
    if dob is not None:
        digests[SAME_FAMILY_AND_BIRTHDAY] = blind_index(SAME_FAMILY_AND_BIRTHDAY, family, dob.isoformat())
        if given_words:
            digests[EXACT] = blind_index(EXACT, given, family, dob.isoformat())
    given_codes = [c for c in phonetic_codes(given) if c.startswith("metaphone:")]
    family_codes = [c for c in phonetic_codes(family) if c.startswith("metaphone:")]
    if given_codes and family_codes:
        # As recording stores it: the first given name's code (phonetic_codes sorts them) and the family's.
        digests[SOUNDS_LIKE] = blind_index(SOUNDS_LIKE, given_codes[0], " ".join(family_codes))
    return digests


def _keeps(found: Found, given: str, dob: dt.date | None) -> bool:
    """Whether a candidate answers the search as typed (the indexes are coarser than the question)."""
    subject = found.subject
    if dob is not None and subject.date_of_birth not in (None, ERASED) and subject.date_of_birth != dob:
        return False  # a sounds-alike name with another birthday is another girl
    if EXACT in found.reasons or SOUNDS_LIKE in found.reasons:
        return True
    # Found by last name and date of birth: the first name, if given, must start the same way.
    wanted = normalise(given)
    have = normalise(subject.given_name) if subject.given_name not in (None, ERASED) else ""
    return not wanted or have.startswith(wanted) or any(word.startswith(wanted) for word in have.split())


def search_action(user: Any) -> str:
    """The ``restrict`` action a search runs under: ``export`` (every borough) for the data protection
    officer, ``view`` (what they may open) for anyone else."""
    return "export" if capabilities.can_answer_subject_access(user) else "view"


def find_subjects(user: Any, *, given_name: str, family_name: str, date_of_birth: dt.date | None) -> list[Found]:
    """The active records ``user`` may see that match, best match first (at most ``MAX_RESULTS``)."""
    digests = _digests(given_name, family_name, date_of_birth)
    reasons: dict[Any, list[str]] = {}
    for kind, digest in digests.items():
        for key_id in encryption.find_data_keys(kind, digest):
            reasons.setdefault(key_id, []).append(kind)
    if not reasons:
        return []
    subjects = list(
        Subject.objects.restrict(user, search_action(user))
        .filter(data_key_id__in=list(reasons), status=SubjectStatus.ACTIVE)
        .select_related("home_borough").order_by("created_at")[:MAX_RESULTS * 2]
    )
    prefetch_data_keys(s.data_key_id for s in subjects)
    today = timezone.localdate()
    found = []
    for subject in subjects:
        given = subject.given_name if subject.given_name not in (None, ERASED) else ""
        family = subject.family_name if subject.family_name not in (None, ERASED) else ""
        row = Found(subject=subject, name=f"{given} {family}".strip(), age=_age(subject, today),
                    borough=subject.home_borough.name, reasons=reasons[subject.data_key_id])
        if _keeps(row, given_name, date_of_birth):
            found.append(row)
    order = list(MATCH_LABELS)
    found.sort(key=lambda row: (min(order.index(kind) for kind in row.reasons), row.name.casefold()))
    return found[:MAX_RESULTS]
