"""Chase child-protection files a new school has not accepted within 5 school days.

Run from cron once each working morning. Emails each receiving school's DSLs the transfer references and a
link to their transfers page (never a name); the MASH leads of her home borough see the same transfers on
their transfers page ("Overdue transfers") for as long as they stay unaccepted.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from notifications.choices import Kind
from operations.runs import ScheduledCommand
from referrals import transfers


class Command(ScheduledCommand):
    job = "chase_school_transfers"
    help = "Email new schools' DSLs about child-protection files waiting more than 5 school days."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        overdue = list(transfers.overdue_transfers().order_by("due_on", "reference"))
        with transaction.atomic():
            sent = transfers.notify_school_dsls(
                overdue, "These child-protection files were sent to your school more than 5 school days ago "
                         "and have not been accepted. Accept each one to confirm receipt:",
                kind=Kind.SCHOOL_TRANSFER_OVERDUE)
        self.stdout.write(f"Chased {len(overdue)} transfer(s) in {sent} email(s).")
        return {"transfers": len(overdue), "emails": sent}
