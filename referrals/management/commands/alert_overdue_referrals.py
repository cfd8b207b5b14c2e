"""Email each borough's MASH leads the references of referrals whose one-working-day decision is overdue.

Run from cron (for example every hour on working days). The email carries reference numbers and a link
to the MASH inbox only, never personal data.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.urls import reverse

from referrals import routing


class Command(BaseCommand):
    help = "Alert MASH leads to referrals past their decision deadline."

    def handle(self, *args: Any, **options: Any) -> None:
        by_borough: dict[int, list[Any]] = {}
        for referral in routing.overdue_referrals().order_by("decision_due_at"):
            by_borough.setdefault(referral.borough_id, []).append(referral)
        link = settings.SITE_URL.rstrip("/") + reverse("referral-list") + "?tab=overdue"
        sent = 0
        for referrals in by_borough.values():
            leads = routing._mash_leads(referrals[0])
            recipients = sorted({u.email for u in leads if u.email})
            if not recipients:
                continue
            references = "\n".join(f"- {r.reference}" for r in referrals)
            send_mail(f"{len(referrals)} overdue referral(s) waiting for a MASH decision",
                      f"These referrals are past their one-working-day decision deadline:\n\n{references}\n\n"
                      f"Open the MASH inbox: {link}\n", None, recipients)
            sent += 1
        self.stdout.write(f"Sent {sent} overdue alert(s).")
