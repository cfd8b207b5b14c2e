"""Her chronology: concerns, risk level changes, register changes, referrals and pathways in one
timeline, each row computed only from what the viewer may see (``restrict`` on every model, so a
practitioner sees their own concerns as they entered them, a DSL their agency's and the referrals it made,
and never a level; DESIGN.md §5.6a). Other apps provide more rows in the same shape (the case-work app's
``casework.chronology.items_for``); the page (``referrals.views_chronology``) merges the providers.

A constant number of queries whatever the number of rows: one per source, with their agencies joined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, Window
from django.db.models.functions import Lag
from django.urls import reverse
from django.utils import timezone

from agencies import capabilities
from referrals.choices import PathwayStatus, ReferralDecision, ReferralState
from referrals.models import Concern, Referral, ReferralPathway, Subject
from risk.choices import RiskLevel
from risk.models import Assessment, Indicator, RegisterEntry, RegisterReview, RegisterStatus, ReviewOutcome
from risk.queries import active_pathway_catalogue


@dataclass(frozen=True)
class ChronologyItem:
    """One row of her chronology: when, what kind (a code and its label), which agency (if any), a short
    summary with no typed text of anyone's (labels and codes only), and the page to see it on."""

    when: dt.datetime
    kind: str
    kind_label: str
    agency_id: int | None
    agency_name: str
    summary: str
    url: str | None


# The kinds this module provides (code: label); filters take the codes.
CONCERN, LEVEL, REGISTER, REFERRAL, PATHWAY = "concern", "risk_level", "register", "referral", "pathway"
KINDS = {CONCERN: "Concern", LEVEL: "Risk level", REGISTER: "Risk register", REFERRAL: "Referral",
         PATHWAY: "Pathway"}


def _day(day: dt.date) -> dt.datetime:
    """A concern is dated by the day the signs were seen: the start of that day, local time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _concerns(user: Any, subject: Subject) -> list[ChronologyItem]:
    rows = (Concern.objects.restrict(user, "view").filter(subject=subject).select_related("agency")
            .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("display_order"))))
    items = []
    for concern in rows:
        signs = [indicator.label for indicator in concern.indicators.all()]
        summary = f"{concern.reference}: " + ("; ".join(signs) if signs else "no signs chosen")
        if concern.seriously_worried:
            summary += " (seriously worried)"
        items.append(ChronologyItem(_day(concern.observed_on), CONCERN, KINDS[CONCERN], concern.agency_id,
                                    concern.agency.name, summary,
                                    reverse("concern-detail", kwargs={"reference": concern.reference})))
    return items


def _level_changes(user: Any, subject: Subject) -> list[ChronologyItem]:
    """Each assessment that changed her level (one query, the previous level by a window function); for
    those who may see levels only."""
    if not capabilities.sees_cross_agency_risk(user):
        return []
    rows = (Assessment.objects.restrict(user, "view").filter(subject=subject)
            .annotate(previous=Window(Lag("level"), order_by=[F("assessed_at").asc(), F("id").asc()]))
            .values_list("assessed_at", "level", "previous"))
    labels = dict(RiskLevel.choices)
    url = reverse("subject-risk", kwargs={"reference": subject.reference})
    return [ChronologyItem(at, LEVEL, KINDS[LEVEL], None, "",
                           f"Risk level {labels.get(previous, previous).lower()} to {labels.get(level, level).lower()}"
                           if previous else f"First assessed: {labels.get(level, level).lower()}", url)
            for at, level, previous in rows if level != previous]


def _register(user: Any, subject: Subject) -> list[ChronologyItem]:
    """On, off and back on her borough's register, and its reviews (the register is cross-agency risk:
    ``RegisterEntry.access_rule``)."""
    entry = RegisterEntry.objects.restrict(user, "view").filter(subject=subject).first()
    if entry is None:
        return []
    url = (reverse("register-entry", kwargs={"reference": subject.reference})
           if capabilities.leads_mash_of(user, entry.borough_id) else None)
    items, before = [], None
    for row in entry.history.order_by("history_date", "history_id").values_list("history_date", "status"):
        at, status = row
        if status != before:
            what = ("Added to the risk register" if before is None and status == RegisterStatus.ON
                    else "Removed from the risk register" if status == RegisterStatus.REMOVED
                    else "Back on the risk register")
            items.append(ChronologyItem(at, REGISTER, KINDS[REGISTER], None, "", what, url))
        before = status
    outcomes = dict(ReviewOutcome.choices)
    items += [ChronologyItem(at, REGISTER, KINDS[REGISTER], None, "", f"Review: {outcomes.get(outcome, outcome)}",
                             url)
              for at, outcome in RegisterReview.objects.restrict(user, "view").filter(entry=entry)
              .values_list("reviewed_at", "outcome")]
    return items


def _referrals(user: Any, subject: Subject) -> list[ChronologyItem]:
    """Made, decided and closed or withdrawn: what the viewer may see of each referral (a referrer's side
    sees its status and decision, ``Referral.access_rule``)."""
    decisions, states = dict(ReferralDecision.choices), dict(ReferralState.choices)
    shows_mash = capabilities.sees_cross_agency_risk(user)
    items = []
    for referral in (Referral.objects.restrict(user, "view").filter(subject=subject)
                     .select_related("from_agency", "to_agency")):
        url = reverse("referral-detail", kwargs={"reference": referral.reference})
        made = "raised automatically on reaching high" if referral.automatic else "made to the MASH"
        items.append(ChronologyItem(referral.received_at, REFERRAL, KINDS[REFERRAL], referral.from_agency_id,
                                    referral.from_agency.name, f"{referral.reference}: {made}", url))
        # Which MASH decided says which borough she lives in by the record (another agency's word): the
        # referrer's side sees the decision, not who made it (DESIGN.md §5.6a; the recorder oracle).
        mash_id = referral.to_agency_id if shows_mash else None
        mash_name = referral.to_agency.name if shows_mash and referral.to_agency is not None else ""
        if referral.decided_at is not None and referral.decision:
            items.append(ChronologyItem(referral.decided_at, REFERRAL, KINDS[REFERRAL], mash_id, mash_name,
                                        f"{referral.reference}: {decisions.get(referral.decision, '').lower()}",
                                        url))
        if referral.closed_at is not None and referral.state in (ReferralState.CLOSED, ReferralState.WITHDRAWN):
            items.append(ChronologyItem(referral.closed_at, REFERRAL, KINDS[REFERRAL], mash_id, mash_name,
                                        f"{referral.reference}: {states[referral.state].lower()}", url))
    return items


def _pathways(user: Any, subject: Subject) -> list[ChronologyItem]:
    """Routed, answered and completed: the pathways the viewer may see (the MASH all of a decision's, a
    receiving service those routed to it while live; ``ReferralPathway.access_rule``)."""
    rows = list(ReferralPathway.objects.restrict(user, "view").filter(referral__subject=subject)
                .exclude(status=PathwayStatus.LEFT_OUT).select_related("receiving_agency", "referral"))
    if not rows:
        return []
    labels = {spec.code: spec.label for spec in active_pathway_catalogue().pathways}
    statuses = dict(PathwayStatus.choices)
    items = []
    for row in rows:
        agency_name = row.receiving_agency.name if row.receiving_agency is not None else ""
        url = reverse("referral-detail", kwargs={"reference": row.referral.reference})
        label = labels.get(row.pathway, row.pathway)
        items.append(ChronologyItem(row.decided_at, PATHWAY, KINDS[PATHWAY], row.receiving_agency_id, agency_name,
                                    f"{label}: routed to {agency_name}", url))
        if row.responded_at is not None and row.status in (PathwayStatus.ACCEPTED, PathwayStatus.DECLINED,
                                                           PathwayStatus.COMPLETED):
            answer = PathwayStatus.DECLINED if row.status == PathwayStatus.DECLINED else PathwayStatus.ACCEPTED
            items.append(ChronologyItem(row.responded_at, PATHWAY, KINDS[PATHWAY], row.receiving_agency_id,
                                        agency_name, f"{label}: {statuses[answer].lower()}", url))
        if row.completed_at is not None:
            items.append(ChronologyItem(row.completed_at, PATHWAY, KINDS[PATHWAY], row.receiving_agency_id,
                                        agency_name, f"{label}: {statuses[PathwayStatus.COMPLETED].lower()}", url))
    return items


def items_for(user: Any, subject: Subject) -> list[ChronologyItem]:
    """Everything about ``subject`` this module knows that ``user`` may see, oldest first."""
    items = [*_concerns(user, subject), *_level_changes(user, subject), *_register(user, subject),
             *_referrals(user, subject), *_pathways(user, subject)]
    return sorted(items, key=lambda item: item.when)
