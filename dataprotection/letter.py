"""The subject access export as a letter to the young person: plain-English labels, dates in words, no
raw codes, and other people's names withheld unless the officer chooses to include them.

``export.subject_access_data`` stays the complete record (ISO dates, codes); these functions only change
how it reads. Who is a third party (UK GDPR Art. 15(4); Data Protection Act 2018 Sch. 2 para. 16): the
members of staff named as having recorded, decided, shared or opened something (or as owning an action,
chairing a MACE meeting, or being told of a step in her case), and the names of places
and groups on her map (associates are named by reference only in the export itself). Free text that
professionals wrote (what was seen, reasons, notes) is hers and is kept; the officer reads it for other
people's names before sending, as the page says.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as format_date

from audit.choices import Action, Outcome
from referrals.choices import ReferralState, SubjectStatus, TransferStatus
from risk.choices import RiskLevel
from risk.map.models import LinkStatus

WITHHELD = "[name withheld]"
# Keys whose value names a member of staff (a username), wherever they appear in the export.
STAFF_KEYS = frozenset({"recorded_by", "decided_by", "started_by", "accepted_by", "referred_by", "by",
                        "granted_by", "opened_by", "owner", "created_by", "chair", "recipient"})
# Keys whose value is a code with a label to show instead.
CODE_KEYS = frozenset({"status", "level", "state", "from", "to", "action", "outcome", "change"})
LABELS: dict[str, str] = {
    **dict(SubjectStatus.choices), **dict(RiskLevel.choices), **dict(ReferralState.choices),
    **dict(TransferStatus.choices), **dict(LinkStatus.choices), **dict(Action.choices), **dict(Outcome.choices),
}
IDENTITY_LABELS = {
    "given_name": "First name", "family_name": "Last name", "other_names": "Other names",
    "date_of_birth": "Date of birth", "age_estimate": "Age (estimated)", "address": "Address",
    "identifiers": "Other identifiers", "nhs_number": "NHS number", "pupil_number": "Unique pupil number",
    "borough": "Borough",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def label(code: Any) -> Any:
    """The plain-English label of a code (``screening`` → "Screening"); anything else unchanged."""
    if not isinstance(code, str) or not code:
        return code
    if code in LABELS:
        return str(LABELS[code])
    if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", code):
        return code.replace("_", " ").capitalize()
    return code


def in_words(value: Any) -> Any:
    """An ISO 8601 date or time as words ("3 April 2011", "3 April 2011 at 2:05pm", London time)."""
    if not isinstance(value, str):
        return value
    if _DATE.match(value):
        return format_date(dt.date.fromisoformat(value), "j F Y")
    if _DATETIME.match(value):
        moment = timezone.localtime(dt.datetime.fromisoformat(value))
        return format_date(moment, "j F Y \\a\\t g:iA").replace("AM", "am").replace("PM", "pm")
    return value


def redact_third_parties(data: Any) -> Any:
    """A copy of ``data`` with staff names and the names of places and groups withheld."""
    if isinstance(data, list):
        return [redact_third_parties(item) for item in data]
    if not isinstance(data, dict):
        return data
    copy: dict[str, Any] = {}
    for key, value in data.items():
        if key in STAFF_KEYS and value:
            copy[key] = WITHHELD
        elif key == "with" and isinstance(value, dict) and "name" in value:
            copy[key] = {**value, "name": WITHHELD}
        else:
            copy[key] = redact_third_parties(value)
    return copy


def as_letter(data: Any, key: str = "") -> Any:
    """A copy of ``data`` that reads as a letter: dates in words, codes as labels, identity labels."""
    if isinstance(data, list):
        return [as_letter(item, key) for item in data]
    if isinstance(data, dict):
        if key in ("identity", "identifiers", "identity_as_recorded"):
            return {IDENTITY_LABELS.get(k, label(k)): as_letter(v, k) for k, v in data.items()}
        return {k: as_letter(v, k) for k, v in data.items()}
    if key in CODE_KEYS:
        return label(data)
    return in_words(data)
