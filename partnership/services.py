"""The nightly aggregation: read the case tables once, publish every measure under disclosure control,
and replace the summary tables the pages read (``manage.py aggregate_statistics``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Borough
from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from partnership.models import PublishedCell, StatisticsRun
from partnership.sources import read_events
from partnership.tables import first_period, publish_all

KEEP_RUNS = 3  # the newest runs kept (the pages read the newest); older ones are deleted with their cells


@audit_service
def do_aggregate_statistics(*, actor: Any = None, today: dt.date | None = None,
                            threshold: int | None = None, rounding_base: int | None = None) -> StatisticsRun:
    """Compute every measure for the five quarters to ``today`` and publish them as a new run: the case
    tables are read outside the write transaction (a consistent enough picture for monthly figures), the
    run and its cells are written in one transaction, so a page sees the old run or the new, never half."""
    started = timezone.now()
    today = today or timezone.localdate()
    threshold = threshold or settings.STATISTICS_SUPPRESSION_THRESHOLD
    rounding_base = rounding_base or settings.STATISTICS_ROUNDING_BASE
    since = first_period(today)
    boroughs = list(Borough.objects.order_by("pk").values_list("pk", flat=True))
    events = read_events(since, today)
    cells = publish_all(events, boroughs, since, today, threshold=threshold, rounding_base=rounding_base)
    with transaction.atomic():
        run = StatisticsRun.objects.create(
            started_at=started, finished_at=timezone.now(), first_period=since, last_day=today,
            threshold=threshold, rounding_base=rounding_base, cells=len(cells),
            suppressed=sum(cell.value is None for cell in cells))
        PublishedCell.objects.bulk_create(
            [PublishedCell(run=run, measure=c.measure, borough_id=c.borough_id, period=c.period,
                           category=c.category, value=c.value) for c in cells], batch_size=5000)
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        stale = list(StatisticsRun.objects.order_by("-finished_at", "-id").values_list("pk", flat=True)[KEEP_RUNS:])
        if stale:
            PublishedCell.objects.filter(run_id__in=stale).delete()
            StatisticsRun.objects.filter(pk__in=stale).delete()
        record(Action.CREATE, actor=actor, object_type=ObjectType.STATISTICS, reference=str(run.pk),
               detail={"cells": run.cells, "suppressed": run.suppressed, "threshold": threshold,
                       "rounding_base": rounding_base})
    return run
