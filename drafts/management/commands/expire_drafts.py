"""Delete the drafts past their expiry and shred their keys. Run it hourly (cron)."""

from __future__ import annotations

from typing import Any

from drafts.services import do_expire_drafts
from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "expire_drafts"
    help = "End every draft past its expiry (DRAFT_HOURS after it was kept): row deleted, key shredded."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        ended = do_expire_drafts(actor=None)
        self.stdout.write(f"{ended} expired draft(s) ended.")
        return {"drafts_ended": ended}
