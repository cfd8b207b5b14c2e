"""Human-readable reference numbers: what screens, URLs and the access trail show instead of names.

Random, not sequential, so a reference reveals neither how many records exist nor when one was made.
The alphabet leaves out letters that are easily confused when read aloud or handwritten (I, L, O, U).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, transaction

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 32**8 ≈ 1.1e12 references per prefix. Nothing looks a new reference up before use (that would cost every
# insert a query): a clash fails the unique constraint, and the service that drew it runs again
# (``retried_on_reference_clash``). A clash is about one in a million inserts at a million rows, but over
# London's million girls it is likely to happen about once: it must not be a server error.
_BODY = 8
RETRIES_ON_CLASH = 2
_SQLITE_CLASH = re.compile(r"UNIQUE constraint failed: \w+\.reference$")

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _draw() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(_BODY))


def new_reference(prefix: str) -> str:
    """A fresh reference such as ``S-4KQ7-M2XD``."""
    body = _draw()
    return f"{prefix}-{body[:4]}-{body[4:]}"


def is_reference_clash(error: IntegrityError) -> bool:
    """Whether ``error`` is a unique ``reference`` column refusing a reference already taken."""
    # PostgreSQL: "Key (reference)=(C-...) already exists.", whatever the constraint is called.
    detail = getattr(getattr(error.__cause__, "diag", None), "message_detail", None)
    if detail is not None:
        return detail.startswith("Key (reference)=")
    return bool(_SQLITE_CLASH.search(str(error)))


def retried_on_reference_clash(service: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``service`` again, up to ``RETRIES_ON_CLASH`` times, when a reference it drew was already taken.

    The service must be atomic (``transaction.atomic`` inside this decorator): the failed attempt has then
    rolled back everything it wrote, its access events included, and the next attempt draws new references.
    When it ran inside a caller's transaction that the failure left unusable, the error goes up unchanged.
    """

    @wraps(service)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        attempt = 0
        while True:
            try:
                return service(*args, **kwargs)
            except IntegrityError as error:
                if (attempt == RETRIES_ON_CLASH or not is_reference_clash(error)
                        or transaction.get_connection().needs_rollback):
                    raise
                attempt += 1

    return wrapper


def reference_pattern(prefix: str) -> str:
    """A URL-converter-friendly regular expression for one prefix's references (or a class of prefixes,
    such as ``[SAPG]``)."""
    return rf"{prefix}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}"


def looks_like(prefix: str, value: str) -> bool:
    """Whether ``value`` has the shape of a reference with this prefix (a cheap first check)."""
    return re.fullmatch(reference_pattern(prefix), value or "") is not None


# ---------------------------------------------------------------------------------------------------
# URL converters: every URL that names a record matches its kind of reference exactly, so a mistyped or
# hostile path is a 404 before any view runs. config.urls registers CONVERTERS once, before any app's
# URLs are included; the apps' url modules then only use the names (``<subject_ref:reference>``).
# ---------------------------------------------------------------------------------------------------
class ReferenceConverter:
    """Matches one kind of reference (``regex``) and passes it through unchanged."""

    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SubjectReference(ReferenceConverter):
    regex = reference_pattern("S")


class ConcernReference(ReferenceConverter):
    regex = reference_pattern("C")


class ReferralReference(ReferenceConverter):
    regex = reference_pattern("R")


class AssociateReference(ReferenceConverter):
    regex = reference_pattern("A")


class PlaceReference(ReferenceConverter):
    regex = reference_pattern("P")


class GroupReference(ReferenceConverter):
    regex = reference_pattern("G")


class LinkReference(ReferenceConverter):
    regex = reference_pattern("L")


class NodeReference(ReferenceConverter):
    """A young person, person, place or group: where an association-map link can start."""

    regex = reference_pattern("[SAPG]")


class GrantReference(ReferenceConverter):
    """An emergency-access (break-glass) grant."""

    regex = reference_pattern("B")


class TransferReference(ReferenceConverter):
    """A school transfer of her child-protection file."""

    regex = reference_pattern("T")


class BoroughTransferReference(ReferenceConverter):
    """A move of her home borough to another borough's MASH."""

    regex = reference_pattern("M")


# Case work: a strategy discussion, an action of a plan, a MACE meeting.
class StrategyDiscussionReference(ReferenceConverter):
    regex = reference_pattern("D")


class ActionReference(ReferenceConverter):
    regex = reference_pattern("K")


class MeetingReference(ReferenceConverter):
    regex = reference_pattern("X")


CONVERTERS: dict[str, type[ReferenceConverter]] = {
    "subject_ref": SubjectReference,
    "concern_ref": ConcernReference,
    "referral_ref": ReferralReference,
    "associate_ref": AssociateReference,
    "place_ref": PlaceReference,
    "group_ref": GroupReference,
    "link_ref": LinkReference,
    "node_ref": NodeReference,
    "grant_ref": GrantReference,
    "transfer_ref": TransferReference,
    "borough_transfer_ref": BoroughTransferReference,
    "discussion_ref": StrategyDiscussionReference,
    "action_ref": ActionReference,
    "meeting_ref": MeetingReference,
}
