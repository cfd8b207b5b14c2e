"""Services on subjects, concerns and shares: each asserts its access event."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from encryption import ERASED
from encryption.models import BlindIndex
from referrals import intake, services
from referrals.choices import SubjectStatus
from referrals.intake import SubjectDetails
from referrals.models import Concern, Subject, SubjectShare
from tests import factories
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.cases import build_cases
from tests.factories import new_concern

pytestmark = pytest.mark.django_db


def details(given="Amelia", family="O'Testperson", dob=dt.date(2011, 5, 6), **kw) -> SubjectDetails:
    return SubjectDetails(given_name=given, family_name=family, date_of_birth=dob, **kw)


# The service under test, through the factory: a concern about self-harm seen today, unless a test says
# otherwise. Returns (concern, created), as intake.do_record_concern does.
record_concern = partial(factories.record_concern, indicators=("self-harm",), days_ago=0,
                         narrative="Seen with older males.")


def test_recording_a_concern_creates_subject_and_concern_and_one_event(world):
    audit_checkpoint()
    concern, created = record_concern(world, "teacher_lambeth", details=details())
    assert created
    event = assert_audit("create", actor=world.user("teacher_lambeth"), object_type="concern",
                         reference=concern.reference)
    assert event.borough_code == "E09000022"
    subject = Subject.objects.get(pk=concern.subject_id)
    assert subject.given_name == "Amelia" and subject.date_of_birth == dt.date(2011, 5, 6)
    assert subject.retention_date == dt.date(2036, 5, 31)  # dob + 25 years, rounded to the month's end
    assert concern.history.get().history_user == world.user("teacher_lambeth")
    assert subject.history.get().history_user == world.user("teacher_lambeth")
    assert [i.code for i in concern.indicators.all()] == ["self-harm"]


def test_a_second_agency_matches_the_same_girl_by_normalised_name_and_dob(world):
    first, _ = record_concern(world, "teacher_lambeth", details=details())
    second, _ = record_concern(world, "gp_lambeth",
                               details=details(given=" amelia ", family="O’TESTPERSON"))
    assert second.subject_id == first.subject_id
    assert Subject.objects.count() == 1


def test_the_same_idempotency_key_creates_one_concern(world):
    key = uuid.uuid4()
    first, created = record_concern(world, "teacher_lambeth", key=key, details=details())
    audit_checkpoint()
    again, created_again = record_concern(world, "teacher_lambeth", key=key, details=details())
    assert created and not created_again and again.pk == first.pk
    assert Concern.objects.count() == 1
    from tests.audit_helpers import new_audit_events

    assert new_audit_events() == []


def test_another_user_cannot_replay_someone_elses_key(world):
    key = uuid.uuid4()
    record_concern(world, "teacher_lambeth", key=key, details=details())
    with pytest.raises(PermissionDenied):
        record_concern(world, "gp_lambeth", key=key, details=details())


def test_nothing_is_written_without_signs_or_narrative(world):
    audit_checkpoint()
    with pytest.raises(ValidationError):
        record_concern(world, "teacher_lambeth", details=details(), indicators=(), narrative="  ")
    assert not Subject.objects.exists() and not Concern.objects.exists()
    from tests.audit_helpers import new_audit_events

    assert new_audit_events() == []


def test_merge_moves_concerns_keeps_both_histories_and_is_audited(world):
    a, _ = record_concern(world, "teacher_lambeth", details=details(given="Natasha"))
    b, _ = record_concern(world, "gp_lambeth", details=details(given="Tasha"),
                          narrative="Different narrative")
    assert a.subject_id != b.subject_id
    audit_checkpoint()
    survivor = intake.do_merge_subjects(survivor=a.subject, duplicate=b.subject, reason="Same girl, nickname",
                                          actor=world.user("mash_lambeth"))
    event = assert_audit("merge", actor=world.user("mash_lambeth"), object_type="subject",
                         reference=survivor.reference)
    assert event.detail == {"merged": b.subject.reference, "service": "do_merge_subjects"}
    moved = Concern.objects.get(pk=b.pk)
    assert moved.subject_id == survivor.pk and moved.narrative == "Different narrative"
    duplicate = Subject.objects.get(pk=b.subject_id)
    assert duplicate.status == SubjectStatus.MERGED and duplicate.merged_into_id == survivor.pk
    assert duplicate.history.count() == 2 and Concern.history.filter(id=b.pk).count() == 2
    # A later exact match on the merged record's identity lands on the survivor.
    c, _ = record_concern(world, "police_lambeth", details=details(given="Tasha"))
    assert c.subject_id == survivor.pk


def test_merge_refuses_records_outside_the_leads_borough(world):
    a, _ = record_concern(world, "teacher_lambeth", details=details(given="Natasha"))
    b, _ = record_concern(world, "teacher_southwark", details=details(given="Tasha"), borough="Southwark")
    with pytest.raises(PermissionDenied):
        intake.do_merge_subjects(survivor=a.subject, duplicate=b.subject, reason="x",
                                   actor=world.user("mash_lambeth"))
    assert Subject.objects.get(pk=b.subject_id).status == SubjectStatus.ACTIVE


def test_share_and_revoke_are_audited_and_take_effect_at_once(world):
    concern, _ = record_concern(world, "teacher_lambeth", details=details())
    csc = world.user("csc_lambeth")
    assert not Subject.objects.restrict(csc).exists()
    audit_checkpoint()
    share = services.do_share_subject(subject=concern.subject, agency=world.agencies["lambeth_csc"],
                                      purpose="Child in need assessment",
                                      expires_at=timezone.now() + dt.timedelta(days=10),
                                      actor=world.user("mash_lambeth"))
    assert_audit("share", actor=world.user("mash_lambeth"), object_type="subject",
                 reference=concern.subject.reference)
    assert list(Subject.objects.restrict(csc)) == [concern.subject]
    services.do_revoke_share(share=share, reason="no_longer_needed", actor=world.user("mash_lambeth"))
    assert_audit("revoke", actor=world.user("mash_lambeth"), object_type="subject",
                 reference=concern.subject.reference)
    assert not Subject.objects.restrict(csc).exists()
    assert SubjectShare.history.filter(history_type="-").count() == 1


def test_an_expired_share_grants_nothing(world):
    concern, _ = record_concern(world, "teacher_lambeth", details=details())
    share = services.do_share_subject(subject=concern.subject, agency=world.agencies["lambeth_csc"],
                                      purpose="Strategy discussion",
                                      expires_at=timezone.now() + dt.timedelta(seconds=30),
                                      actor=world.user("mash_lambeth"))
    SubjectShare.objects.filter(pk=share.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert not Subject.objects.restrict(world.user("csc_lambeth")).exists()


def test_erasure_shreds_identity_and_narratives_everywhere_and_is_audited(world):
    concern, _ = record_concern(world, "teacher_lambeth", details=details())
    other, _ = record_concern(world, "teacher_lambeth", details=details(given="Other"))
    subject = concern.subject
    audit_checkpoint()
    services.do_erase_subject(subject=subject, reason="subject_request", actor=None)
    assert_audit("erase", object_type="subject", reference=subject.reference)
    erased = Subject.objects.get(pk=subject.pk)
    assert erased.status == SubjectStatus.ERASED
    assert erased.given_name is ERASED and Concern.objects.get(pk=concern.pk).narrative is ERASED
    assert all(h.given_name is ERASED for h in Subject.history.filter(id=subject.pk))
    assert not BlindIndex.objects.filter(data_key_id=subject.data_key_id).exists()
    assert Subject.objects.get(pk=other.subject_id).given_name == "Other"


def test_erasure_refuses_a_subject_on_legal_hold(world):
    concern, _ = record_concern(world, "teacher_lambeth", details=details())
    services.do_set_legal_hold(subject=concern.subject, on_hold=True, reason="court_order", actor=None)
    with pytest.raises(CommandError, match="legal hold"):
        call_command("erase_subject", concern.subject.reference, "--reason", "subject_request")
    assert Subject.objects.get(pk=concern.subject_id).given_name == "Amelia"


def test_apply_retention_erases_only_what_is_due_and_not_held(world, capsys):
    due, _ = record_concern(world, "teacher_lambeth", details=details(dob=dt.date(2001, 1, 1)))
    held, _ = record_concern(world, "teacher_lambeth", details=details(given="Held", dob=dt.date(2001, 2, 2)))
    kept, _ = record_concern(world, "teacher_lambeth", details=details(given="Young"))
    for subject in (due.subject, held.subject):
        Subject.objects.filter(pk=subject.pk).update(retention_date=dt.date(2020, 1, 31))
    services.do_set_legal_hold(subject=held.subject, on_hold=True, reason="inquiry", actor=None)
    call_command("apply_retention", "--dry-run")
    assert due.subject.reference in capsys.readouterr().out
    assert Subject.objects.get(pk=due.subject_id).status == SubjectStatus.ACTIVE
    call_command("apply_retention")
    statuses = dict(Subject.objects.values_list("pk", "status"))
    assert statuses[due.subject_id] == SubjectStatus.ERASED
    assert statuses[held.subject_id] == SubjectStatus.ACTIVE and statuses[kept.subject_id] == SubjectStatus.ACTIVE


def test_cases_fixture_builds(world):
    cases = build_cases(world)
    assert len(cases.subjects) == 5
    assert new_concern(world, "teacher_lambeth", given="Age", family="Only", dob=None, age=14,
                  borough="Lambeth").subject.date_of_birth is None
