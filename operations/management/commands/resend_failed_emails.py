"""Queue again every notification email that failed all its attempts (after the mail server is fixed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from operations.tasks import QUEUE, durable_queue, send_notification_email


class Command(BaseCommand):
    help = "Queue again, from their first attempt, the notification emails that failed every attempt."

    def handle(self, *args: Any, **options: Any) -> None:
        if not durable_queue():
            self.stdout.write("The task queue is not in the database (TASKS_BACKEND=immediate): nothing is kept.")
            return
        resent = 0
        for failed in DBTaskResult.objects.failed().filter(queue_name=QUEUE).order_by("enqueued_at"):
            subject, body, recipients = failed.args_kwargs["args"][:3]
            with transaction.atomic():
                send_notification_email.enqueue(subject, body, recipients)
                failed.delete()
            resent += 1
        self.stdout.write(f"Queued {resent} email(s) again.")
