"""What the MASH and practitioners record about a young person's risk beyond concerns (scoring model v3).

* ``do_mark_sign_explained``: the MASH marks a sign *explained and verified* (for example a bereavement),
  with a reason; its observations up to that day stop counting.
* ``do_review_risk_level``: the MASH reviews her level, with a reason: it may fall at once to what her
  evidence supports (without a review it falls one step per review period), or be held at a higher level.
* ``do_record_protective_factor``: a practitioner or the MASH records something that keeps her safer; it
  is shown beside the score and weighed by the MASH review, never subtracted automatically.

Audit (DESIGN.md §5.3): each writes one ``create`` event of its own object type (``risk_decision``,
``protective_factor``) naming its service, with codes only (the reason and the note are encrypted under
her data key and never put in the trail). The two MASH decisions then re-assess her, which writes the
assessment's own ``update``/``risk`` event when her timeline moves; a level change they cause is returned
(``Assessed``) for the use case to follow up (``referrals.intake``: the dependency rule, DESIGN.md §4.1).

Double submits: each takes the form's ``idempotency_key`` (unique on the row). A second request with the
same key, even one racing the first, writes nothing and returns the first row (and ``Assessed(None)``);
a key replayed by anyone else, or about another young person, is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from agencies import capabilities
from agencies.permissions import active_membership
from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from config.text import require_plain_text
from referrals.choices import SubjectStatus
from referrals.models import Concern, Subject
from risk.choices import DecisionKind, ProtectiveFactorKind, RiskLevel
from risk.models import Indicator, ProtectiveFactor, RiskDecision
from risk.services.assessment import Assessed, do_assess_subject

REASON_MIN = 10
_Row = TypeVar("_Row", bound=models.Model)


def _require_mash(subject: Subject, actor: User) -> None:
    if not capabilities.can_decide_risk(actor, subject):
        raise PermissionDenied("Only her borough's MASH leads record decisions about her risk.")
    if subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active.")


def _reason(reason: str) -> str:
    # Checked before stripping: Python strips some control characters (NEL) as white space, and text that
    # holds one is refused wherever it is, as for a concern's narrative.
    require_plain_text(multi_line={"reason": reason})
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError(f"Give the reason, in at least {REASON_MIN} characters.")
    return reason


def _once(model: type[_Row], key: uuid.UUID | None, *, subject: Subject, actor: User, owner: str,
          same: dict[str, Any], write: Callable[[], Any]) -> tuple[Any, bool]:
    """Run ``write`` (which creates one ``model`` row carrying ``key``) in a savepoint: ``(result, True)``;
    or, when the key was used already, ``(the first row, False)`` having written nothing. No look-up first:
    the unique key makes a replay fail at the INSERT, which rolls back everything this attempt wrote."""
    if key is None:
        with transaction.atomic():
            return write(), True
    try:
        with transaction.atomic():
            return write(), True
    except IntegrityError:
        existing = model._default_manager.filter(idempotency_key=key).first()
        if existing is None:
            raise
        expected = {f"{owner}_id": actor.pk, "subject_id": subject.pk}
        if any(getattr(existing, name) != value for name, value in expected.items()):
            # A key is only ever replayed by the browser that made it, about the same young person.
            raise PermissionDenied("This form has already been used.") from None
        if any(getattr(existing, name) != value for name, value in same.items()):
            # The same form sent again with something else in it: not a replay, and not to be dropped silently.
            raise ValidationError("This form has already been sent. Open it again to record something else.") from None
        return existing, False


@audit_service
def do_mark_sign_explained(*, subject: Subject, indicator: Indicator, reason: str, actor: User,
                           now: dt.datetime | None = None,
                           idempotency_key: uuid.UUID | None = None) -> tuple[RiskDecision, Assessed]:
    """Mark a sign explained and verified for her, with a reason: its observations up to today stop
    counting (a new observation later counts again). Re-assesses her at once."""
    _require_mash(subject, actor)
    reason = _reason(reason)
    if not Concern.objects.filter(subject=subject, indicators=indicator).exists():
        raise ValidationError("Choose a sign seen in a concern about her.")
    now = now or timezone.now()

    def write() -> tuple[RiskDecision, Assessed]:
        decision = RiskDecision.objects.create(
            subject=subject, data_key_id=subject.data_key_id, kind=DecisionKind.EXPLAINED, indicator=indicator,
            decided_on=timezone.localdate(now), reason=reason, decided_by=actor, decided_at=now,
            idempotency_key=idempotency_key)
        record(Action.CREATE, actor=actor, object_type=ObjectType.RISK_DECISION, reference=subject.reference,
               borough=subject.home_borough, purpose="Sign explained and verified",
               detail={"service": "do_mark_sign_explained", "sign": indicator.code})
        return decision, do_assess_subject(subject, actor=actor, reason="explained", now=now)

    result, created = _once(RiskDecision, idempotency_key, subject=subject, actor=actor, owner="decided_by",
                            same={"kind": DecisionKind.EXPLAINED, "indicator_id": indicator.pk, "reason": reason},
                            write=write)
    return result if created else (result, Assessed(None))


@audit_service
def do_review_risk_level(*, subject: Subject, level: str, reason: str, actor: User,
                         now: dt.datetime | None = None,
                         idempotency_key: uuid.UUID | None = None) -> tuple[RiskDecision, Assessed]:
    """Record the MASH's review of her level, with a reason. From today her level is held at ``level``
    (falling one step per review period without another review) and never below what her evidence
    supports: a review lowers a held level, it cannot overrule current signs (mark them explained for
    that). Re-assesses her at once."""
    _require_mash(subject, actor)
    if level not in RiskLevel.values:
        raise ValidationError("Choose the level the review agreed.")
    reason = _reason(reason)
    now = now or timezone.now()

    def write() -> tuple[RiskDecision, Assessed]:
        decision = RiskDecision.objects.create(
            subject=subject, data_key_id=subject.data_key_id, kind=DecisionKind.REVIEW, level=level,
            decided_on=timezone.localdate(now), reason=reason, decided_by=actor, decided_at=now,
            idempotency_key=idempotency_key)
        record(Action.CREATE, actor=actor, object_type=ObjectType.RISK_DECISION, reference=subject.reference,
               borough=subject.home_borough, purpose="Risk level reviewed",
               detail={"service": "do_review_risk_level", "level": level})
        return decision, do_assess_subject(subject, actor=actor, reason="review", now=now)

    result, created = _once(RiskDecision, idempotency_key, subject=subject, actor=actor, owner="decided_by",
                            same={"kind": DecisionKind.REVIEW, "level": level, "reason": reason}, write=write)
    return result if created else (result, Assessed(None))


@audit_service
def do_record_protective_factor(*, subject: Subject, kind: str, note: str, observed_on: dt.date,
                                actor: User, now: dt.datetime | None = None,
                                idempotency_key: uuid.UUID | None = None) -> ProtectiveFactor:
    """Record a protective factor about a young person the recorder may see. Never changes her score."""
    membership = active_membership(actor)
    if membership is None or not capabilities.can_record_protective_factors(actor):
        raise PermissionDenied("You cannot record protective factors.")
    if not Subject.objects.restrict(actor, "view").filter(pk=subject.pk).exists():
        raise PermissionDenied("Not visible.")
    if subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active.")
    if kind not in ProtectiveFactorKind.values:
        raise ValidationError("Choose what keeps her safer.")
    now = now or timezone.now()
    if observed_on > timezone.localdate(now):
        raise ValidationError("The date must be today or in the past.")
    require_plain_text(multi_line={"note": note})  # before stripping, as for a reason
    note = (note or "").strip()

    def write() -> ProtectiveFactor:
        factor = ProtectiveFactor.objects.create(
            subject=subject, data_key_id=subject.data_key_id, kind=kind, note=note or None,
            observed_on=observed_on, agency=membership.agency, recorded_by=actor, recorded_at=now,
            idempotency_key=idempotency_key)
        record(Action.CREATE, actor=actor, object_type=ObjectType.PROTECTIVE_FACTOR,
               reference=subject.reference, borough=subject.home_borough,
               detail={"service": "do_record_protective_factor", "kind": kind})
        if not ProtectiveFactor.objects.restrict(actor, "view").filter(pk=factor.pk).exists():
            raise PermissionDenied("The protective factor would not be visible to the person recording it.")
        return factor

    factor, _created = _once(ProtectiveFactor, idempotency_key, subject=subject, actor=actor, owner="recorded_by",
                             same={"kind": kind, "note": note or None, "observed_on": observed_on}, write=write)
    return cast(ProtectiveFactor, factor)  # the new row, or the first one made with this key
