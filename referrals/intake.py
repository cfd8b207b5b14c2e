"""Intake: a concern comes in and everything that follows from it, as one readable use case.

``do_record_concern`` runs, in one transaction: match the young person by blind index (or make a new
record) → record the concern → assess her risk (``risk.services.assessment``) → the register follows
her level (inside the assessment) → if she rose to high, raise the automatic referral to her borough's
MASH (``referrals.routing``). The risk side *returns* what changed; this module acts on it
(DESIGN.md §4.1). ``do_rescore`` does the same for the nightly re-assessment, and
``do_merge_subjects`` (the MASH joining two records of one girl) lives here with the matching it
corrects.

Audit (DESIGN.md §5.3, one event per change, each naming its service): recording writes the concern's
``create``; the assessment, when it moves her timeline, its own ``update``/``risk``; an automatic
referral its own ``create``/``referral``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from agencies.choices import RoleCode
from agencies.models import Borough, Membership
from agencies.permissions import active_membership
from audit.api import audit_service, batched, record
from audit.choices import Action, ObjectType
from audit.history import set_history_user
from config.text import require_plain_text
from encryption import services as encryption
from encryption.blind_index import blind_index, phonetic_codes
from encryption.exceptions import KeyShreddedError
from notifications.choices import Kind
from notifications.services import notify
from referrals import routing
from referrals.choices import MERGE_PURPOSE, ActionTaken, IdentityIndex, Judgement, SubjectStatus, TransferStatus
from referrals.models import Concern, SchoolTransfer, Subject, SubjectShare
from referrals.references import new_reference, retried_on_reference_clash
from risk.map import services as map_services
from risk.map.models import LinkStatus
from risk.models import Indicator, ProtectiveFactor, RiskDecision
from risk.queries import years_between
from risk.services import decisions as risk_decisions
from risk.services.assessment import LevelChange, RescoreReport, do_assess_subject, do_rescore_all, mark_due

EXACT = IdentityIndex.EXACT.value
SOUNDS_LIKE = IdentityIndex.SOUNDS_LIKE.value
SAME_FAMILY_AND_BIRTHDAY = IdentityIndex.SAME_FAMILY_AND_BIRTHDAY.value


@dataclass
class SubjectDetails:
    """Identity as one practitioner entered it."""

    given_name: str
    family_name: str
    date_of_birth: dt.date | None = None
    age_estimate: int | None = None
    other_names: str = ""
    address: str = ""
    identifiers: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "age_estimate": self.age_estimate,
            "other_names": self.other_names,
            "address": self.address,
            "identifiers": self.identifiers,
        }


def retention_date_for(details: SubjectDetails, today: dt.date | None = None) -> dt.date:
    """Date of birth plus the retention period (25 years by default), rounded up to the month's end.

    Rounding keeps the stored date from revealing an exact birthday. With only an age estimate, the
    end of the year in which she would reach the retention age.
    """
    years = settings.SUBJECT_RETENTION_YEARS
    today = today or timezone.localdate()
    if details.date_of_birth is not None:
        year = details.date_of_birth.year + years
        month = details.date_of_birth.month
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    age = details.age_estimate or 0
    return dt.date(today.year - age + years, 12, 31)


def _identity_indexes(details: SubjectDetails) -> dict[str, list[str]]:
    indexes: dict[str, list[str]] = {}
    # First given name and whole family name by Metaphone: "Natasha Dupont" sounds like "Natascha Dupond".
    given_codes = [c for c in phonetic_codes(details.given_name) if c.startswith("metaphone:")]
    family_codes = [c for c in phonetic_codes(details.family_name) if c.startswith("metaphone:")]
    if given_codes and family_codes:
        indexes[SOUNDS_LIKE] = [blind_index(SOUNDS_LIKE, given_codes[0], " ".join(family_codes))]
    if details.date_of_birth is not None:
        dob = details.date_of_birth.isoformat()
        indexes[EXACT] = [blind_index(EXACT, details.given_name, details.family_name, dob)]
        indexes[SAME_FAMILY_AND_BIRTHDAY] = [blind_index(SAME_FAMILY_AND_BIRTHDAY, details.family_name, dob)]
    return indexes


def find_exact_subject(details: SubjectDetails) -> Subject | None:
    """The live subject whose name and date of birth match exactly (through the blind index), if any."""
    if details.date_of_birth is None:
        return None
    digest = blind_index(EXACT, details.given_name, details.family_name, details.date_of_birth.isoformat())
    subject = (
        Subject.objects.filter(data_key__in=encryption.find_data_keys(EXACT, digest))
        .select_related("home_borough")
        .order_by("created_at")
        .first()
    )
    # A merged record forwards to the record it was merged into.
    while subject is not None and subject.status == SubjectStatus.MERGED:
        subject = subject.merged_into
    if subject is not None and subject.status != SubjectStatus.ACTIVE:
        return None
    return subject


def create_subject(details: SubjectDetails, home_borough: Borough, actor: User) -> Subject:
    """A new record with its own data key and blind indexes (inside the caller's transaction)."""
    data_key = encryption.do_create_data_key(actor=actor)
    subject = Subject(
        reference=new_reference("S"),
        data_key=data_key,
        given_name=details.given_name,
        family_name=details.family_name,
        other_names=details.other_names or None,
        date_of_birth=details.date_of_birth,
        age_estimate=str(details.age_estimate) if details.age_estimate is not None else None,
        address=details.address or None,
        identifiers=details.identifiers or None,
        home_borough=home_borough,
        retention_date=retention_date_for(details),
    )
    set_history_user(subject, actor)
    subject.save()
    encryption.do_set_blind_indexes(data_key, _identity_indexes(details), actor=actor, new_key=True)
    return subject


def fill_identity_gaps(subject: Subject, details: SubjectDetails, actor: User) -> None:
    """Add details the record lacks; never overwrite what another agency recorded."""
    changed = False
    for name in ("other_names", "address"):
        if not getattr(subject, name) and getattr(details, name):
            setattr(subject, name, getattr(details, name))
            changed = True
    if not subject.identifiers and details.identifiers:
        subject.identifiers = details.identifiers
        changed = True
    if changed:
        set_history_user(subject, actor)
        subject.save()


def age_at(observed_on: dt.date, details: SubjectDetails | None, subject: Subject,
           recorded_on: dt.date | None = None) -> int | None:
    """Her age in whole years on the day the signs were seen: from the date of birth or age this recorder
    entered, else from her record (decrypted; only when the recorder entered neither). An age estimate is
    taken as her age on the day it was recorded (``recorded_on``, today by default). None when nobody
    knows."""
    today = recorded_on or timezone.localdate()
    born = details.date_of_birth if details else None
    estimate = details.age_estimate if details else None
    if born is None and estimate is None:
        born = subject.date_of_birth
        if born is None and subject.age_estimate:
            try:
                estimate = int(subject.age_estimate)
            except ValueError:
                estimate = None
            if estimate is not None:  # her record's estimate was her age when the record was made
                # (a concern moved onto her record by a merge may predate the record: never count back)
                estimate += max(0, years_between(timezone.localdate(subject.created_at), today))
    if born is not None:
        return max(0, years_between(born, observed_on))
    if estimate is not None:
        return max(0, estimate - years_between(observed_on, today))
    return None


@retried_on_reference_clash
@audit_service
def do_record_concern(
    *,
    details: SubjectDetails | None,
    subject: Subject | None = None,
    home_borough: Borough,
    observed_on: dt.date,
    indicators: Iterable[Indicator],
    narrative: str,
    seriously_worried: bool,
    idempotency_key: uuid.UUID,
    actor: User,
    judgement: str = "",
    actions_taken: Iterable[str] = (),
) -> tuple[Concern, bool]:
    """Record a concern, attaching it to the matching subject or a new one.

    Returns ``(concern, created)``. The same ``idempotency_key`` from the same user returns the first
    concern, even when ten copies of the form race each other. Whether the subject was already known is
    never part of what the caller shows a practitioner.
    """
    # No look-up of the key first: a replay is rare, and the unique key makes it fail at the INSERT, which
    # rolls back everything this attempt wrote; the first concern is then returned as before.
    try:
        with transaction.atomic(), batched():
            concern = _record_concern(
                details=details, subject=subject, home_borough=home_borough, observed_on=observed_on,
                indicators=list(indicators), narrative=narrative, seriously_worried=seriously_worried,
                idempotency_key=idempotency_key, actor=actor, judgement=judgement,
                actions_taken=sorted(set(actions_taken)),
            )
    except IntegrityError:
        # Another request with the same key won the race and has committed.
        existing = Concern.objects.filter(idempotency_key=idempotency_key).select_related("subject").first()
        if existing is None:
            raise
        return _replayed(existing, actor), False
    return concern, True


def _replayed(concern: Concern, actor: User) -> Concern:
    if concern.recorded_by_id != actor.pk:
        # A key is only ever replayed by the browser that made it; anything else is forged.
        raise PermissionDenied("This form has already been used.")
    return concern


def _record_concern(
    *,
    details: SubjectDetails | None,
    subject: Subject | None,
    home_borough: Borough,
    observed_on: dt.date,
    indicators: list[Indicator],
    narrative: str,
    seriously_worried: bool,
    idempotency_key: uuid.UUID,
    actor: User,
    judgement: str = "",
    actions_taken: list[str] | None = None,
) -> Concern:
    membership = active_membership(actor)
    if set(actions_taken or ()) - set(ActionTaken.values):
        raise ValidationError("Choose what you have already done from the list.")
    if membership is None:
        raise PermissionDenied("No active membership.")
    if not indicators and not narrative.strip():
        raise ValidationError("Choose at least one sign or describe what you saw.")
    require_plain_text(multi_line={"description": narrative, "address": details.address if details else None},
                       single_line={"first name": details.given_name if details else None,
                                    "last name": details.family_name if details else None,
                                    "other names": details.other_names if details else None})
    if any(indicator.is_retired for indicator in indicators):
        raise ValidationError("One of the chosen signs is no longer in use.")
    if judgement not in Judgement.values:
        raise ValidationError("Choose how worried you are.")
    # The three-step judgement and the old yes/no question say the same thing about its middle step.
    judgement = judgement or (Judgement.SERIOUSLY_WORRIED.value if seriously_worried else "")
    seriously_worried = judgement in {Judgement.SERIOUSLY_WORRIED, Judgement.IMMEDIATE_DANGER}

    created = False
    if subject is None:
        if details is None:
            raise ValidationError("Enter the young person's details.")
        subject = find_exact_subject(details)
        if subject is None:
            subject = create_subject(details, home_borough, actor)
            created = True
        else:
            fill_identity_gaps(subject, details, actor)
    elif subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record can no longer take new concerns.")

    concern = Concern(
        reference=new_reference("C"),
        subject=subject,
        agency=membership.agency,
        recorded_by=actor,
        observed_on=observed_on,
        narrative=narrative.strip() or None,
        # What the recorder entered, with the borough *they* chose: a recorder is shown this, never the
        # record's home borough, which may come from another agency's concern (DESIGN.md §5.6a).
        subject_as_recorded={**details.as_json(), "home_borough": home_borough.name} if details is not None else None,
        seriously_worried=seriously_worried,
        judgement=judgement,
        actions_taken=list(actions_taken) if actions_taken else None,
        age_at_observation=age_at(observed_on, details, subject),
        idempotency_key=idempotency_key,
    )
    set_history_user(concern, actor)
    concern.save()
    Concern.indicators.through.objects.bulk_create(
        [Concern.indicators.through(concern_id=concern.pk, indicator_id=indicator.pk) for indicator in indicators]
    )

    record(Action.CREATE, actor=actor, object_type="concern", reference=concern.reference,
           borough=subject.home_borough, detail={"subject": subject.reference})
    if not Concern.objects.restrict(actor, "view").filter(pk=concern.pk).exists():
        raise PermissionDenied("The concern would not be visible to the person recording it.")
    _tell_agency_dsls(concern, actor)
    # A new concern re-assesses her at once, in this transaction. A subject created just now has this
    # concern and nothing else: the assessment need not read back what was just written.
    assessed = do_assess_subject(subject, actor=actor, reason="concern", first_concern=concern if created else None,
                                 indicators=indicators)
    follow_up_level_change(assessed.change)
    return concern


def _tell_agency_dsls(concern: Concern, actor: User) -> None:
    """The recorder's DSLs are told that their agency recorded a concern: what their own agency did, and
    nothing that depends on what others know of her (never that she went on the register, nor her level:
    DESIGN.md §5.6a, proved by the recorder oracle). The recorder is not told of their own concern."""
    dsls = [m.user for m in Membership.objects.people().filter(
        agency_id=concern.agency_id, is_active=True, user__is_active=True, roles__code=RoleCode.DSL,
    ).exclude(user_id=actor.pk).select_related("user").order_by("user_id")]
    notify(dsls, kind=Kind.AGENCY_CONCERN, reference=concern.reference,
           url=reverse("concern-detail", kwargs={"reference": concern.reference}))


@audit_service
@transaction.atomic
def do_merge_subjects(*, survivor: Subject, duplicate: Subject, reason: str, actor: User) -> Subject:
    """Merge ``duplicate`` into ``survivor``: its concerns move across, re-encrypted under the survivor's
    key; the duplicate stays as a forwarding record so both histories are kept."""
    if survivor.pk == duplicate.pk:
        raise ValidationError("Choose two different records to merge.")
    if not reason.strip():
        raise ValidationError("Give a reason for the merge.")
    survivor, duplicate = (Subject.objects.select_for_update().get(pk=s.pk) for s in (survivor, duplicate))
    if survivor.status != SubjectStatus.ACTIVE or duplicate.status != SubjectStatus.ACTIVE:
        raise ValidationError("Only active records can be merged.")
    visible = Subject.objects.restrict(actor, "view").filter(pk__in=[survivor.pk, duplicate.pk]).count()
    if visible != 2:
        raise PermissionDenied("Both records must be in your borough.")

    for concern in Concern.objects.filter(subject=duplicate).select_related("subject"):
        narrative, as_recorded = concern.narrative, concern.subject_as_recorded  # decrypt under the old key
        concern.subject = survivor
        concern.narrative, concern.subject_as_recorded = narrative, as_recorded  # re-encrypt under the new
        set_history_user(concern, actor)
        concern.save()
    # The MASH's decisions about her risk (signs explained, level reviews) and the protective factors
    # recorded about her are about the same girl: they move too, or an explained sign would count again
    # and the MASH's reasoning would sit on a record nobody opens.
    moving: list[RiskDecision | ProtectiveFactor] = [*RiskDecision._base_manager.filter(subject=duplicate),
                                                     *ProtectiveFactor._base_manager.filter(subject=duplicate)]
    for row in moving:
        field = "reason" if isinstance(row, RiskDecision) else "note"
        text = getattr(row, field)  # decrypt under the old key
        row.subject, row.data_key_id = survivor, survivor.data_key_id
        setattr(row, field, text)  # re-encrypt under the survivor's
        row.save(update_fields=["subject", "data_key", field])
    # Her file's transfers between schools follow her too (the receiving school's access to the sending
    # school's concerns reads the transfer). A transfer still waiting for a school that already has one
    # waiting for the survivor stays behind, where it can no longer be accepted.
    waiting = set(SchoolTransfer._base_manager.filter(subject=survivor, status=TransferStatus.PENDING)
                  .values_list("to_agency_id", flat=True))
    for transfer in SchoolTransfer._base_manager.filter(subject=duplicate):
        if transfer.status == TransferStatus.PENDING and transfer.to_agency_id in waiting:
            continue
        transfer.subject = survivor
        set_history_user(transfer, actor)
        transfer.save(update_fields=["subject"])
    for share in SubjectShare.objects.filter(content_object=duplicate):
        if not SubjectShare.objects.filter(content_object=survivor, group=share.group,
                                           permission=share.permission).exists():
            moved = SubjectShare(content_object=survivor, group=share.group, permission=share.permission,
                                 purpose=share.purpose, granted_by=share.granted_by, expires_at=share.expires_at)
            set_history_user(moved, actor)
            moved.save()
        set_history_user(share, actor)
        share.delete()
    fill_identity_gaps(survivor, SubjectDetails(
        given_name="", family_name="", other_names=duplicate.other_names or "", address=duplicate.address or "",
        identifiers=duplicate.identifiers or {}), actor)
    if duplicate.legal_hold and not survivor.legal_hold:
        survivor.legal_hold = True
        set_history_user(survivor, actor)
        survivor.save()
    if duplicate.restricted and not survivor.restricted:
        # Article 18 follows her: a restriction on either record restricts the one that remains.
        survivor.restricted, survivor.restricted_since = True, duplicate.restricted_since
        survivor.restriction_reason = duplicate.restriction_reason
        set_history_user(survivor, actor)
        survivor.save()

    duplicate.status = SubjectStatus.MERGED
    duplicate.merged_into = survivor
    # The typed reason may name people: encrypted on the record, under her key, never in the trail.
    duplicate.merge_reason = reason.strip()
    set_history_user(duplicate, actor)
    duplicate.save()
    record(Action.MERGE, actor=actor, object_type="subject", reference=survivor.reference,
           borough=survivor.home_borough, purpose=MERGE_PURPOSE, detail={"merged": duplicate.reference})
    # Her concerns changed: re-assess the survivor at once (not at the next nightly ``rescore``), and
    # follow up a level change (the register; an automatic referral if she now reaches high).
    assessed = do_assess_subject(survivor, actor=actor, reason="merge")
    follow_up_level_change(assessed.change)
    return survivor


@audit_service
@transaction.atomic
def do_confirm_map_link(link: Any, *, actor: User) -> Any:
    """The MASH confirms a suggested map link (``risk.map.services.do_confirm_link``); the girl it links
    is re-assessed at once and a level change followed up. The orchestration lives here, not in the
    map's service, because risk never imports referrals (the dependency rule); the other girls around the
    same person, place or group stay due for the next ``rescore``."""
    link = map_services.do_confirm_link(link, actor=actor)
    _reassess_linked(link, actor)
    return link


@audit_service
@transaction.atomic
def do_add_map_link(*, actor: User, **kwargs: Any) -> Any:
    """Add a map link (``risk.map.services.do_add_link``); a MASH lead's link counts at once, so the girl
    it links is re-assessed at once as for a confirmation."""
    link = map_services.do_add_link(actor=actor, **kwargs)
    if link.status == LinkStatus.CONFIRMED:
        _reassess_linked(link, actor)
    return link


def _reassess_linked(link: Any, actor: User) -> None:
    if link.subject_id is None:
        return
    subject = Subject.objects.select_related("home_borough").get(pk=link.subject_id)
    assessed = do_assess_subject(subject, actor=actor, reason="map")
    follow_up_level_change(assessed.change)


@audit_service
@transaction.atomic
def do_mark_sign_explained(*, actor: User, **kwargs: Any) -> Any:
    """The MASH marks a sign explained and verified (``risk.services.decisions.do_mark_sign_explained``);
    she is re-assessed at once and a level change followed up, as after a concern. Returns the decision."""
    decision, assessed = risk_decisions.do_mark_sign_explained(actor=actor, **kwargs)
    follow_up_level_change(assessed.change)
    return decision


@audit_service
@transaction.atomic
def do_review_risk_level(*, actor: User, **kwargs: Any) -> Any:
    """The MASH records a review of her level (``risk.services.decisions.do_review_risk_level``); a review
    that holds her at high or above when she was lower raises the automatic referral like any other rise.
    Returns the decision."""
    decision, assessed = risk_decisions.do_review_risk_level(actor=actor, **kwargs)
    follow_up_level_change(assessed.change)
    return decision


def follow_up_level_change(change: LevelChange | None) -> None:
    """What a level change means beyond the register: reaching high (from below) raises an automatic
    referral to her borough's MASH, unless a referral about her is already open. Runs in the caller's
    transaction; the referral is raised by the system on the MASH's behalf."""
    if change is not None and change.rose_to_high:
        routing.do_raise_automatic_referral(change.subject)


@audit_service
def do_rescore(*, now: dt.datetime | None = None, batch_size: int | None = None) -> RescoreReport:
    """The nightly re-assessment of everyone due (``risk.services.assessment.do_rescore_all``), then the
    follow-up of every level change, in one transaction: a failure leaves nothing half done."""
    with transaction.atomic():
        kwargs: dict[str, Any] = {"now": now}
        if batch_size is not None:
            kwargs["batch_size"] = batch_size
        report = do_rescore_all(**kwargs)
        for change in report.changes:
            follow_up_level_change(change)
    return report


def _details_as_recorded(snapshot: Any) -> SubjectDetails | None:
    """The date of birth and age a recorder entered, from the concern's encrypted snapshot."""
    if not isinstance(snapshot, dict):
        return None
    born = snapshot.get("date_of_birth")
    estimate = snapshot.get("age_estimate")
    try:
        return SubjectDetails(given_name="", family_name="",
                              date_of_birth=dt.date.fromisoformat(born) if born else None,
                              age_estimate=int(estimate) if isinstance(estimate, int | str) and estimate != ""
                              else None)
    except (TypeError, ValueError):
        return None


@audit_service
def do_backfill_observation_ages(*, actor: User | None = None, batch_size: int = 500) -> int:
    """Give concerns recorded before ages were stored her age on the day the signs were seen, worked out
    as recording does (the date of birth or age the recorder entered, an age taken as of the day the
    concern was recorded; else her record's date of birth or age estimate), and make those young people
    due for the next ``rescore`` so the age floors apply. Erased
    records and concerns whose age nobody knew stay empty. One batch per transaction; safe to run again.
    Returns how many concerns were given an age."""
    filled = 0
    last = None
    while True:
        batch = Concern._base_manager.filter(age_at_observation__isnull=True,
                                             subject__status=SubjectStatus.ACTIVE).order_by("pk")
        if last is not None:
            batch = batch.filter(pk__gt=last)
        concerns = list(batch.select_related("subject")[:batch_size])
        if not concerns:
            break
        last = concerns[-1].pk
        with transaction.atomic():
            aged: list[Concern] = []
            for concern in concerns:
                try:
                    details = _details_as_recorded(concern.subject_as_recorded)
                    age = age_at(concern.observed_on, details, concern.subject,
                                 recorded_on=timezone.localdate(concern.recorded_at))
                except KeyShreddedError:
                    continue  # erased: nothing to read, nothing to score
                if age is not None:
                    concern.age_at_observation = age
                    aged.append(concern)
            if aged:
                # Ages only: no new history row per concern (the column did not exist when they were written).
                Concern._base_manager.bulk_update(aged, ["age_at_observation"])
                mark_due({c.subject_id for c in aged})
                record(Action.UPDATE, actor=actor, object_type=ObjectType.CONCERN,
                       detail={"ages_filled": len(aged)})
                filled += len(aged)
    return filled
