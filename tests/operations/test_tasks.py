"""Notification emails through the task queue: in the transaction that makes the change, sent by a worker,
retried with backoff, and kept (visible to administrators) when every attempt fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from operations.tasks import MAX_ATTEMPTS, durable_queue, queue_email, send_notification_email

# The worker closes its database connections after a batch, as a long-running worker should: these tests
# commit, so that the worker (in this process) sees the tasks and nothing depends on a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}
# A mail server that refuses connections: nothing listens on port 1.
DOWN = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": 1,
        "EMAIL_TIMEOUT": 2}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    assert durable_queue()
    return settings


def _work() -> None:
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)


def test_without_a_worker_the_email_goes_when_the_transaction_commits() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"])
        raise RuntimeError("the change failed")
    with transaction.atomic():
        queue_email("Referral R-ABCDEFGHJ decided", "Open it: https://example.org/r/", ["lead@example.org", ""])
        assert mail.outbox == []  # not before the commit
    assert [m.to for m in mail.outbox] == [["lead@example.org"]]


def test_the_task_is_written_in_the_same_transaction_and_sent_by_the_worker(database_queue) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"])
        raise RuntimeError("the change failed")
    assert not DBTaskResult.objects.exists()  # no email about a change that did not happen

    queue_email("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"])
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY" and queued.queue_name == "email"
    assert mail.outbox == []
    _work()
    assert [m.subject for m in mail.outbox] == ["Referral R-ABCDEFGHJ decided"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_mail_server_that_is_down_delays_the_email_and_never_loses_it(database_queue) -> None:
    database_queue.EMAIL_BACKEND, database_queue.EMAIL_HOST = DOWN["EMAIL_BACKEND"], DOWN["EMAIL_HOST"]
    database_queue.EMAIL_PORT, database_queue.EMAIL_TIMEOUT = DOWN["EMAIL_PORT"], DOWN["EMAIL_TIMEOUT"]
    queue_email("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"])
    _work()
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.args_kwargs["args"][3] == 2  # the second attempt
    assert retry.run_after > timezone.now() + dt.timedelta(seconds=50)  # after a backoff

    # The last attempt fails for good: the task stays, with its error, where administrators see it.
    DBTaskResult.objects.all().delete()
    send_notification_email.enqueue("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"], MAX_ATTEMPTS)
    _work()
    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED" and "ConnectionRefusedError" in failed.exception_class_path


def test_failed_emails_are_shown_to_administrators_and_can_be_sent_again(database_queue, client_for) -> None:
    database_queue.EMAIL_BACKEND, database_queue.EMAIL_HOST = DOWN["EMAIL_BACKEND"], DOWN["EMAIL_HOST"]
    database_queue.EMAIL_PORT, database_queue.EMAIL_TIMEOUT = DOWN["EMAIL_PORT"], DOWN["EMAIL_TIMEOUT"]
    send_notification_email.enqueue("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"], MAX_ATTEMPTS)
    _work()
    page = client_for("administrator").get(reverse("job-list")).content.decode()
    assert "failed every attempt" in page and "ConnectionRefusedError" in page

    database_queue.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("resend_failed_emails", verbosity=0)
    assert not DBTaskResult.objects.failed().exists()
    _work()
    assert [m.to for m in mail.outbox] == [["lead@example.org"]]


def test_ready_says_when_the_worker_is_not_sending(database_queue) -> None:
    assert Client().get(reverse("ready")).content == b"ready\n"
    queue_email("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"])
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=10))
    response = Client().get(reverse("ready"))
    assert response.status_code == 503 and response.content == b"task queue behind\n"
    _work()
    assert Client().get(reverse("ready")).status_code == 200


def test_records_of_sent_emails_are_pruned_after_a_week(database_queue) -> None:
    queue_email("Referral R-ABCDEFGHJ decided", "Open it", ["lead@example.org"])
    _work()
    call_command("prune_task_results", verbosity=0)
    assert DBTaskResult.objects.count() == 1  # sent today: kept
    DBTaskResult.objects.update(finished_at=timezone.now() - dt.timedelta(days=8))
    call_command("prune_task_results", verbosity=0)
    assert not DBTaskResult.objects.exists()
