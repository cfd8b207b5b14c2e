"""Business actions on subjects, concerns and shares.

Each runs in one transaction, writes the history with the acting user and exactly one access event,
and re-checks after writing that the actor can still see what they wrote (DESIGN.md §5.3).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import Agency
from audit.api import audit_service, record
from audit.choices import Action
from audit.history import set_history_user
from drafts.services import erase_drafts_about
from encryption import services as encryption
from encryption.ledger import read_ledger_file
from encryption.models import DataKey, ErasureReason, ErasureRecord
from notifications.services import forget_references
from referrals.choices import ErasureRequestReason, LegalHoldReason, ShareEndReason, SubjectStatus
from referrals.models import BoroughTransfer, Concern, Referral, SchoolTransfer, Subject, SubjectShare
from risk.map.services import detach_erased_subject

# The erase event's purpose when erasure is finished after a restore (a code, like the request reasons).
RESTORED_BACKUP = "restored_backup"


@audit_service
@transaction.atomic
def do_share_subject(
    *, subject: Subject, agency: Agency, purpose: str, expires_at: dt.datetime, actor: User | None
) -> SubjectShare:
    """Share one subject with another agency for a stated purpose until a date (a guardian grant). Refused
    while her record is restricted, except to bring an existing share's end forward."""
    if not purpose.strip():
        raise ValidationError("State the purpose of sharing.")
    if expires_at <= timezone.now():
        raise ValidationError("A share must end in the future.")
    permission = Permission.objects.get(content_type__app_label="referrals", codename="view_subject")
    share = SubjectShare.objects.filter(content_object=subject, group=agency.group, permission=permission).first()
    if Subject.objects.filter(pk=subject.pk, restricted=True).exists() and (
            share is None or expires_at > share.expires_at):
        # Restriction (UK GDPR Art. 18): no new or longer share; ending one sooner is still allowed.
        raise ValidationError(f"Processing of {subject.reference}'s record is restricted: it cannot be shared "
                              "until the restriction is lifted.")
    if share is None:
        share = SubjectShare(content_object=subject, group=agency.group, permission=permission)
    share.purpose, share.granted_by, share.expires_at = purpose.strip()[:200], actor, expires_at
    share.granted_at = timezone.now()
    set_history_user(share, actor)
    share.save()
    record(Action.SHARE, actor=actor, object_type="subject", reference=subject.reference,
           borough=subject.home_borough, purpose=share.purpose, detail={"agency": agency.pk})
    return share


@audit_service
@transaction.atomic
def do_revoke_share(*, share: SubjectShare, reason: str, actor: User | None) -> None:
    """End a share at once; the grant's history row keeps who and when, the trail why (a
    ``ShareEndReason`` code)."""
    if reason not in ShareEndReason.values:
        raise ValidationError("Choose why the share ends.")
    subject = share.content_object
    agency_id = share.group.agency.pk
    set_history_user(share, actor)
    share.delete()
    record(Action.REVOKE, actor=actor, object_type="subject", reference=subject.reference,
           borough=subject.home_borough, purpose=reason, detail={"agency": agency_id})


@audit_service
@transaction.atomic
def do_set_legal_hold(*, subject: Subject, on_hold: bool, reason: str, actor: User | None) -> Subject:
    """Put a subject on legal hold (retention and erasure stop) or release the hold; ``reason`` is a
    ``LegalHoldReason`` code (the trail holds no typed text)."""
    if reason not in LegalHoldReason.values:
        raise ValidationError("Choose the reason for the legal hold.")
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    subject.legal_hold = on_hold
    set_history_user(subject, actor)
    subject.save()
    record(Action.UPDATE, actor=actor, object_type="subject", reference=subject.reference,
           borough=subject.home_borough, purpose=reason, detail={"legal_hold": on_hold})
    return subject


# What the layers above the referral use cases hold about her (case work:) must end with her too.
# They register a step here from their ``AppConfig.ready`` (this module never imports them: the dependency
# rule), so every path to erasure (``erase_subject``, ``apply_retention``, completing erasures after a
# restore) runs it. A step runs inside the erasure's transaction, gets the records being erased, and returns
# counts (codes and numbers only) for the one ``erase`` event.
ErasureStep = Callable[[list[Subject], "User | None"], dict[str, int]]
ERASURE_STEPS: list[ErasureStep] = []


def register_erasure_step(step: ErasureStep) -> None:
    """Add ``step`` to what erasing a girl does (once, however often ``ready`` runs)."""
    if step not in ERASURE_STEPS:
        ERASURE_STEPS.append(step)


def case_references(subjects: list[Subject]) -> set[str]:
    """The reference numbers of these records and of their concerns, referrals and transfers: what a
    notification about her case names (case work's own references are its step's)."""
    ids = [s.pk for s in subjects]
    references = {s.reference for s in subjects}
    for model in (Concern, Referral, SchoolTransfer, BoroughTransfer):
        references |= set(model._base_manager.filter(subject_id__in=ids).values_list("reference", flat=True))
    return references


def _end_what_is_tied_to(erased: list[Subject], actor: User | None) -> dict[str, int]:
    """Everything of these records that their data key alone would not make unreadable: their status,
    shares, map links, drafts, the notifications naming them and the registered steps (case work). Safe to
    run again: completing erasures after a restore calls it for records whose key is already shredded."""
    counts = {"records": len(erased)}
    # A draft about her (a form her recorder had open when their session ended) goes with her.
    erase_drafts_about(erased)
    for each in erased:
        # Status first, while the history row can still copy the (encrypted) identity as it stands.
        if each.status == SubjectStatus.ACTIVE:
            each.status = SubjectStatus.ERASED
            set_history_user(each, actor)
            each.save()
        for share in SubjectShare.objects.filter(content_object=each):
            set_history_user(share, actor)
            share.delete()
        # No associate, place or group stays tied to her reference (her home's name goes too).
        detach_erased_subject(each, actor=actor)
    for step in ERASURE_STEPS:
        for key, value in step(erased, actor).items():
            counts[key] = counts.get(key, 0) + value
    counts["notifications"] = counts.get("notifications", 0) + forget_references(case_references(erased))
    return {key: value for key, value in counts.items() if value or key == "records"}


def merged_into(subject: Subject) -> list[Subject]:
    """Every record merged into ``subject``, directly or through a record merged into her later (A into B,
    then B into C: both A and B are C's)."""
    found: list[Subject] = []
    frontier = [subject.pk]
    while frontier:
        layer = list(Subject._base_manager.filter(merged_into_id__in=frontier).order_by("pk"))
        found += layer
        frontier = [each.pk for each in layer]
    return found


@audit_service
@transaction.atomic
def do_erase_subject(*, subject: Subject, reason: str, actor: User | None) -> Subject:
    """Erase a subject by crypto-shredding: her data key (and those of records merged into her) and her
    blind indexes are destroyed, so every live, history and backup copy becomes unreadable. Refused on
    legal hold. The access trail, which holds no personal data, is untouched; ``reason`` is an
    ``ErasureRequestReason`` code. Her map links and any drafts about her go too (no place, group or
    associate stays tied to her reference), so do the notifications naming her case and what the registered
    steps end (her live case-work actions), and the key store's erasure ledger records each shredded key.
    The one ``erase`` event says how many of each went (numbers only)."""
    if reason not in ErasureRequestReason.values:
        raise ValidationError("Choose the reason for erasing this record.")
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.legal_hold:
        raise ValidationError(f"{subject.reference} is on legal hold and cannot be erased.")
    if subject.status == SubjectStatus.ERASED:
        raise ValidationError(f"{subject.reference} has already been erased.")
    if subject.status == SubjectStatus.MERGED:
        raise ValidationError(f"{subject.reference} was merged; erase the record it was merged into.")
    erased = [subject, *merged_into(subject)]
    counts = _end_what_is_tied_to(erased, actor)
    for each in erased:
        encryption.do_shred_data_key(each.data_key_id, actor=actor, reason=ErasureReason.SUBJECT_ERASED)
    record(Action.ERASE, actor=actor, object_type="subject", reference=subject.reference,
           borough=subject.home_borough, purpose=reason, detail=counts)
    return subject


def restored_erasures(ledger_file: str | Path | None = None) -> list[Subject]:
    """Records not marked erased whose data key was shredded *because she was erased* (the erasure ledger's
    ``subject_erased``; for an entry the store re-applied, the exported ``ledger_file`` says why): a main
    database backup taken before her erasure and restored after it. Her text is unreadable, but rows the
    erasure deleted or ended (links, notifications, live actions) are back. A key shredded for another
    reason (re-encrypted under a fresh key) never makes her look erased. Only active records count: a record
    merged into an erased girl keeps status ``merged`` with its key shredded, and is finished with her."""
    exported = ({uuid.UUID(entry["data_key"]): entry.get("reason") for entry in read_ledger_file(ledger_file)}
                if ledger_file else {})
    pending = list(Subject._base_manager.filter(status=SubjectStatus.ACTIVE).values_list("pk", "data_key_id"))
    erased_keys: set[Any] = set()
    for start in range(0, len(pending), 1000):
        chunk = [key for _pk, key in pending[start:start + 1000]]
        shredded = set(DataKey.objects.filter(pk__in=chunk, shredded_at__isnull=False).values_list("pk", flat=True))
        for key_id, reason in ErasureRecord.objects.filter(data_key_id__in=shredded).values_list("data_key_id",
                                                                                                  "reason"):
            if reason == ErasureReason.REAPPLIED:
                reason = exported.get(key_id) or reason
            if reason == ErasureReason.SUBJECT_ERASED:
                erased_keys.add(key_id)
    ids = [pk for pk, key in pending if key in erased_keys]
    return list(Subject._base_manager.filter(pk__in=ids).select_related("home_borough").order_by("reference"))


@audit_service
@transaction.atomic
def do_complete_restored_erasures(*, ledger_file: str | Path | None = None,
                                  actor: User | None = None) -> list[Subject]:
    """After a restore (``reapply_erasures`` runs it once the keys are shredded again): finish the erasure of
    every record a restored main database brought back as not erased (``restored_erasures``): status,
    shares, map links, drafts, notifications and case work, as ``do_erase_subject`` did. One ``erase`` event
    per record, with the reason code ``restored_backup``; none when there is nothing to finish."""
    done = []
    for subject in restored_erasures(ledger_file):
        subject = Subject._base_manager.select_for_update().get(pk=subject.pk)
        # As do_erase_subject: the records merged into her go with her.
        counts = _end_what_is_tied_to([subject, *merged_into(subject)], actor)
        record(Action.ERASE, actor=actor, object_type="subject", reference=subject.reference,
               borough=subject.home_borough, purpose=RESTORED_BACKUP, detail=counts)
        done.append(subject)
    return done


def subjects_due_for_erasure(
    today: dt.date | None = None, *, within_days: int = 0, on_legal_hold: bool = False
) -> QuerySet[Subject]:
    """Subjects past their retention date and not on legal hold (merged records go with their survivor).

    The one selection both ``apply_retention`` (today) and the data protection officer's erasure forecast
    (``within_days`` ahead; ``on_legal_hold=True`` for those a hold keeps) use.
    """
    today = today or timezone.localdate()
    return Subject.objects.filter(
        retention_date__lt=today + dt.timedelta(days=within_days), legal_hold=on_legal_hold,
        status=SubjectStatus.ACTIVE,
    ).order_by("retention_date", "reference")
