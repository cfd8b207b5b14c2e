"""Anomaly rules over the access trail, configured in ``settings.AUDIT_ANOMALY_RULES``.

Each rule is one aggregate query over the look-back window, so the page costs a fixed number of
queries whatever the size of the trail (the window bounds the work through the ``occurred_at`` index).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncHour

from audit.choices import Action, ObjectType, Outcome
from audit.models import AccessEvent

OUT_OF_HOURS_EVENTS_PER_ROW = 20


@dataclass
class OutOfHoursDay:
    """One user's activity outside working hours on one London day: one row, not one row per event."""

    actor_username: str
    agency: str
    day: date
    first: datetime
    last: datetime
    events: int = 0
    denied: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    objects: list[tuple[str, str]] = field(default_factory=list)

    # A few objects name the day's work; the trail (linked from the row) has the rest.
    OBJECTS_SHOWN = 5

    @property
    def action_summary(self) -> list[tuple[str, int]]:
        labels = dict(Action.choices)
        return [(labels.get(code, code), count) for code, count in self.actions.most_common()]

    @property
    def more_objects(self) -> int:
        return max(0, len(self.objects) - self.OBJECTS_SHOWN)

    @property
    def objects_shown(self) -> list[tuple[str, str]]:
        return self.objects[:self.OBJECTS_SHOWN]


def group_by_user_and_day(events: Sequence[AccessEvent], zone: ZoneInfo) -> list[OutOfHoursDay]:
    """Out-of-hours events folded into one row per user and London day, the latest day first."""
    days: dict[tuple[str, date], OutOfHoursDay] = {}
    for event in events:
        local = event.occurred_at.astimezone(zone)
        key = (event.actor_username, local.date())
        row = days.get(key)
        if row is None:
            agency = event.actor_agency.name if event.actor_agency is not None else ""
            row = days[key] = OutOfHoursDay(event.actor_username, agency, local.date(), local, local)
        row.first, row.last = min(row.first, local), max(row.last, local)
        row.events += 1
        row.denied += event.outcome == Outcome.DENIED
        row.actions[event.action] += 1
        if event.reference and (event.object_type, event.reference) not in row.objects:
            row.objects.append((event.object_type, event.reference))
    return sorted(days.values(), key=lambda row: (-row.day.toordinal(), row.actor_username))


@dataclass
class Anomalies:
    """What each rule found, newest first."""

    since: datetime
    rules: dict[str, Any]
    many_subjects: list[dict[str, Any]]
    repeated_denials: list[dict[str, Any]]
    out_of_hours: list[OutOfHoursDay]
    break_glass: Sequence[AccessEvent]
    # Separation of duties: every request, approval and refusal of a case role (and every refused attempt
    # to set roles), and every second-factor reset, for review whatever the rules say.
    role_grants: list[AccessEvent] = field(default_factory=list)
    two_factor_resets: list[AccessEvent] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(x) for x in (self.many_subjects, self.repeated_denials, self.out_of_hours,
                                    self.break_glass, self.role_grants, self.two_factor_resets))


def find_anomalies(now: datetime) -> Anomalies:
    """Apply every configured rule to the events of the look-back window ending at ``now``."""
    rules = dict(settings.AUDIT_ANOMALY_RULES)
    since = now - timedelta(days=int(rules["lookback_days"]))
    limit = int(rules["max_rows"])
    window = AccessEvent.objects.filter(occurred_at__gte=since)

    many_subjects = list(
        window.filter(action=Action.VIEW, outcome=Outcome.ALLOWED, actor__isnull=False,
                      object_type__in=rules["subject_object_types"])
        .annotate(hour=TruncHour("occurred_at", tzinfo=UTC))
        .values("actor_username", "hour")
        .annotate(subjects=Count("reference", distinct=True))
        .filter(subjects__gt=int(rules["subjects_per_hour"]))
        .order_by("-hour", "actor_username")[:limit]
    )
    repeated_denials = list(
        window.filter(outcome=Outcome.DENIED)
        .annotate(hour=TruncHour("occurred_at", tzinfo=UTC))
        # Failed sign-ins have no actor, so the address is what groups them.
        .values("actor_username", "client_address", "hour")
        .annotate(denials=Count("id"))
        .filter(denials__gte=int(rules["denials_per_hour"]))
        .order_by("-hour", "actor_username")[:limit]
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    start, end = rules["working_hours"]
    # Grouped by user and London day: a night's work is one row to review, not a screen of events. The
    # events read are bounded (the newest ``OUT_OF_HOURS_EVENTS_PER_ROW`` × ``max_rows``), then at most
    # ``max_rows`` user-days are shown.
    out_of_hours = group_by_user_and_day(list(
        window.filter(actor__isnull=False)
        .annotate(local_hour=ExtractHour("occurred_at", tzinfo=zone),
                  local_day=ExtractIsoWeekDay("occurred_at", tzinfo=zone))
        .filter(Q(local_hour__lt=start) | Q(local_hour__gte=end) | ~Q(local_day__in=rules["working_days"]))
        .select_related("actor_agency")
        .order_by("-id")[:limit * OUT_OF_HOURS_EVENTS_PER_ROW]
    ), zone)[:limit]
    break_glass = list(
        window.filter(action=Action.BREAK_GLASS).select_related("actor_agency").order_by("-id")[:limit]
    )
    role_grants = list(
        window.filter(Q(object_type=ObjectType.ROLE_GRANT)
                      | Q(object_type=ObjectType.MEMBERSHIP, outcome=Outcome.DENIED))
        .select_related("actor_agency").order_by("-id")[:limit]
    )
    two_factor_resets = list(
        window.filter(Q(object_type=ObjectType.TWO_FACTOR_RESET)
                      | Q(object_type=ObjectType.TWO_FACTOR, action=Action.REVOKE))
        .select_related("actor_agency").order_by("-id")[:limit]
    )
    return Anomalies(since, rules, many_subjects, repeated_denials, out_of_hours, break_glass,
                     role_grants=role_grants, two_factor_resets=two_factor_resets)
