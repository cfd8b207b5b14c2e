"""When she changes school, her child-protection file follows her, with a receipt.

Each service asserts its access event; the visibility tests check that the new school sees the old
school's concerns about her, as recorded, and nothing more, and that nobody else sees anything new.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from referrals import transfers
from referrals.choices import SCHOOL_TRANSFER_PURPOSE, TransferPurpose, TransferStatus
from referrals.models import Concern, SchoolTransfer, Subject, SubjectShare
from referrals.workdays import add_working_days
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern
from tests.referrals.transfer_cases import add_schools, start, start_in_the_past

pytestmark = pytest.mark.django_db

GIVEN, FAMILY, DOB = "Transferia", "Schoolmover", dt.date(2011, 3, 9)


@pytest.fixture
def schools(world):
    add_schools(world)
    return world


@pytest.fixture
def girl(schools):
    """Concerns about her from Lambeth Test Academy (her old school) and from a Lambeth GP."""
    school = new_concern(schools, "teacher_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth")
    gp = new_concern(schools, "gp_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth")
    assert gp.subject_id == school.subject_id
    return school.subject


def _visible_concerns(world, persona: str, subject: Subject) -> set[str]:
    return set(Concern.objects.restrict(world.user(persona), "view").filter(subject=subject)
               .values_list("agency__name", flat=True))


def _sees(world, persona: str, subject: Subject) -> bool:
    return Subject.objects.restrict(world.user(persona), "view").filter(pk=subject.pk).exists()


# --- Starting -----------------------------------------------------------------------------------------
def test_the_old_schools_dsl_starts_a_transfer_due_in_five_working_days(schools, girl):
    audit_checkpoint()
    key = uuid.uuid4()
    transfer, created = transfers.do_start_school_transfer(
        subject=girl, to_agency=schools.agencies["school_2"], purpose=TransferPurpose.MOVED_SCHOOL,
        idempotency_key=key, actor=schools.user("dsl_lambeth"))
    assert created and transfer.status == TransferStatus.PENDING
    assert transfer.from_agency == schools.agencies["lambeth_school"]
    assert transfer.due_on == add_working_days(timezone.localdate(), 5)
    event = assert_audit("create", actor=schools.user("dsl_lambeth"), object_type="school_transfer",
                         reference=transfer.reference, service="do_start_school_transfer", only=True)
    assert event.purpose == "moved_school"
    assert GIVEN not in str(event.detail) and FAMILY not in str(event.detail)
    assert transfer.history.get().history_user == schools.user("dsl_lambeth")
    # Nothing is shared yet: the new school sees nothing of her.
    assert not _sees(schools, "dsl_school_2", girl)
    assert not SubjectShare.objects.filter(content_object=girl).exists()


def test_a_double_submit_starts_one_transfer(schools, girl):
    key = uuid.uuid4()
    first = start_with_key = transfers.do_start_school_transfer(
        subject=girl, to_agency=schools.agencies["school_2"], purpose=TransferPurpose.NEW_TERM,
        idempotency_key=key, actor=schools.user("dsl_lambeth"))
    audit_checkpoint()
    again = transfers.do_start_school_transfer(
        subject=girl, to_agency=schools.agencies["school_2"], purpose=TransferPurpose.NEW_TERM,
        idempotency_key=key, actor=schools.user("dsl_lambeth"))
    assert again == (start_with_key[0], False) and first[1]
    assert new_audit_events() == []
    # A new form for the same school while one waits is refused (the unique pending transfer).
    with pytest.raises(ValidationError):
        transfers.do_start_school_transfer(
            subject=girl, to_agency=schools.agencies["school_2"], purpose=TransferPurpose.NEW_TERM,
            idempotency_key=uuid.uuid4(), actor=schools.user("dsl_lambeth"))
    assert SchoolTransfer.objects.filter(subject=girl).count() == 1


@pytest.mark.parametrize("persona", ["teacher_lambeth", "gp_lambeth", "mash_lambeth", "dsl_school_3"])
def test_only_a_dsl_of_a_school_that_recorded_concerns_starts_one(schools, girl, persona):
    with pytest.raises(PermissionDenied):
        transfers.do_start_school_transfer(
            subject=girl, to_agency=schools.agencies["school_2"], purpose=TransferPurpose.MOVED_SCHOOL,
            idempotency_key=uuid.uuid4(), actor=schools.user(persona))
    assert not SchoolTransfer.objects.exists()


@pytest.mark.parametrize("to", ["lambeth_school", "lambeth_gp", "lambeth_mash"])
def test_the_file_goes_only_to_another_school(schools, girl, to):
    with pytest.raises(ValidationError):
        transfers.do_start_school_transfer(
            subject=girl, to_agency=schools.agencies[to], purpose=TransferPurpose.MOVED_SCHOOL,
            idempotency_key=uuid.uuid4(), actor=schools.user("dsl_lambeth"))


# --- Accepting: the receipt, and what the new school then sees ------------------------------------------
def test_accepting_records_the_receipt_and_shares_her_for_the_school_transfer(schools, girl):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    audit_checkpoint()
    accepted = transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    assert accepted.status == TransferStatus.ACCEPTED
    assert accepted.accepted_by == schools.user("dsl_school_2") and accepted.accepted_at is not None
    events = new_audit_events()
    assert [(e.action, e.detail["service"]) for e in events] == [
        ("share", "do_share_subject"), ("update", "do_accept_school_transfer")]
    assert_audit("share", object_type="subject", reference=girl.reference, service="do_share_subject")
    audit_checkpoint()
    share = SubjectShare.objects.get(content_object=girl)
    assert share.group == schools.agencies["school_2"].group and share.purpose == SCHOOL_TRANSFER_PURPOSE
    assert share.expires_at > timezone.now() + dt.timedelta(days=364)  # no end while she is there
    assert events[1].reference == transfer.reference and events[1].object_type == "school_transfer"
    assert GIVEN not in str([e.detail for e in events])


def test_the_new_school_sees_the_old_schools_concerns_and_nothing_more(schools, girl):
    before = {p: _visible_concerns(schools, p, girl) for p in ["mash_lambeth", "gp_lambeth", "dsl_school_3",
                                                               "mash_southwark", "csc_lambeth"]}
    assert not _sees(schools, "dsl_school_2", girl)
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    assert _visible_concerns(schools, "dsl_school_2", girl) == set()
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    assert _sees(schools, "dsl_school_2", girl)
    assert _visible_concerns(schools, "dsl_school_2", girl) == {"Lambeth Test Academy"}  # not the GP's
    # Nobody else sees anything new.
    assert {p: _visible_concerns(schools, p, girl) for p in before} == before
    assert not _sees(schools, "dsl_school_3", girl)
    # A new concern at the new school is theirs; the old school does not see it.
    later = new_concern(schools, "dsl_school_2", subject=girl, borough="Lambeth")
    assert later.subject_id == girl.pk
    assert _visible_concerns(schools, "dsl_school_2", girl) == {"Lambeth Test Academy", "Lambeth Test School 2"}
    assert _visible_concerns(schools, "dsl_lambeth", girl) == {"Lambeth Test Academy"}


def test_revoking_the_share_closes_the_file_again(schools, girl):
    from referrals import services

    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    share = SubjectShare.objects.get(content_object=girl)
    services.do_revoke_share(share=share, reason="no_longer_needed", actor=schools.user("mash_lambeth"))
    assert not _sees(schools, "dsl_school_2", girl)
    assert _visible_concerns(schools, "dsl_school_2", girl) == set()


def test_her_page_shows_the_new_school_the_old_schools_concern_and_never_a_level(schools, girl, client_for):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    response = client_for("dsl_school_2").get(reverse("subject-detail", kwargs={"reference": girl.reference}))
    assert response.status_code == 200
    assert response.context["sees_level"] is False
    shown = {c.agency.name for c in response.context["chronology"]}
    assert shown == {"Lambeth Test Academy"}
    assert response.context["identity"].given_name == GIVEN  # as the old school recorded her


@pytest.mark.parametrize("persona", ["dsl_lambeth", "dsl_school_3", "mash_lambeth", "teacher_lambeth"])
def test_only_the_new_schools_dsl_accepts(schools, girl, persona):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    with pytest.raises(PermissionDenied):
        transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user(persona))
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING


def test_a_transfer_is_accepted_once(schools, girl):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    audit_checkpoint()
    with pytest.raises(PermissionDenied):
        transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    assert new_audit_events() == []


def test_the_sender_sees_the_receipt_on_her_page(schools, girl, client_for):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    response = client_for("dsl_lambeth").get(reverse("subject-detail", kwargs={"reference": girl.reference}))
    html = response.content.decode()
    assert transfer.reference in html and "Received by School Dsl2" in html


# --- Cancelling --------------------------------------------------------------------------------------
def test_the_old_school_cancels_a_waiting_transfer(schools, girl):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    audit_checkpoint()
    cancelled = transfers.do_cancel_school_transfer(transfer=transfer, actor=schools.user("dsl_lambeth"))
    assert cancelled.status == TransferStatus.CANCELLED
    assert_audit("update", actor=schools.user("dsl_lambeth"), object_type="school_transfer",
                 reference=transfer.reference, service="do_cancel_school_transfer", only=True)
    with pytest.raises(PermissionDenied):
        transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    # A new transfer to the same school may start again.
    assert start(schools, girl, "dsl_lambeth", "school_2").status == TransferStatus.PENDING


@pytest.mark.parametrize("persona", ["dsl_school_2", "dsl_school_3", "mash_lambeth"])
def test_only_the_old_schools_dsl_cancels(schools, girl, persona):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    with pytest.raises(PermissionDenied):
        transfers.do_cancel_school_transfer(transfer=transfer, actor=schools.user(persona))


# --- Who sees the transfer; the chase -----------------------------------------------------------------
def test_the_mash_sees_only_overdue_transfers_of_her_borough(schools, girl):
    waiting = start(schools, girl, "dsl_lambeth", "school_2")
    other = new_concern(schools, "teacher_lambeth", given="Latecase", family="Overdue", dob=dt.date(2010, 2, 2),
                        borough="Lambeth").subject
    overdue = start_in_the_past(schools, other, "dsl_lambeth", "school_2")
    assert overdue.is_overdue and not waiting.is_overdue
    seen = lambda persona: set(SchoolTransfer.objects.restrict(schools.user(persona)).values_list(  # noqa: E731
        "reference", flat=True))
    assert seen("mash_lambeth") == {overdue.reference}
    assert seen("mash_southwark") == set()
    assert seen("dsl_lambeth") == {waiting.reference, overdue.reference}
    assert seen("dsl_school_2") == {waiting.reference, overdue.reference}
    assert seen("dsl_school_3") == set() and seen("teacher_lambeth") == set()


def test_the_chase_emails_the_new_schools_dsls_and_shows_the_mash(schools, girl, client_for, settings):
    overdue = start_in_the_past(schools, girl, "dsl_lambeth", "school_2")
    start(schools, new_concern(schools, "teacher_lambeth", given="Ontime", family="Notdue", dob=dt.date(2010, 3, 3),
                               borough="Lambeth").subject, "dsl_lambeth", "school_3")
    mail.outbox.clear()
    with pytest.MonkeyPatch.context() as patch:
        # on_commit callbacks run at once in the test's transaction.
        patch.setattr("django.db.transaction.on_commit", lambda func, *a, **k: func())
        call_command("chase_school_transfers")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dsl2@school.test"]
    assert overdue.reference in mail.outbox[0].body and GIVEN not in mail.outbox[0].body
    page = client_for("mash_lambeth").get(reverse("school-transfer-list"))
    assert page.status_code == 200 and overdue.reference in page.content.decode()
    assert client_for("mash_southwark").get(reverse("school-transfer-list")).content.decode().count("T-") == 0


# --- The pages ----------------------------------------------------------------------------------------
def test_the_form_starts_one_transfer_however_often_it_is_posted(schools, girl, client_for):
    client = client_for("dsl_lambeth")
    url = reverse("school-transfer-create", kwargs={"reference": girl.reference})
    assert client.get(url).status_code == 200
    data = {"to_agency": schools.agencies["school_2"].pk, "purpose": "moved_school",
            "idempotency_key": str(uuid.uuid4())}
    first = client.post(url, data, follow=True)
    assert first.redirect_chain[0][0] == reverse("subject-detail", kwargs={"reference": girl.reference})
    assert "has been sent to Lambeth Test School 2" in first.content.decode()
    second = client.post(url, data)
    assert second.status_code == 302
    assert SchoolTransfer.objects.filter(subject=girl).count() == 1


def test_the_form_offers_other_schools_only(schools, girl, client_for):
    response = client_for("dsl_lambeth").get(reverse("school-transfer-create", kwargs={"reference": girl.reference}))
    offered = set(response.context["form"].fields["to_agency"].queryset.values_list("name", flat=True))
    assert "Lambeth Test Academy" not in offered and "Lambeth Test Surgery" not in offered
    assert {"Lambeth Test School 2", "Southwark Test School"} <= offered


def test_the_inbox_accepts_and_redirects(schools, girl, client_for):
    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    client = client_for("dsl_school_2")
    inbox = client.get(reverse("school-transfer-list")).content.decode()
    assert transfer.reference in inbox
    response = client.post(reverse("school-transfer-accept", kwargs={"reference": transfer.reference}), follow=True)
    assert response.redirect_chain[0][0] == reverse("school-transfer-list")
    assert "You have received" in response.content.decode()
    assert AccessEvent.objects.filter(object_type="school_transfer", reference=transfer.reference,
                                      detail__service="do_accept_school_transfer").count() == 1


def test_a_file_whose_record_was_erased_is_not_accepted(schools, girl, client_for):
    from referrals import services

    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    services.do_erase_subject(subject=girl, reason="recorded_in_error", actor=None)
    response = client_for("dsl_school_2").post(
        reverse("school-transfer-accept", kwargs={"reference": transfer.reference}), follow=True)
    assert "no longer active" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING and not SubjectShare.objects.filter(content_object=girl).exists()


def test_her_subject_access_export_says_where_her_file_went_and_who_received_it(schools, girl):
    """Article 15: the transfers of her file are hers to know about, with the receipt."""
    from dataprotection.export import subject_access_data

    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    [exported] = subject_access_data(Subject.objects.get(pk=girl.pk))["school_transfers"]
    assert exported["reference"] == transfer.reference and exported["to"] == schools.agencies["school_2"].name
    assert exported["accepted_by"] == "dsl_school_2" and exported["accepted_at"]


def test_a_merge_carries_her_transfers_so_the_new_school_still_sees_the_old_schools_concerns(schools, girl):
    """Merging her two records keeps the receipt and the new school's view of the sending school's
    concerns on the record that remains."""
    from referrals import intake

    transfer = start(schools, girl, "dsl_lambeth", "school_2")
    transfers.do_accept_school_transfer(transfer=transfer, actor=schools.user("dsl_school_2"))
    survivor = new_concern(schools, "gp_lambeth", given="Transfera", family="Othername", dob=dt.date(2011, 3, 10),
                           borough="Lambeth").subject
    intake.do_merge_subjects(survivor=survivor, duplicate=Subject.objects.get(pk=girl.pk), reason="Same girl",
                             actor=schools.user("mash_lambeth"))
    moved = SchoolTransfer.objects.get(pk=transfer.pk)
    assert moved.subject_id == survivor.pk and moved.status == TransferStatus.ACCEPTED
    assert _sees(schools, "dsl_school_2", survivor)
    assert _visible_concerns(schools, "dsl_school_2", survivor) == {schools.agencies["lambeth_school"].name}
