"""Case work after the MASH's decision: every change is a ``do_`` service here.

* ``do_record_strategy_discussion``: the MASH records a strategy discussion against the pathway that called
  it; the clocks that run from it (an initial child protection conference) start at its date.
* ``do_add_action``, ``do_complete_action``, ``do_cancel_action``, ``do_mark_overdue_actions``: her plan (or
  a context's) and its actions, owned by an agency and a person.
* ``do_record_outcome``: what changed for her, dated, by agency.
* ``do_schedule_meeting`` (the agenda built from the register), ``do_add_agenda_item``,
  ``do_remove_agenda_item``, ``do_set_attendance``, ``do_send_agenda``, ``do_record_discussion`` and
  ``do_record_minutes``: the borough's MACE panel.

Each runs in one transaction, checks who may act, writes row history with ``set_history_user`` and one
access event per change naming the service (codes and references only: typed text is encrypted under the
key of whom it is about, and never reaches the trail, an email or an error). After writing, it checks the
actor can still see what they wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agencies import capabilities
from agencies.choices import AgencyKind, RoleCode
from agencies.models import PEOPLE, Agency, Borough, Membership
from agencies.permissions import active_membership
from audit.api import audit_service, record
from audit.choices import Action as Act
from audit.choices import ObjectType
from audit.history import set_history_user
from casework.choices import (
    AGENDA_ORDER,
    LIVE_ACTION_STATUSES,
    ActionSource,
    ActionStatus,
    AgendaReason,
    CancelReason,
    MeetingStatus,
    OutcomeKind,
    PlanKind,
    StrategyDecision,
)
from casework.models import Action, AgendaItem, MaceDiscussion, MaceMeeting, Outcome, Plan, StrategyDiscussion
from casework.notices import notify
from config.text import require_plain_text
from notifications.services import forget_references
from referrals import clocks
from referrals.choices import LIVE_PATHWAY_STATUSES, PathwayStatus, ReferralState, SubjectStatus
from referrals.models import ReferralPathway, Subject
from referrals.references import new_reference, retried_on_reference_clash
from risk import pathways as catalogue_rules
from risk import queries as risk_queries
from risk.map.models import Group, Place
from risk.map.queries import contexts_of_concern
from risk.models import RegisterEntry, RegisterReview

TEXT_MAX = 5000
# The pathway a strategy discussion answers (the catalogue's code).
STRATEGY_PATHWAY = "csc_strategy"
# The event the catalogue's clocks name when they run from a strategy discussion (``risk.pathways.STARTS``).
STRATEGY_START = "strategy_discussion"


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------
def _text(label: str, value: str, *, required: bool) -> str:
    # Checked before stripping (some control characters strip as white space), as every service does.
    require_plain_text(multi_line={label: value or ""})
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"Enter the {label}.")
    if len(value) > TEXT_MAX:
        raise ValidationError(f"The {label} must be {TEXT_MAX} characters or fewer.")
    return value


def _members(agency_ids: Iterable[int], *roles: str) -> list[User]:
    return [m.user for m in Membership.objects.people().filter(
        agency_id__in=list(agency_ids), is_active=True, user__is_active=True, agency__is_active=True,
        roles__code__in=list(roles)).select_related("user").distinct()]


def _mash_leads(borough_id: int) -> list[User]:
    agencies = Agency.objects.filter(borough_id=borough_id, kind=AgencyKind.MASH).values_list("pk", flat=True)
    return _members(agencies, RoleCode.MASH_LEAD)


def _active_subject(subject: Subject) -> Subject:
    locked = Subject.objects.select_for_update().get(pk=subject.pk)
    if locked.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active: nothing more can be recorded on it.")
    return locked


def _require_casework(actor: User, borough_id: int) -> None:
    if not capabilities.runs_casework_for(actor, borough_id):
        raise PermissionDenied("Only the MASH leads of her borough do this.")


@dataclass(frozen=True)
class Target:
    """Her, or a context (a place or a group): what a plan, an agenda item or a discussion is about."""

    subject: Subject | None = None
    place: Place | None = None
    group: Group | None = None

    @property
    def obj(self) -> Any:
        found = self.subject or self.place or self.group
        if found is None:
            raise ValidationError("Say whom or what this is about.")
        return found

    @property
    def borough_id(self) -> int:
        obj = self.obj
        return int(obj.home_borough_id if self.subject is not None else obj.borough_id)

    @property
    def data_key_id(self) -> Any:
        return self.obj.data_key_id

    @property
    def reference(self) -> str:
        return str(self.obj.reference)

    def fields(self) -> dict[str, Any]:
        return {"subject": self.subject, "place": self.place, "group": self.group}

    def filter(self) -> dict[str, Any]:
        if self.subject is not None:
            return {"subject": self.subject}
        if self.place is not None:
            return {"place": self.place}
        return {"group": self.group}


def _plan(target: Target, actor: User) -> Plan:
    """Her plan (or the context's), made the first time an action is agreed."""
    plan = Plan.objects.filter(**target.filter()).first()
    if plan is None:
        plan = Plan(kind=PlanKind.SAFETY if target.subject is not None else PlanKind.DISRUPTION,
                    borough_id=target.borough_id, created_by=actor, **target.fields())
        set_history_user(plan, actor)
        plan.save()
    return plan


# ---------------------------------------------------------------------------------------------------
# Strategy discussions
# ---------------------------------------------------------------------------------------------------
def strategy_pathways(subject: Subject) -> list[ReferralPathway]:
    """Her strategy-discussion pathways a decision routed (the ones a discussion can answer), newest first."""
    return list(ReferralPathway.objects.filter(
        referral__subject=subject, pathway=STRATEGY_PATHWAY, receiving_agency__isnull=False)
        .exclude(status="left_out").select_related("referral", "receiving_agency").order_by("-decided_at"))


def _start_clocks(subject: Subject, held_at: dt.datetime, discussion: StrategyDiscussion, actor: User) -> list[
        ReferralPathway]:
    """The clocks that run from a strategy discussion (``Clock.starts == "strategy_discussion"``) start at
    ``held_at`` where they had no deadline yet; a discussion that decides on a conference restarts them, as the
    initial conference is due within 15 working days of the *last* strategy discussion that agreed it. One
    update event per pathway whose clock started."""
    started = []
    rows = (ReferralPathway.objects.select_for_update(of=("self",))
            .filter(referral__subject=subject, status__in=LIVE_PATHWAY_STATUSES, clock_starts=STRATEGY_START,
                    referral__state__in=[ReferralState.DECIDED, ReferralState.ACCEPTED])
            .select_related("referral", "referral__borough"))
    if discussion.decision != StrategyDecision.CONFERENCE:
        rows = rows.filter(due_at__isnull=True)
    for row in rows:
        clock = catalogue_rules.Clock(unit=row.clock_unit or "none", amount=row.clock_amount, starts=row.clock_starts)
        row.due_at = clocks.deadline(clock, held_at)
        if row.due_at is None:
            continue
        row.version += 1
        set_history_user(row, actor)
        row.save(update_fields=["due_at", "version"])
        record(Act.UPDATE, actor=actor, object_type=ObjectType.REFERRAL, reference=row.referral.reference,
               borough=row.referral.borough, purpose="Pathway clock started by a strategy discussion",
               detail={"pathway": row.pathway, "clock": "started", "strategy_discussion": discussion.reference})
        started.append(row)
    return started


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_record_strategy_discussion(*, subject: Subject, held_at: dt.datetime, agencies: Sequence[Agency],
                                  decision: str, record_text: str, pathway: ReferralPathway | None = None,
                                  actor: User) -> StrategyDiscussion:
    """Her borough's MASH lead records a strategy discussion (section 47): when it was held, the agencies
    that took part, the decision and the record (encrypted under her key), linked to the pathway that called
    it; its deadline is that pathway's. The clocks that run from the discussion start at ``held_at``, and the
    services holding her live pathways are told (a reference and a link)."""
    _require_casework(actor, subject.home_borough_id)
    subject = _active_subject(subject)
    if decision not in StrategyDecision.values:
        raise ValidationError("Choose what the strategy discussion decided.")
    text = _text("record of the discussion", record_text, required=True)
    if held_at > timezone.now():
        raise ValidationError("A strategy discussion cannot be recorded before it is held.")
    agencies = list(agencies)
    if not agencies:
        raise ValidationError("Choose the agencies that took part.")
    if any(not a.is_active for a in agencies):
        raise ValidationError("Choose agencies that are active in the system.")
    if pathway is not None:
        mine = {row.pk for row in strategy_pathways(subject)}
        if pathway.pk not in mine:
            raise ValidationError("Choose one of her strategy-discussion pathways.")
    discussion = StrategyDiscussion(
        reference=new_reference("D"), subject=subject, pathway=pathway, borough_id=subject.home_borough_id,
        data_key_id=subject.data_key_id, held_at=held_at, due_at=pathway.due_at if pathway else None,
        decision=decision, record=text, recorded_by=actor)
    set_history_user(discussion, actor)
    discussion.save()
    discussion.agencies.set(agencies)
    record(Act.CREATE, actor=actor, object_type=ObjectType.STRATEGY_DISCUSSION, reference=discussion.reference,
           borough=subject.home_borough, purpose="Strategy discussion",
           detail={"subject": subject.reference, "decision": decision, "agencies": len(agencies),
                   "pathway": pathway.pathway if pathway else "",
                   "within_clock": "" if discussion.within_clock is None else discussion.within_clock})
    started = _start_clocks(subject, held_at, discussion, actor)
    # The services that have accepted one of her pathways read the discussion; one still deciding whether to
    # accept hears of it only through a clock of its own that started (a link to the referral it can open).
    services: set[int] = {agency for agency in ReferralPathway.objects.filter(
        referral__subject=subject, status=PathwayStatus.ACCEPTED, receiving_agency__isnull=False)
        .values_list("receiving_agency_id", flat=True) if agency is not None}
    for row in started:
        holders = _members([row.receiving_agency_id] if row.receiving_agency_id else [], RoleCode.RECEIVING_WORKER)
        notify(holders, kind="strategy_discussion_recorded",
               reference=row.referral.reference,
               url=reverse("referral-detail", kwargs={"reference": row.referral.reference}))
        services.discard(row.receiving_agency_id or 0)
    notify(_members(services, RoleCode.RECEIVING_WORKER), kind="strategy_discussion_recorded",
           reference=discussion.reference, url=reverse("strategy-discussion-detail",
                                                       kwargs={"reference": discussion.reference}))
    if not StrategyDiscussion.objects.restrict(actor, "view").filter(pk=discussion.pk).exists():
        raise PermissionDenied("The strategy discussion would not be visible to the person recording it.")
    return discussion


# ---------------------------------------------------------------------------------------------------
# Plans and actions
# ---------------------------------------------------------------------------------------------------
def owner_candidates(borough_id: int) -> Any:
    """Who can own an action: active members of active agencies of the borough (and pan-London police),
    holding a case role; never an auditor, an administrator or the data protection officer."""
    return (User.objects.filter(PEOPLE, membership__is_active=True, is_active=True,
                                membership__agency__is_active=True,
                                membership__agency__borough_id=borough_id,
                                membership__roles__code__in=[RoleCode.PRACTITIONER, RoleCode.DSL,
                                                             RoleCode.MASH_LEAD, RoleCode.RECEIVING_WORKER])
            .select_related("membership__agency").distinct().order_by("membership__agency__name", "last_name",
                                                                      "first_name", "pk"))


def _owner_agency(owner: User, borough_id: int) -> Agency:
    if not owner_candidates(borough_id).filter(pk=owner.pk).exists():
        raise ValidationError("Choose an owner who works for an agency of her borough.")
    membership = active_membership(owner)
    if membership is None:
        raise ValidationError("Choose an owner who works for an agency of her borough.")
    return membership.agency


def due_date_problem(due_on: dt.date, today: dt.date | None = None) -> str | None:
    """Why an action cannot be due on ``due_on`` (today or later, within a year), or None."""
    today = today or timezone.localdate()
    if due_on < today:
        return "The due date must be today or later."
    if due_on > today + dt.timedelta(days=366):
        return "The due date must be within a year."
    return None


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_add_action(*, target: Target, description: str, owner: User, due_on: dt.date, actor: User,
                  source: str = ActionSource.PLAN, meeting: MaceMeeting | None = None,
                  strategy_discussion: StrategyDiscussion | None = None, from_review: bool = False,
                  today: dt.date | None = None) -> Action:
    """Her borough's MASH lead adds an action to her plan (or a context's): what it needs (encrypted under
    her key, or the place's or group's), the agency and the person who own it, and when it is due. Agreed at
    a strategy discussion, a MACE meeting or a register review (``from_review``: her latest review), or
    simply added to the plan. The owner is told (a reference and a link)."""
    borough_id = target.borough_id
    _require_casework(actor, borough_id)
    if target.subject is not None:
        _active_subject(target.subject)
    text = _text("description of the action", description, required=True)
    problem = due_date_problem(due_on, today)
    if problem:
        raise ValidationError(problem)
    owner_agency = _owner_agency(owner, borough_id)
    if source not in ActionSource.values:
        raise ValidationError("Say where the action was agreed.")
    review = None
    if from_review:
        if target.subject is None:
            raise ValidationError("Only her register review can agree an action about her.")
        source = ActionSource.REGISTER_REVIEW
        review = (RegisterReview.objects.filter(entry__subject=target.subject, entry__borough_id=borough_id)
                  .order_by("-reviewed_at").first())
        if review is None:
            raise ValidationError("She has no register review to agree this action at.")
    if source == ActionSource.MACE and (meeting is None or meeting.borough_id != borough_id):
        raise ValidationError("An action agreed at a MACE meeting needs that meeting.")
    if source == ActionSource.STRATEGY and (strategy_discussion is None or target.subject is None
                                            or strategy_discussion.subject_id != target.subject.pk):
        raise ValidationError("An action agreed at a strategy discussion needs that discussion.")
    plan = _plan(target, actor)
    action = Action(
        reference=new_reference("K"), plan=plan, borough_id=borough_id, data_key_id=target.data_key_id,
        description=text, owner_agency=owner_agency, owner=owner, due_on=due_on, source=source,
        meeting=meeting if source == ActionSource.MACE else None,
        strategy_discussion=strategy_discussion if source == ActionSource.STRATEGY else None, review=review,
        created_by=actor, **target.fields())
    set_history_user(action, actor)
    action.save()
    record(Act.CREATE, actor=actor, object_type=ObjectType.PLAN_ACTION, reference=action.reference,
           borough=Borough.objects.get(pk=borough_id), purpose="Plan action",
           detail={"about": target.reference, "owner_agency": owner_agency.pk, "source": source,
                   "due_on": due_on.isoformat()})
    notify([owner], kind="action_assigned", reference=action.reference,
           url=reverse("action-detail", kwargs={"reference": action.reference}))
    if not Action.objects.restrict(actor, "view").filter(pk=action.pk).exists():
        raise PermissionDenied("The action would not be visible to the person adding it.")
    return action


def _locked_action(action: Action, version: int, permission: str, actor: User) -> Action:
    locked = Action.objects.select_for_update(of=("self",)).filter(pk=action.pk).select_related("borough").first()
    if locked is None:
        raise ValidationError("That action does not exist.")
    if not Action.objects.restrict(actor, permission).filter(pk=locked.pk).exists():
        raise PermissionDenied("You cannot change that action.")
    if locked.version != version:
        raise ValidationError("Someone else changed this action while you were working on it. Check it as it "
                              "is now, then submit again if it still applies.")
    if locked.status not in LIVE_ACTION_STATUSES:
        raise ValidationError(f"This action is {locked.get_status_display().lower()}: it cannot be changed.")
    return locked


@audit_service
@transaction.atomic
def do_complete_action(action: Action, *, outcome_note: str, version: int, actor: User) -> Action:
    """The owner (or the MASH) marks an open or overdue action done, with what came of it (encrypted)."""
    note = _text("outcome note", outcome_note, required=True)
    locked = _locked_action(action, version, "update", actor)
    locked.status, locked.outcome_note, locked.completed_at = ActionStatus.DONE, note, timezone.now()
    locked.version += 1
    set_history_user(locked, actor)
    locked.save()
    record(Act.UPDATE, actor=actor, object_type=ObjectType.PLAN_ACTION, reference=locked.reference,
           borough=locked.borough, purpose="Plan action done",
           detail={"status": locked.status, "version": locked.version})
    return locked


@audit_service
@transaction.atomic
def do_cancel_action(action: Action, *, reason: str, note: str, version: int, actor: User) -> Action:
    """Her borough's MASH lead cancels an action, with a reason (a code for the trail; any detail typed is
    encrypted on the action)."""
    if reason not in CancelReason.values:
        raise ValidationError("Choose why the action is cancelled.")
    detail = _text("detail of the reason", note, required=reason == CancelReason.OTHER)
    locked = _locked_action(action, version, "cancel", actor)
    locked.status, locked.cancel_reason, locked.cancelled_at = ActionStatus.CANCELLED, reason, timezone.now()
    locked.cancel_note = detail or None
    locked.version += 1
    set_history_user(locked, actor)
    locked.save()
    record(Act.UPDATE, actor=actor, object_type=ObjectType.PLAN_ACTION, reference=locked.reference,
           borough=locked.borough, purpose=reason, detail={"status": locked.status, "reason": reason,
                                                           "version": locked.version})
    return locked


def overdue_actions(today: dt.date | None = None) -> Any:
    """Open actions past their due date, not yet marked (unrestricted: for the nightly job)."""
    today = today or timezone.localdate()
    return Action.objects.filter(status=ActionStatus.OPEN, due_on__lt=today).select_related("borough", "owner")


@audit_service
@transaction.atomic
def do_mark_overdue_actions(*, today: dt.date | None = None, actor: User | None = None) -> list[Action]:
    """Mark every open action past its due date overdue, and tell its owner (urgent) and her borough's MASH
    leads: one update event per action. Run nightly by ``manage.py alert_overdue_actions``."""
    marked = []
    now = timezone.now()
    for action in overdue_actions(today).select_for_update(of=("self",)):
        action.status, action.overdue_notified_at = ActionStatus.OVERDUE, now
        action.version += 1
        set_history_user(action, actor)
        action.save(update_fields=["status", "overdue_notified_at", "version"])
        record(Act.UPDATE, actor=actor, object_type=ObjectType.PLAN_ACTION, reference=action.reference,
               borough=action.borough, purpose="Plan action overdue",
               detail={"status": action.status, "version": action.version})
        url = reverse("action-detail", kwargs={"reference": action.reference})
        notify([action.owner], kind="action_overdue", reference=action.reference, url=url, urgent=True)
        notify(_mash_leads(action.borough_id), kind="action_overdue", reference=action.reference, url=url)
        marked.append(action)
    return marked


# ---------------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------------
@audit_service
@transaction.atomic
def do_record_outcome(*, subject: Subject, kind: str, occurred_on: dt.date, note: str, actor: User) -> Outcome:
    """Record what changed for her (engaged with the specialist service, missing episodes stopped, ...),
    dated, by the recorder's agency, with a note under her key."""
    if not capabilities.can_record_outcome(actor, subject):
        raise PermissionDenied("You cannot record outcomes for her.")
    subject = _active_subject(subject)
    if kind not in OutcomeKind.values:
        raise ValidationError("Choose what changed.")
    if occurred_on > timezone.localdate():
        raise ValidationError("The date must be today or in the past.")
    text = _text("note", note, required=kind == OutcomeKind.OTHER)
    agency = capabilities.agency_of(actor)
    outcome = Outcome(subject=subject, data_key_id=subject.data_key_id, kind=kind, occurred_on=occurred_on,
                      agency=agency, note=text or None, recorded_by=actor)
    set_history_user(outcome, actor)
    outcome.save()
    record(Act.CREATE, actor=actor, object_type=ObjectType.OUTCOME, reference=subject.reference,
           borough=subject.home_borough, purpose="Outcome", detail={"kind": kind, "agency": agency.pk})
    if not Outcome.objects.restrict(actor, "view").filter(pk=outcome.pk).exists():
        raise PermissionDenied("The outcome would not be visible to the person recording it.")
    return outcome


# ---------------------------------------------------------------------------------------------------
# MACE meetings
# ---------------------------------------------------------------------------------------------------
def build_agenda(borough_id: int, actor: User, *, today: dt.date, now: dt.datetime) -> list[tuple[str, Target]]:
    """What the register puts on a MACE agenda, in order: very high and high first, then rising, reviews
    overdue, actions overdue, new entries (the last 28 days), then contexts of concern (places and groups).
    Each girl once, under the first reason that applies."""
    entries = list(risk_queries.register_entries(
        borough_id, today=today, now=now, within=RegisterEntry.objects.restrict(actor, "view")))
    rising = set(risk_queries.register_entries(
        borough_id, rising=True, today=today, now=now,
        within=RegisterEntry.objects.restrict(actor, "view")).values_list("subject_id", flat=True))
    overdue_action = set(Action.objects.filter(borough_id=borough_id, subject__isnull=False, status__in=(
        ActionStatus.OVERDUE, ActionStatus.OPEN), due_on__lt=today).values_list("subject_id", flat=True))
    chosen: dict[Any, tuple[str, Target]] = {}
    for entry in entries:
        if entry.level == "very_high":
            reason = AgendaReason.VERY_HIGH
        elif entry.level == "high":
            reason = AgendaReason.HIGH
        elif entry.subject_id in rising:
            reason = AgendaReason.RISING
        elif entry.next_review_on < today:
            reason = AgendaReason.OVERDUE_REVIEW
        elif entry.subject_id in overdue_action:
            reason = AgendaReason.OVERDUE_ACTION
        elif entry.added_at >= now - dt.timedelta(days=28):
            reason = AgendaReason.NEW_ENTRY
        else:
            continue
        chosen[entry.subject_id] = (reason, Target(subject=entry.subject))
    items = sorted(chosen.values(), key=lambda pair: (AGENDA_ORDER[pair[0]], pair[1].reference))
    for context in contexts_of_concern(actor):
        if context.kind == "place" and context.node.borough_id == borough_id:
            items.append((AgendaReason.CONTEXT, Target(place=context.node)))
        elif context.kind == "group" and context.node.borough_id == borough_id:
            items.append((AgendaReason.CONTEXT, Target(group=context.node)))
    return items


def _meeting_event(meeting: MaceMeeting, actor: User, purpose: str, **detail: Any) -> None:
    record(Act.UPDATE, actor=actor, object_type=ObjectType.MACE_MEETING, reference=meeting.reference,
           borough=meeting.borough, purpose=purpose, detail={"version": meeting.version, **detail})


def _locked_meeting(meeting: MaceMeeting, actor: User, version: int | None = None) -> MaceMeeting:
    locked = MaceMeeting.objects.select_for_update().filter(pk=meeting.pk).select_related("borough").first()
    if locked is None:
        raise ValidationError("That meeting does not exist.")
    if not MaceMeeting.objects.restrict(actor, "manage").filter(pk=locked.pk).exists():
        raise PermissionDenied("Only the MASH leads of its borough run this meeting.")
    if version is not None and locked.version != version:
        raise ValidationError("Someone else changed this meeting while you were working on it. Check it as it is "
                              "now, then submit again if it still applies.")
    return locked


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_schedule_meeting(*, meets_on: dt.date, actor: User, today: dt.date | None = None) -> MaceMeeting:
    """A MASH lead schedules their borough's next MACE meeting and chairs it; its agenda is built from the
    register (``build_agenda``), which the chair then edits."""
    membership = active_membership(actor)
    if membership is None or not capabilities.runs_mace(actor):
        raise PermissionDenied("Only MASH leads run MACE meetings.")
    today = today or timezone.localdate()
    if meets_on < today or meets_on > today + dt.timedelta(days=366):
        raise ValidationError("The meeting date must be today or later, and within a year.")
    borough = membership.agency.borough
    meeting = MaceMeeting(reference=new_reference("X"), borough=borough, meets_on=meets_on, chair=actor)
    set_history_user(meeting, actor)
    meeting.save()
    agenda = build_agenda(borough.pk, actor, today=today, now=timezone.now())
    for position, (reason, target) in enumerate(agenda):
        AgendaItem.objects.create(meeting=meeting, reason=reason, position=position, **target.fields())
    record(Act.CREATE, actor=actor, object_type=ObjectType.MACE_MEETING, reference=meeting.reference,
           borough=borough, purpose="MACE meeting", detail={"items": len(agenda), "meets_on": meets_on.isoformat()})
    return meeting


@audit_service
@transaction.atomic
def do_add_agenda_item(meeting: MaceMeeting, *, target: Target, actor: User) -> AgendaItem:
    """The chair adds a girl, a place or a group of the borough to the agenda (once)."""
    meeting = _locked_meeting(meeting, actor)
    if meeting.status == MeetingStatus.HELD:
        raise ValidationError("The meeting has been held: its agenda is closed.")
    if target.borough_id != meeting.borough_id:
        raise ValidationError("Add young people and contexts of the meeting's borough.")
    if target.subject is not None and target.subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active.")
    if AgendaItem.objects.filter(meeting=meeting, **target.filter()).exists():
        raise ValidationError(f"{target.reference} is already on the agenda.")
    last = AgendaItem.objects.filter(meeting=meeting).order_by("-position").first()
    item = AgendaItem.objects.create(meeting=meeting, reason=AgendaReason.CHAIR,
                                     position=(last.position + 1) if last else 0, **target.fields())
    meeting.version += 1
    set_history_user(meeting, actor)
    meeting.save(update_fields=["version"])
    _meeting_event(meeting, actor, "MACE agenda item added", item=target.reference)
    return item


@audit_service
@transaction.atomic
def do_remove_agenda_item(meeting: MaceMeeting, *, item: AgendaItem, actor: User) -> None:
    """The chair takes an item off the agenda (before its discussion is recorded)."""
    meeting = _locked_meeting(meeting, actor)
    if item.meeting_id != meeting.pk:
        raise ValidationError("That item is not on this agenda.")
    if meeting.status == MeetingStatus.HELD:
        raise ValidationError("The meeting has been held: its agenda is closed.")
    target = Target(subject=item.subject, place=item.place, group=item.group)
    if MaceDiscussion.objects.filter(meeting=meeting, **target.filter()).exists():
        raise ValidationError("Its discussion is recorded: it stays on the agenda.")
    item.delete()
    meeting.version += 1
    set_history_user(meeting, actor)
    meeting.save(update_fields=["version"])
    _meeting_event(meeting, actor, "MACE agenda item removed", item=target.reference)


@audit_service
@transaction.atomic
def do_set_attendance(meeting: MaceMeeting, *, agencies: Sequence[Agency], version: int, actor: User) -> MaceMeeting:
    """The chair records which agencies are invited to (and then attended) the meeting."""
    meeting = _locked_meeting(meeting, actor, version)
    if any(not a.is_active for a in agencies):
        raise ValidationError("Choose agencies that are active in the system.")
    meeting.attendees.set(agencies)
    meeting.version += 1
    set_history_user(meeting, actor)
    meeting.save(update_fields=["version"])
    _meeting_event(meeting, actor, "MACE attendance", agencies=len(agencies))
    return meeting


@audit_service
@transaction.atomic
def do_send_agenda(meeting: MaceMeeting, *, version: int, actor: User) -> MaceMeeting:
    """The chair sends the agenda out: the borough's MASH leads and the attending agencies' DSLs and
    receiving workers are told (a reference and a link: the agenda itself stays with the MASH)."""
    meeting = _locked_meeting(meeting, actor, version)
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError("The agenda has already been sent.")
    if not meeting.attendees.exists():
        raise ValidationError("Record the agencies invited before sending the agenda.")
    meeting.status, meeting.agenda_sent_at = MeetingStatus.AGENDA_OUT, timezone.now()
    meeting.version += 1
    set_history_user(meeting, actor)
    meeting.save()
    _meeting_event(meeting, actor, "MACE agenda sent", status=meeting.status)
    recipients = _mash_leads(meeting.borough_id) + _members(
        meeting.attendees.values_list("pk", flat=True), RoleCode.DSL, RoleCode.RECEIVING_WORKER)
    notify(recipients, kind="meeting_agenda_out", reference=meeting.reference,
           url=reverse("mace-detail", kwargs={"reference": meeting.reference}))
    return meeting


@dataclass(frozen=True)
class AgreedAction:
    """An action agreed in a MACE discussion: what it needs, its owner, when it is due."""

    description: str
    owner: User
    due_on: dt.date


@audit_service
@transaction.atomic
def do_record_discussion(meeting: MaceMeeting, *, target: Target, record_text: str, decisions: str,
                         actions: Sequence[AgreedAction] = (), actor: User) -> MaceDiscussion:
    """The chair records the discussion of one agenda item: the record and the decisions (encrypted under
    her key, or the place's or group's), and the actions agreed (each an action of her plan, or the
    context's, through ``do_add_action``). Recorded once per item."""
    meeting = _locked_meeting(meeting, actor)
    if not AgendaItem.objects.filter(meeting=meeting, **target.filter()).exists():
        raise ValidationError("Add it to the agenda first.")
    if target.subject is not None and target.subject.status != SubjectStatus.ACTIVE:
        raise ValidationError("This record is no longer active: nothing more can be recorded on it.")
    text = _text("record of the discussion", record_text, required=True)
    decided = _text("decisions", decisions, required=False)
    if MaceDiscussion.objects.filter(meeting=meeting, **target.filter()).exists():
        raise ValidationError("Its discussion is already recorded.")
    # Due dates, the check most often failed, come before anything is written; what do_add_action checks
    # later (owner, text) rolls back with the discussion.
    for agreed in actions:
        problem = due_date_problem(agreed.due_on)
        if problem:
            raise ValidationError(problem)
    discussion = MaceDiscussion(meeting=meeting, data_key_id=target.data_key_id, record=text,
                                decisions=decided or None, recorded_by=actor, **target.fields())
    set_history_user(discussion, actor)
    discussion.save()
    meeting.version += 1
    set_history_user(meeting, actor)
    meeting.save(update_fields=["version"])
    _meeting_event(meeting, actor, "MACE discussion", item=target.reference, actions=len(actions))
    for agreed in actions:
        do_add_action(target=target, description=agreed.description, owner=agreed.owner, due_on=agreed.due_on,
                      source=ActionSource.MACE, meeting=meeting, actor=actor)
    return discussion


@audit_service
@transaction.atomic
def do_record_minutes(meeting: MaceMeeting, *, version: int, actor: User) -> MaceMeeting:
    """The chair closes the meeting: its minutes (the discussions and actions) are then open to the
    attending agencies, each reader seeing only what they may see."""
    meeting = _locked_meeting(meeting, actor, version)
    if meeting.status == MeetingStatus.HELD:
        raise ValidationError("The minutes are already recorded.")
    if not meeting.discussions.exists():
        raise ValidationError("Record at least one discussion before closing the meeting.")
    meeting.status, meeting.held_at = MeetingStatus.HELD, timezone.now()
    meeting.version += 1
    set_history_user(meeting, actor)
    meeting.save()
    _meeting_event(meeting, actor, "MACE minutes", status=meeting.status)
    return meeting


# ---------------------------------------------------------------------------------------------------
# Erasure

def end_casework_of_erased(subjects: list[Subject], actor: User | None) -> dict[str, int]:
    """Part of erasing a girl (an erasure step, registered by ``casework.apps`` and run inside
    ``referrals.services.do_erase_subject``'s transaction, whose one ``erase`` event carries these counts).

    What her case work says is under her key and goes with it. What would go on acting on a record nobody
    can read stops here: her live actions are cancelled (no owner's list, overdue alert or MACE agenda keeps
    them), her place on agendas not yet held (and not yet discussed) goes, and the notifications naming her
    actions and strategy discussions are deleted. Held meetings keep her item (a line of their minutes, by
    reference only)."""
    ids = [s.pk for s in subjects]
    now = timezone.now()
    live = list(Action._base_manager.select_for_update(of=("self",))
                .filter(subject_id__in=ids, status__in=LIVE_ACTION_STATUSES))
    for action in live:
        # "No longer needed": the only reason that is true of every action of an erased record.
        action.status, action.cancel_reason, action.cancelled_at = ActionStatus.CANCELLED, CancelReason.NOT_NEEDED, now
        action.version += 1
        set_history_user(action, actor)
        action.save(update_fields=["status", "cancel_reason", "cancelled_at", "version"])
    discussed = MaceDiscussion._base_manager.filter(subject_id__in=ids).values("meeting_id")
    agenda, _by_model = (AgendaItem._base_manager.filter(subject_id__in=ids)
                         .exclude(meeting__status=MeetingStatus.HELD).exclude(meeting_id__in=discussed).delete())
    references = set(Action._base_manager.filter(subject_id__in=ids).values_list("reference", flat=True))
    references |= set(StrategyDiscussion._base_manager.filter(subject_id__in=ids).values_list("reference", flat=True))
    return {"actions_cancelled": len(live), "agenda_items": agenda, "notifications": forget_references(references)}
