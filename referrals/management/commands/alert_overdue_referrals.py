"""Email each borough's MASH leads the references of referrals whose one-working-day decision is overdue,
and of referrals with a pathway past its clock (issue 18); each receiving service is told of its own
overdue pathways too.

Run from cron (for example every hour on working days). The email carries reference numbers and a link
to the inbox only, never personal data (not even the pathway, which would say what happened to her).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from agencies.choices import RoleCode
from operations.runs import ScheduledCommand
from referrals import routing


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
            recipients = sorted({u.email for u in leads if u.email})
            if not recipients:
                continue
            parts = []
            if waiting:
                parts.append("These referrals are past their one-working-day decision deadline:\n\n"
                             + "\n".join(f"- {r.reference}" for r in waiting)
                             + f"\n\nOpen the MASH inbox: {base}?tab=overdue\n")
            if late:
                parts.append("These referrals have a pathway past its clock:\n\n"
                             + "\n".join(f"- {r.reference}" for r in late)
                             + f"\n\nOpen the MASH inbox: {base}?tab=pathways-overdue\n")
            send_mail(f"{len(waiting)} overdue referral(s) waiting for a MASH decision, {len(late)} with a "
                      "pathway overdue", "\n".join(parts), None, recipients)
            sent += 1
        for agency_id, referrals in pathways_by_agency.items():
            workers = routing._members([agency_id], RoleCode.RECEIVING_WORKER)
            recipients = sorted({u.email for u in workers if u.email})
            if not recipients:
                continue
            send_mail(f"{len(referrals)} referral(s) with a pathway past its clock",
                      "These referrals have a pathway routed to your service that is past its clock:\n\n"
                      + "\n".join(f"- {reference}" for reference in referrals)
                      + f"\n\nOpen your referrals: {base}?tab=pathways-overdue\n", None, recipients)
            sent += 1
        self.stdout.write(f"Sent {sent} overdue alert(s).")
        return {"alerts": sent}
