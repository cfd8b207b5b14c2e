"""Association-map fixtures for the authorization matrix, built through the map services: for each case
relation, one associate, one place and one group linked to that relation's subject by the MASH lead of her
home borough.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from risk.map.models import AgeBand, Associate, AssociateRole, Group, GroupKind, LinkType, Place, PlaceKind
from risk.map.services import do_add_link
from tests.personas import World

MASH_FOR = {"Lambeth": "mash_lambeth", "Southwark": "mash_southwark"}
CANARY_ASSOCIATE = "Canary-Assoc-K3v9Qw7Z"


def new_associate(name: str = "Test Associate", role: str = AssociateRole.OLDER_ASSOCIATE,
                  age_band: str = AgeBand.AGE_18_24) -> Associate:
    return Associate(name=name, role=role, age_band=age_band)


def link(world: World, actor: str, a: Any, b: Any, link_type: str = LinkType.ASSOCIATES_WITH,
         days_ago: int = 5, **kwargs: Any):
    seen = timezone.localdate() - dt.timedelta(days=days_ago)
    return do_add_link(ends=(a, b), link_type=link_type, first_seen=seen, actor=world.user(actor), **kwargs)


def extend(world: World, cases: Any) -> None:
    """Add ``associates``, ``places``, ``groups`` and ``links`` collections (by relation) to ``cases``."""
    cases.associates, cases.places, cases.groups, cases.links = {}, {}, {}, {}
    for relation, subject in cases.subjects.items():
        mash = MASH_FOR[subject.home_borough.name]
        first = link(world, mash, subject, new_associate(f"Matrix Associate {relation}"))
        cases.links[relation] = first
        cases.associates[relation] = first.associate
        cases.places[relation] = link(world, mash, subject, Place(name=f"Test Park {relation}", kind=PlaceKind.PARK),
                                      LinkType.FREQUENTS).place
        cases.groups[relation] = link(world, mash, subject, Group(name=f"Test Peers {relation}",
                                                                  kind=GroupKind.PEER_GROUP),
                                      LinkType.MEMBER_OF).group
