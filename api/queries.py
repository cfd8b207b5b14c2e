"""What a client may read, through ``restrict`` on its account, narrowed to its own agency.

A client reads its agency's concerns and the referrals its agency made (never an automatic referral,
which is the MASH's and would tell the recorder that other agencies know her: DESIGN.md §5.6a), as the
agency's designated safeguarding lead sees them: status, decision and the pathways in plain terms. Never
a narrative, a name, a level or another agency's record.

Polling uses a ``since`` cursor: an opaque token naming the last row seen by (time it changed, reference);
rows are returned in that order, so a client that stores ``next_cursor`` sees every change once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import DateTimeField, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from api.models import ApiClient
from referrals.choices import PathwayStatus
from referrals.models import Concern, Referral, ReferralPathway, ReferralTransition
from risk import queries as risk_queries
from risk.models import CatalogueVersion, Indicator


class BadCursor(ValueError):
    """A ``since`` value this API did not make."""


@dataclass(frozen=True)
class Cursor:
    """A position in a poll: the last row's change time and reference."""

    at: dt.datetime
    reference: str

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.reference}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at, reference = text.split("|")
            when = dt.datetime.fromisoformat(at)
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise BadCursor("This since value was not made by this API: use next_cursor from a previous answer.") \
                from error
        if when.tzinfo is None or len(reference) > 20:
            raise BadCursor("This since value was not made by this API: use next_cursor from a previous answer.")
        return cls(when, reference)


def _after(rows: QuerySet[Any], field: str, since: Cursor | None) -> QuerySet[Any]:
    if since is not None:
        rows = rows.filter(Q(**{f"{field}__gt": since.at}) | Q(**{field: since.at, "reference__gt": since.reference}))
    return rows.order_by(field, "reference")


def agency_concerns(client: ApiClient) -> QuerySet[Concern]:
    """The client's agency's concerns, as its account may see them."""
    # Her reference only: the subject row (her encrypted identity) is never loaded.
    return (Concern.objects.restrict(client.account, "view").filter(agency_id=client.agency_id)
            .annotate(young_person=F("subject__reference")))


def agency_referrals(client: ApiClient) -> QuerySet[Referral]:
    """The referrals the client's agency made (never the automatic ones), with the time each last changed."""
    last_move = (ReferralTransition._base_manager.filter(referral_id=OuterRef("pk")).values("referral_id")
                 .annotate(last=Max("at")).values("last"))
    return (Referral.objects.restrict(client.account, "view").filter(from_agency_id=client.agency_id, automatic=False)
            .annotate(young_person=F("subject__reference"), changed_at=Greatest(
                "received_at", Coalesce("decided_at", "received_at"), Coalesce("closed_at", "received_at"),
                Coalesce(Subquery(last_move, output_field=DateTimeField()), "received_at"))))


def concern_page(client: ApiClient, since: Cursor | None, limit: int) -> list[Concern]:
    rows = _after(agency_concerns(client), "recorded_at", since)
    return list(rows.prefetch_related("indicators")[:limit])


def referral_page(client: ApiClient, since: Cursor | None, limit: int) -> list[Referral]:
    return list(_after(agency_referrals(client), "changed_at", since)[:limit])


def pathway_labels() -> dict[str, str]:
    return {spec.code: spec.label for spec in risk_queries.active_pathway_catalogue().pathways}


def routed_codes(referrals: Iterable[Referral]) -> dict[Any, list[str]]:
    """The pathways each referral (already visible) was routed into, in one query: what the referrer's side
    is told (``referrals.queries.routed_pathway_codes``, for many referrals at once)."""
    codes: dict[Any, list[str]] = {}
    rows = (ReferralPathway._base_manager.filter(referral_id__in=[r.pk for r in referrals])
            .exclude(status=PathwayStatus.LEFT_OUT).order_by("decided_at", "pathway")
            .values_list("referral_id", "pathway"))
    for referral_id, code in rows:
        codes.setdefault(referral_id, []).append(code)
    return codes


def referral_row(referral: Referral, labels: dict[str, str], codes: dict[Any, list[str]]) -> dict[str, Any]:
    """One referral as the referrer's side sees it: status, decision and its pathways in plain terms."""
    return {
        "reference": referral.reference,
        "young_person": referral.young_person,  # type: ignore[attr-defined]  # annotated
        "state": referral.state,
        "state_label": referral.get_state_display(),
        "decision": referral.decision or None,
        "decision_label": referral.get_decision_display() or None,
        "pathways": [{"code": code, "label": labels.get(code, code)}
                     for code in codes.get(referral.pk, [])],
        "received_at": referral.received_at,
        "decision_due_at": referral.decision_due_at,
        "decided_at": referral.decided_at,
        "closed_at": referral.closed_at,
        "changed_at": getattr(referral, "changed_at", None) or referral.received_at,
    }


def concern_row(concern: Concern, referrals: Iterable[Referral], labels: dict[str, str],
                codes: dict[Any, list[str]]) -> dict[str, Any]:
    """One concern: what the agency recorded (codes and dates, no narrative, no identity) and what its
    agency's referrals about her became."""
    return {
        "reference": concern.reference,
        "young_person": concern.young_person,  # type: ignore[attr-defined]  # annotated
        "observed_on": concern.observed_on,
        "recorded_at": concern.recorded_at,
        "indicators": sorted(indicator.code for indicator in concern.indicators.all()),
        "judgement": concern.judgement or None,
        "referrals": [referral_row(referral, labels, codes) for referral in referrals],
    }


def referrals_about(client: ApiClient, subject_ids: Iterable[Any]) -> dict[Any, list[Referral]]:
    """The agency's referrals about these young people, by subject id, oldest first."""
    found: dict[Any, list[Referral]] = {}
    for referral in agency_referrals(client).filter(subject_id__in=list(subject_ids)).order_by("received_at"):
        found.setdefault(referral.subject_id, []).append(referral)
    return found


def indicator_catalogue() -> dict[str, Any]:
    """Every indicator ever published (retired ones too, so that old mappings still resolve)."""
    latest = CatalogueVersion.objects.order_by("-number").first()
    rows = Indicator.objects.select_related("introduced_in", "retired_in").order_by("display_order", "code")
    return {
        "version": latest.number if latest is not None else 0,
        "title": latest.title if latest is not None else "",
        "indicators": [{
            "code": row.code, "label": row.label, "hint": row.hint, "kind": row.kind,
            "category": row.category, "category_label": row.get_category_display(),
            "introduced_in": row.introduced_in.number,
            "retired_in": row.retired_in.number if row.retired_in is not None else None,
        } for row in rows],
    }


def pathway_catalogue() -> dict[str, Any]:
    """The active pathway catalogue: where a girl can be routed, in plain terms, with clocks."""
    catalogue = risk_queries.active_pathway_catalogue()
    return {
        "version": catalogue.version,
        "title": catalogue.title,
        "pathways": [{"code": spec.code, "label": spec.label, "hint": spec.hint, "group": spec.group,
                      "clock": spec.clock.label} for spec in catalogue.pathways],
    }
