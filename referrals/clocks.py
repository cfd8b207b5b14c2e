"""Pathway clocks: when the receiving service's time runs out, from the catalogue's ``Clock``.

A clock counts from an event (``Clock.starts``): the MASH's decision, the receiving service accepting, the
strategy discussion, the assault. The system records the first three (a strategy discussion since case work:
``casework.services.do_record_strategy_discussion`` starts the clocks that wait for it); a clock that starts
at an event it does not record (an assault) has no deadline here until that event is recorded, and its
label says what it waits for.

- ``same_day``: by the end of the local day it started (23:59:59 London time). A same-day strategy
  discussion decided at 16:00 is due that evening, not the next working day.
- ``hours``: that many hours later, whatever the day (a threat to life does not wait for Monday).
- ``days``: that many calendar days later, at the same local time.
- ``working_days``: that many working days later at the same local time, weekends and England and Wales
  bank holidays not counting (``referrals.workdays``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from referrals.workdays import working_deadline
from risk.choices import ClockUnit
from risk.pathways import Clock

# The events the system records, and so can start a clock from.
KNOWN_STARTS = frozenset({"decision", "acceptance", "strategy_discussion"})


def deadline(clock: Clock, started_at: dt.datetime) -> dt.datetime | None:
    """When ``clock``, started at ``started_at``, runs out; None for no clock."""
    unit = ClockUnit(clock.unit)
    if unit == ClockUnit.NONE:
        return None
    if unit == ClockUnit.SAME_DAY:
        local = timezone.localtime(started_at)
        end = dt.datetime.combine(local.date(), dt.time(23, 59, 59))
        return timezone.make_aware(end)
    if unit == ClockUnit.HOURS:
        return started_at + dt.timedelta(hours=clock.amount)
    if unit == ClockUnit.DAYS:
        local = timezone.localtime(started_at)
        naive = dt.datetime.combine(local.date() + dt.timedelta(days=clock.amount), local.time().replace(tzinfo=None))
        return timezone.make_aware(naive)
    return working_deadline(started_at, clock.amount)


def due_at_event(clock: Clock, event: str, at: dt.datetime) -> dt.datetime | None:
    """The deadline of ``clock`` if it starts at ``event`` ("decision" or "acceptance") happening at ``at``;
    None when it starts at another event (or has no clock). A clock with no stated start runs from the
    decision."""
    starts = clock.starts or "decision"
    return deadline(clock, at) if starts == event else None


def hours_left(due_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole hours until ``due_at`` (negative once overdue), for the inbox's urgent list."""
    if due_at is None:
        return None
    seconds = (due_at - now).total_seconds()
    return int(seconds // 3600) if seconds >= 0 else -int(-seconds // 3600)
