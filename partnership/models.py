"""The summary tables the statistics pages read: one row per nightly run, and the published cells of it.

Nothing here is about a person: each cell is an aggregate already through disclosure control (a rounded
count, or a median of at least the threshold's number of values, or nothing where it is suppressed). The
raw counts are never stored, so no page, download or copy of these tables holds a small number.
"""

from __future__ import annotations

from django.db import models

from partnership.choices import Measure


class StatisticsRun(models.Model):
    """One computation of every measure (``manage.py aggregate_statistics``): when, under which rules."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    first_period = models.DateField(help_text="The first day of the first quarter published.")
    last_day = models.DateField(help_text="The last day counted (the run's day).")
    threshold = models.PositiveSmallIntegerField(help_text="Counts from 1 to one less than this are suppressed.")
    rounding_base = models.PositiveSmallIntegerField(help_text="Published counts are rounded to a multiple of it.")
    cells = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"statistics run {self.pk}"


class PublishedCell(models.Model):
    """One published figure: a measure, an area (a borough, or London when ``borough`` is empty), a period
    (``2026-03``, ``2026-Q1`` or ``current``) and a category (``""`` for the total). ``value`` is empty
    where the figure is suppressed."""

    run = models.ForeignKey(StatisticsRun, on_delete=models.CASCADE, related_name="published_cells")
    measure = models.CharField(max_length=40, choices=Measure.choices)
    borough = models.ForeignKey("agencies.Borough", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    period = models.CharField(max_length=8)
    category = models.CharField(max_length=40, blank=True, default="")
    value = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["run", "borough", "measure"], name="published_cell_area")]
        constraints = [
            models.UniqueConstraint(fields=["run", "measure", "borough", "period", "category"],
                                    name="published_cell_once"),
            models.CheckConstraint(condition=models.Q(measure__in=Measure.values), name="published_cell_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.period} {self.category or 'total'}"

    @property
    def suppressed(self) -> bool:
        return self.value is None
