"""Erase every subject past her retention date who is not on legal hold (``--dry-run`` only lists them),
and end the drafts past their expiry (``drafts.services.do_expire_drafts``; ``expire_drafts`` does that alone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from drafts.services import do_expire_drafts
from operations.runs import ScheduledCommand
from referrals.choices import ErasureRequestReason
from referrals.services import do_erase_subject, subjects_due_for_erasure


class Command(ScheduledCommand):
    job = "apply_retention"
    help = "Apply the retention period: erase subjects past their retention date and not on legal hold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List who would be erased; change nothing.")

    def run(self, *args: Any, dry_run: bool, **options: Any) -> dict[str, int] | None:
        due = list(subjects_due_for_erasure())
        for subject in due:
            if dry_run:
                self.stdout.write(f"Would erase {subject.reference} (retention date {subject.retention_date}).")
            else:
                # One transaction per subject: a failure part-way leaves the others done and is resumable.
                do_erase_subject(subject=subject, reason=ErasureRequestReason.RETENTION, actor=None)
                self.stdout.write(f"Erased {subject.reference}.")
        verb = "would be erased" if dry_run else "erased"
        self.stdout.write(f"{len(due)} subject(s) {verb}.")
        if dry_run:
            return None
        ended = do_expire_drafts(actor=None)
        self.stdout.write(f"{ended} expired draft(s) ended.")
        return {"erased": len(due), "drafts_ended": ended}
