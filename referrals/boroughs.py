"""Moves between boroughs: her home borough changes (asked by her home MASH, accepted by the other), and the
borough where harm happens is given time-limited, read-only access by her home MASH.

Her home borough's MASH is responsible for her (Working Together to Safeguard Children 2023: the local
authority where the child is found or lives; the London Child Protection Procedures' "children moving
across boroughs"): a move is therefore agreed by both MASHes, never taken by one. On acceptance her
record, her register entry, her map links and her open referrals move to the new borough; shares with
services stay as they are; the old borough keeps the transfer as its receipt and loses access to her
record. Both boroughs' trails (each borough's chain) record the move.

Duplicates across boroughs are merged by agreement of both MASH leads: one MASH moves its record to the
other borough (reason ``duplicate``), the other accepts and merges the two records as any duplicates of
its own borough (``referrals.services.do_merge_subjects``).

Contextual safeguarding: where harm happens (a place on her map, where she was found when missing) is
often another borough. Her home MASH can share her record with that borough's MASH, read-only, for at most
``HARM_BOROUGH_MAX_DAYS`` days (``reads_shares`` in ``referrals.models``); revoking ends it at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from agencies import capabilities
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough, Membership
from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from audit.history import set_history_user
from config.text import require_plain_text
from notifications.choices import Kind
from notifications.services import notify
from referrals import services
from referrals.choices import (
    HARM_BOROUGH_MAX_DAYS,
    HARM_BOROUGH_PURPOSE,
    BoroughTransferReason,
    BoroughTransferStatus,
    HarmBoroughGround,
    ShareEndReason,
    SubjectStatus,
)
from referrals.models import OPEN_STATES, BoroughTransfer, Referral, Subject, SubjectShare
from referrals.references import is_reference_clash, new_reference, retried_on_reference_clash
from risk.map.models import Link
from risk.models import RegisterEntry

NOTE_MAX = 2000


def other_boroughs(subject: Subject) -> QuerySet[Borough]:
    """The boroughs her record can move to or be shared with: every borough with an active MASH but hers."""
    with_mash = Agency.objects.filter(kind=AgencyKind.MASH, is_active=True).values("borough_id")
    return Borough.objects.filter(pk__in=with_mash).exclude(pk=subject.home_borough_id).order_by("name")


def mash_of(borough: Borough | int) -> Agency:
    borough_id: int = borough.pk if isinstance(borough, Borough) else borough
    mash = Agency.objects.filter(borough_id=borough_id, kind=AgencyKind.MASH, is_active=True).order_by("pk").first()
    if mash is None:
        raise ValidationError("That borough has no MASH set up in this system.")
    return mash


def _mash_leads(borough_id: int) -> list[User]:
    return [m.user for m in Membership.objects.people().filter(
        agency__borough_id=borough_id, agency__kind=AgencyKind.MASH, agency__is_active=True, is_active=True,
        user__is_active=True, roles__code=RoleCode.MASH_LEAD).select_related("user")]


def _notify(users: Iterable[User], kind: str, transfer: BoroughTransfer) -> None:
    """In their inbox and by email after commit: the reference and a link, never a name, a reason or a note."""
    notify(users, kind=kind, reference=transfer.reference,
           url=reverse("borough-transfer-detail", kwargs={"reference": transfer.reference}))


def _note(text: str, *, required: bool, what: str) -> str | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise ValidationError(f"Say {what}.")
        return None
    if len(text) > NOTE_MAX:
        raise ValidationError(f"Keep it to {NOTE_MAX} characters.")
    require_plain_text(multi_line={"note": text})
    return text


def _both_trails(action: str, transfer: BoroughTransfer, actor: User, status: str) -> None:
    """One event in each borough's chain, so each borough's auditors see the move of her record."""
    for borough, side in ((transfer.from_borough, "from"), (transfer.to_borough, "to")):
        record(action, actor=actor, object_type=ObjectType.BOROUGH_TRANSFER, reference=transfer.reference,
               borough=borough, purpose=transfer.reason,
               detail={"subject": transfer.subject.reference, "status": status, "side": side,
                       "from_borough": transfer.from_borough_id, "to_borough": transfer.to_borough_id})


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_start_borough_transfer(*, subject: Subject, to_borough: Borough, reason: str, note: str,
                              idempotency_key: uuid.UUID, actor: User) -> tuple[BoroughTransfer, bool]:
    """Ask the other borough's MASH to take her on as her home borough. A resubmitted form (same key)
    starts nothing new; a second pending move of her record is refused. Returns the transfer and whether
    it is new."""
    existing = BoroughTransfer._base_manager.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.started_by_id != actor.pk:
            raise PermissionDenied("This form has already been used.")
        return existing, False
    subject = Subject._base_manager.select_for_update().select_related("home_borough").get(pk=subject.pk)
    if not capabilities.can_move_between_boroughs(actor, subject):
        raise PermissionDenied("Only her home borough's MASH moves her record.")
    if subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active.")
    if reason not in BoroughTransferReason.values:
        raise ValidationError("Choose why her home borough changes.")
    if not other_boroughs(subject).filter(pk=to_borough.pk).exists():
        raise ValidationError("Choose another borough with a MASH.")
    text = _note(note, required=True, what="why she is moving, for the other MASH")
    transfer = BoroughTransfer(
        reference=new_reference("M"), subject=subject, from_borough=subject.home_borough, to_borough=to_borough,
        reason=reason, note=text, started_by=actor, idempotency_key=idempotency_key)
    set_history_user(transfer, actor)
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as error:  # two submits at once: the other one won the one pending move
        if is_reference_clash(error):
            raise  # not a second transfer: its reference was taken; drawn again (retried_on_reference_clash)
        raise ValidationError("Her record is already waiting for another borough to accept it.") from None
    _both_trails(Action.CREATE, transfer, actor, BoroughTransferStatus.PENDING)
    _notify(_mash_leads(to_borough.pk), Kind.BOROUGH_TRANSFER_ASKED, transfer)
    return transfer, True


def _locked(transfer: BoroughTransfer, actor: User) -> BoroughTransfer:
    """The transfer, locked; refused with a clear message when someone answered it meanwhile (two leads
    on the same page: the second is told, not refused with a 403)."""
    transfer = BoroughTransfer._base_manager.select_for_update().select_related(
        "subject", "from_borough", "to_borough").get(pk=transfer.pk)
    if transfer.status != BoroughTransferStatus.PENDING and (
            capabilities.leads_mash_of(actor, transfer.to_borough_id)
            or capabilities.leads_mash_of(actor, transfer.from_borough_id)):
        raise ValidationError(already_answered(transfer), code="already_answered")
    return transfer


def already_answered(transfer: BoroughTransfer) -> str:
    """What a lead of either MASH is told of a transfer answered already: which borough's MASH did what,
    and when; never who (a name would be personal data of a colleague in another borough)."""
    answered_by = transfer.from_borough if transfer.status == BoroughTransferStatus.CANCELLED else transfer.to_borough
    when = timezone.localtime(transfer.decided_at) if transfer.decided_at is not None else None
    on = f" on {when:%-d %B %Y at %H:%M}" if when is not None else ""
    return f"This transfer was already {transfer.status} by {answered_by.name}'s MASH{on}: nothing was changed."


@audit_service
@transaction.atomic
def do_accept_borough_transfer(*, transfer: BoroughTransfer, actor: User) -> BoroughTransfer:
    """The new borough's MASH takes her on: her home borough, her register entry (its lead professional
    is cleared: the new MASH names one), her map links and her open referrals (to the new MASH) move.
    Shares with services stay. Returns the transfer."""
    transfer = _locked(transfer, actor)
    if not capabilities.can_answer_borough_transfer(actor, transfer):
        raise PermissionDenied("Only the other borough's MASH accepts a waiting transfer.")
    subject = Subject._base_manager.select_for_update().get(pk=transfer.subject_id)
    if subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active: ask her home borough which record to use.")
    if subject.home_borough_id != transfer.from_borough_id:
        raise ValidationError("Her home borough has changed since this was sent.")
    now = timezone.now()
    new_mash = mash_of(transfer.to_borough_id)
    subject.home_borough_id = transfer.to_borough_id
    set_history_user(subject, actor)
    subject.save(update_fields=["home_borough", "updated_at"])
    entry = RegisterEntry._base_manager.filter(subject=subject).first()
    if entry is not None:
        entry.borough_id, entry.lead_professional = transfer.to_borough_id, None
        set_history_user(entry, actor)
        entry.save(update_fields=["borough", "lead_professional"])
    Link._base_manager.filter(subject=subject, borough_id=transfer.from_borough_id).update(
        borough_id=transfer.to_borough_id)
    for referral in Referral._base_manager.filter(subject=subject, state__in=OPEN_STATES):
        referral.borough_id, referral.to_agency = transfer.to_borough_id, new_mash
        referral.version += 1  # a form open at the old MASH is now stale
        set_history_user(referral, actor)
        referral.save(update_fields=["borough", "to_agency", "version"])
    transfer.status, transfer.decided_by, transfer.decided_at = BoroughTransferStatus.ACCEPTED, actor, now
    set_history_user(transfer, actor)
    transfer.save()
    _both_trails(Action.UPDATE, transfer, actor, BoroughTransferStatus.ACCEPTED)
    _notify(_mash_leads(transfer.from_borough_id), Kind.BOROUGH_TRANSFER_ACCEPTED, transfer)
    return transfer


@audit_service
@transaction.atomic
def do_decline_borough_transfer(*, transfer: BoroughTransfer, note: str, actor: User) -> BoroughTransfer:
    """The other borough's MASH declines, saying why (encrypted): she stays with her home borough."""
    transfer = _locked(transfer, actor)
    if not capabilities.can_answer_borough_transfer(actor, transfer):
        raise PermissionDenied("Only the other borough's MASH declines a waiting transfer.")
    transfer.decline_note = _note(note, required=True, what="why you decline, for her home MASH")
    transfer.status, transfer.decided_by, transfer.decided_at = BoroughTransferStatus.DECLINED, actor, timezone.now()
    set_history_user(transfer, actor)
    transfer.save()
    _both_trails(Action.UPDATE, transfer, actor, BoroughTransferStatus.DECLINED)
    _notify(_mash_leads(transfer.from_borough_id), Kind.BOROUGH_TRANSFER_DECLINED, transfer)
    return transfer


@audit_service
@transaction.atomic
def do_cancel_borough_transfer(*, transfer: BoroughTransfer, actor: User) -> BoroughTransfer:
    """Her home MASH takes back a move the other borough has not answered."""
    transfer = _locked(transfer, actor)
    if not capabilities.can_cancel_borough_transfer(actor, transfer):
        raise PermissionDenied("Only her home borough's MASH cancels a waiting transfer.")
    transfer.status, transfer.decided_by, transfer.decided_at = BoroughTransferStatus.CANCELLED, actor, timezone.now()
    set_history_user(transfer, actor)
    transfer.save()
    _both_trails(Action.UPDATE, transfer, actor, BoroughTransferStatus.CANCELLED)
    return transfer


# ---------------------------------------------------------------------------------------------------
# The borough where harm happens: time-limited, read-only access for its MASH
# ---------------------------------------------------------------------------------------------------
def harm_borough_shares(subject: Subject) -> QuerySet[SubjectShare]:
    """Her active shares with other boroughs' MASHes (the harm-borough grants), soonest to end first."""
    return (SubjectShare.objects.active().filter(content_object=subject, group__agency__kind=AgencyKind.MASH)
            .exclude(group__agency__borough_id=subject.home_borough_id)
            .select_related("group__agency__borough").order_by("expires_at"))


@audit_service
@transaction.atomic
def do_grant_harm_borough_access(*, subject: Subject, borough: Borough, ground: str, days: int,
                                 actor: User) -> SubjectShare:
    """Her home MASH lets the MASH of the borough where harm happens read her record (her page, concerns,
    risk and map; never act on them) for ``days`` (1 to ``HARM_BOROUGH_MAX_DAYS``). Granting again to the
    same borough sets the new end. The trail records the ground's code (the share records its own event)."""
    if not capabilities.can_move_between_boroughs(actor, subject):
        raise PermissionDenied("Only her home borough's MASH shares her record with another borough.")
    if subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active.")
    if ground not in HarmBoroughGround.values:
        raise ValidationError("Choose why the other borough needs to see her record.")
    if not isinstance(days, int) or not 1 <= days <= HARM_BOROUGH_MAX_DAYS:
        raise ValidationError(f"Give access for between 1 and {HARM_BOROUGH_MAX_DAYS} days.")
    if not other_boroughs(subject).filter(pk=borough.pk).exists():
        raise ValidationError("Choose another borough with a MASH.")
    expires = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time.max))
    share = services.do_share_subject(subject=subject, agency=mash_of(borough), purpose=HARM_BOROUGH_PURPOSE,
                                      expires_at=expires, actor=actor)
    record(Action.SHARE, actor=actor, object_type=ObjectType.SUBJECT, reference=subject.reference,
           borough=borough, purpose=ground, detail={"home_borough": subject.home_borough_id, "days": days})
    return share


@audit_service
@transaction.atomic
def do_end_harm_borough_access(*, subject: Subject, share_id: int, actor: User) -> None:
    """Her home MASH ends another borough's access at once (the share's own event records it)."""
    if not capabilities.can_move_between_boroughs(actor, subject):
        raise PermissionDenied("Only her home borough's MASH ends another borough's access.")
    share = harm_borough_shares(subject).filter(pk=share_id).first()
    if share is None:
        raise ValidationError("That access has already ended.")
    services.do_revoke_share(share=share, reason=ShareEndReason.NO_LONGER_NEEDED, actor=actor)


def harm_borough_share_for(subject: Subject, user: User) -> SubjectShare | None:
    """The share through which this user's MASH reads her record where harm happens, if any (its end
    date is shown on her page)."""
    agency = capabilities.agency_of(user)
    if agency is None:
        return None
    return harm_borough_shares(subject).filter(group_id=agency.group_id).first()
