"""Notification emails sent by a worker (Django's task framework, the ``django-tasks`` backport, with its
database backend in production), with retries and backoff, so that a mail server that is down delays an
email and never loses it.

``queue_email`` is called inside the transaction that makes the change: with the database backend the
task row is written in that same transaction (no email about a change that rolled back, no change without
its email); with the immediate backend (the demo and the tests: no worker) the email is sent when the
transaction commits. An email carries a reference and a link only (DESIGN.md §5.6), so the queue holds no
case data; set-password links are secrets and never go through the queue (``agencies.services``).
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

QUEUE = "email"
# Waits before the 2nd, 3rd, 4th and 5th attempts; after the 5th failure the task stays failed, with its
# arguments, where administrators see it (Scheduled jobs page) and can send it again.
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
MAX_ATTEMPTS = len(BACKOFF) + 1


@task(queue_name=QUEUE)
def send_notification_email(subject: str, body: str, recipients: list[str], attempt: int = 1) -> int:
    """Send one notification email; on a mail-server failure, queue the next attempt after a backoff,
    and after the last attempt fail (the task result keeps the error)."""
    try:
        return send_mail(subject, body, None, recipients, fail_silently=False)
    except (smtplib.SMTPException, OSError):
        if attempt >= MAX_ATTEMPTS:
            raise
        retry = send_notification_email
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + BACKOFF[attempt - 1])
        retry.enqueue(subject, body, recipients, attempt + 1)
        return 0


def durable_queue() -> bool:
    """Whether queued tasks are rows in the database (a worker sends them), not run in this process."""
    return isinstance(send_notification_email.get_backend(), DatabaseBackend)


def queue_email(subject: str, body: str, recipients: Iterable[str], *, now: bool = False) -> None:
    """Queue a notification email to ``recipients`` (empty addresses dropped) as part of the current
    transaction. ``now``: a scheduled job's digest, which belongs to no change: without a worker it is sent
    at once rather than at the end of whatever transaction the caller may be in."""
    to = sorted({address for address in recipients if address})
    if not to:
        return
    if durable_queue() or now:
        send_notification_email.enqueue(subject, body, to)
    else:
        transaction.on_commit(lambda: send_notification_email.enqueue(subject, body, to))
