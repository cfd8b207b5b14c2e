"""Delete notifications older than NOTIFICATION_RETENTION_DAYS, read or not. Run it daily (cron)."""

from __future__ import annotations

from typing import Any

from notifications.services import do_purge_notifications
from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "purge_notifications"
    help = "Delete every notification made more than NOTIFICATION_RETENTION_DAYS days ago."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        deleted = do_purge_notifications(actor=None)
        self.stdout.write(f"{deleted} notification(s) deleted.")
        return {"deleted": deleted}
