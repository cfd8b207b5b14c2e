"""Demo subjects and concerns: synthetic, plainly fictional young people in each demo borough.

Each concern has a fixed idempotency key, so running the seed again records nothing new.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.models import Borough
from referrals.services import SubjectDetails, do_record_concern
from risk.models import Indicator

User = get_user_model()
NAMESPACE = uuid.UUID("6f1d2a44-9a0e-4f7e-9d8e-0c6a4d7d1e10")

# (demo id, recorder, given, family, date of birth, borough, days ago, indicators, seriously worried, narrative)
DEMO_CONCERNS = [
    ("lam-1a", "teacher.lambeth", "Demoiya", "Fictionson", dt.date(2011, 3, 14), "Lambeth", 40,
     ["absent-from-school", "change-in-appearance"], False,
     "Attendance has dropped to 60% this half term. New designer trainers and nails."),
    ("lam-1b", "nurse.lambeth", "Demoiya", "Fictionson", dt.date(2011, 3, 14), "Lambeth", 21,
     ["repeat-sti-pregnancy-termination", "low-self-esteem"], False,
     "Second drop-in visit this term asking about emergency contraception."),
    ("lam-1c", "police.lambeth", "Demoiya", "Fictionson", dt.date(2011, 3, 14), "Lambeth", 5,
     ["missing-from-home-or-care", "older-boyfriend-or-associate"], True,
     "Found at 02:00 in a car with two adult males after being reported missing."),
    ("lam-2a", "gp.lambeth", "Testina", "Madeup", dt.date(2009, 11, 2), "Lambeth", 12,
     ["self-harm", "drug-or-alcohol-misuse"], False, "Presented with fresh cuts to forearms; smelled of cannabis."),
    ("lam-3a", "dsl.lambeth", "Samplea", "Notreal", dt.date(2012, 6, 30), "Lambeth", 3,
     ["gang-association-relatives-peers-partners"], False, "Older brother known to be involved with a local gang."),
    ("sou-1a", "teacher.southwark", "Exampla", "Imaginary", dt.date(2010, 8, 19), "Southwark", 30,
     ["unexplained-phones-or-money", "absent-from-school"], False, "Has two phones and cash she will not explain."),
    ("sou-1b", "yot.southwark", "Exampla", "Imaginary", dt.date(2010, 8, 19), "Southwark", 9,
     ["carrying-for-others", "involvement-in-offending"], False,
     "Arrested with a package she said she was holding for a friend."),
    ("hac-1a", "teacher.hackney", "Fakeira", "Placeholder", dt.date(2011, 1, 7), "Hackney", 14,
     ["territorial-restrictions", "estranged-from-family"], False,
     "Refuses to walk home through the estate; staying with an aunt."),
]


def seed_cases() -> int:
    """Record the demo concerns not yet recorded; return how many were new."""
    created_count = 0
    today = timezone.localdate()
    for demo_id, username, given, family, dob, borough, days_ago, codes, worried, narrative in DEMO_CONCERNS:
        actor = User.objects.get(username=username)
        _concern, created = do_record_concern(
            details=SubjectDetails(given_name=given, family_name=family, date_of_birth=dob),
            home_borough=Borough.objects.get(name=borough),
            observed_on=today - dt.timedelta(days=days_ago),
            indicators=list(Indicator.objects.filter(code__in=codes)),
            narrative=narrative, seriously_worried=worried,
            idempotency_key=uuid.uuid5(NAMESPACE, demo_id), actor=actor,
        )
        created_count += int(created)
    return created_count
