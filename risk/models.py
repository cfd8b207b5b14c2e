"""The indicator catalogue (versioned data, not code)."""

from __future__ import annotations

from django.db import models

from risk.choices import IndicatorCategory, IndicatorKind


class CatalogueVersion(models.Model):
    """One published version of the indicator catalogue, with where it came from."""

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    source = models.TextField(help_text="The published evidence this version is drawn from.")
    published_on = models.DateField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Indicator catalogue v{self.number}"


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def current(self) -> IndicatorQuerySet:
        """Indicators a practitioner can choose today (retired ones stay for old concerns)."""
        return self.filter(retired_in__isnull=True)


class Indicator(models.Model):
    """A vulnerability or warning sign a practitioner can record.

    Codes are stable for ever: a concern refers to the indicator row, and retiring an indicator only
    hides it from new concerns, so old concerns keep their meaning.
    """

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=200)
    hint = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=IndicatorKind.choices)
    category = models.CharField(max_length=40, choices=IndicatorCategory.choices)
    display_order = models.PositiveIntegerField(default=0)
    introduced_in = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="introduced_indicators"
    )
    retired_in = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, null=True, blank=True,
        related_name="retired_indicators",
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=IndicatorKind.values), name="indicator_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(category__in=IndicatorCategory.values), name="indicator_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_retired(self) -> bool:
        return self.retired_in_id is not None

from risk.map_models import Associate, Group, Link, Place  # noqa: E402,F401  (the association map, issue 8)
