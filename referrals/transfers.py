"""School transfers: when she changes school, her child-protection file follows her, with a receipt.

Keeping Children Safe in Education asks the old school's DSL to transfer the child-protection file to the
new school within 5 school days, separately from the main pupil file, and to get confirmation of receipt.
Here the old school's DSL starts a transfer; the new school's DSL accepts it (the receipt), which shares
her record with the new school for the purpose ``SCHOOL_TRANSFER_PURPOSE``; from then on the new school's
DSLs see the old school's concerns about her, as recorded, and nothing else (``Concern.access_rule``). Her
own record is unchanged. A transfer not accepted by its due day is chased (``chase_school_transfers``).

Each service runs in one transaction and writes one access event per change it makes, naming itself; the
trail holds references, agency ids and codes, never a name or typed text.
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
from agencies.models import Agency, Membership
from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from audit.history import set_history_user
from notifications.choices import Kind
from notifications.services import Item, link_to, notify, notify_digest
from referrals import services
from referrals.choices import (
    SCHOOL_TRANSFER_PURPOSE,
    SCHOOL_TRANSFER_WORKING_DAYS,
    SubjectStatus,
    TransferPurpose,
    TransferStatus,
)
from referrals.models import SchoolTransfer, Subject
from referrals.references import is_reference_clash, new_reference, retried_on_reference_clash
from referrals.workdays import add_working_days

# A share needs an end; "while she is there" has none that the system knows. The share lasts until her
# record's own retention date (when she is erased, her shares go with her), and never less than this.
MINIMUM_SHARE = dt.timedelta(days=365)


def receiving_schools(actor: User) -> QuerySet[Agency]:
    """The schools a file can go to: every active school but the actor's own."""
    own = capabilities.agency_of(actor)
    schools = Agency.objects.filter(kind=AgencyKind.SCHOOL, is_active=True)
    if own is not None:
        schools = schools.exclude(pk=own.pk)
    return schools.select_related("borough").order_by("name")


def _school_dsls(agency_ids: Iterable[int]) -> list[User]:
    return [m.user for m in Membership.objects.people().filter(
        agency_id__in=list(agency_ids), is_active=True, user__is_active=True, roles__code=RoleCode.DSL,
    ).select_related("user")]


def notify_school_dsls(transfers: list[SchoolTransfer], headline: str, *,
                       kind: str = Kind.SCHOOL_TRANSFER_ASKED) -> int:
    """Tell the receiving schools' DSLs, in their inbox (one notification per transfer) and by one email
    per school after commit, the references and a link to the transfers page: never a name. Returns how
    many emails were sent."""
    by_school: dict[int, list[SchoolTransfer]] = {}
    for transfer in transfers:
        by_school.setdefault(transfer.to_agency_id, []).append(transfer)
    url = reverse("school-transfer-list")
    sent = 0
    for agency_id, items in by_school.items():
        references = "\n".join(f"- {t.reference} (due {t.due_on:%d %B %Y})" for t in items)
        sent += notify_digest(
            _school_dsls([agency_id]), items=[Item(kind, t.reference, url) for t in items],
            subject=f"{len(items)} child-protection file transfer(s)",
            body=f"{headline}\n\n{references}\n\nOpen your school's transfers: {link_to(url)}\n")
    return sent


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_start_school_transfer(
    *, subject: Subject, to_agency: Agency, purpose: str, idempotency_key: uuid.UUID, actor: User,
) -> tuple[SchoolTransfer, bool]:
    """Start moving her child-protection file from the actor's school to ``to_agency`` (another active
    school), due within 5 working days. A resubmitted form (same key) starts nothing new; a second pending
    transfer of her file to the same school is refused. Returns the transfer and whether it is new."""
    existing = SchoolTransfer._base_manager.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.started_by_id != actor.pk:
            raise PermissionDenied("This form has already been used.")
        return existing, False
    if not capabilities.can_transfer_file(actor, subject):
        raise PermissionDenied("Only the DSL of a school that recorded concerns about her moves her file.")
    if purpose not in TransferPurpose.values:
        raise ValidationError("Choose why her file is moving.")
    from_agency = capabilities.agency_of(actor)
    if not receiving_schools(actor).filter(pk=to_agency.pk).exists():
        raise ValidationError("Choose another school to send her file to.")
    if SchoolTransfer._base_manager.filter(subject=subject, to_agency=to_agency,
                                           status=TransferStatus.PENDING).exists():
        raise ValidationError("Her file is already on its way to that school.")
    now = timezone.now()
    transfer = SchoolTransfer(
        reference=new_reference("T"), subject=subject, from_agency=from_agency, to_agency=to_agency,
        purpose=purpose, started_by=actor, started_at=now,
        due_on=add_working_days(timezone.localdate(now), SCHOOL_TRANSFER_WORKING_DAYS),
        idempotency_key=idempotency_key,
    )
    set_history_user(transfer, actor)
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as error:  # two submits at once: the other one won the one pending transfer
        if is_reference_clash(error):
            raise  # not a second transfer: its reference was taken; drawn again (retried_on_reference_clash)
        raise ValidationError("Her file is already on its way to that school.") from None
    record(Action.CREATE, actor=actor, object_type=ObjectType.SCHOOL_TRANSFER, reference=transfer.reference,
           borough=subject.home_borough, purpose=purpose,
           detail={"subject": subject.reference, "from_agency": from_agency.pk, "to_agency": to_agency.pk})
    if not SchoolTransfer.objects.restrict(actor, "view").filter(pk=transfer.pk).exists():
        raise PermissionDenied("The transfer would not be visible to the one who started it.")
    notify_school_dsls([transfer], "A school has sent you a child-protection file. Accept it to confirm receipt:")
    return transfer, True


def _share_until(subject: Subject) -> dt.datetime:
    floor = timezone.now() + MINIMUM_SHARE
    end_of_retention = timezone.make_aware(dt.datetime.combine(subject.retention_date, dt.time.max))
    return max(floor, end_of_retention)


@audit_service
@transaction.atomic
def do_accept_school_transfer(*, transfer: SchoolTransfer, actor: User) -> SchoolTransfer:
    """The new school's DSL confirms receipt: the transfer records who accepted it and when (the old
    school's receipt), and her record is shared with the new school for ``SCHOOL_TRANSFER_PURPOSE`` until
    her retention date (``do_share_subject`` records the share itself)."""
    transfer = SchoolTransfer._base_manager.select_for_update().select_related("subject__home_borough",
                                                                                "to_agency").get(pk=transfer.pk)
    if not capabilities.can_accept_school_transfer(actor, transfer):
        raise PermissionDenied("Only the new school's DSL accepts a waiting transfer.")
    if transfer.subject.status != SubjectStatus.ACTIVE:  # erased or merged since it was sent
        raise ValidationError("This record is no longer active: ask the old school which record to use.")
    transfer.status = TransferStatus.ACCEPTED
    transfer.accepted_by, transfer.accepted_at = actor, timezone.now()
    set_history_user(transfer, actor)
    transfer.save()
    subject = transfer.subject
    services.do_share_subject(subject=subject, agency=transfer.to_agency, purpose=SCHOOL_TRANSFER_PURPOSE,
                              expires_at=_share_until(subject), actor=actor)
    record(Action.UPDATE, actor=actor, object_type=ObjectType.SCHOOL_TRANSFER, reference=transfer.reference,
           borough=subject.home_borough, purpose=transfer.purpose,
           detail={"subject": subject.reference, "status": TransferStatus.ACCEPTED})
    if not Subject.objects.restrict(actor, "view").filter(pk=subject.pk).exists():
        raise PermissionDenied("The new school would not see her file after accepting it.")
    # The old school's receipt: its DSLs are told (they see the transfer, never her record at the new one).
    notify(_school_dsls([transfer.from_agency_id]), kind=Kind.SCHOOL_TRANSFER_ACCEPTED,
           reference=transfer.reference, url=reverse("school-transfer-list"))
    return transfer


@audit_service
@transaction.atomic
def do_cancel_school_transfer(*, transfer: SchoolTransfer, actor: User) -> SchoolTransfer:
    """The old school's DSL takes back a transfer the new school has not accepted (sent to the wrong
    school, or she did not move after all). Nothing was shared, so nothing is revoked."""
    transfer = SchoolTransfer._base_manager.select_for_update().select_related("subject__home_borough").get(
        pk=transfer.pk)
    if not capabilities.can_cancel_school_transfer(actor, transfer):
        raise PermissionDenied("Only the old school's DSL cancels a waiting transfer.")
    transfer.status, transfer.cancelled_at = TransferStatus.CANCELLED, timezone.now()
    set_history_user(transfer, actor)
    transfer.save()
    record(Action.UPDATE, actor=actor, object_type=ObjectType.SCHOOL_TRANSFER, reference=transfer.reference,
           borough=transfer.subject.home_borough, purpose=transfer.purpose,
           detail={"subject": transfer.subject.reference, "status": TransferStatus.CANCELLED})
    return transfer


def overdue_transfers(today: dt.date | None = None) -> QuerySet[SchoolTransfer]:
    """Transfers still waiting for the new school after their 5 working days (the chase; a set-based read
    for the scheduled job, not a page)."""
    today = today or timezone.localdate()
    return SchoolTransfer._base_manager.filter(status=TransferStatus.PENDING, due_on__lt=today).select_related(
        "subject", "to_agency")
