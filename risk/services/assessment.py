"""Assessing subjects: one at a time (a new concern, a merge, a confirmed map link) and set-based
(``rescore``), under the active scoring model.

Audit (DESIGN.md §5.3, one event per change, each naming its service): an assessment that appends to
the timeline writes one ``update`` event of object type ``risk``; the register changes that follow a
level change are part of it and named in its detail (``register``). ``do_rescore_all`` writes one event per
subject whose level changed and one for the run.

A level change is *returned* (``LevelChange``), never acted on here beyond the register of this layer:
``referrals.intake`` raises the automatic referral that "rose to high" calls for.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from referrals.choices import SubjectStatus
from referrals.models import Subject
from risk import queries
from risk.choices import RiskLevel
from risk.map import queries as map_queries
from risk.models import Assessment, ScoringModel, SubjectRisk
from risk.scoring import LEVEL_RANK, WINDOWS, ConcernFact, Decision, Result, evaluator
from risk.services.register import on_level_change

BATCH_SIZE = 500


def _should_append(current: SubjectRisk | None, result: Result, version: int, delta: float) -> bool:
    """Only a change worth a new point on the timeline: level, model version, or score beyond the delta."""
    if current is None:
        return True
    return (current.level != result.level or current.model_version != version
            or abs(current.score - result.score) > delta)


def map_facts_for(subject_ids: list[Any], config: dict[str, Any], now: dt.datetime,
               until: dict[Any, dt.date] | None = None) -> dict[Any, list[dict[str, Any]]]:
    """The association-map facts for these subjects, only when the model weighs them (constant queries).
    ``until``, when given, receives per subject the first day her map facts may change by time alone."""
    if not config.get("map"):
        return {}
    return map_queries.context_factors(subject_ids, today=now.date(), until=until)


def decisions_for(subject_ids: list[Any], config: dict[str, Any]) -> dict[Any, list[Decision]]:
    """The MASH's decisions for these subjects, only when the model weighs them (one query, or none)."""
    if config.get("engine") != WINDOWS:
        return {}
    return queries.load_decisions(subject_ids)


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
                map_facts: Any, map_until: dt.date | None, score: float, level: str,
                decisions: Any = ()) -> dt.date:
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
    # One evaluator for every day asked about: model v3 remembers what each past day's evidence supported.
    engine = evaluator(facts, config, map_facts, decisions)
    if not _moved(engine.at(high), score, level, delta):
        return high
    while (high - low).days > 1:
        middle = low + dt.timedelta(days=(high - low).days // 2)
        if _moved(engine.at(middle), score, level, delta):
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
@dataclass(frozen=True)
class LevelChange:
    """A subject's level moved: returned to the use case that asked for the assessment, which decides
    what else follows (``referrals.intake`` raises the automatic referral on reaching high)."""

    subject: Subject
    old_level: str
    new_level: str
    register: str  # what happened to her register entry: "added", "reinstated", "updated" or ""

    @property
    def rose_to_high(self) -> bool:
        """She reached high or very high from below high."""
        return LEVEL_RANK[self.new_level] >= LEVEL_RANK[RiskLevel.HIGH] > LEVEL_RANK[self.old_level]


@dataclass(frozen=True)
class Assessed:
    """What one assessment did: the new timeline point (None when nothing moved) and the level change."""

    assessment: Assessment | None
    change: LevelChange | None = None


def _new_subject_facts(concern: Any, indicators: list[Any]) -> list[ConcernFact]:
    return [ConcernFact(reference=concern.reference, agency_id=concern.agency_id, observed_on=concern.observed_on,
                        seriously_worried=concern.seriously_worried,
                        indicators=tuple(sorted((i.code, i.kind) for i in indicators)),
                        judgement=concern.judgement or ("seriously_worried" if concern.seriously_worried else ""),
                        age=concern.age_at_observation)]


def _apply(row: SubjectRisk | None, subject: Subject, result: Result, model: ScoringModel, now: dt.datetime,
           due_on: dt.date) -> tuple[SubjectRisk, bool, str]:
    """Move her current-risk row to ``result`` (unsaved): ``(row, is_new, old_level)``. The one place the
    row's fields follow an assessment, for the incremental path and ``rescore`` alike."""
    old_level = row.level if row is not None else RiskLevel.NONE
    is_new = row is None
    if row is None:
        row = SubjectRisk(subject=subject, previous_level=RiskLevel.NONE,
                          level_changed_at=now if result.level != RiskLevel.NONE else None)
    elif row.level != result.level:
        row.previous_level, row.level_changed_at = row.level, now
    row.score, row.level, row.level_rank = result.score, result.level, result.rank
    row.model_version, row.assessed_at, row.rescore_due_on = model.version, now, due_on
    return row, is_new, old_level


def _assess_one(subject: Subject, model: ScoringModel, now: dt.datetime, reason: str,
                actor: User | None, first_facts: list[ConcernFact] | None = None) -> Assessed:
    today = now.date()
    until: dict[Any, dt.date] = {}
    if first_facts is not None:
        # Created in this transaction: her only facts are in hand, and she has no links, no current
        # risk and no register entry yet (nobody else can see her before this commits).
        facts, map_facts, current, decisions = first_facts, [], None, []
    else:
        facts = queries.load_facts([subject.pk])[subject.pk]
        map_facts = map_facts_for([subject.pk], model.config, now, until).get(subject.pk, [])
        decisions = decisions_for([subject.pk], model.config).get(subject.pk, [])
        current = SubjectRisk.objects.select_for_update().filter(subject=subject).first()
    result = evaluator(facts, model.config, map_facts, decisions).at(now)
    if not _should_append(current, result, model.version, float(model.config.get("rescore_delta", 0))):
        assert current is not None
        due = next_due_on(facts, model.config, today, map_facts, until.get(subject.pk), current.score,
                          current.level, decisions)
        if due != current.rescore_due_on:
            SubjectRisk.objects.filter(pk=current.pk).update(rescore_due_on=due)
        return Assessed(None)
    assessment = Assessment.objects.create(
        subject=subject, assessed_at=now, score=result.score, level=result.level, model_version=model.version,
        reason=reason, explanation=result.explanation,
    )
    due = next_due_on(facts, model.config, today, map_facts, until.get(subject.pk), result.score, result.level,
                      decisions)
    row, is_new, old_level = _apply(current, subject, result, model, now, due)
    row.save(force_insert=is_new)
    if old_level == result.level:
        return Assessed(assessment)
    register = on_level_change(subject, old_level, result.level, actor=actor, now=now, config=model.config,
                               no_entry=first_facts is not None)
    return Assessed(assessment, LevelChange(subject, old_level, result.level, register))


@audit_service
def do_assess_subject(subject: Subject, *, actor: User | None, reason: str = "concern",
                      now: dt.datetime | None = None, first_concern: Any = None,
                      indicators: list[Any] | None = None) -> Assessed:
    """Re-assess one subject now under the active scoring model; append to her timeline only if something
    changed. Returns what it did (``Assessed``): the caller acts on a level change. Writes one
    ``update``/``risk`` event when it appends (see the module docstring).

    ``first_concern`` (with its ``indicators``) says that the subject was created in the caller's
    transaction with this as her only concern, which spares reading back what was just written."""
    now = now or timezone.now()
    # No savepoint of its own: inside a concern's transaction it commits or rolls back with the concern.
    with transaction.atomic(savepoint=False):
        model = active_model()
        # A restricted record (UK GDPR Art. 18) is stored, not processed: no score until it is lifted.
        if model is None or subject.status != SubjectStatus.ACTIVE or subject.restricted:
            return Assessed(None)
        first = _new_subject_facts(first_concern, indicators or []) if first_concern is not None else None
        outcome = _assess_one(subject, model, now, reason, actor, first)
        if outcome.assessment is not None:
            change = outcome.change
            record(Action.UPDATE, actor=actor, object_type=ObjectType.RISK, reference=subject.reference,
                   borough=subject.home_borough, purpose=f"Risk assessment ({reason})",
                   detail={"service": "do_assess_subject", "level": outcome.assessment.level,
                           "previous": change.old_level if change else outcome.assessment.level,
                           "score": str(outcome.assessment.score), "model": model.version,
                           "register": (change.register if change else "") or "unchanged"})
        return outcome


@dataclass
class RescoreReport:
    """What one ``rescore`` run did."""

    subjects: int = 0
    appended: int = 0
    level_changes: int = 0
    queries_per_batch: int = 0
    evaluated: int = 0
    changes: list[LevelChange] = field(default_factory=list)  # for the caller to act on


def _due_subject_ids(model: ScoringModel, today: dt.date) -> list[Any]:
    """Active subjects to re-assess: never assessed, never dated, due, or assessed under another model
    version (one query). Restricted records (UK GDPR Art. 18) are left alone until the restriction is
    lifted, which makes them due again."""
    due = (Q(risk__isnull=True) | Q(risk__rescore_due_on__isnull=True) | Q(risk__rescore_due_on__lte=today)
           | ~Q(risk__model_version=model.version))
    return list(Subject.objects.filter(due, status=SubjectStatus.ACTIVE, restricted=False)
                .order_by("pk").values_list("pk", flat=True))


@audit_service
def do_rescore_all(*, now: dt.datetime | None = None, actor: User | None = None,
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
    through ``register.on_level_change`` one by one: the register is tracked, and those changes are rare.
    Idempotent: run twice at the same moment, the second run appends nothing.

    The level changes are returned in the report (``changes``); a caller that acts on them
    (``referrals.intake.do_rescore``) wraps this in its own transaction so both commit together.
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
            map_facts = map_facts_for(ids, model.config, now, until)
            decisions = decisions_for(ids, model.config)
            new_assessments: list[Assessment] = []
            to_create: list[SubjectRisk] = []
            to_update: list[SubjectRisk] = []
            dated: list[SubjectRisk] = []
            changed: list[tuple[Subject, str, str]] = []
            for subject in batch:
                mine = decisions.get(subject.pk, ())
                result = evaluator(facts[subject.pk], model.config, map_facts.get(subject.pk, ()), mine).at(now)
                row = _risk_of(subject)
                if not _should_append(row, result, model.version, delta):
                    assert row is not None
                    row.rescore_due_on = next_due_on(facts[subject.pk], model.config, today,
                                                     map_facts.get(subject.pk, ()), until.get(subject.pk),
                                                     row.score, row.level, mine)
                    dated.append(row)
                    continue
                new_assessments.append(Assessment(
                    subject=subject, assessed_at=now, score=result.score, level=result.level,
                    model_version=model.version, reason="rescore", explanation=result.explanation))
                due = next_due_on(facts[subject.pk], model.config, today, map_facts.get(subject.pk, ()),
                                  until.get(subject.pk), result.score, result.level, mine)
                row, is_new, old_level = _apply(row, subject, result, model, now, due)
                (to_create if is_new else to_update).append(row)
                if old_level != result.level:
                    changed.append((subject, old_level, result.level))
            Assessment.objects.bulk_create(new_assessments)
            SubjectRisk.objects.bulk_create(to_create)
            SubjectRisk.objects.bulk_update(
                to_update, ["score", "level", "level_rank", "previous_level", "level_changed_at",
                            "model_version", "assessed_at", "rescore_due_on"])
            SubjectRisk.objects.bulk_update(dated, ["rescore_due_on"])
            for subject, old, new in changed:
                register = on_level_change(subject, old, new, actor=actor, now=now, config=model.config)
                record(Action.UPDATE, actor=actor, object_type=ObjectType.RISK, reference=subject.reference,
                       borough=subject.home_borough, purpose="Risk assessment (rescore)",
                       detail={"service": "do_rescore_all", "level": new, "previous": old, "model": model.version,
                               "register": register or "unchanged"})
                report.changes.append(LevelChange(subject, old, new, register))
            report.evaluated += len(batch)
            report.appended += len(new_assessments)
            report.level_changes += len(changed)
        if report.appended:
            record(Action.UPDATE, actor=actor, object_type=ObjectType.RISK,
                   purpose="Scheduled re-assessment of everyone",
                   detail={"service": "do_rescore_all", "subjects": report.subjects, "appended": report.appended,
                           "level_changes": report.level_changes, "model": model.version})
    return report


def _risk_of(subject: Subject) -> SubjectRisk | None:
    try:
        return subject.risk
    except SubjectRisk.DoesNotExist:
        return None


@audit_service
@transaction.atomic
def do_activate_scoring_model(*, model: ScoringModel, actor: User | None) -> ScoringModel:
    """Make ``model`` the active scoring model; the next ``rescore`` re-assesses everyone under it."""
    ScoringModel.objects.exclude(pk=model.pk).filter(is_active=True).update(is_active=False)
    model.is_active = True
    model.save(update_fields=["is_active"])
    forget_active_model()
    record(Action.UPDATE, actor=actor, object_type=ObjectType.SCORING_MODEL, reference=str(model.version),
           detail={"service": "do_activate_scoring_model", "active": True})
    return model


