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
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
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
from risk.scoring import LEVEL_RANK, ConcernFact, Result, assess

BATCH_SIZE = 500


def _history_user(instance: Any, actor: AbstractBaseUser | None) -> None:
    instance._history_user = actor


def _should_append(current: SubjectRisk | None, result: Result, version: int, delta: float) -> bool:
    """Only a change worth a new point on the timeline: level, model version, or score beyond the delta."""
    if current is None:
        return True
    return (current.level != result.level or current.model_version != version
            or abs(current.score - result.score) > delta)


def _map_facts(subject_ids: list[Any], config: dict[str, Any], now: dt.datetime,
               until: dict[Any, dt.date] | None = None) -> dict[Any, list[dict[str, Any]]]:
    """The association-map facts for these subjects, only when the model weighs them (constant queries).
    ``until``, when given, receives per subject the first day her map facts may change by time alone."""
    if not config.get("map"):
        return {}
    from risk.map_queries import context_factors

    return context_factors(subject_ids, today=now.date(), until=until)


def cadence_for(level: str, config: dict[str, Any]) -> int:
    return int(config["review_cadence_days"].get(level, 91))


# ---------------------------------------------------------------------------------------------------
# The active scoring model, cached per process
# ---------------------------------------------------------------------------------------------------
# Every recorded concern is assessed under the active model; reading it each time was one query of the
# hottest write path. Activation here clears this process's copy at once; other processes pick a new
# version up within ACTIVE_MODEL_SECONDS, and ``rescore`` (which always reads the database) re-assesses
# anything assessed under an older version in between.
ACTIVE_MODEL_SECONDS = 30.0
_active_cache: tuple[float, ScoringModel | None] | None = None


def active_model() -> ScoringModel | None:
    """The active scoring model, from this process's copy when it is fresh."""
    global _active_cache
    cached = _active_cache
    if cached is not None and time.monotonic() - cached[0] < ACTIVE_MODEL_SECONDS:
        return cached[1]
    model = ScoringModel.objects.active()
    _active_cache = (time.monotonic(), model)
    return model


def forget_active_model(**_kwargs: Any) -> None:
    """Drop this process's copy of the active model (on activation, or any save of a scoring model)."""
    global _active_cache
    _active_cache = None


# ---------------------------------------------------------------------------------------------------
# When time alone will next move a subject's risk
# ---------------------------------------------------------------------------------------------------
HORIZON_DAYS = 5 * 366


def _moved(result: Result, score: float, level: str, delta: float) -> bool:
    return result.level != level or abs(result.score - score) > delta


def next_due_on(facts: list[ConcernFact], config: dict[str, Any], today: dt.date,
                map_facts: Any, map_until: dt.date | None, score: float, level: str) -> dt.date:
    """The first day after ``today`` on which re-assessing these facts would append to the timeline
    (level changed, or score moved by more than the model's delta from the stored ``score``), as the
    scoring engine itself computes it.

    Without new facts, time only ever lowers a score and a level (weights decay, observations leave
    windows and age limits, lift rules stop firing, links expire), so "would append" is false and then
    true for ever after: bisection finds the first true day with a dozen calls of the engine. Map facts
    are taken as they are until ``map_until`` (the first link expiry that could change them); changes
    made by people (a link confirmed or removed, a new concern) re-assess or mark the subjects due."""
    delta = float(config.get("rescore_delta", 0))
    horizon = today + dt.timedelta(days=HORIZON_DAYS)
    max_age: dict[str, Any] = config.get("max_age_days", {})
    kinds = {kind for fact in facts for _code, kind in fact.indicators}
    if all(max_age.get(kind) is not None for kind in kinds):
        # Once every observation is past every age limit and window, nothing moves any more.
        windows = [int((config.get("corroboration") or {}).get("window_days", 365)),
                   *[int(rule.get("window_days", 365)) for rule in config.get("lifts", [])],
                   *[int(max_age[kind]) for kind in kinds]]
        last_seen = max([today, *(fact.observed_on for fact in facts)])
        horizon = min(horizon, last_seen + dt.timedelta(days=max(windows) + 1))
    if map_until is not None:
        horizon = min(horizon, max(map_until, today + dt.timedelta(days=1)))
    low, high = today, max(horizon, today + dt.timedelta(days=1))
    if not _moved(assess(facts, config, high, map_facts), score, level, delta):
        return high
    while (high - low).days > 1:
        middle = low + dt.timedelta(days=(high - low).days // 2)
        if _moved(assess(facts, config, middle, map_facts), score, level, delta):
            high = middle
        else:
            low = middle
    return high


def mark_due(subject_ids: Any, *, today: dt.date | None = None) -> int:
    """Make subjects due for the next ``rescore`` (one set-based UPDATE; ``subject_ids`` may be a
    subquery). Used when something other than a concern changes what they are scored on."""
    today = today or timezone.now().date()
    return (SubjectRisk.objects.filter(subject_id__in=subject_ids)
            .filter(Q(rescore_due_on__isnull=True) | Q(rescore_due_on__gt=today))
            .update(rescore_due_on=today))


# ---------------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------------
@dataclass
class _Outcome:
    assessment: Assessment | None
    old_level: str
    new_level: str
    register: str


def _new_subject_facts(concern: Any, indicators: list[Any]) -> list[ConcernFact]:
    return [ConcernFact(reference=concern.reference, agency_id=concern.agency_id, observed_on=concern.observed_on,
                        seriously_worried=concern.seriously_worried,
                        indicators=tuple(sorted((i.code, i.kind) for i in indicators)))]


def _assess_one(subject: Subject, model: ScoringModel, now: dt.datetime, reason: str,
                actor: AbstractBaseUser | None, first_facts: list[ConcernFact] | None = None) -> _Outcome:
    today = now.date()
    until: dict[Any, dt.date] = {}
    if first_facts is not None:
        # Created in this transaction: her only facts are in hand, and she has no links, no current
        # risk and no register entry yet (nobody else can see her before this commits).
        facts, map_facts, current = first_facts, [], None
    else:
        facts = queries.load_facts([subject.pk])[subject.pk]
        map_facts = _map_facts([subject.pk], model.config, now, until).get(subject.pk, [])
        current = SubjectRisk.objects.select_for_update().filter(subject=subject).first()
    result = assess(facts, model.config, now, map_facts)
    old_level = current.level if current else "none"
    if not _should_append(current, result, model.version, float(model.config.get("rescore_delta", 0))):
        assert current is not None
        due = next_due_on(facts, model.config, today, map_facts, until.get(subject.pk), current.score,
                          current.level)
        if due != current.rescore_due_on:
            SubjectRisk.objects.filter(pk=current.pk).update(rescore_due_on=due)
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
    current.rescore_due_on = next_due_on(facts, model.config, today, map_facts, until.get(subject.pk),
                                         result.score, result.level)
    current.save(force_insert=new_row)
    register = ""
    if old_level != result.level:
        register = _on_level_change(subject, old_level, result.level, actor=actor, now=now, config=model.config,
                                    no_entry=first_facts is not None)
    return _Outcome(assessment, old_level, result.level, register)


def do_assess_subject(subject: Subject, *, actor: AbstractBaseUser | None, reason: str = "concern",
                      now: dt.datetime | None = None, first_concern: Any = None,
                      indicators: list[Any] | None = None) -> Assessment | None:
    """Re-assess one subject now under the active scoring model; append to her timeline only if something
    changed. Returns the new assessment, or None when nothing moved. Writes one ``update``/``risk``
    event when it appends (see the module docstring).

    ``first_concern`` (with its ``indicators``) says that the subject was created in the caller's
    transaction with this as her only concern, which spares reading back what was just written."""
    now = now or timezone.now()
    # No savepoint of its own: inside a concern's transaction it commits or rolls back with the concern.
    with transaction.atomic(savepoint=False):
        model = active_model()
        if model is None or subject.status != SubjectStatus.ACTIVE:
            return None
        first = _new_subject_facts(first_concern, indicators or []) if first_concern is not None else None
        outcome = _assess_one(subject, model, now, reason, actor, first)
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
    evaluated: int = 0


def _due_subject_ids(model: ScoringModel, today: dt.date) -> list[Any]:
    """Active subjects to re-assess: never assessed, never dated, due, or assessed under another model
    version (one query)."""
    due = (Q(risk__isnull=True) | Q(risk__rescore_due_on__isnull=True) | Q(risk__rescore_due_on__lte=today)
           | ~Q(risk__model_version=model.version))
    return list(Subject.objects.filter(due, status=SubjectStatus.ACTIVE).order_by("pk").values_list("pk", flat=True))


def rescore_all(*, now: dt.datetime | None = None, actor: AbstractBaseUser | None = None,
                batch_size: int = BATCH_SIZE) -> RescoreReport:
    """Re-assess every active subject whose risk time may have moved, set-based.

    Each assessment stores the first day on which time alone would move her score or level past the
    model's delta (``SubjectRisk.rescore_due_on``, computed by the scoring engine itself), so a run
    selects the subjects that are due (or never dated, or assessed under another model version) in one
    query and leaves everyone else untouched: a steady-state night costs that query and a count.

    Per batch of due subjects: one query for the subjects with their current risk rows, one for their
    facts, one or two for their map facts, then one bulk insert of new assessments and bulk writes of
    the current rows. ``SubjectRisk`` and ``Assessment`` are untracked tables (no simple-history), so the
    bulk operations are allowed there (DESIGN.md §5.5, §7). Only subjects whose *level* changed go
    through ``_on_level_change`` one by one: the register is tracked, and those changes are rare.
    Idempotent: run twice at the same moment, the second run appends nothing.
    """
    now = now or timezone.now()
    today = now.date()
    report = RescoreReport()
    model = ScoringModel.objects.active()
    forget_active_model()
    if model is None:
        return report
    delta = float(model.config.get("rescore_delta", 0))
    with transaction.atomic():
        report.subjects = Subject.objects.filter(status=SubjectStatus.ACTIVE).count()
        due_ids = _due_subject_ids(model, today)
        for start in range(0, len(due_ids), batch_size):
            ids = due_ids[start:start + batch_size]
            batch = list(Subject.objects.filter(pk__in=ids).select_related("home_borough", "risk").order_by("pk"))
            facts = queries.load_facts(ids)
            until: dict[Any, dt.date] = {}
            map_facts = _map_facts(ids, model.config, now, until)
            new_assessments, to_create, to_update, dated, changed = [], [], [], [], []
            for subject in batch:
                result = assess(facts[subject.pk], model.config, now, map_facts.get(subject.pk, ()))
                row = _risk_of(subject)
                if not _should_append(row, result, model.version, delta):
                    assert row is not None
                    row.rescore_due_on = next_due_on(facts[subject.pk], model.config, today,
                                                     map_facts.get(subject.pk, ()), until.get(subject.pk),
                                                     row.score, row.level)
                    dated.append(row)
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
                row.rescore_due_on = next_due_on(facts[subject.pk], model.config, today,
                                                 map_facts.get(subject.pk, ()), until.get(subject.pk),
                                                 result.score, result.level)
                if old_level != result.level:
                    changed.append((subject, old_level, result.level))
            Assessment.objects.bulk_create(new_assessments)
            SubjectRisk.objects.bulk_create(to_create)
            SubjectRisk.objects.bulk_update(
                to_update, ["score", "level", "level_rank", "previous_level", "level_changed_at",
                            "model_version", "assessed_at", "rescore_due_on"])
            SubjectRisk.objects.bulk_update(dated, ["rescore_due_on"])
            for subject, old, new in changed:
                register = _on_level_change(subject, old, new, actor=actor, now=now, config=model.config)
                record(Action.UPDATE, actor=actor, object_type="risk", reference=subject.reference,
                       borough=subject.home_borough, purpose="Risk assessment (rescore)",
                       detail={"level": new, "previous": old, "model": model.version,
                               "register": register or "unchanged"})
            report.evaluated += len(batch)
            report.appended += len(new_assessments)
            report.level_changes += len(changed)
        if report.appended:
            record(Action.UPDATE, actor=actor, object_type="risk", purpose="Scheduled re-assessment of everyone",
                   detail={"subjects": report.subjects, "appended": report.appended,
                           "level_changes": report.level_changes, "model": model.version})
    return report


def _risk_of(subject: Subject) -> SubjectRisk | None:
    try:
        return subject.risk
    except SubjectRisk.DoesNotExist:
        return None


@transaction.atomic
def do_activate_scoring_model(*, model: ScoringModel, actor: AbstractBaseUser | None) -> ScoringModel:
    """Make ``model`` the active scoring model; the next ``rescore`` re-assesses everyone under it."""
    ScoringModel.objects.exclude(pk=model.pk).filter(is_active=True).update(is_active=False)
    model.is_active = True
    model.save(update_fields=["is_active"])
    forget_active_model()
    record(Action.UPDATE, actor=actor, object_type="scoring_model", reference=str(model.version),
           detail={"active": True})
    return model


# ---------------------------------------------------------------------------------------------------
# The level-change hook and the register
# ---------------------------------------------------------------------------------------------------
def _on_level_change(subject: Subject, old_level: str, new_level: str, *, actor: AbstractBaseUser | None,
                     now: dt.datetime | None = None, config: dict[str, Any] | None = None,
                     no_entry: bool = False) -> str:
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
