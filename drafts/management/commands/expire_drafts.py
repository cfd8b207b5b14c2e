"""Delete the drafts past their expiry and shred their keys. Run it hourly (cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from drafts.services import do_expire_drafts


class Command(BaseCommand):
    help = "End every draft past its expiry (DRAFT_HOURS after it was kept): row deleted, key shredded."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = do_expire_drafts(actor=None)
        self.stdout.write(f"{ended} expired draft(s) ended.")
