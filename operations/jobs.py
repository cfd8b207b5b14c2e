"""The scheduled jobs: each one's command, how often it runs, and how late it may be before the health
endpoint says so. ``deploy/`` schedules exactly these (a test compares them), and ``JobRun`` records
every run of each.

Periods follow what each job is for: the nightly ones keep scores, retention and statistics true to the
day; the hourly ones keep alerts and the trail's anchors close to the events. A job is late when its last
success is older than its period plus its grace (time for a slow run and a missed tick).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """One scheduled job: a management command run every ``period``."""

    name: str
    command: str
    period: dt.timedelta
    grace: dt.timedelta
    # systemd OnCalendar expression and the equivalent crontab fields (minute hour dom month dow).
    on_calendar: str
    cron: str
    description: str


HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)

JOBS: dict[str, Job] = {job.name: job for job in [
    Job("rescore", "rescore", DAY, 6 * HOUR, "*-*-* 01:30:00", "30 1 * * *",
        "Re-assess every young person as time passes; raises automatic referrals where a level rises."),
    Job("apply_retention", "apply_retention", DAY, 6 * HOUR, "*-*-* 02:30:00", "30 2 * * *",
        "Erase everyone past her retention date who is not on legal hold; end expired drafts."),
    Job("erase_unlinked_associates", "erase_unlinked_associates", DAY, 6 * HOUR, "*-*-* 03:00:00", "0 3 * * *",
        "Crypto-shred people on the map no longer linked to anyone, after their retention period."),
    Job("alert_overdue_referrals", "alert_overdue_referrals", HOUR, 30 * dt.timedelta(minutes=1),
        "*-*-* *:05:00", "5 * * * *", "Tell each borough's MASH leads about referrals and pathways past their clock."),
    Job("chase_school_transfers", "chase_school_transfers", DAY, 6 * HOUR, "*-*-* 07:30:00", "30 7 * * *",
        "Remind new schools' DSLs of files sent to them and not yet accepted."),
    Job("expire_drafts", "expire_drafts", HOUR, 30 * dt.timedelta(minutes=1), "*-*-* *:20:00", "20 * * * *",
        "End saved drafts past their expiry."),
    Job("alert_overdue_actions", "alert_overdue_actions", DAY, 6 * HOUR, "*-*-* 07:00:00", "0 7 * * *",
        "Mark plan actions past their due date overdue; tell their owners and the MASH."),
    Job("purge_notifications", "purge_notifications", DAY, 6 * HOUR, "*-*-* 04:30:00", "30 4 * * *",
        "Delete in-app notifications older than NOTIFICATION_RETENTION_DAYS."),
    Job("aggregate_statistics", "aggregate_statistics", DAY, 6 * HOUR, "*-*-* 02:00:00", "0 2 * * *",
        "Compute the partnership statistics, under disclosure control, into the tables their pages read."),
    Job("prune_task_results", "prune_task_results", DAY, 6 * HOUR, "*-*-* 04:00:00", "0 4 * * *",
        "Delete the records of background tasks (sent emails) that succeeded more than a week ago."),
    Job("anchor_audit", "anchor_audit", HOUR, 30 * dt.timedelta(minutes=1), "*-*-* *:00:00", "0 * * * *",
        "Sign the head of every audit chain; copy each anchor where the database administrators cannot write."),
    Job("clear_api_tokens", "clear_api_tokens", DAY, 6 * HOUR, "*-*-* 04:20:00", "20 4 * * *",
        "Delete expired API access tokens (django-oauth-toolkit's cleartokens)."),
    Job("create_audit_partitions", "create_audit_partitions", DAY, 6 * HOUR, "*-*-* 04:10:00", "10 4 * * *",
        "Create the access trail's monthly partitions for this month and the next (PostgreSQL)."),
]}
