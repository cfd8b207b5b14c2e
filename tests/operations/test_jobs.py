"""Scheduled jobs: every run recorded (numbers only), late jobs reported by the health endpoint and on the
administrators' page, and the deploy files scheduling exactly the registered jobs."""

from __future__ import annotations

import configparser
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from operations.jobs import JOBS
from operations.models import JobRun, RunOutcome
from operations.runs import job_statuses, late_jobs, recorded_run

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

pytestmark = pytest.mark.django_db


def _succeed_all(at: dt.datetime) -> None:
    for name in JOBS:
        JobRun.objects.create(job=name, started_at=at, finished_at=at, outcome=RunOutcome.SUCCEEDED)


def test_a_run_records_its_counts_and_a_failure_only_the_kind_of_error() -> None:
    with recorded_run("rescore") as counts:
        counts.update(subjects=12, level_changes=1, note="Jane Doe")  # text is never recorded
    run = JobRun.objects.get()
    assert run.outcome == RunOutcome.SUCCEEDED and run.finished_at >= run.started_at
    assert run.counts == {"subjects": 12, "level_changes": 1}

    with pytest.raises(ValueError, match="Jane"), recorded_run("rescore"):
        raise ValueError("could not erase Jane Doe")
    failed = JobRun.objects.order_by("-id").first()
    assert failed.outcome == RunOutcome.FAILED and failed.error == "ValueError"
    assert "Jane" not in str(JobRun.objects.filter(pk=failed.pk).values().get())


def test_only_registered_jobs_are_recorded() -> None:
    with pytest.raises(ValueError), recorded_run("not_a_job"):
        pass
    assert not JobRun.objects.exists()


def test_each_scheduled_command_records_its_run_and_a_dry_run_records_none(capsys) -> None:
    call_command("apply_retention", "--dry-run")
    assert not JobRun.objects.exists()
    for name in ("expire_drafts", "erase_unlinked_associates", "apply_retention", "alert_overdue_referrals",
                 "chase_school_transfers", "rescore", "anchor_audit", "prune_task_results",
                 "alert_overdue_actions", "purge_notifications", "aggregate_statistics", "create_audit_partitions",
                 "clear_api_tokens"):
        call_command(JOBS[name].command)
    runs = {run.job: run for run in JobRun.objects.all()}
    assert set(runs) == set(JOBS)
    assert all(run.outcome == RunOutcome.SUCCEEDED for run in runs.values())
    assert runs["expire_drafts"].counts == {"drafts_ended": 0}
    assert set(runs["rescore"].counts) == {"subjects", "assessments", "level_changes"}
    capsys.readouterr()  # the anchor's JSON


def test_a_job_is_late_without_a_success_within_its_period_and_grace() -> None:
    now = timezone.now()
    assert set(late_jobs(now)) == set(JOBS)  # never run
    _succeed_all(now - dt.timedelta(minutes=5))
    assert late_jobs(now) == []
    # An hourly job whose last success is two hours old is late; a daily one is not.
    hourly = {name for name, job in JOBS.items() if job.period < dt.timedelta(days=1)}
    assert set(late_jobs(now + dt.timedelta(hours=2))) == hourly
    # A failed run after the success does not make it on time again, nor late before its time.
    JobRun.objects.create(job="rescore", started_at=now, finished_at=now, outcome=RunOutcome.FAILED, error="OSError")
    assert "rescore" not in late_jobs(now)
    assert "rescore" in late_jobs(now + dt.timedelta(days=1, hours=7))


def test_job_statuses_cost_two_queries_whatever_the_number_of_runs(django_assert_num_queries) -> None:
    now = timezone.now()
    for days in range(20):
        _succeed_all(now - dt.timedelta(days=days))
    with django_assert_num_queries(2):
        statuses = job_statuses(now)
    assert {s.job.name for s in statuses} == set(JOBS) and not any(s.late for s in statuses)


@override_settings(HEALTH_REQUIRES_JOBS=True)
def test_health_turns_unhealthy_while_a_job_is_late() -> None:
    response = Client().get(reverse("health"))
    assert response.status_code == 503 and response.content == b"jobs late\n"
    _succeed_all(timezone.now())
    response = Client().get(reverse("health"))
    assert response.status_code == 200 and response.content == b"ok\n"


def test_ready_checks_the_database_and_the_key_store() -> None:
    response = Client().get(reverse("ready"))
    assert response.status_code == 200 and response.content == b"ready\n"


def test_administrators_see_each_job_and_its_runs(client_for) -> None:
    now = timezone.now()
    JobRun.objects.create(job="rescore", started_at=now, finished_at=now, outcome=RunOutcome.FAILED,
                          error="OperationalError")
    page = client_for("administrator").get(reverse("job-list")).content.decode()
    for job in JOBS.values():
        assert f"<code>{job.command}</code>" in page
    assert "Late" in page and "OperationalError" in page
    assert client_for("mash_lambeth").get(reverse("job-list")).status_code == 404


# --- The deploy files schedule exactly the registered jobs ------------------------------------------------

def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_every_job_has_a_systemd_timer_and_service_running_its_command() -> None:
    commands = get_commands()
    units = {p.stem for p in (DEPLOY / "systemd").glob("safeguarding-*.timer")}
    assert units == {f"safeguarding-{name.replace('_', '-')}" for name in JOBS}
    for name, job in JOBS.items():
        stem = DEPLOY / "systemd" / f"safeguarding-{name.replace('_', '-')}"
        timer, service = _unit(stem.with_suffix(".timer")), _unit(stem.with_suffix(".service"))
        assert timer["Timer"]["OnCalendar"] == job.on_calendar and timer["Timer"]["Persistent"] == "true"
        assert service["Service"]["Type"] == "oneshot"
        assert f"manage.py {job.command}" in service["Service"]["ExecStart"] and job.command in commands
    web = _unit(DEPLOY / "systemd" / "safeguarding-web.service")
    assert "gunicorn config.wsgi:application" in web["Service"]["ExecStart"]


def test_the_crontab_has_the_same_schedule() -> None:
    lines = [line for line in (DEPLOY / "crontab").read_text().splitlines()
             if line and not line.startswith("#") and "=" not in line.split()[0]]
    scheduled = {}
    for line in lines:
        fields = line.split()
        command = line.split("manage.py ", 1)[1].split()[0]
        scheduled[command] = " ".join(fields[:5])
    assert scheduled == {job.command: job.cron for job in JOBS.values()}


# --- Logs and metrics -------------------------------------------------------------------------------------

def test_logs_are_json_with_the_request_id_and_never_an_exception_message() -> None:
    import json
    import logging

    from audit.context import current_request
    from audit.logs import RequestIdFilter
    from config.logs import JsonFormatter

    record = logging.LogRecord("referrals", logging.ERROR, __file__, 1, "Could not record a concern", None, None)
    try:
        raise ValueError("duplicate key (given_name)=(Jane Doe)")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()

    class FakeRequest:
        request_id = "abc123"

    token = current_request.set(FakeRequest())  # type: ignore[arg-type]
    try:
        RequestIdFilter().filter(record)
    finally:
        current_request.reset(token)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["request_id"] == "abc123" and entry["exception"] == "ValueError"
    assert entry["message"] == "Could not record a concern" and entry["level"] == "ERROR"
    assert "Jane" not in line and any("test_jobs.py" in frame for frame in entry["stack"])


def test_metrics_need_the_token(settings) -> None:
    assert Client().get(reverse("metrics")).status_code == 404  # none configured
    settings.METRICS_TOKEN = "a-long-random-scrape-token"
    assert Client().get(reverse("metrics")).status_code == 401
    assert Client().get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    Client().get(reverse("health"))
    response = Client().get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer a-long-random-scrape-token")
    body = response.content.decode()
    assert response.status_code == 200
    assert "django_http_requests_total_by_view_transport_method_total" in body
    assert 'safeguarding_job_late{job="rescore"} 1.0' in body
