"""Tell each borough's MASH leads the references of referrals whose one-working-day decision is overdue,
and of referrals with a pathway past its clock; each receiving service is told of its own
overdue pathways too.

Run from cron (for example every hour on working days). Each run emails a digest, as before; the inbox
gets one notification per reference and person (``notifications.choices.ONCE_PER_REFERENCE``), however many
runs. The email carries reference numbers and a link to the referrals list only, never personal data (not
even the pathway, which would say what happened to her).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from agencies.choices import RoleCode
from notifications.choices import Kind
from notifications.services import Item, notify_digest
from operations.runs import ScheduledCommand
from referrals import routing


def _detail(reference: str) -> str:
    return reverse("referral-detail", kwargs={"reference": reference})


class Command(ScheduledCommand):
    job = "alert_overdue_referrals"
    help = "Alert MASH leads to referrals past their decision deadline and to pathways past their clock."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        by_borough: dict[int, list[Any]] = {}
        for referral in routing.overdue_referrals().order_by("decision_due_at"):
            by_borough.setdefault(referral.borough_id, []).append(referral)
        pathways_by_borough: dict[int, dict[str, Any]] = {}
        pathways_by_agency: dict[int, dict[str, Any]] = {}
        for row in routing.overdue_pathways():
            pathways_by_borough.setdefault(row.referral.borough_id, {})[row.referral.reference] = row.referral
            if row.receiving_agency_id is not None:
                pathways_by_agency.setdefault(row.receiving_agency_id, {})[row.referral.reference] = row.referral
        base = settings.SITE_URL.rstrip("/") + reverse("referral-list")
        sent = 0
        for borough_id in sorted(set(by_borough) | set(pathways_by_borough)):
            waiting = by_borough.get(borough_id, [])
            late = list(pathways_by_borough.get(borough_id, {}).values())
            leads = routing._mash_leads((waiting or late)[0])
            parts = []
            if waiting:
                parts.append("These referrals are past their one-working-day decision deadline:\n\n"
                             + "\n".join(f"- {r.reference}" for r in waiting)
                             + f"\n\nOpen the MASH inbox: {base}?tab=overdue\n")
            if late:
                parts.append("These referrals have a pathway past its clock:\n\n"
                             + "\n".join(f"- {r.reference}" for r in late)
                             + f"\n\nOpen the MASH inbox: {base}?tab=pathways-overdue\n")
            items = ([Item(Kind.REFERRAL_OVERDUE, r.reference, _detail(r.reference)) for r in waiting]
                     + [Item(Kind.PATHWAY_OVERDUE, r.reference, _detail(r.reference)) for r in late])
            sent += notify_digest(
                leads, items=items, send_now=True,
                subject=f"{len(waiting)} overdue referral(s) waiting for a MASH decision, {len(late)} with a "
                        "pathway overdue", body="\n".join(parts))
        for agency_id, referrals in pathways_by_agency.items():
            workers = routing._members([agency_id], RoleCode.RECEIVING_WORKER)
            sent += notify_digest(
                workers, items=[Item(Kind.PATHWAY_OVERDUE, reference, _detail(reference)) for reference in referrals],
                send_now=True, subject=f"{len(referrals)} referral(s) with a pathway past its clock",
                body="These referrals have a pathway routed to your service that is past its clock:\n\n"
                     + "\n".join(f"- {reference}" for reference in referrals)
                     + f"\n\nOpen your referrals: {base}?tab=pathways-overdue\n")
        self.stdout.write(f"Sent {sent} overdue alert(s).")
        return {"alerts": sent}
