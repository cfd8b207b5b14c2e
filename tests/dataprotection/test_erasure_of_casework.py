"""Erasing a girl (on request or by retention) reaches her case work and the notifications naming her case,
and a restored backup does not bring them back: ``reapply_erasures`` finishes her erasure again."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessEvent
from casework import services
from casework.choices import ActionStatus
from casework.models import Action, AgendaItem, MaceDiscussion, Outcome, StrategyDiscussion
from encryption import ERASED
from notifications.models import Notification
from referrals.choices import SubjectStatus
from referrals.models import Subject
from referrals.services import do_erase_subject, restored_erasures
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.casework.cases import add_action, routed_girl, strategy_discussion
from tests.dataprotection.casework_cases import OTHERS, two_girls_at_one_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_girls(world):
    return two_girls_at_one_meeting(world)


def _references(subject: Subject) -> set[str]:
    from dataprotection.export import case_references

    return case_references(subject)


def test_erasure_makes_her_case_work_unreadable_ends_her_live_actions_and_her_notifications(
        world, two_girls):
    her, other, meeting = two_girls
    later = services.do_schedule_meeting(meets_on=timezone.localdate() + dt.timedelta(days=28),
                                         actor=world.user("mash_lambeth"))
    if not AgendaItem.objects.filter(meeting=later, subject=her).exists():
        services.do_add_agenda_item(later, target=services.Target(subject=her), actor=world.user("mash_lambeth"))
    references = _references(her)
    assert Notification.objects.filter(reference__in=references).exists()
    others_notifications = Notification.objects.exclude(reference__in=references).count()
    live = Action.objects.filter(subject=her, status__in=("open", "overdue")).count()
    audit_checkpoint()

    do_erase_subject(subject=her, reason="subject_request", actor=None)

    # What was said and agreed about her is unreadable, live and in history.
    assert {d.record for d in StrategyDiscussion.objects.filter(subject=her)} == {ERASED}
    mace = MaceDiscussion.objects.get(subject=her, meeting=meeting)
    assert (mace.record, mace.decisions) == (ERASED, ERASED)
    assert {a.description for a in Action.objects.filter(subject=her)} == {ERASED}
    assert {h.description for h in Action.history.filter(subject_id=her.pk)} == {ERASED}
    assert {o.note for o in Outcome.objects.filter(subject=her)} == {ERASED}
    # Nothing keeps acting on a record nobody can read: her live actions are cancelled, she is off the agenda
    # of the meeting not yet held (the held one keeps its line), and no inbox names her case any more.
    assert set(Action.objects.filter(subject=her).values_list("status", flat=True)) <= {
        ActionStatus.CANCELLED, ActionStatus.DONE}
    assert not AgendaItem.objects.filter(meeting=later, subject=her).exists()
    assert AgendaItem.objects.filter(meeting=meeting, subject=her).exists()
    assert not Notification.objects.filter(reference__in=references).exists()
    # The other girl at the same meeting is untouched.
    assert MaceDiscussion.objects.get(subject=other, meeting=meeting).record == OTHERS
    assert Action.objects.filter(subject=other, status="open").exists()
    assert Notification.objects.count() == others_notifications
    # One erase event, numbers only; no event per action or notification.
    event = assert_audit("erase", object_type="subject", reference=her.reference, service="do_erase_subject",
                         only=True)
    assert event.detail["records"] == 1 and event.detail["actions_cancelled"] == live
    assert event.detail["agenda_items"] == 1 and event.detail["notifications"] >= 1
    # The overdue job finds nothing of hers to chase.
    assert not services.overdue_actions(timezone.localdate() + dt.timedelta(days=365)).filter(subject=her).exists()


def test_retention_erases_her_case_work_as_a_request_does(world):
    referral = routed_girl(world)
    her = referral.subject
    strategy_discussion(world, referral)
    action = add_action(world, her, "police_lambeth")
    Subject.objects.filter(pk=her.pk).update(retention_date=timezone.localdate() - dt.timedelta(days=1))
    assert Notification.objects.filter(reference=action.reference).exists()
    call_command("apply_retention", stdout=StringIO())
    her.refresh_from_db()
    assert her.status == SubjectStatus.ERASED
    action.refresh_from_db()
    assert (action.description, action.status) == (ERASED, ActionStatus.CANCELLED)
    assert not Notification.objects.filter(reference__in={action.reference, her.reference}).exists()
    event = AccessEvent.objects.filter(action="erase", reference=her.reference).get()
    assert event.purpose == "retention" and event.detail["actions_cancelled"] == 1


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_restored_backup_never_brings_back_her_case_work_or_notifications(world, tmp_path):
    """The main database restored from before her erasure has her actions open again and the notifications
    back (her text unreadable: no key); ``reapply_erasures`` finishes her erasure again."""
    from encryption.keys import clear_cache
    from tests.encryption.test_backup_restore import Backup

    referral = routed_girl(world)
    her = referral.subject
    strategy_discussion(world, referral)
    action = add_action(world, her, "police_lambeth")
    main_before, keys_before = Backup("default", tmp_path, "cwnightly"), Backup("keys", tmp_path, "cwkeys")
    try:
        do_erase_subject(subject=her, reason="subject_request", actor=None)
        ledger = tmp_path / "erasures.json"
        call_command("export_erasures", "--output", str(ledger), stdout=StringIO())
        main_before.restore()
        keys_before.restore()
        back = Action.objects.get(pk=action.pk)
        assert back.status == ActionStatus.OPEN and Notification.objects.filter(reference=action.reference).exists()
        out = StringIO()
        call_command("reapply_erasures", "--ledger", str(ledger), stdout=out)
        assert "Finished the erasure of 1 restored record(s)." in out.getvalue()
        clear_cache()
        back = Action.objects.get(pk=action.pk)
        assert (back.description, back.status) == (ERASED, ActionStatus.CANCELLED)
        assert StrategyDiscussion.objects.get(subject=her).record is ERASED
        assert Subject.objects.get(pk=her.pk).status == SubjectStatus.ERASED
        assert not Notification.objects.filter(reference__in={action.reference, her.reference}).exists()
        event = AccessEvent.objects.filter(action="erase", reference=her.reference, purpose="restored_backup").get()
        assert event.detail["service"] == "do_complete_restored_erasures" and event.detail["actions_cancelled"] == 1
        # Run again: nothing left to finish, nothing recorded.
        assert restored_erasures(str(ledger)) == []
        call_command("reapply_erasures", "--ledger", str(ledger), stdout=out)
        assert AccessEvent.objects.filter(action="erase", reference=her.reference).count() == 1
    finally:
        main_before.drop()
        keys_before.drop()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_start_up_refuses_a_restored_main_database_until_her_erasure_is_finished(world, tmp_path):
    """Only the main database restored (the key store is current, so every key stays shredded and
    encryption.E010 has nothing to say): her record is back as not erased, and the start-up check
    dataprotection.E001 refuses until ``reapply_erasures`` has finished her erasure."""
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import refuse_to_start_on_errors
    from dataprotection.checks import check_restored_erasures_finished
    from tests.encryption.test_backup_restore import Backup

    referral = routed_girl(world)
    her = referral.subject
    main_before = Backup("default", tmp_path, "e001main")
    try:
        do_erase_subject(subject=her, reason="subject_request", actor=None)
        assert check_restored_erasures_finished() == []
        main_before.restore()
        assert Subject.objects.get(pk=her.pk).status == SubjectStatus.ACTIVE
        assert [m.id for m in check_restored_erasures_finished()] == ["dataprotection.E001"]
        with pytest.raises(ImproperlyConfigured, match="dataprotection.E001"):
            refuse_to_start_on_errors(tags=["keystore"])
        # The remedy runs while the start-up check refuses: from a shell too, where a command runs the
        # system checks unless it asks for none.
        from django.core.management import load_command_class

        for command in ("export_erasures", "reapply_erasures"):
            assert load_command_class("encryption", command).requires_system_checks == []
        call_command("export_erasures", "--output", str(tmp_path / "ledger.json"), stdout=StringIO())
        call_command("reapply_erasures", stdout=StringIO())
        assert Subject.objects.get(pk=her.pk).status == SubjectStatus.ERASED
        assert check_restored_erasures_finished() == []
        refuse_to_start_on_errors(tags=["keystore"])
    finally:
        main_before.drop()


def test_a_key_shredded_for_re_encryption_never_makes_a_girl_look_erased(world):
    """Only the ledger's ``subject_erased`` marks an erasure to finish: a record whose old key was shredded
    after re-encryption (a restore from before it) is not erased by ``reapply_erasures``."""
    from encryption.services import do_shred_data_key

    referral = routed_girl(world)
    her = referral.subject
    do_shred_data_key(her.data_key_id, actor=None, reason="reencrypted")
    assert her not in restored_erasures()
    call_command("reapply_erasures", stdout=StringIO())
    assert Subject.objects.get(pk=her.pk).status == SubjectStatus.ACTIVE


def test_a_record_merged_into_an_erased_girl_is_not_erased_again_on_every_run(world):
    """Erasing a girl shreds the keys of the records merged into her too, but those stay ``merged`` (a
    forwarding record). Without a restore there is nothing to finish: ``reapply_erasures`` records nothing
    however often it runs."""
    from referrals import intake
    from tests.factories import new_concern

    survivor, duplicate = (
        Subject.objects.get(pk=new_concern(world, "teacher_lambeth", given=f"Mergeda{n}", family="Erasecase",
                                           dob=dt.date(2011, 3, 4), borough="Lambeth").subject_id)
        for n in (1, 2))
    intake.do_merge_subjects(survivor=survivor, duplicate=duplicate, reason="Same girl",
                             actor=world.user("mash_lambeth"))
    do_erase_subject(subject=survivor, reason="subject_request", actor=None)
    assert Subject._base_manager.get(pk=duplicate.pk).status == SubjectStatus.MERGED
    audit_checkpoint()

    assert restored_erasures() == []
    for _ in range(2):
        call_command("reapply_erasures", stdout=StringIO())
    assert not AccessEvent.objects.filter(action="erase", purpose="restored_backup").exists()


def test_erasing_her_reaches_a_record_merged_into_one_merged_into_her(world):
    """A merged into B, then B into C: erasing C destroys A's key too (and a subject access export of C
    names both), however deep the merges go."""
    from encryption.models import DataKey
    from referrals import intake
    from referrals.services import merged_into
    from tests.factories import new_concern

    a, b, c = (
        Subject.objects.get(pk=new_concern(world, "teacher_lambeth", given=f"Chaina{n}", family="Mergecase",
                                           dob=dt.date(2011, 5, n), borough="Lambeth").subject_id)
        for n in (1, 2, 3))
    lead = world.user("mash_lambeth")
    intake.do_merge_subjects(survivor=b, duplicate=a, reason="Same girl", actor=lead)
    intake.do_merge_subjects(survivor=c, duplicate=b, reason="Same girl", actor=lead)
    assert {s.pk for s in merged_into(c)} == {a.pk, b.pk}

    do_erase_subject(subject=c, reason="subject_request", actor=None)

    keys = [Subject._base_manager.get(pk=s.pk).data_key_id for s in (a, b, c)]
    assert DataKey.objects.filter(pk__in=keys, shredded_at__isnull=False).count() == 3
    assert Subject._base_manager.get(pk=a.pk).given_name is ERASED
