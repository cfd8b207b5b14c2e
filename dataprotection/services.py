"""Business actions of data protection: opening a record under emergency access, and its review.

Each runs in one transaction and writes exactly one access event, which never carries the stated
reason (it may name people); the reason is kept encrypted on the grant.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies import capabilities
from audit.api import audit_service, record
from audit.choices import Action
from config.text import require_plain_text
from dataprotection.breakglass import normally_visible
from dataprotection.models import BreakGlassGrant, BreakGlassReview
from referrals.choices import SubjectStatus
from referrals.models import Subject
from referrals.references import new_reference, retried_on_reference_clash

# Long enough to say what happened and why it cannot wait; short reasons ("urgent") say nothing.
REASON_MIN_LENGTH = 25


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_break_glass(subject: Subject, reason: str, *, actor: User) -> BreakGlassGrant:
    """Open ``subject`` to a MASH lead outside their normal access, for ``BREAK_GLASS_HOURS``.

    Read-only: the grant opens the record's pages, never a form. Refused for erased and merged records,
    and for a record the lead can already see. A grant is never extended; opening the record again needs
    a new reason and makes a new grant. Recorded as ``break_glass``, which auditors review.
    """
    if not capabilities.can_break_glass(actor):
        raise PermissionDenied("Only MASH leads can use emergency access.")
    reason = (reason or "").strip()
    require_plain_text(multi_line={"reason": reason})
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(f"Explain why you need emergency access in at least {REASON_MIN_LENGTH} characters.")
    subject = Subject.objects.select_for_update().select_related("home_borough").get(pk=subject.pk)
    if subject.status == SubjectStatus.ERASED:
        raise ValidationError(f"{subject.reference} has been erased; there is nothing to open.")
    if subject.status == SubjectStatus.MERGED:
        raise ValidationError(f"{subject.reference} was merged into another record; open that record instead.")
    if normally_visible(actor, subject):
        raise ValidationError(f"You can already see {subject.reference} without emergency access.")
    hours = settings.BREAK_GLASS_HOURS
    grant = BreakGlassGrant(
        reference=new_reference("B"), subject=subject, user=actor, agency=capabilities.agency_of(actor),
        reason=reason, expires_at=timezone.now() + dt.timedelta(hours=hours),
    )
    grant.save()
    record(Action.BREAK_GLASS, actor=actor, object_type="subject", reference=subject.reference,
           borough=subject.home_borough, purpose="Emergency access (reason held for review)",
           detail={"grant": grant.reference, "hours": hours, "review_pending": True})
    return grant


@audit_service
@transaction.atomic
def do_review_break_glass(grant: BreakGlassGrant, *, outcome: str, actor: User) -> BreakGlassGrant:
    """An auditor records that an emergency opening has been reviewed, and whether it was justified."""
    if not capabilities.is_auditor(actor):
        raise PermissionDenied("Only auditors review emergency access.")
    if outcome not in BreakGlassReview.values:
        raise ValidationError("Choose whether the emergency access was justified.")
    grant = BreakGlassGrant.objects.select_for_update().select_related("subject").get(pk=grant.pk)
    if grant.reviewed_at is not None:
        raise ValidationError(f"{grant.reference} has already been reviewed.")
    grant.reviewed_at, grant.reviewed_by, grant.review_outcome = timezone.now(), actor, outcome
    grant.save(update_fields=["reviewed_at", "reviewed_by", "review_outcome"])
    record(Action.UPDATE, actor=actor, object_type="break_glass", reference=grant.reference,
           detail={"review": outcome, "subject": grant.subject.reference})
    return grant
