"""Demo association map: a small, believable, plainly fictional network in each demo borough.

Two girls who share an older associate and a place, and a peer group. Built through the map services as
each borough's MASH lead. Idempotent: a borough whose demo peer group exists is left alone.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import User
from django.utils import timezone

from agencies.models import Borough
from referrals.intake import SubjectDetails, do_record_concern
from referrals.models import Subject
from risk.map.models import (
    AgeBand,
    Associate,
    AssociateRole,
    Confidence,
    Group,
    GroupKind,
    LinkType,
    Place,
    PlaceKind,
)
from risk.map.services import Node, do_add_link
from risk.models import Indicator

NAMESPACE = uuid.UUID("0b6c5d0e-3f0e-4a57-9a43-5a1f2f1c8e08")

# borough: (MASH lead, recorder of a second girl if needed, place, place kind, peer group, associate)
NETWORKS = {
    "Lambeth": ("mash.lambeth", None, "Fictional Row Estate", PlaceKind.ESTATE, "Year 9 Demo Friends",
                "'Demo Dee' (made-up name)"),
    "Southwark": ("mash.southwark", "teacher.southwark", "Imaginary Chicken Shop, Pretend Road", PlaceKind.SHOP,
                  "Pretend Park Crew", "'Example Kay' (made-up name)"),
    "Hackney": ("mash.hackney", "teacher.hackney", "Notreal Park", PlaceKind.PARK, "Sample Lane Girls",
                "'Placeholder P' (made-up name)"),
}
SECOND_GIRLS = {
    "Southwark": ("Demonia", "Inventwell", dt.date(2011, 5, 9)),
    "Hackney": ("Mockella", "Testwright", dt.date(2010, 12, 1)),
}


def _girls(borough: Borough, recorder: str | None, name: str) -> list[Subject]:
    if recorder is not None:
        given, family, dob = SECOND_GIRLS[name]
        do_record_concern(
            details=SubjectDetails(given_name=given, family_name=family, date_of_birth=dob), home_borough=borough,
            observed_on=timezone.localdate() - dt.timedelta(days=6),
            indicators=list(Indicator.objects.filter(code__in=["older-boyfriend-or-associate"])),
            narrative="Seen getting into the same car as another pupil after school.", seriously_worried=False,
            idempotency_key=uuid.uuid5(NAMESPACE, f"map-{name}"), actor=User.objects.get(username=recorder),
        )
    return list(Subject.objects.filter(home_borough=borough, status="active").order_by("created_at")[:2])


def seed_map() -> int:
    """Build each demo borough's network once; return how many boroughs were new."""
    built = 0
    today = timezone.localdate()
    for name, (mash, recorder, place_name, place_kind, group_name, associate_name) in NETWORKS.items():
        borough = Borough.objects.get(name=name)
        if Group.objects.filter(borough=borough).exists():  # names are encrypted: one network per borough
            continue
        actor = User.objects.get(username=mash)
        girls = _girls(borough, recorder, name)
        if len(girls) < 2:
            continue
        first, second = girls

        def add(a: Node, b: Node, link_type: str, days: int, confidence: str = Confidence.MEDIUM,
                actor: User = actor) -> None:
            do_add_link(ends=(a, b), link_type=link_type, first_seen=today - dt.timedelta(days=days),
                               last_seen=today - dt.timedelta(days=max(days - 20, 1)), confidence=confidence,
                               actor=actor)

        # The first link saves each new node in place (do_add_link), so the later links reuse it.
        older = Associate(name=associate_name, role=AssociateRole.OLDER_ASSOCIATE, age_band=AgeBand.AGE_18_24,
                          description="Drives a dark hatchback (demo).")
        add(first, older, LinkType.ASSOCIATES_WITH, 60, Confidence.HIGH)
        add(second, older, LinkType.RELATIONSHIP, 30)
        place = Place(name=place_name, kind=place_kind)
        add(first, place, LinkType.FREQUENTS, 45)
        add(second, place, LinkType.SEEN_AT, 25)
        add(older, place, LinkType.FREQUENTS, 50)
        group = Group(name=group_name, kind=GroupKind.PEER_GROUP)
        add(first, group, LinkType.MEMBER_OF, 90)
        add(second, group, LinkType.MEMBER_OF, 90)
        built += 1
    return built
