"""Demo risk data: subjects at every level, some rising, some with overdue reviews. Idempotent.

Builds on ``referrals.demo.seed_cases()``: it records extra concerns through the services (dated in the
past), then backdates nothing but register review dates of a few entries so that overdue reviews show.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Borough
from audit.history import set_history_user
from referrals import intake
from referrals.intake import SubjectDetails
from risk.models import Indicator, RegisterEntry, SubjectRisk

# (given, family, dob, recorder username, borough, [(days ago, indicator codes, seriously worried)])
DEMO_RISK: list[tuple[str, str, dt.date, str, list[tuple[int, tuple[str, ...], bool]]]] = [
    ("Amara", "Demoone", dt.date(2010, 3, 4), "lambeth", [(800, ("low-self-esteem",), False)]),
    ("Bella", "Demotwo", dt.date(2009, 5, 6), "lambeth", [(20, ("absent-from-school",), False)]),
    ("Chloe", "Demothree", dt.date(2011, 7, 8), "lambeth",
     [(60, ("absent-from-school", "change-in-appearance"), False),
      (10, ("drug-or-alcohol-misuse",), False), (5, ("older-boyfriend-or-associate",), False)]),
    ("Dami", "Demofour", dt.date(2008, 9, 10), "lambeth",
     [(40, ("missing-from-home-or-care",), False), (3, ("missing-from-home-or-care",), False)]),
    ("Esi", "Demofive", dt.date(2009, 11, 12), "lambeth",
     [(30, ("older-boyfriend-or-associate", "carrying-for-others", "gifts-from-unknown-sources"), False),
      (2, ("unexplained-phones-or-money", "missing-from-home-or-care", "self-harm", "recruiting-others",
           "suicidal-thoughts-or-attempts"), True)]),
]
DEMO_MARK = "demo-risk"


def seed_risk() -> int:
    """Record the demo risk concerns once; return how many were recorded (0 on a second run)."""
    User = get_user_model()
    recorders = {borough: User.objects.filter(membership__agency__borough__slug=borough,
                                              membership__roles__code="practitioner").order_by("username").first()
                 for borough in {"lambeth"}}
    recorded = 0
    today = timezone.localdate()
    for given, family, dob, borough, concerns in DEMO_RISK:
        actor = recorders.get(borough)
        if actor is None:
            return 0
        details = SubjectDetails(given_name=given, family_name=family, date_of_birth=dob)
        if intake.find_exact_subject(details) is not None:
            continue
        for days_ago, codes, worried in concerns:
            intake.do_record_concern(
                details=details, home_borough=Borough.objects.get(slug=borough),
                observed_on=today - dt.timedelta(days=days_ago),
                indicators=list(Indicator.objects.filter(code__in=codes)),
                narrative="Demo concern.", seriously_worried=worried,
                idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO_MARK}:{given}:{days_ago}"), actor=actor,
            )
            recorded += 1
    # Overdue reviews: the first two entries of the demo borough joined the register one review period and a
    # week ago, at the level they still have (so not rising), and their review fell due last week (demo only).
    if recorded:
        mine = [intake.find_exact_subject(SubjectDetails(given_name=g, family_name=f, date_of_birth=d))
                for g, f, d, _borough, _concerns in DEMO_RISK]
        for entry in RegisterEntry.objects.filter(subject__in=[s for s in mine if s is not None]).order_by("id")[:2]:
            joined = timezone.now() - dt.timedelta(days=entry.review_cadence_days + 7)
            entry.added_at, entry.next_review_on = joined, today - dt.timedelta(days=7)
            set_history_user(entry, None)
            entry.save()
            SubjectRisk.objects.filter(subject_id=entry.subject_id).update(level_changed_at=joined)
    return recorded
