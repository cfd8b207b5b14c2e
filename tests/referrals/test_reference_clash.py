"""A reference drawn a second time: 40 random bits make a clash about one in a million inserts at a million
rows, so over London's records it is likely to happen. The unique constraint refuses it, and the service
that drew it runs again with new references: no server error, and nothing of the failed attempt kept
(its rows and its access events went with its transaction)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from audit.models import AccessEvent
from casework import services as casework_services
from casework.models import MaceMeeting
from referrals import references
from referrals.models import Concern, Subject
from tests.audit_helpers import audit_checkpoint, new_audit_events
from tests.factories import new_concern

pytestmark = pytest.mark.django_db


def _draw_first(monkeypatch, body: str, times: int) -> list[str]:
    """The next ``times`` draws give ``body`` (a reference already taken); then real random draws. Returns
    the list of bodies drawn, to show how many draws the service made."""
    real, drawn = references._draw, []

    def draw() -> str:
        drawn.append(body if len(drawn) < times else real())
        return drawn[-1]

    monkeypatch.setattr(references, "_draw", draw)
    return drawn


def _body(reference: str) -> str:
    return reference.split("-", 1)[1].replace("-", "")


def test_a_concern_whose_reference_is_taken_is_recorded_under_a_new_one(world, monkeypatch):
    first = new_concern(world, "teacher_lambeth", given="Clasha", family="Referencecase", dob=dt.date(2011, 2, 3),
                        borough="Lambeth")
    subjects, concerns = Subject.objects.count(), Concern.objects.count()
    audit_checkpoint()
    # The new girl's S- reference and her concern's C- reference are drawn first: the C- one is taken.
    drawn = _draw_first(monkeypatch, _body(first.reference), times=2)

    second = new_concern(world, "teacher_lambeth", given="Clashb", family="Referencecase", dob=dt.date(2011, 4, 5),
                         borough="Lambeth")

    assert second.reference != first.reference and len(drawn) > 2
    # One girl and one concern more: the rolled-back attempt left no subject, concern or event behind.
    assert (Subject.objects.count(), Concern.objects.count()) == (subjects + 1, concerns + 1)
    created = [e for e in new_audit_events() if e.action == "create" and e.object_type == "concern"]
    assert [e.reference for e in created] == [second.reference]
    assert not AccessEvent.objects.filter(reference=first.reference, id__gt=created[0].id).exists()


def test_a_meeting_whose_reference_is_taken_is_scheduled_under_a_new_one(world, monkeypatch):
    mash = world.user("mash_lambeth")
    day = timezone.localdate() + dt.timedelta(days=14)
    first = casework_services.do_schedule_meeting(meets_on=day, actor=mash)
    _draw_first(monkeypatch, _body(first.reference), times=1)

    second = casework_services.do_schedule_meeting(meets_on=day + dt.timedelta(days=7), actor=mash)

    assert second.reference != first.reference
    assert MaceMeeting.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_a_reference_taken_at_every_attempt_gives_up_and_writes_nothing(world, monkeypatch):
    mash = world.user("mash_lambeth")
    day = timezone.localdate() + dt.timedelta(days=14)
    first = casework_services.do_schedule_meeting(meets_on=day, actor=mash)
    meetings = MaceMeeting.objects.count()
    drawn = _draw_first(monkeypatch, _body(first.reference), times=100)

    with pytest.raises(IntegrityError):
        casework_services.do_schedule_meeting(meets_on=day + dt.timedelta(days=7), actor=mash)

    assert len(drawn) == 1 + references.RETRIES_ON_CLASH
    assert MaceMeeting.objects.count() == meetings


def test_only_a_reference_clash_is_retried():
    calls = []

    @references.retried_on_reference_clash
    def service() -> None:
        calls.append(1)
        raise IntegrityError("UNIQUE constraint failed: referrals_concern.idempotency_key")

    with pytest.raises(IntegrityError):
        service()
    assert len(calls) == 1
    assert references.is_reference_clash(IntegrityError("UNIQUE constraint failed: casework_macemeeting.reference"))


def test_a_link_whose_reference_is_taken_still_creates_the_new_place_it_links_to(world, monkeypatch):
    """The new place is saved before the link's reference clashes; the retry creates it again (its row went
    with the failed attempt) instead of looking for it."""
    from risk.map.models import Link, LinkType, Place, PlaceKind
    from risk.map.services import do_add_link

    girl = Subject.objects.get(pk=new_concern(world, "teacher_lambeth", given="Clashc", family="Referencecase",
                                              dob=dt.date(2011, 6, 7), borough="Lambeth").subject_id)
    lead = world.user("mash_lambeth")
    first = do_add_link(ends=(girl, Place(name="Clash estate", kind=PlaceKind.ESTATE)), link_type=LinkType.FREQUENTS,
                        first_seen=timezone.localdate(), actor=lead)
    places = Place.objects.count()
    # The new place's P- reference is drawn first (free), then the link's L- one (taken).
    _draw_first(monkeypatch, _body(first.reference), times=2)

    second = do_add_link(ends=(girl, Place(name="Clash park", kind=PlaceKind.PARK)), link_type=LinkType.FREQUENTS,
                         first_seen=timezone.localdate(), actor=lead)

    assert second.reference != first.reference
    assert Place.objects.count() == places + 1 and Link.objects.filter(pk=second.pk, place__isnull=False).exists()
