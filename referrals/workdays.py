"""Statutory timescales in working days: weekends and England and Wales bank holidays do not count.

Bank holidays come from the ``holidays`` package (pinned in pyproject.toml): computed offline from its
rules, including substitute days (Boxing Day on a Saturday is observed on the Monday).
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays
from django.utils import timezone


@functools.cache
def _bank_holidays(year: int) -> frozenset[dt.date]:
    # England and Wales share the same bank holidays; Scotland and Northern Ireland differ.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_deadline(received_at: dt.datetime, days: int) -> dt.datetime:
    """The same local time of day, ``days`` working days after ``received_at``.

    Received on Friday at 15:00, a one-working-day decision is due on Monday at 15:00; received on a
    Saturday, it is due on Monday at the same time (the weekend does not count either way).
    """
    local = timezone.localtime(received_at)
    due_date = add_working_days(local.date(), days)
    naive = dt.datetime.combine(due_date, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive)
