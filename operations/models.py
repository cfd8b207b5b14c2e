"""A record of every run of a scheduled job: when, how it ended, and counts. Never personal data: the
counts are numbers, and a failure keeps only the exception's class (its message could quote a row)."""

from __future__ import annotations

from django.db import models


class RunOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class JobRun(models.Model):
    """One run of one scheduled job (``operations.jobs.JOBS``)."""

    job = models.CharField(max_length=60, db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices, default=RunOutcome.RUNNING)
    counts = models.JSONField(default=dict, blank=True, help_text="What the run did, as numbers only.")
    error = models.CharField(max_length=100, blank=True, help_text="The exception's class name, never its message.")
    host = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "outcome", "-finished_at"], name="jobrun_last_success")]
        constraints = [
            models.CheckConstraint(condition=models.Q(outcome__in=RunOutcome.values), name="jobrun_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None
