"""Case work's items for her chronology: strategy discussions, MACE discussions, actions and
outcomes, each filtered by what the viewer may see (``restrict``), in the shape the chronology framework
takes. ``ChronologyItem`` is defined here until the framework (``referrals/chronology.py``) is merged; the
integrator then imports it from there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from casework.models import Action, MaceDiscussion, Outcome, StrategyDiscussion
from referrals.chronology import ChronologyItem
from referrals.models import Subject


def _day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def items_for(user: Any, subject: Subject) -> list[ChronologyItem]:
    """Her case-work items ``user`` may see, newest first. Summaries carry codes' labels and references,
    never the encrypted text (the detail pages show that to those who may read it)."""
    items: list[ChronologyItem] = []
    for discussion in (StrategyDiscussion.objects.restrict(user, "view").filter(subject=subject)
                       .select_related("borough")):
        clock = ("" if discussion.within_clock is None
                 else " (within its clock)" if discussion.within_clock else " (after its clock ran out)")
        items.append(ChronologyItem(
            when=discussion.held_at, kind="strategy_discussion", kind_label="Strategy discussion",
            agency_id=None, agency_name=f"{discussion.borough.name} MASH",
            summary=f"{discussion.get_decision_display()}{clock}",
            url=reverse("strategy-discussion-detail", kwargs={"reference": discussion.reference})))
    for mace in (MaceDiscussion.objects.restrict(user, "view").filter(subject=subject)
                 .select_related("meeting", "meeting__borough")):
        items.append(ChronologyItem(
            when=mace.recorded_at, kind="mace_discussion", kind_label="MACE discussion",
            agency_id=None, agency_name=f"{mace.meeting.borough.name} MACE panel",
            summary=f"Discussed at MACE meeting {mace.meeting.reference}",
            url=reverse("mace-minutes", kwargs={"reference": mace.meeting.reference})))
    for action in (Action.objects.restrict(user, "view").filter(subject=subject)
                   .select_related("owner_agency")):
        items.append(ChronologyItem(
            when=action.completed_at or action.cancelled_at or action.created_at, kind="action",
            kind_label="Action", agency_id=action.owner_agency_id, agency_name=action.owner_agency.name,
            summary=f"Action {action.reference}: {action.get_status_display().lower()}, due "
                    f"{action.due_on:%-d %B %Y}",
            url=reverse("action-detail", kwargs={"reference": action.reference})))
    for outcome in Outcome.objects.restrict(user, "view").filter(subject=subject).select_related("agency"):
        items.append(ChronologyItem(
            when=_day(outcome.occurred_on), kind="outcome", kind_label="Outcome", agency_id=outcome.agency_id,
            agency_name=outcome.agency.name, summary=outcome.get_kind_display(), url=None))
    items.sort(key=lambda item: item.when, reverse=True)
    return items
