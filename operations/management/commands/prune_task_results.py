"""Delete the records of background tasks that succeeded more than TASK_RESULTS_KEEP_DAYS ago: a sent
email's record (a reference, a link and staff addresses) is not kept longer than it helps to debug."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "prune_task_results"
    help = "Delete records of background tasks that succeeded more than TASK_RESULTS_KEEP_DAYS days ago."

    def run(self, *args: Any, **options: Any) -> Mapping[str, int]:
        before = timezone.now() - dt.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
        deleted, _ = DBTaskResult.objects.successful().filter(finished_at__lt=before).delete()
        self.stdout.write(f"Deleted {deleted} task record(s).")
        return {"deleted": deleted}
