"""Business actions on drafts: keep one, resume it, end it (discarded, sent, expired), and erase the
drafts about a young person who is erased.

Each draft has its own data key; every way a draft ends crypto-shreds that key
(``encryption.services.do_shred_data_key``, ledger reason ``draft_ended``), so neither the live database
nor any backup of it can be read for a draft that has ended. The trail names the draft by its id and the
form by its URL name: never a field, a value or the young person's name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from agencies.permissions import active_membership
from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from drafts.models import Draft
from encryption import services as encryption
from encryption.models import ErasureReason
from referrals.choices import SubjectStatus
from referrals.models import Subject


class DraftEnd(models.TextChoices):
    """Why a draft ended (the trail's purpose code)."""

    DISCARDED = "discarded", "Discarded by its author"
    SENT = "sent", "The form was sent"
    EXPIRED = "expired", "Expired"
    SUBJECT_ERASED = "subject_erased", "The young person it was about was erased"


def _end(draft: Draft) -> None:
    """Delete the row and shred its key (the key first: even if the row survived, nobody could read it)."""
    encryption.do_shred_data_key(draft.data_key_id, actor=None, reason=ErasureReason.DRAFT_ENDED)
    Draft.objects.filter(pk=draft.pk).delete()


@audit_service
@transaction.atomic
def do_keep_draft(*, user: User, form: str, path: str, data: dict[str, list[str]],
                  subject_reference: str = "", actor: User) -> Draft:
    """Keep what ``user`` had typed into ``form`` (posted to ``path``) as her encrypted draft, replacing any
    older draft of hers for that form page. ``actor`` is the user herself (named by the verified binding
    token, her session having ended). Bound to the young person when the form was about one on record."""
    if actor.pk != user.pk:
        raise PermissionDenied("A draft is kept only for its own author.")
    if active_membership(user) is None:
        # A deactivated account, or one whose membership or agency has ended: nothing to come back to.
        raise ValidationError("This account is not active.")
    if not form or len(form) > 64 or not path or len(path) > 200:
        raise ValidationError("This form cannot be kept as a draft.")
    subject = None
    if subject_reference:
        # Bound (so that her erasure ends it) only to a young person this user may see: a reference typed
        # into the form by hand binds nothing and tells nothing.
        subject = (Subject.objects.restrict(user, "view")
                   .filter(reference=subject_reference, status=SubjectStatus.ACTIVE).first())
    replaced = False
    for older in Draft.objects.select_for_update().filter(user=user, form=form, path=path):
        _end(older)
        replaced = True
    now = timezone.now()
    draft = Draft(user=user, form=form, path=path, subject=subject, saved_at=now,
                  expires_at=now + dt.timedelta(hours=settings.DRAFT_HOURS))
    draft.data_key = encryption.do_create_data_key(actor=actor)
    draft.data = data
    draft.save(force_insert=True)
    record(Action.CREATE, actor=actor, object_type=ObjectType.DRAFT, reference=str(draft.pk),
           borough=subject.home_borough if subject else None, detail={"form": form, "replaced": replaced})
    return draft


def _own(draft_id: uuid.UUID | str, actor: User, action: str) -> Draft:
    found = (Draft.objects.restrict(actor, action).select_for_update(of=("self",)).filter(pk=draft_id)
             .select_related("subject__home_borough").first())
    if found is None:
        # Another user's draft, an expired one, or none: all the same to the caller.
        raise Draft.DoesNotExist("No such draft.")
    return found


@audit_service
@transaction.atomic
def do_resume_draft(*, draft_id: uuid.UUID | str, actor: User) -> Draft:
    """Mark the author's own draft resumed: her form page then shows it filled in (not sent). It stays
    encrypted until she sends the form, discards it or it expires. Anyone else: ``Draft.DoesNotExist``."""
    draft = _own(draft_id, actor, "resume")
    draft.resumed_at = timezone.now()
    draft.save(update_fields=["resumed_at"])
    record(Action.UPDATE, actor=actor, object_type=ObjectType.DRAFT, reference=str(draft.pk),
           borough=draft.subject.home_borough if draft.subject else None,
           detail={"form": draft.form, "resumed": True})
    return draft


@audit_service
@transaction.atomic
def do_discard_draft(*, draft_id: uuid.UUID | str, actor: User, reason: str = DraftEnd.DISCARDED) -> Draft:
    """End the author's own draft: she discarded it, or sent the form it fills in. Its key is shredded.
    Anyone else: ``Draft.DoesNotExist``."""
    if reason not in {DraftEnd.DISCARDED, DraftEnd.SENT}:
        raise ValidationError("Choose why the draft ends.")
    draft = _own(draft_id, actor, "discard")
    _end(draft)
    record(Action.ERASE, actor=actor, object_type=ObjectType.DRAFT, reference=str(draft.pk),
           borough=draft.subject.home_borough if draft.subject else None, purpose=reason,
           detail={"form": draft.form})
    return draft


@audit_service
@transaction.atomic
def do_expire_drafts(*, now: dt.datetime | None = None, actor: User | None = None) -> int:
    """End every draft past its expiry (``DRAFT_HOURS`` after it was kept), shredding their keys; one
    event with how many. Expired drafts are never offered or restored even before this runs."""
    now = now or timezone.now()
    expired = list(Draft.objects.select_for_update().filter(expires_at__lte=now))
    for draft in expired:
        _end(draft)
    record(Action.ERASE, actor=actor, object_type=ObjectType.DRAFT, purpose=DraftEnd.EXPIRED,
           detail={"drafts": len(expired)})
    return len(expired)


def erase_drafts_about(subjects: list[Subject]) -> int:
    """End every draft bound to these young people (called by ``do_erase_subject``, whose ``erase`` event
    covers them): their keys are shredded, so no backup brings one back readable."""
    drafts = list(Draft.objects.select_for_update().filter(subject__in=subjects))
    for draft in drafts:
        _end(draft)
    return len(drafts)


def offers_for(user: Any, *, form: str | None = None, path: str | None = None) -> list[Draft]:
    """The user's own drafts that have not expired (newest first), for the offer to continue or discard."""
    drafts = Draft.objects.restrict(user, "view")
    if form is not None:
        drafts = drafts.filter(form=form)
    if path is not None:
        drafts = drafts.filter(path=path)
    return list(drafts.order_by("-saved_at").defer("data"))
