"""Business actions of risk: assessing subjects (one at a time and set-based) and the risk register.

Audit decision (DESIGN.md §5.3, one event per service): an assessment is its own service with its own
access event (``update`` of object type ``risk``). When a concern is recorded, ``_record_concern`` calls
``do_assess_subject`` inside its transaction, so recording a concern writes two events: the concern's
``create`` and, if the timeline moved, the assessment's ``update``. The automatic register changes that
follow a level change (entry, reinstatement) are part of that assessment and named in its event detail
(``register``), so they never write a third event. ``rescore`` writes one ``update`` event per run with
the counts, plus one per subject whose level changed (those are the register-relevant changes).
Register actions by people (review, removal, reinstatement, lead professional) each write one event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agencies.choices import RoleCode
from agencies.permissions import active_membership
from audit.api import record
from audit.choices import Action
from config.text import require_plain_text
from referrals.choices import SubjectStatus
from referrals.models import Subject
from risk import queries
from risk.models import (
    Assessment,
    RegisterEntry,
    RegisterReview,
    RegisterStatus,
    ReviewOutcome,
    ScoringModel,
    SubjectRisk,
)
from risk.scoring import LEVEL_RANK, Result, assess

BATCH_SIZE = 500


def _history_user(instance: Any, actor: AbstractBaseUser | None) -> None:
    instance._history_user = actor


def _should_append(current: SubjectRisk | None, result: Result, version: int, delta: float) -> bool:
    """Only a change worth a new point on the timeline: level, model version, or score beyond the delta."""
    if current is None:
        return True
    return (current.level != result.level or current.model_version != version
            or abs(current.score - result.score) > delta)


def _map_facts(subject_ids: list[Any], config: dict[str, Any], now: dt.datetime) -> dict[Any, list[dict[str, Any]]]:
    """The association-map facts for these subjects, only when the model weighs them (constant queries)."""
    if not config.get("map"):
        return {}
    from risk.map_queries import context_factors

    return context_factors(subject_ids, today=now.date())


def cadence_for(level: str, config: dict[str, Any]) -> int:
    return int(config["review_cadence_days"].get(level, 91))


# ---------------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    assessment: Assessment | None
    old_level: str
    new_level: str
    register: str


def _assess_one(subject: Subject, model: ScoringModel, now: dt.datetime, reason: str,
                actor: AbstractBaseUser | None) -> _Outcome:
    facts = queries.load_facts([subject.pk])[subject.pk]
    result = assess(facts, model.config, now, _map_facts([subject.pk], model.config, now).get(subject.pk, ()))
    current = SubjectRisk.objects.select_for_update().filter(subject=subject).first()
    old_level = current.level if current else "none"
    if not _should_append(current, result, model.version, float(model.config.get("rescore_delta", 0))):
        return _Outcome(None, old_level, old_level, "")
    assessment = Assessment.objects.create(
        subject=subject, assessed_at=now, score=result.score, level=result.level, model_version=model.version,
        reason=reason, explanation=result.explanation,
    )
    new_row = current is None
    if current is None:
        current = SubjectRisk(subject=subject, previous_level="none")
    if current.level != result.level and not new_row:
        current.previous_level, current.level_changed_at = current.level, now
    elif new_row and result.level != "none":
        current.level_changed_at = now
    current.score, current.level, current.level_rank = result.score, result.level, result.rank
    current.model_version, current.assessed_at = model.version, now
    current.save(force_insert=new_row)
    register = ""
    if old_level != result.level:
        register = _on_level_change(subject, old_level, result.level, actor=actor, now=now, config=model.config)
    return _Outcome(assessment, old_level, result.level, register)


def do_assess_subject(subject: Subject, *, actor: AbstractBaseUser | None, reason: str = "concern",
                      now: dt.datetime | None = None) -> Assessment | None:
    """Re-assess one subject now under the active scoring model; append to her timeline only if something
    changed. Returns the new assessment, or None when nothing moved. Writes one ``update``/``risk``
    event when it appends (see the module docstring)."""
    now = now or timezone.now()
    # No savepoint of its own: inside a concern's transaction it commits or rolls back with the concern.
    with transaction.atomic(savepoint=False):
        model = ScoringModel.objects.active()
        if model is None or subject.status != SubjectStatus.ACTIVE:
            return None
        outcome = _assess_one(subject, model, now, reason, actor)
        if outcome.assessment is not None:
            record(Action.UPDATE, actor=actor, object_type="risk", reference=subject.reference,
                   borough=subject.home_borough, purpose=f"Risk assessment ({reason})",
                   detail={"level": outcome.new_level, "previous": outcome.old_level,
                           "score": str(outcome.assessment.score), "model": model.version,
                           "register": outcome.register or "unchanged"})
        return outcome.assessment


@dataclass
class RescoreReport:
    """What one ``rescore`` run did."""

    subjects: int = 0
    appended: int = 0
    level_changes: int = 0
    queries_per_batch: int = 0


def rescore_all(*, now: dt.datetime | None = None, actor: AbstractBaseUser | None = None,
                batch_size: int = BATCH_SIZE) -> RescoreReport:
    """Re-assess every active subject, set-based.

    Per batch of subjects: one query for the subjects, two for their facts (concerns, indicators), one
    for their current risk rows, then one bulk insert of new assessments and bulk writes of the current
    rows. ``SubjectRisk`` and ``Assessment`` are untracked tables (no simple-history), so the bulk
    operations are allowed there (DESIGN.md §5.5, §7). Only subjects whose *level* changed go through
    ``_on_level_change`` one by one: the register is tracked, and those changes are rare. Idempotent:
    run twice at the same moment, the second run appends nothing.
    """
    now = now or timezone.now()
    report = RescoreReport()
    model = ScoringModel.objects.active()
    if model is None:
        return report
    delta = float(model.config.get("rescore_delta", 0))
    last_pk = None
    with transaction.atomic():
        while True:
            batch_q = Subject.objects.filter(status=SubjectStatus.ACTIVE).select_related("home_borough")
            if last_pk is not None:
                batch_q = batch_q.filter(pk__gt=last_pk)
            batch = list(batch_q.order_by("pk")[:batch_size])
            if not batch:
                break
            last_pk = batch[-1].pk
            ids = [s.pk for s in batch]
            facts = queries.load_facts(ids)
            map_facts = _map_facts(ids, model.config, now)
            current = {r.subject_id: r for r in SubjectRisk.objects.filter(subject_id__in=ids)}
            new_assessments, to_create, to_update, changed = [], [], [], []
            for subject in batch:
                result = assess(facts[subject.pk], model.config, now, map_facts.get(subject.pk, ()))
                row = current.get(subject.pk)
                if not _should_append(row, result, model.version, delta):
                    continue
                new_assessments.append(Assessment(
                    subject=subject, assessed_at=now, score=result.score, level=result.level,
                    model_version=model.version, reason="rescore", explanation=result.explanation))
                old_level = row.level if row else "none"
                if row is None:
                    row = SubjectRisk(subject=subject, previous_level="none",
                                      level_changed_at=now if result.level != "none" else None)
                    to_create.append(row)
                else:
                    if row.level != result.level:
                        row.previous_level, row.level_changed_at = row.level, now
                    to_update.append(row)
                row.score, row.level, row.level_rank = result.score, result.level, result.rank
                row.model_version, row.assessed_at = model.version, now
                if old_level != result.level:
                    changed.append((subject, old_level, result.level))
            Assessment.objects.bulk_create(new_assessments)
            SubjectRisk.objects.bulk_create(to_create)
            SubjectRisk.objects.bulk_update(
                to_update, ["score", "level", "level_rank", "previous_level", "level_changed_at",
                            "model_version", "assessed_at"])
            for subject, old, new in changed:
                register = _on_level_change(subject, old, new, actor=actor, now=now, config=model.config)
                record(Action.UPDATE, actor=actor, object_type="risk", reference=subject.reference,
                       borough=subject.home_borough, purpose="Risk assessment (rescore)",
                       detail={"level": new, "previous": old, "model": model.version,
                               "register": register or "unchanged"})
            report.subjects += len(batch)
            report.appended += len(new_assessments)
            report.level_changes += len(changed)
        if report.appended:
            record(Action.UPDATE, actor=actor, object_type="risk", purpose="Scheduled re-assessment of everyone",
                   detail={"subjects": report.subjects, "appended": report.appended,
                           "level_changes": report.level_changes, "model": model.version})
    return report


@transaction.atomic
def do_activate_scoring_model(*, model: ScoringModel, actor: AbstractBaseUser | None) -> ScoringModel:
    """Make ``model`` the active scoring model; the next ``rescore`` re-assesses everyone under it."""
    ScoringModel.objects.exclude(pk=model.pk).filter(is_active=True).update(is_active=False)
    model.is_active = True
    model.save(update_fields=["is_active"])
    record(Action.UPDATE, actor=actor, object_type="scoring_model", reference=str(model.version),
           detail={"active": True})
    return model


# ---------------------------------------------------------------------------------------------------
# The level-change hook and the register
# ---------------------------------------------------------------------------------------------------
def _on_level_change(subject: Subject, old_level: str, new_level: str, *, actor: AbstractBaseUser | None,
                     now: dt.datetime | None = None, config: dict[str, Any] | None = None) -> str:
    """Everything that follows a change of a subject's risk level; called inside the assessing
    transaction, by the incremental path and by ``rescore`` alike. Returns what happened to the register
    ("added", "reinstated", "updated" or "") for the caller's audit event.

    * reaching the register threshold puts her on her home borough's register (MASH leads notified);
    * a level rising above the one she was removed at reinstates her (MASH leads notified);
    * on the register, the level and review cadence follow (a shorter cadence brings the review forward);
    * a falling level never removes anyone: removal is a person's decision with a reason.

    * reaching "high" (or above) while on the register raises an automatic referral to her borough's
      MASH, unless a referral is already open.
    """
    now = now or timezone.now()
    config = config or ScoringModel.objects.active().config
    threshold = LEVEL_RANK[config.get("register_threshold", "medium")]
    rank, rising = LEVEL_RANK[new_level], LEVEL_RANK[new_level] > LEVEL_RANK[old_level]
    today = timezone.localdate(now)
    cadence = cadence_for(new_level, config)
    entry = RegisterEntry.objects.select_for_update().filter(subject=subject).first()
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
        entry.status, entry.removal_reason, entry.removed_at = RegisterStatus.ON, "", None
        entry.next_review_on = today + dt.timedelta(days=cadence)
        happened = "reinstated"
    else:
        entry.next_review_on = min(entry.next_review_on, today + dt.timedelta(days=cadence))
        happened = "updated"
    entry.level, entry.level_rank, entry.review_cadence_days = new_level, rank, cadence
    _history_user(entry, actor)
    entry.save()
    if happened in {"added", "reinstated"} or (happened == "updated" and rising):
        _notify_mash_leads(entry, happened)
    if rank >= LEVEL_RANK["high"] > LEVEL_RANK[old_level]:
        from referrals.services import do_raise_automatic_referral

        do_raise_automatic_referral(subject, actor=actor)
    return happened


def _notify_mash_leads(entry: RegisterEntry, what: str) -> None:
    """Email the borough's MASH leads after commit: the reference and a link, nothing else."""
    reference, borough_id = entry.subject.reference, entry.borough_id
    link = settings.SITE_URL.rstrip("/") + reverse("register-entry", kwargs={"reference": reference})
    subjects = {"added": "added to the risk register", "reinstated": "back on the risk register",
                "updated": "risk level has risen"}

    def send() -> None:
        recipients = mash_lead_emails(borough_id)
        if recipients:
            send_mail(
                subject=f"{reference}: {subjects[what]}",
                message=(f"Young person {reference} is {subjects[what]} in your borough.\n\n"
                         f"Open the register entry to see the level and plan a review:\n{link}\n"),
                from_email=None, recipient_list=recipients,
            )

    transaction.on_commit(send)


def mash_lead_emails(borough_id: int) -> list[str]:
    """The email addresses of the active MASH leads of a borough (one query)."""
    return sorted(
        get_user_model().objects.filter(
            is_active=True, membership__is_active=True, membership__agency__is_active=True,
            membership__agency__borough_id=borough_id, membership__roles__code=RoleCode.MASH_LEAD,
        ).exclude(email="").values_list("email", flat=True).distinct()
    )


def _require_borough_lead(entry: RegisterEntry, actor: AbstractBaseUser) -> None:
    membership = active_membership(actor)
    if (membership is None or RoleCode.MASH_LEAD not in membership.role_codes
            or membership.agency.borough_id != entry.borough_id):
        raise PermissionDenied("Only the borough's MASH leads keep its register.")


def _locked(entry: RegisterEntry) -> RegisterEntry:
    return RegisterEntry.objects.select_for_update().select_related("subject", "borough").get(pk=entry.pk)


@transaction.atomic
def do_record_review(*, entry: RegisterEntry, outcome: str, notes: str, actor: AbstractBaseUser,
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
    _history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="Register review", detail={"outcome": outcome})
    return review


@transaction.atomic
def do_remove_from_register(*, entry: RegisterEntry, reason: str, actor: AbstractBaseUser,
                            now: dt.datetime | None = None) -> RegisterEntry:
    """Take a subject off the register with a reason; the entry and its history stay."""
    entry = _locked(entry)
    _require_borough_lead(entry, actor)
    if not entry.is_on:
        raise ValidationError("This young person is not on the register.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for removal.")
    entry.status, entry.removal_reason, entry.removed_at = RegisterStatus.REMOVED, reason[:200], now or timezone.now()
    _history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="Removed from the register", detail={"status": "removed"})
    return entry


@transaction.atomic
def do_reinstate_register_entry(*, entry: RegisterEntry, reason: str, actor: AbstractBaseUser,
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
    entry.status, entry.removal_reason, entry.removed_at = RegisterStatus.ON, "", None
    entry.next_review_on = timezone.localdate(now or timezone.now()) + dt.timedelta(days=entry.review_cadence_days)
    _history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose=f"Reinstated: {reason.strip()}"[:200], detail={"status": "on"})
    return entry


@transaction.atomic
def do_set_lead_professional(*, entry: RegisterEntry, lead: AbstractBaseUser | None,
                             actor: AbstractBaseUser) -> RegisterEntry:
    """Name (or clear) the lead professional: a member of an agency in the entry's borough."""
    entry = _locked(entry)
    _require_borough_lead(entry, actor)
    if lead is not None and lead.pk not in set(queries.lead_candidates(entry.borough_id).values_list("pk", flat=True)):
        raise ValidationError("Choose a professional from an agency in this borough.")
    entry.lead_professional = lead
    _history_user(entry, actor)
    entry.save()
    record(Action.UPDATE, actor=actor, object_type="register_entry", reference=entry.subject.reference,
           borough=entry.borough, purpose="Lead professional", detail={"lead": lead.pk if lead else None})
    return entry


def assess_subjects(subjects: Iterable[Subject], *, actor: AbstractBaseUser | None, reason: str) -> None:
    """Re-assess several subjects (after a merge, say), each as its own assessment."""
    for subject in subjects:
        do_assess_subject(subject, actor=actor, reason=reason)
