"""Recording scheduled jobs' runs, and whether each is late."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Max
from django.utils import timezone

from operations.jobs import JOBS, Job
from operations.models import JobRun, RunOutcome


@contextmanager
def recorded_run(job: str) -> Iterator[dict[str, int]]:
    """Record one run of ``job``: a row when it starts (so a run that never ends shows as running), its
    end and outcome when it ends. Yields a dict the job fills with counts (numbers only). An exception
    marks the run failed, keeps the exception's class name (never its message) and propagates."""
    if job not in JOBS:
        raise ValueError(f"{job} is not a scheduled job (operations.jobs.JOBS)")
    run = JobRun.objects.create(job=job, started_at=timezone.now(), host=socket.gethostname()[:100])
    counts: dict[str, int] = {}
    try:
        yield counts
    except BaseException as error:
        JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), outcome=RunOutcome.FAILED,
                                                error=type(error).__name__[:100], counts=_numbers(counts))
        raise
    JobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), outcome=RunOutcome.SUCCEEDED,
                                            counts=_numbers(counts))


def _numbers(counts: Mapping[str, Any]) -> dict[str, int]:
    # Counts only: a value that is not a whole number is not recorded (it could be text from a row).
    return {str(key)[:60]: int(value) for key, value in counts.items()
            if isinstance(value, int) and not isinstance(value, bool)}


class ScheduledCommand(BaseCommand):
    """A management command that is one of the scheduled jobs: ``run`` does the work and returns counts;
    every run is recorded. A dry run changes nothing and is not recorded as a run."""

    job: str

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("dry_run"):
            self.run(*args, **options)
            return
        with recorded_run(self.job) as counts:
            counts.update(self.run(*args, **options) or {})

    def run(self, *args: Any, **options: Any) -> Mapping[str, int] | None:
        raise NotImplementedError


@dataclass(frozen=True)
class JobStatus:
    """One job as the health endpoint and the administrators' page see it."""

    job: Job
    last_success: dt.datetime | None
    last_run: JobRun | None
    late: bool


def job_statuses(now: dt.datetime | None = None) -> list[JobStatus]:
    """Every scheduled job with its last success, its last run, and whether it is late (no success within
    its period and grace). Two queries whatever the number of runs."""
    now = now or timezone.now()
    successes = dict(JobRun.objects.filter(outcome=RunOutcome.SUCCEEDED).values("job")
                     .annotate(last=Max("finished_at")).values_list("job", "last"))
    latest_ids = (JobRun.objects.values("job").annotate(last=Max("id")).values_list("last", flat=True))
    latest = {run.job: run for run in JobRun.objects.filter(id__in=latest_ids)}
    statuses = []
    for name, job in JOBS.items():
        last = successes.get(name)
        statuses.append(JobStatus(job, last, latest.get(name), last is None or last < now - job.period - job.grace))
    return statuses


def late_jobs(now: dt.datetime | None = None) -> list[str]:
    return [status.job.name for status in job_statuses(now) if status.late]


# --- The task queue ---------------------------------------------------------------------------------------

def queue_waiting_since(now: dt.datetime | None = None) -> dt.datetime | None:
    """Since when the oldest task that is due has waited for a worker (None: nothing is waiting, or the
    queue is not in the database). Two queries."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    from operations.tasks import durable_queue

    if not durable_queue():
        return None
    now = now or timezone.now()
    ready = DBTaskResult.objects.filter(status="READY")
    undelayed = ready.filter(run_after=get_date_max()).order_by("enqueued_at").values_list("enqueued_at", flat=True)
    delayed = ready.filter(run_after__lte=now).order_by("run_after").values_list("run_after", flat=True)
    waiting = [when for when in (undelayed.first(), delayed.first()) if when is not None]
    return min(waiting) if waiting else None


def failed_emails(limit: int = 20) -> list[Any]:
    """Notification emails that failed every attempt (kept, with their error, until sent again)."""
    from django_tasks_db.models import DBTaskResult

    from operations.tasks import QUEUE, durable_queue

    if not durable_queue():
        return []
    return list(DBTaskResult.objects.failed().filter(queue_name=QUEUE).order_by("-finished_at")
                .only("id", "enqueued_at", "finished_at", "exception_class_path")[:limit])
