"""Health and readiness for the load balancer and monitoring, and the administrators' page of scheduled
jobs."""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connections
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess

from agencies import capabilities
from agencies.two_factor import two_factor_exempt
from encryption.keyring import get_keyring
from operations.models import JobRun
from operations.runs import failed_emails, job_statuses, late_jobs, queue_waiting_since

RUNS_PER_PAGE = 50


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(f"{text}\n", status=status, content_type="text/plain")


def _answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@login_not_required
@two_factor_exempt
@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and (in production) every scheduled job succeeded within its period;
    503 otherwise. Only which of the two, never any detail: administrators see the jobs on their page."""
    if not _answers("default"):
        return _plain("unavailable", 503)
    if settings.HEALTH_REQUIRES_JOBS and late_jobs():
        return _plain("jobs late", 503)
    return _plain("ok")


@login_not_required
@two_factor_exempt
@never_cache
@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    """Whether this instance can serve requests: the database and the key store answer, the keyring is
    loaded, and the task queue's oldest due task has waited less than ``TASK_QUEUE_MAX_LAG_SECONDS`` (a
    worker is sending). For the load balancer (a late job is for monitoring, not a reason to stop serving)."""
    if not _answers("default"):
        return _plain("database unavailable", 503)
    if not _answers(settings.KEYS_DATABASE_ALIAS):
        return _plain("key store unavailable", 503)
    try:
        get_keyring()
    except Exception:  # noqa: BLE001 - any failure to load keys means not ready; the log has the cause
        return _plain("keys unavailable", 503)
    waiting = queue_waiting_since()
    if waiting is not None and (timezone.now() - waiting).total_seconds() > settings.TASK_QUEUE_MAX_LAG_SECONDS:
        return _plain("task queue behind", 503)
    return _plain("ready")


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """Each job's schedule, last success and whether it is late, then every run, newest first."""
    if not capabilities.can_manage_accounts(request.user):
        raise Http404
    now = timezone.now()
    page = Paginator(JobRun.objects.order_by("-started_at", "-id"), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "operations/jobs.html", {"statuses": job_statuses(now), "page": page, "now": now,
                                                    "failed_emails": failed_emails(),
                                                    "queue_waiting_since": queue_waiting_since(now)})


# Each scheduled job's state, read from the job runs when scraped (two queries).
JOB_LATE = Gauge("safeguarding_job_late", "1 when the job has not succeeded within its period and grace",
                 ["job"], multiprocess_mode="max")
JOB_LAST_SUCCESS = Gauge("safeguarding_job_last_success_timestamp_seconds",
                         "When the job last succeeded (Unix time; 0 if never)", ["job"], multiprocess_mode="max")


@login_not_required
@two_factor_exempt
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper holding ``METRICS_TOKEN`` (404 when none is set, so the URL says
    nothing of itself; 401 for a wrong token). Under gunicorn with several workers, set
    ``PROMETHEUS_MULTIPROC_DIR`` and every worker's counts are added up here."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        response = _plain("unauthorised", 401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    for status in job_statuses():
        JOB_LATE.labels(status.job.name).set(1 if status.late else 0)
        JOB_LAST_SUCCESS.labels(status.job.name).set(status.last_success.timestamp() if status.last_success else 0)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
