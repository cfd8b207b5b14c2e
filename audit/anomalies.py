"""Anomaly rules over the access trail, configured in ``settings.AUDIT_ANOMALY_RULES``.

Each rule is one aggregate query over the look-back window, so the page costs a fixed number of
queries whatever the size of the trail (the window bounds the work through the ``occurred_at`` index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncHour

from audit.choices import Action, ObjectType, Outcome
from audit.models import AccessEvent


@dataclass
class Anomalies:
    """What each rule found, newest first."""

    since: datetime
    rules: dict[str, Any]
    many_subjects: list[dict[str, Any]]
    repeated_denials: list[dict[str, Any]]
    out_of_hours: Sequence[AccessEvent]
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
    out_of_hours = list(
        window.filter(actor__isnull=False)
        .annotate(local_hour=ExtractHour("occurred_at", tzinfo=zone),
                  local_day=ExtractIsoWeekDay("occurred_at", tzinfo=zone))
        .filter(Q(local_hour__lt=start) | Q(local_hour__gte=end) | ~Q(local_day__in=rules["working_days"]))
        .select_related("actor_agency")
        .order_by("-id")[:limit]
    )
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
