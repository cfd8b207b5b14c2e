"""Her rights in practice: rectification, restriction and objection, as services. Each test
asserts its access event; the trail names fields and reason codes, never values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from encryption.models import BlindIndex
from referrals import intake, rights, services
from referrals.choices import IdentityIndex, RectificationReason, RestrictionLiftReason, RestrictionReason
from referrals.models import Concern, Referral, Subject
from risk.models import Assessment, SubjectRisk
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern

pytestmark = pytest.mark.django_db

DOB = dt.date(2011, 4, 9)


def _girl(world, n: int = 1, **kwargs) -> Subject:
    concern = new_concern(world, "teacher_lambeth", given=f"Rectifya{n}", family="Rightscase", dob=DOB,
                          borough="Lambeth", **kwargs)
    return Subject.objects.get(pk=concern.subject_id)


def _rectify(world, subject, changes, *, who="mash_lambeth", reason=RectificationReason.VERIFIED_SOURCE, **kw):
    return rights.do_rectify_subject_identity(subject=subject, changes=changes, reason_code=reason,
                                              actor=world.user(who), **kw)


def _indexes(subject) -> set[tuple[str, str]]:
    return set(BlindIndex.objects.filter(data_key_id=subject.data_key_id).values_list("kind", "digest"))


# ---------------------------------------------------------------------------------------------------
# Rectification
# ---------------------------------------------------------------------------------------------------
def test_rectifying_her_name_reencrypts_reindexes_and_records_one_update_naming_the_fields(world):
    subject = _girl(world)
    before = _indexes(subject)
    audit_checkpoint()
    corrected, changed = _rectify(world, subject, {"given_name": "Rectifyb", "family_name": "Rightscase"})
    assert changed == ["given_name"]
    event = assert_audit("update", actor=world.user("mash_lambeth"), object_type="subject",
                         reference=subject.reference, service="do_rectify_subject_identity", only=True)
    assert event.purpose == RectificationReason.VERIFIED_SOURCE
    assert event.detail["rectified"] == "given_name"
    assert "Rectify" not in str(event.detail) and "Rectify" not in event.purpose  # codes, never values
    fresh = Subject.objects.get(pk=subject.pk)
    assert fresh.given_name == "Rectifyb"
    assert fresh.history.first().history_user == world.user("mash_lambeth")
    after = _indexes(fresh)
    assert after != before
    # She is found again by her corrected name, and no longer by the old one.
    found = intake.find_exact_subject(intake.SubjectDetails("Rectifyb", "Rightscase", DOB))
    assert found is not None and found.pk == subject.pk
    assert intake.find_exact_subject(intake.SubjectDetails("Rectifya1", "Rightscase", DOB)) is None


def test_the_recorders_own_copy_stays_as_they_entered_it(world):
    subject = _girl(world)
    _rectify(world, subject, {"given_name": "Rectifyc", "address": "1 New Road"})
    concern = Concern.objects.get(subject=subject)
    assert concern.subject_as_recorded["given_name"] == "Rectifya1"
    assert concern.subject_as_recorded["address"] == ""


def test_a_corrected_date_of_birth_moves_retention_and_makes_her_due_for_rescore(world):
    subject = _girl(world)
    SubjectRisk.objects.filter(subject=subject).update(rescore_due_on=timezone.localdate() + dt.timedelta(days=90))
    _rectify(world, subject, {"date_of_birth": dt.date(2013, 1, 20)})
    fresh = Subject.objects.get(pk=subject.pk)
    assert fresh.retention_date == dt.date(2038, 1, 31)
    assert SubjectRisk.objects.get(subject=subject).rescore_due_on == timezone.localdate()
    assert (IdentityIndex.EXACT.value, ) in {(kind,) for kind, _digest in _indexes(fresh)}


def test_a_stale_form_is_refused_and_nothing_is_overwritten(world):
    subject = _girl(world)
    shown = rights.identity_version(subject)
    _rectify(world, subject, {"given_name": "Rectifyd"}, version=shown)  # the first lead saves
    audit_checkpoint()
    with pytest.raises(rights.StaleIdentity):  # the second lead's page showed the old version
        _rectify(world, subject, {"family_name": "Otherlead"}, version=shown)
    assert Subject.objects.get(pk=subject.pk).family_name == "Rightscase"
    assert new_audit_events() == []


def test_only_her_home_borough_mash_lead_rectifies(world):
    subject = _girl(world)
    for who in ["teacher_lambeth", "dsl_lambeth", "mash_southwark", "dpo"]:
        with pytest.raises(PermissionDenied):
            _rectify(world, subject, {"given_name": "Rectifye"}, who=who)
    assert Subject.objects.get(pk=subject.pk).given_name == "Rectifya1"


def test_rectification_needs_a_reason_code_and_a_change(world):
    subject = _girl(world)
    with pytest.raises(ValidationError):
        _rectify(world, subject, {"given_name": "Rectifyf"}, reason="because I said so")
    with pytest.raises(ValidationError):
        _rectify(world, subject, {"given_name": "Rectifya1"})
    with pytest.raises(ValidationError):
        _rectify(world, subject, {"given_name": "Bad\x00name"})


# ---------------------------------------------------------------------------------------------------
# Restriction (Art. 18) and objection (Art. 21)
# ---------------------------------------------------------------------------------------------------
def _restrict(world, subject, reason=RestrictionReason.ACCURACY_CONTESTED, who="mash_lambeth"):
    """Restrict her record; returns it as a page would load it next."""
    rights.do_restrict_processing(subject=subject, reason=reason, actor=world.user(who))
    return Subject.objects.get(pk=subject.pk)


def test_restricting_records_one_update_with_the_reason_code(world):
    subject = _girl(world)
    audit_checkpoint()
    restricted = _restrict(world, subject)
    event = assert_audit("update", actor=world.user("mash_lambeth"), object_type="subject",
                         reference=subject.reference, service="do_restrict_processing", only=True)
    assert event.purpose == RestrictionReason.ACCURACY_CONTESTED and event.detail["restricted"] is True
    assert restricted.restricted and restricted.restricted_since is not None
    with pytest.raises(ValidationError):
        _restrict(world, restricted)  # already restricted


def test_an_objection_is_recorded_as_a_restriction_with_its_own_code(world):
    subject = _girl(world)
    audit_checkpoint()
    _restrict(world, subject, reason=RestrictionReason.OBJECTION)
    event = assert_audit("update", object_type="subject", reference=subject.reference,
                         service="do_restrict_processing", only=True)
    assert event.purpose == "objection"
    assert Subject.objects.get(pk=subject.pk).restriction_reason == "objection"


def test_only_her_home_borough_mash_lead_restricts(world):
    subject = _girl(world)
    for who in ["teacher_lambeth", "dsl_lambeth", "mash_southwark", "dpo"]:
        with pytest.raises(PermissionDenied):
            _restrict(world, subject, who=who)
    assert not Subject.objects.get(pk=subject.pk).restricted


def test_rescore_does_not_select_a_restricted_record(world):
    subject = _restrict(world, _girl(world))
    SubjectRisk.objects.filter(subject=subject).update(rescore_due_on=timezone.localdate() - dt.timedelta(days=1))
    before = Assessment.objects.filter(subject=subject).count()
    intake.do_rescore(now=timezone.now() + dt.timedelta(days=400))
    assert Assessment.objects.filter(subject=subject).count() == before


def test_a_concern_about_a_restricted_girl_is_stored_but_not_scored(world):
    subject = _restrict(world, _girl(world))
    before = Assessment.objects.filter(subject=subject).count()
    audit_checkpoint()
    concern = new_concern(world, "teacher_lambeth", subject=subject, indicators=("older-boyfriend-or-associate",),
                          seriously_worried=True)
    assert concern.subject_id == subject.pk
    assert Assessment.objects.filter(subject=subject).count() == before
    assert [(e.action, e.object_type) for e in new_audit_events()] == [("create", "concern")]


def test_no_automatic_referral_is_raised_while_restricted(world):
    subject = _restrict(world, _girl(world))
    new_concern(world, "teacher_lambeth", subject=subject, indicators=("older-boyfriend-or-associate",),
                seriously_worried=True)
    from referrals import routing

    assert routing.do_raise_automatic_referral(subject) is None
    assert not Referral.objects.filter(subject=subject).exists()


def test_no_new_share_is_made_while_restricted(world):
    subject = _restrict(world, _girl(world))
    audit_checkpoint()
    with pytest.raises(ValidationError):
        services.do_share_subject(subject=subject, agency=world.agencies["lambeth_csc"], purpose="Referral",
                                  expires_at=timezone.now() + dt.timedelta(days=30), actor=world.user("mash_lambeth"))
    assert new_audit_events() == []


def test_lifting_records_one_update_and_scores_what_was_recorded_meanwhile(world):
    subject = _restrict(world, _girl(world))
    new_concern(world, "teacher_lambeth", subject=subject, indicators=("older-boyfriend-or-associate",),
                seriously_worried=True)
    audit_checkpoint()
    lifted = rights.do_lift_restriction(subject=subject, reason=RestrictionLiftReason.ACCURACY_SETTLED,
                                        actor=world.user("mash_lambeth"))
    event = assert_audit("update", actor=world.user("mash_lambeth"), object_type="subject",
                         reference=subject.reference, service="do_lift_restriction")
    assert event.purpose == RestrictionLiftReason.ACCURACY_SETTLED and event.detail["restricted"] is False
    assert not lifted.restricted and lifted.restriction_reason == ""
    # Now processed again: the seriously-worried concern raises her to high and the referral follows.
    assert SubjectRisk.objects.get(subject=subject).level in {"high", "very_high"}
    assert Referral.objects.filter(subject=subject, automatic=True).exists()


def test_lifting_needs_a_restriction_and_a_reason_code(world):
    subject = _girl(world)
    with pytest.raises(ValidationError):
        rights.do_lift_restriction(subject=subject, reason=RestrictionLiftReason.ACCURACY_SETTLED,
                                   actor=world.user("mash_lambeth"))
    _restrict(world, subject)
    with pytest.raises(ValidationError):
        rights.do_lift_restriction(subject=subject, reason="restricted", actor=world.user("mash_lambeth"))


def test_her_restriction_is_in_her_subject_access_export(world):
    from dataprotection.export import subject_access_data

    subject = _restrict(world, _girl(world), reason=RestrictionReason.OBJECTION)
    data = subject_access_data(subject)
    assert data["restriction"]["restricted"] is True
    assert data["restriction"]["reason"] == RestrictionReason.OBJECTION.label


def test_a_merge_keeps_a_restriction_on_the_record_that_remains(world):
    """Merging a restricted record into another must not resume processing her."""
    restricted = _restrict(world, _girl(world, 7))
    survivor = _girl(world, 8)
    intake.do_merge_subjects(survivor=survivor, duplicate=restricted, reason="Same girl",
                             actor=world.user("mash_lambeth"))
    survivor = Subject.objects.get(pk=survivor.pk)
    assert survivor.restricted and survivor.restriction_reason == RestrictionReason.ACCURACY_CONTESTED
    assert survivor.restricted_since == restricted.restricted_since
