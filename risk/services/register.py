"""The borough risk register: what a level change does to it, and the MASH leads' actions on it.

Audit (DESIGN.md §5.3): the register changes that follow a level change are part of the assessment
that caused them (named in its event's ``register`` detail); each action by a person (review, removal,
reinstatement, lead professional) writes one ``update`` event of object type ``register_entry``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agencies import capabilities
from agencies.choices import RoleCode
from agencies.models import PEOPLE
from audit.api import audit_service, record
from audit.choices import Action
from audit.history import set_history_user
from config.text import require_plain_text
from notifications.choices import Kind
from notifications.services import notify
from referrals.models import Subject
from risk import queries
from risk.choices import CHOSEN_REMOVAL_REASONS
from risk.models import RegisterEntry, RegisterReview, RegisterStatus, ReviewOutcome, ScoringModel, SubjectRisk
from risk.scoring import LEVEL_RANK


def cadence_for(level: str, config: dict[str, Any]) -> int:
    """Days between reviews at this level under a scoring model's configuration."""
    return int(config["review_cadence_days"].get(level, 91))


def on_level_change(subject: Subject, old_level: str, new_level: str, *, actor: User | None,
                     now: dt.datetime | None = None, config: dict[str, Any] | None = None,
                     no_entry: bool = False) -> str:
    """Everything that follows a change of a subject's risk level; called inside the assessing
    transaction, by the incremental path and by ``rescore`` alike. Returns what happened to the register
    ("added", "reinstated", "updated" or "") for the caller's audit event.

    * reaching the register threshold puts her on her home borough's register (MASH leads notified);
    * a level rising above the one she was removed at reinstates her (MASH leads notified);
    * on the register, the level and review cadence follow (a shorter cadence brings the review forward);
    * a falling level never removes anyone: removal is a person's decision with a reason.

    What a level change means beyond the register (an automatic referral on reaching high) is for the
    caller: see ``assessment.LevelChange``.
    """
    now = now or timezone.now()
    config = config or ScoringModel.objects.active().config
    threshold = LEVEL_RANK[config.get("register_threshold", "medium")]
    rank, rising = LEVEL_RANK[new_level], LEVEL_RANK[new_level] > LEVEL_RANK[old_level]
    today = timezone.localdate(now)
    cadence = cadence_for(new_level, config)
    # ``no_entry``: the subject was created in this transaction, so there is nothing to look up.
    entry = None if no_entry else RegisterEntry.objects.select_for_update().filter(subject=subject).first()
    happened = ""
    if entry is None:
        if rank < threshold:
            return ""
        entry = RegisterEntry(subject=subject, borough=subject.home_borough, added_at=now,
                              next_review_on=today + dt.timedelta(days=cadence))
        happened = "added"
    elif not entry.is_on:
        if not (rising and rank >= threshold and rank > entry.level_rank):
            return ""
        entry.status, entry.removal_reason, entry.removed_at = RegisterStatus.ON, None, None
        entry.removal_reason_code = ""
        entry.next_review_on = today + dt.timedelta(days=cadence)
        happened = "reinstated"
    else:
        entry.next_review_on = min(entry.next_review_on, today + dt.timedelta(days=cadence))
        happened = "updated"
    entry.level, entry.level_rank, entry.review_cadence_days = new_level, rank, cadence
    set_history_user(entry, actor)
    entry.save()
    if happened in {"added", "reinstated"} or (happened == "updated" and rising):
        _notify_mash_leads(entry, happened)
    return happened


REGISTER_KINDS = {"added": Kind.REGISTER_ADDED, "reinstated": Kind.REGISTER_REINSTATED,
                  "updated": Kind.REGISTER_LEVEL_ROSE}


def _notify_mash_leads(entry: RegisterEntry, what: str) -> None:
    """Tell the borough's MASH leads, in their inbox and by email after commit: the reference and a link,
    nothing else. Nobody else is told: that she is on the register is cross-agency risk (DESIGN.md §5.6a)."""
    reference = entry.subject.reference
    notify(mash_leads(entry.borough_id), kind=REGISTER_KINDS[what], reference=reference,
           url=reverse("register-entry", kwargs={"reference": reference}))


def mash_leads(borough_id: int) -> list[User]:
    """The active MASH leads of a borough (one query)."""
    return list(
        get_user_model().objects.filter(
            PEOPLE, is_active=True, membership__is_active=True, membership__agency__is_active=True,
            membership__agency__borough_id=borough_id, membership__roles__code=RoleCode.MASH_LEAD,
        ).distinct().order_by("pk")
    )


def _require_borough_lead(entry: RegisterEntry, actor: User) -> None:
    if not capabilities.leads_mash_of(actor, entry.borough_id):
        raise PermissionDenied("Only the borough's MASH leads keep its register.")


def _locked(entry: RegisterEntry) -> RegisterEntry:
    return RegisterEntry.objects.select_for_update().select_related("subject", "borough").get(pk=entry.pk)


@audit_service
@transaction.atomic
def do_record_review(*, entry: RegisterEntry, outcome: str, notes: str, actor: User,
                     now: dt.datetime | None = None) -> RegisterReview:
    """Record a review: the next review falls one cadence from today."""
    entry = _locked(entry)
    _require_borough_lead(entry, actor)
    if not entry.is_on:
        raise ValidationError("Reinstate this young person before recording a review.")
    if outcome not in ReviewOutcome.values:
        raise ValidationError("Choose the outcome of the review.")
    require_plain_text(multi_line={"notes": notes})
    now = now or timezone.now()
    next_review = timezone.localdate(now) + dt.timedelta(days=entry.review_cadence_days)
    review = RegisterReview(entry=entry, data_key_id=entry.subject.data_key_id, reviewed_by=actor,
                            reviewed_at=now, outcome=outcome, notes=notes.strip() or None,
                            next_review_on=next_review)
    review.save()
    entry.next_review_on = next_review
    set_history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="Register review", detail={"outcome": outcome})
    return review


@audit_service
@transaction.atomic
def do_remove_from_register(*, entry: RegisterEntry, reason_code: str, reason: str, actor: User,
                            now: dt.datetime | None = None) -> RegisterEntry:
    """Take a subject off the register with a reason: a code (for the trail and the statistics' exits by
    reason) and the MASH lead's words (encrypted under her key); the entry and its history stay."""
    entry = _locked(entry)
    _require_borough_lead(entry, actor)
    if not entry.is_on:
        raise ValidationError("This young person is not on the register.")
    if reason_code not in CHOSEN_REMOVAL_REASONS:
        raise ValidationError("Choose why she is coming off the register.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for removal.")
    entry.status, entry.removal_reason, entry.removed_at = RegisterStatus.REMOVED, reason[:200], now or timezone.now()
    entry.removal_reason_code = reason_code
    entry.reinstatement_reason = None
    set_history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="Removed from the register",
           detail={"status": "removed", "reason": reason_code})
    return entry


@audit_service
@transaction.atomic
def do_reinstate_register_entry(*, entry: RegisterEntry, reason: str, actor: User,
                                now: dt.datetime | None = None) -> RegisterEntry:
    """Put a removed subject back on the register, at her current level and its cadence."""
    entry = _locked(entry)
    _require_borough_lead(entry, actor)
    if entry.is_on:
        raise ValidationError("This young person is already on the register.")
    if not reason.strip():
        raise ValidationError("Give the reason for reinstatement.")
    current = SubjectRisk.objects.filter(subject_id=entry.subject_id).first()
    model = ScoringModel.objects.active()
    if current is not None:
        entry.level, entry.level_rank = current.level, current.level_rank
    entry.review_cadence_days = cadence_for(entry.level, model.config) if model else entry.review_cadence_days
    entry.status, entry.removal_reason, entry.removed_at = RegisterStatus.ON, None, None
    entry.removal_reason_code = ""
    entry.next_review_on = timezone.localdate(now or timezone.now()) + dt.timedelta(days=entry.review_cadence_days)
    entry.reinstatement_reason = reason.strip()[:200]  # encrypted under her key; the trail gets a code
    set_history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="reinstated_on_register", detail={"status": "on"})
    return entry


@audit_service
@transaction.atomic
def do_set_lead_professional(*, entry: RegisterEntry, lead: User | None,
                             actor: User) -> RegisterEntry:
    """Name (or clear) the lead professional: a member of an agency in the entry's borough."""
    entry = _locked(entry)
    _require_borough_lead(entry, actor)
    if lead is not None and lead.pk not in set(queries.lead_candidates(entry.borough_id).values_list("pk", flat=True)):
        raise ValidationError("Choose a professional from an agency in this borough.")
    entry.lead_professional = lead
    set_history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="Lead professional", detail={"lead": lead.pk if lead else None})
    return entry
