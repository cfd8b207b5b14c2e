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
