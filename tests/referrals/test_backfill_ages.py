"""Concerns recorded before ages were stored get her age on the day, as recording works it out (the
model's under-13 floors need it), and she becomes due for the next rescore."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command

from referrals.models import Concern
from risk.models import SubjectRisk
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern


def _as_before_ages(concern: Concern) -> None:
    Concern._base_manager.filter(pk=concern.pk).update(age_at_observation=None)
    SubjectRisk.objects.filter(subject_id=concern.subject_id).update(rescore_due_on=None)


def test_ages_come_from_what_the_recorder_entered_and_she_becomes_due(world):
    born = new_concern(world, given="Agebirth", family="Backfill", dob=dt.date(2014, 6, 1),
                       observed_on=dt.date(2026, 5, 31))
    estimated = new_concern(world, given="Ageguess", family="Backfill", dob=None, age=12)
    for concern in (born, estimated):
        _as_before_ages(concern)
    audit_checkpoint()
    out = StringIO()
    call_command("backfill_observation_ages", stdout=out)
    assert "Gave 2 concerns" in out.getvalue()
    born.refresh_from_db()
    estimated.refresh_from_db()
    assert born.age_at_observation == 11  # a day before her twelfth birthday
    assert estimated.age_at_observation == 12
    assert all(SubjectRisk.objects.get(subject_id=c.subject_id).rescore_due_on is not None
               for c in (born, estimated))
    event = assert_audit("update", object_type="concern", service="do_backfill_observation_ages", only=True)
    assert event.detail["ages_filled"] == 2 and "Backfill" not in str(event.detail)


def test_a_second_run_changes_nothing_and_writes_nothing(world):
    concern = new_concern(world, given="Agetwice", family="Backfill", dob=dt.date(2012, 1, 1))
    _as_before_ages(concern)
    call_command("backfill_observation_ages", stdout=StringIO())
    assert_audit("update", object_type="concern", service="do_backfill_observation_ages")
    out = StringIO()
    call_command("backfill_observation_ages", stdout=out)
    assert "Gave 0 concerns" in out.getvalue()
    assert new_audit_events() == []


def test_nobody_knew_her_age_so_it_stays_empty(world):
    concern = new_concern(world, given="Ageless", family="Backfill", dob=None, age=None)
    _as_before_ages(concern)
    call_command("backfill_observation_ages", stdout=StringIO())
    concern.refresh_from_db()
    assert concern.age_at_observation is None
