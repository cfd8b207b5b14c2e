"""Her rights in practice (UK GDPR Articles 16, 18 and 21;): rectification and restriction.

* ``do_rectify_subject_identity``: her home borough's MASH lead corrects her identity on the record. The
  changed fields are re-encrypted under her key, her blind indexes follow her corrected name and date of
  birth, her retention date follows her date of birth, and she is made due for the next ``rescore``
  (the scoring model's age floors depend on her age). Each concern's own copy of her details
  (``Concern.subject_as_recorded``) stays as its recorder entered it. Two leads editing at once cannot
  overwrite each other: the form carries the version of the record it showed, and the service refuses a
  stale one under a row lock.
* ``do_restrict_processing`` / ``do_lift_restriction``: her home borough's MASH lead restricts processing
  of her record (Art. 18). While restricted the record is stored but not processed: she is not scored
  (neither by a new concern nor by ``rescore``), no automatic referral is raised, no new share is made.
  An objection (Art. 21) is recorded the same way, with the reason code ``objection``: the record is
  restricted while the MASH weighs it, and lifting it says why (``objection_decided``).

One ``update`` event on ``subject`` per change, naming the service; the trail holds field names and
reason codes, never values (DESIGN.md §5.6).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies import capabilities
from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from audit.history import set_history_user
from config.text import require_plain_text
from encryption import services as encryption
from encryption.exceptions import KeyShreddedError
from referrals.choices import (
    IdentityIndex,
    RectificationReason,
    RestrictionLiftReason,
    RestrictionReason,
    SubjectStatus,
)
from referrals.intake import (
    SubjectDetails,
    _details_as_recorded,
    _identity_indexes,
    age_at,
    follow_up_level_change,
    retention_date_for,
)
from referrals.models import Concern, Subject
from risk.services.assessment import do_assess_subject, mark_due

# The identity fields the MASH may correct, in the order the form shows them.
RECTIFIABLE = ("given_name", "family_name", "other_names", "date_of_birth", "age_estimate", "address",
               "identifiers")
MATCHED_ON = frozenset({"given_name", "family_name", "date_of_birth"})  # what the blind indexes are made of
AGE_FIELDS = frozenset({"date_of_birth", "age_estimate"})


class StaleIdentity(ValidationError):
    """Someone else changed her record after this form was shown."""


def identity_version(subject: Subject) -> str:
    """The version of her record a form showed: when the row was last written (any write moves it)."""
    return subject.updated_at.isoformat()


def current_identity(subject: Subject) -> dict[str, Any]:
    """Her identity as the record holds it (decrypted), under the names of ``RECTIFIABLE``."""
    return {
        "given_name": subject.given_name or "", "family_name": subject.family_name or "",
        "other_names": subject.other_names or "", "date_of_birth": subject.date_of_birth,
        "age_estimate": subject.age_estimate or "", "address": subject.address or "",
        "identifiers": dict(subject.identifiers or {}),
    }


def _normalised(name: str, value: Any) -> Any:
    if name == "identifiers":
        return {key: str(val) for key, val in (value or {}).items() if val}
    if name == "date_of_birth":
        return value or None
    if name == "age_estimate":
        return str(value) if value not in (None, "") else ""
    return (value or "").strip()


def _check_still_visible(subject: Subject, actor: User) -> None:
    if not Subject.objects.restrict(actor, "view").filter(pk=subject.pk).exists():
        raise PermissionDenied("The record would not be visible to the person changing it.")


@audit_service
@transaction.atomic
def do_rectify_subject_identity(*, subject: Subject, changes: dict[str, Any], reason_code: str, actor: User,
                                version: str | None = None) -> tuple[Subject, list[str]]:
    """Correct her identity on the record (UK GDPR Art. 16). ``changes`` maps fields of ``RECTIFIABLE`` to
    their corrected values (fields left out, or unchanged, stay as they are); ``reason_code`` is a
    ``RectificationReason``; ``version`` (from ``identity_version``) refuses a correction made on a page
    someone else has since changed. Returns her record and the names of the fields that changed."""
    if reason_code not in RectificationReason.values:
        raise ValidationError("Choose why her details are being corrected.")
    unknown = set(changes) - set(RECTIFIABLE)
    if unknown:
        raise ValidationError("Only her identity can be corrected here.")
    locked = Subject.objects.select_for_update().select_related("home_borough").get(pk=subject.pk)
    if not capabilities.can_rectify(actor, locked):
        raise PermissionDenied("Only her home borough's MASH lead corrects her record.")
    if locked.status != SubjectStatus.ACTIVE:
        raise ValidationError("Only an active record can be corrected.")
    if version is not None and version != identity_version(locked):
        raise StaleIdentity("Someone else changed this record while you were correcting it. Check her details "
                            "as they are now, then make your correction again.")
    wanted = {name: _normalised(name, value) for name, value in changes.items()}
    require_plain_text(single_line={"first name": wanted.get("given_name"), "last name": wanted.get("family_name"),
                                    "other names": wanted.get("other_names")},
                       multi_line={"address": wanted.get("address")})
    for name in ("given_name", "family_name"):
        if name in wanted and not wanted[name]:
            raise ValidationError("Her first and last names cannot be empty.")
    current = {name: _normalised(name, value) for name, value in current_identity(locked).items()}
    changed = [name for name in RECTIFIABLE if name in wanted and wanted[name] != current[name]]
    if not changed:
        raise ValidationError("Nothing has changed: correct at least one detail.")
    for name in changed:
        value = wanted[name]
        # Empty optional fields are stored as NULL, as intake stores them.
        setattr(locked, name, value if value not in ("", {}) else None)
    if locked.date_of_birth is not None:
        locked.age_estimate = None  # a known date of birth replaces an estimate
    details = SubjectDetails(
        given_name=locked.given_name, family_name=locked.family_name, date_of_birth=locked.date_of_birth,
        age_estimate=int(locked.age_estimate) if locked.age_estimate and str(locked.age_estimate).isdigit() else None)
    if AGE_FIELDS & set(changed):
        locked.retention_date = retention_date_for(details)
    set_history_user(locked, actor)
    locked.save()
    if MATCHED_ON & set(changed):
        # Every kind is replaced: a kind her corrected details no longer support (no date of birth) is removed.
        indexes: dict[str, list[str]] = {kind: [] for kind in IdentityIndex.values}
        indexes.update(_identity_indexes(details))
        encryption.do_set_blind_indexes(locked.data_key, indexes, actor=actor)
    if AGE_FIELDS & set(changed):
        _reage_concerns(locked, actor)
        mark_due([locked.pk])
    record(Action.UPDATE, actor=actor, object_type=ObjectType.SUBJECT, reference=locked.reference,
           borough=locked.home_borough, purpose=reason_code, detail={"rectified": ",".join(changed)})
    _check_still_visible(locked, actor)
    return locked, changed


def _reage_concerns(subject: Subject, actor: User) -> None:
    """Concerns whose recorder entered neither a date of birth nor an age took her age from her record: they
    follow the correction. A recorder's own entry stays what they entered."""
    for concern in Concern._base_manager.filter(subject=subject).select_related("subject"):
        try:
            entered = _details_as_recorded(concern.subject_as_recorded)
        except KeyShreddedError:
            continue
        if entered is not None and (entered.date_of_birth is not None or entered.age_estimate is not None):
            continue
        concern.subject = subject
        age = age_at(concern.observed_on, None, subject, recorded_on=timezone.localdate(concern.recorded_at))
        if age != concern.age_at_observation:
            concern.age_at_observation = age
            set_history_user(concern, actor)
            concern.save(update_fields=["age_at_observation"])


@audit_service
@transaction.atomic
def do_restrict_processing(*, subject: Subject, reason: str, actor: User) -> Subject:
    """Restrict processing of her record (UK GDPR Art. 18; an objection under Art. 21 is the reason
    ``objection``): stored, not scored, referred or shared until lifted. ``reason`` is a
    ``RestrictionReason`` code."""
    if reason not in RestrictionReason.values:
        raise ValidationError("Choose why processing is restricted.")
    locked = Subject.objects.select_for_update().select_related("home_borough").get(pk=subject.pk)
    if not capabilities.can_restrict(actor, locked):
        raise PermissionDenied("Only her home borough's MASH lead restricts processing of her record.")
    if locked.status != SubjectStatus.ACTIVE:
        raise ValidationError("Only an active record can be restricted.")
    if locked.restricted:
        raise ValidationError("Processing of this record is already restricted.")
    locked.restricted, locked.restricted_since, locked.restriction_reason = True, timezone.now(), reason
    set_history_user(locked, actor)
    locked.save()
    record(Action.UPDATE, actor=actor, object_type=ObjectType.SUBJECT, reference=locked.reference,
           borough=locked.home_borough, purpose=reason, detail={"restricted": True})
    _check_still_visible(locked, actor)
    return locked


@audit_service
@transaction.atomic
def do_lift_restriction(*, subject: Subject, reason: str, actor: User, now: dt.datetime | None = None) -> Subject:
    """Lift the restriction (``reason`` a ``RestrictionLiftReason`` code): she is re-assessed at once on
    everything recorded meanwhile, and a rise to high raises the automatic referral as usual."""
    if reason not in RestrictionLiftReason.values:
        raise ValidationError("Choose why the restriction ends.")
    locked = Subject.objects.select_for_update().select_related("home_borough").get(pk=subject.pk)
    if not capabilities.can_restrict(actor, locked):
        raise PermissionDenied("Only her home borough's MASH lead lifts the restriction.")
    if not locked.restricted:
        raise ValidationError("Processing of this record is not restricted.")
    locked.restricted, locked.restricted_since, locked.restriction_reason = False, None, ""
    set_history_user(locked, actor)
    locked.save()
    record(Action.UPDATE, actor=actor, object_type=ObjectType.SUBJECT, reference=locked.reference,
           borough=locked.home_borough, purpose=reason, detail={"restricted": False})
    _check_still_visible(locked, actor)
    mark_due([locked.pk])
    assessed = do_assess_subject(locked, actor=actor, reason="restriction_lifted", now=now)
    follow_up_level_change(assessed.change)
    return locked
