"""One canary typed into every free-text input (identity, narratives, map names, reasons) is nowhere in
the stored bytes of either database (main and key store, history tables included), and nowhere in the
access trail: the trail records reasons as codes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AccessEvent
from dataprotection.services import do_break_glass
from referrals import intake, services
from risk.map.models import Associate, AssociateRole, Group, GroupKind, LinkType, Place, PlaceKind
from risk.map.services import do_add_link, do_remove_link
from risk.models import RegisterEntry
from risk.services.register import do_reinstate_register_entry, do_remove_from_register
from tests.database_scan import all_sqlite_bytes, postgresql_columns_containing
from tests.factories import new_concern

CANARY = "Zqcanary7Wx"


def _concern(world, given: str, borough: str = "Lambeth"):
    """A concern with the canary in every typed field, by the borough's teacher."""
    return new_concern(world, "teacher_lambeth" if borough == "Lambeth" else "teacher_southwark",
                       given=f"{CANARY}{given}", family=f"{CANARY}Family", dob=dt.date(2010, 1, 1),
                       address=f"1 {CANARY} Road", borough=borough, indicators=("missing-from-home-or-care",),
                       narrative=f"Seen with {CANARY} at the station.", seriously_worried=True, days_ago=0)


def record_everything(world) -> list[str]:
    """Every reasoned or free-text action, with the canary in its text; returns a reference to find."""
    mash = world.user("mash_lambeth")
    first = _concern(world, "A").subject
    second = _concern(world, "B").subject
    today = timezone.localdate()
    # Map: an associate, a home address, a group; then a removal with a typed reason.
    associate = do_add_link(ends=(first, Associate(name=f"{CANARY} Associate", role=AssociateRole.PARTNER,
                                                   description=f"Drives {CANARY}")),
                            link_type=LinkType.RELATIONSHIP, first_seen=today, actor=mash)
    home = do_add_link(ends=(first, Place(name=f"{CANARY} Street", kind=PlaceKind.ADDRESS)),
                       link_type=LinkType.LIVES_AT, first_seen=today, actor=mash)
    do_add_link(ends=(first, Group(name=f"{CANARY} Crew", kind=GroupKind.NAMED_GANG)),
                link_type=LinkType.MEMBER_OF, first_seen=today, actor=mash)
    do_remove_link(associate, reason=f"{CANARY} said it was a mistake", actor=mash)
    # The register: removal and reinstatement reasons.
    entry = RegisterEntry.objects.get(subject=first)
    do_remove_from_register(entry=entry, reason_code="risk_reduced", reason=f"Moved away with {CANARY}", actor=mash)
    do_reinstate_register_entry(entry=RegisterEntry.objects.get(pk=entry.pk), reason=f"Back with {CANARY}",
                                actor=mash)
    # Emergency access, and a merge, each with a typed reason.
    southwark = _concern(world, "C", borough="Southwark").subject
    do_break_glass(southwark, f"Urgent: {CANARY} called 999 about her tonight", actor=mash)
    intake.do_merge_subjects(survivor=first, duplicate=second, reason=f"Same girl, {CANARY} confirmed",
                             actor=mash)
    # Reasons that are codes now.
    services.do_set_legal_hold(subject=first, on_hold=False, reason="hold_ended", actor=mash)
    return [home.reference, first.reference]


def _needles() -> list[bytes]:
    return [CANARY.encode(), CANARY.lower().encode(), CANARY.encode("utf-16-le")]


@pytest.mark.django_db(databases="__all__")
def test_the_trail_holds_no_text_a_user_typed(world):
    record_everything(world)
    events = list(AccessEvent.objects.values_list("purpose", "detail", "reference", "object_type"))
    assert len(events) > 10
    for row in events:
        assert CANARY.lower() not in str(row).lower()


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file scan")
def test_the_canary_is_in_neither_sqlite_file(world, tmp_path):
    references = record_everything(world)
    data = all_sqlite_bytes(tmp_path)
    assert all(reference.encode() in data for reference in references)  # positive control
    for needle in _needles():
        assert needle not in data


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL column scan")
def test_the_canary_is_in_no_postgresql_column_of_either_database(world):
    references = record_everything(world)
    assert postgresql_columns_containing(CANARY) == []
    assert postgresql_columns_containing(CANARY.lower()) == []
    assert postgresql_columns_containing(references[0])  # positive control
