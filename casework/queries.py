"""What case-work pages show, read through ``restrict`` (each row behind its own rule)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from agencies import capabilities
from agencies.permissions import active_membership, permitted_actions
from casework.choices import LIVE_ACTION_STATUSES, ActionStatus
from casework.models import Action, AgendaItem, MaceDiscussion, MaceMeeting, Outcome, StrategyDiscussion
from encryption.keys import prefetch_data_keys
from encryption.models import DataKey
from referrals.choices import SubjectStatus
from referrals.models import Subject

ACTION_RELATED = ("owner_agency", "owner", "subject", "place", "group", "borough")


def casework_for(subject: Subject, user: Any) -> dict[str, Any]:
    """Her strategy discussions, actions, MACE discussions and outcomes this viewer may see."""
    discussions = list(StrategyDiscussion.objects.restrict(user, "view").filter(subject=subject)
                       .select_related("pathway__referral"))
    actions = list(Action.objects.restrict(user, "view").filter(subject=subject).select_related(*ACTION_RELATED)
                   .order_by("status", "due_on"))
    mace = list(MaceDiscussion.objects.restrict(user, "view").filter(subject=subject).select_related("meeting")
                .order_by("-recorded_at"))
    outcomes = list(Outcome.objects.restrict(user, "view").filter(subject=subject).select_related("agency"))
    prefetch_data_keys([subject.data_key_id])
    return {"discussions": discussions, "actions": actions, "mace": mace, "outcomes": outcomes,
            "live_actions": [a for a in actions if a.status in LIVE_ACTION_STATUSES]}


def subject_summary(subject: Subject, user: Any) -> dict[str, Any]:
    """The compact section of her page: open actions and outcomes this viewer may see (codes, dates,
    agencies and references: what an action needs is on its own page)."""
    actions = list(Action.objects.restrict(user, "view").filter(subject=subject, status__in=LIVE_ACTION_STATUSES)
                   .select_related(*ACTION_RELATED).order_by("due_on")[:20])
    outcomes = list(Outcome.objects.restrict(user, "view").filter(subject=subject).select_related("agency")[:20])
    return {"actions": actions, "outcomes": outcomes, "today": timezone.localdate(),
            "shown": bool(actions or outcomes) or capabilities.runs_casework_for(user, subject.home_borough_id)}


def action_permissions(action: Action, user: Any) -> set[str]:
    """Which changes ``user`` may make to ``action``: ``update`` (done), ``cancel``."""
    return permitted_actions(action, user, ("update", "cancel"))


def action_lists(user: Any) -> dict[str, Any]:
    """The actions page: the member's own, their agency's (DSLs and practitioners), the borough's live ones
    (the MASH: overdue first) and those of young people shared with their service. One query each."""
    membership = active_membership(user)
    visible = Action.objects.restrict(user, "view").select_related(*ACTION_RELATED)
    mine = list(visible.filter(owner=user).order_by("status", "due_on")[:100])
    agency: list[Action] = []
    borough: list[Action] = []
    if membership is not None and (capabilities.is_designated_safeguarding_lead(user)
                                   or capabilities.can_record_concerns(user)):
        agency = list(visible.filter(owner_agency_id=membership.agency_id, status__in=LIVE_ACTION_STATUSES)
                      .exclude(owner=user).order_by("due_on")[:100])
    if membership is not None and capabilities.is_mash_lead(user):
        borough = list(visible.filter(borough_id=membership.agency.borough_id, status__in=LIVE_ACTION_STATUSES)
                       .exclude(owner=user).order_by("-status", "due_on")[:200])
    shared: list[Action] = []
    if membership is not None and capabilities.is_receiving_worker(user):
        shared = list(visible.filter(status__in=LIVE_ACTION_STATUSES, subject__isnull=False)
                      .exclude(Q(owner=user)).order_by("due_on")[:100])
    return {"mine": mine, "agency": agency, "borough": borough, "shared": shared, "today": timezone.localdate(),
            "overdue_count": sum(1 for a in borough if a.is_overdue)}


def agenda(meeting: MaceMeeting, user: Any) -> dict[str, Any]:
    """The chair's agenda: items in order with whether each has been discussed, and the borough's overdue
    actions (they are on the agenda too)."""
    items = list(AgendaItem.objects.restrict(user, "view").filter(meeting=meeting)
                 .select_related("subject", "place", "group", "subject__risk"))
    discussed = {(d.subject_id, d.place_id, d.group_id) for d in MaceDiscussion.objects.restrict(user, "view")
                 .filter(meeting=meeting)}
    prefetch_data_keys([i.place.data_key_id for i in items if i.place]
                       + [i.group.data_key_id for i in items if i.group])
    context_keys = [i.place.data_key_id if i.place else i.group.data_key_id if i.group else None for i in items]
    shredded = set(DataKey.objects.filter(pk__in=[k for k in context_keys if k], shredded_at__isnull=False)
                   .values_list("pk", flat=True))
    rows = [{"item": i, "discussed": (i.subject_id, i.place_id, i.group_id) in discussed,
             "erased": (i.subject is not None and i.subject.status != SubjectStatus.ACTIVE)
             or (i.subject is None and i.target.data_key_id in shredded),
             "name": "" if i.subject is not None or i.target.data_key_id in shredded else i.target.name}
            for i in items]
    overdue = list(Action.objects.restrict(user, "view").filter(
        borough_id=meeting.borough_id, status__in=LIVE_ACTION_STATUSES, due_on__lt=timezone.localdate())
        .select_related(*ACTION_RELATED).order_by("due_on")[:100])
    return {"rows": rows, "overdue_actions": overdue,
            "can_send": meeting.status == "planned", "can_close": meeting.status != "held"}


def minutes(meeting: MaceMeeting, user: Any) -> dict[str, Any]:
    """The minutes for one reader: the discussions and the actions agreed that they may see, and how many
    items were discussed in all (so a reader knows the minutes are partial, never which items they miss)."""
    discussions = list(MaceDiscussion.objects.restrict(user, "view").filter(meeting=meeting)
                       .select_related("subject", "place", "group").order_by("recorded_at"))
    discussions = [d for d in discussions if d.subject is None or d.subject.status == SubjectStatus.ACTIVE]
    # A context's key is shredded when the girl whose home it named is erased: its discussion is gone too.
    shredded = set(DataKey.objects.filter(pk__in=[d.data_key_id for d in discussions], shredded_at__isnull=False)
                   .values_list("pk", flat=True))
    discussions = [d for d in discussions if d.data_key_id not in shredded]
    actions = list(Action.objects.restrict(user, "view").filter(meeting=meeting).select_related(*ACTION_RELATED))
    by_target: dict[tuple[Any, Any, Any], list[Action]] = {}
    for action in actions:
        by_target.setdefault((action.subject_id, action.place_id, action.group_id), []).append(action)
    prefetch_data_keys([d.data_key_id for d in discussions])
    rows = [{"discussion": d, "actions": by_target.get((d.subject_id, d.place_id, d.group_id), []),
             "context_name": d.place.name if d.place else d.group.name if d.group else ""} for d in discussions]
    total = MaceDiscussion._base_manager.filter(meeting=meeting).count()
    return {"rows": rows, "total": total, "partial": len(rows) < total,
            "done_count": sum(1 for a in actions if a.status == ActionStatus.DONE)}
