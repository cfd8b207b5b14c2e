"""Delete notifications older than NOTIFICATION_RETENTION_DAYS, read or not. Run it daily (cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import do_purge_notifications


class Command(BaseCommand):
    help = "Delete every notification made more than NOTIFICATION_RETENTION_DAYS days ago."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = do_purge_notifications(actor=None)
        self.stdout.write(f"{deleted} notification(s) deleted.")
