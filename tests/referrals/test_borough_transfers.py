"""Moves between boroughs: her home borough changes only when both MASHes agree, and the borough where harm
happens reads her record for a time her home MASH sets, and changes nothing.

Each service asserts its access events (a move is recorded in both boroughs' chains); the visibility tests
check who sees her before and after, from both sides, and that a harm borough's access is read-only by
construction (the read-only case pages only, never a form or a POST).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from agencies.models import Borough
from audit.models import AccessEvent
from referrals import boroughs
from referrals.choices import (
    BoroughTransferReason,
    BoroughTransferStatus,
    HarmBoroughGround,
    ReferralState,
)
from referrals.models import BoroughTransfer, Referral, Subject
from risk.models import RegisterEntry
from tests.audit_helpers import audit_checkpoint, new_audit_events
from tests.factories import new_subject, raise_automatic_referral

pytestmark = pytest.mark.django_db

NOTE = "Moved in with her aunt on Walworth Road last week."


@pytest.fixture
def southwark():
    return Borough.objects.get(name="Southwark")


@pytest.fixture(autouse=True)
def _mash_emails(world):
    for persona in ("mash_lambeth", "mash_southwark"):
        user = world.user(persona)
        user.email = f"{persona}@mash.test"
        user.save(update_fields=["email"])


@pytest.fixture
def girl(world):
    """A Lambeth girl at high: on Lambeth's register, with the automatic referral open at Lambeth's MASH."""
    return raise_automatic_referral(world, n=7).subject


def ask(world, subject, to, *, actor="mash_lambeth", key=None, reason=BoroughTransferReason.MOVED_HOME):
    return boroughs.do_start_borough_transfer(subject=subject, to_borough=to, reason=reason, note=NOTE,
                                              idempotency_key=key or uuid.uuid4(), actor=world.user(actor))


def _sees(world, persona: str, subject: Subject) -> bool:
    return Subject.objects.restrict(world.user(persona), "view").filter(pk=subject.pk).exists()


def _service_events(service: str) -> list[AccessEvent]:
    return [e for e in new_audit_events() if e.detail.get("service") == service]


# --- Asking -------------------------------------------------------------------------------------------
def test_her_home_mash_asks_and_both_boroughs_trails_record_it(world, girl, southwark,
                                                               django_capture_on_commit_callbacks):
    mail.outbox.clear()
    audit_checkpoint()
    with django_capture_on_commit_callbacks(execute=True):
        transfer, created = ask(world, girl, southwark)
    assert created and transfer.status == BoroughTransferStatus.PENDING
    assert transfer.from_borough.name == "Lambeth" and transfer.note == NOTE
    events = _service_events("do_start_borough_transfer")
    assert {(e.action, e.borough_code, e.detail["side"]) for e in events} == {
        ("create", girl.home_borough.ons_code, "from"), ("create", southwark.ons_code, "to")}
    assert all(e.reference == transfer.reference and NOTE not in str(e.detail) for e in events)
    # The note is encrypted at rest; the email carries a reference and a link only.
    raw = BoroughTransfer._base_manager.filter(pk=transfer.pk).values_list("note", flat=True).get()
    assert NOTE not in str(raw)
    (email,) = mail.outbox
    assert transfer.reference in email.body and girl.given_name not in email.body and NOTE not in email.body
    assert email.to == ["mash_southwark@mash.test"]
    # Nothing moves until the other MASH accepts.
    girl.refresh_from_db()
    assert girl.home_borough.name == "Lambeth" and _sees(world, "mash_lambeth", girl)
    assert not _sees(world, "mash_southwark", girl)


def test_a_double_submit_asks_once_and_a_second_pending_move_is_refused(world, girl, southwark):
    key = uuid.uuid4()
    first, created = ask(world, girl, southwark, key=key)
    again, created_again = ask(world, girl, southwark, key=key)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(ValidationError):
        ask(world, girl, southwark)
    assert BoroughTransfer.objects.filter(subject=girl).count() == 1


@pytest.mark.parametrize("persona", ["mash_southwark", "dsl_lambeth", "teacher_lambeth", "csc_lambeth", "auditor",
                                     "administrator", "dpo"])
def test_only_her_home_mash_asks(world, girl, southwark, persona):
    with pytest.raises(PermissionDenied):
        ask(world, girl, southwark, actor=persona)
    assert not BoroughTransfer.objects.exists()


def test_bad_asks_are_refused_and_write_nothing(world, girl, southwark):
    lambeth = girl.home_borough
    for kwargs in ({"to_borough": lambeth}, {"reason": "bored"}, {"note": "  "}, {"note": "x" * 2001},
                   {"note": "bad\x00byte"}):
        args = {"subject": girl, "to_borough": southwark, "reason": BoroughTransferReason.MOVED_HOME,
                "note": NOTE, "idempotency_key": uuid.uuid4(), "actor": world.user("mash_lambeth"), **kwargs}
        with pytest.raises(ValidationError):
            boroughs.do_start_borough_transfer(**args)
    assert not BoroughTransfer.objects.exists()


# --- Accepting ----------------------------------------------------------------------------------------
def test_accepting_moves_her_record_register_entry_and_open_referral(world, girl, southwark,
                                                                     django_capture_on_commit_callbacks):
    transfer, _ = ask(world, girl, southwark)
    referral = Referral.objects.get(subject=girl)
    entry = RegisterEntry.objects.get(subject=girl)
    assert referral.state == ReferralState.SUBMITTED and entry.borough.name == "Lambeth"
    audit_checkpoint()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))
    events = _service_events("do_accept_borough_transfer")
    assert {(e.action, e.detail["side"], e.detail["status"]) for e in events} == {
        ("update", "from", "accepted"), ("update", "to", "accepted")}
    girl.refresh_from_db()
    entry.refresh_from_db()
    referral.refresh_from_db()
    assert girl.home_borough == southwark and entry.borough == southwark and entry.lead_professional is None
    assert referral.borough == southwark and referral.to_agency == world.agencies["southwark_mash"]
    # Access after: the new MASH sees and decides; the old MASH keeps its receipt, not her record.
    assert _sees(world, "mash_southwark", girl) and not _sees(world, "mash_lambeth", girl)
    assert Referral.objects.restrict(world.user("mash_southwark"), "decide").filter(pk=referral.pk).exists()
    assert not Referral.objects.restrict(world.user("mash_lambeth"), "decide").filter(pk=referral.pk).exists()
    assert RegisterEntry.objects.restrict(world.user("mash_southwark"), "change").filter(pk=entry.pk).exists()
    assert BoroughTransfer.objects.restrict(world.user("mash_lambeth"), "view").filter(pk=transfer.pk).exists()
    assert [m.to for m in mail.outbox] == [["mash_lambeth@mash.test"]]
    # The recorder who raised the concern still sees her own entry, and nothing about the move.
    assert _sees(world, "teacher_lambeth", girl)
    assert not BoroughTransfer.objects.restrict(world.user("teacher_lambeth"), "view").exists()


@pytest.mark.parametrize("persona", ["mash_lambeth", "dsl_lambeth", "auditor", "administrator"])
def test_only_the_borough_asked_accepts_or_declines(world, girl, southwark, persona):
    transfer, _ = ask(world, girl, southwark)
    with pytest.raises(PermissionDenied):
        boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user(persona))
    with pytest.raises(PermissionDenied):
        boroughs.do_decline_borough_transfer(transfer=transfer, note="No", actor=world.user(persona))
    girl.refresh_from_db()
    assert girl.home_borough.name == "Lambeth"


def test_declining_needs_a_reason_and_leaves_her_where_she_is(world, girl, southwark):
    transfer, _ = ask(world, girl, southwark)
    with pytest.raises(ValidationError):
        boroughs.do_decline_borough_transfer(transfer=transfer, note=" ", actor=world.user("mash_southwark"))
    audit_checkpoint()
    boroughs.do_decline_borough_transfer(transfer=transfer, note="She lives in Lambeth still.",
                                         actor=world.user("mash_southwark"))
    assert len(_service_events("do_decline_borough_transfer")) == 2
    transfer.refresh_from_db()
    girl.refresh_from_db()
    assert transfer.status == BoroughTransferStatus.DECLINED and girl.home_borough.name == "Lambeth"
    with pytest.raises(ValidationError, match="already declined by Southwark's MASH"):  # answered: told so
        boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))


def test_her_home_mash_cancels_a_waiting_transfer(world, girl, southwark):
    transfer, _ = ask(world, girl, southwark)
    with pytest.raises(PermissionDenied):
        boroughs.do_cancel_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))
    boroughs.do_cancel_borough_transfer(transfer=transfer, actor=world.user("mash_lambeth"))
    transfer.refresh_from_db()
    assert transfer.status == BoroughTransferStatus.CANCELLED
    with pytest.raises(ValidationError, match="already cancelled by Lambeth's MASH"):
        boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))


def test_a_duplicate_across_boroughs_is_merged_by_agreement(world, southwark):
    """Southwark knows her; Lambeth has a second record. Lambeth moves its record to Southwark (reason
    duplicate), Southwark accepts and merges the two as duplicates of its own borough."""
    from referrals import intake

    theirs = new_subject(world, 501, borough="Southwark", recorder="teacher_southwark")
    ours = new_subject(world, 502, borough="Lambeth")
    with pytest.raises(PermissionDenied):  # before: Southwark cannot merge a record of Lambeth's
        intake.do_merge_subjects(survivor=theirs, duplicate=ours, reason="Same girl",
                                 actor=world.user("mash_southwark"))
    transfer, _ = ask(world, ours, southwark, reason=BoroughTransferReason.DUPLICATE)
    boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))
    ours.refresh_from_db()
    intake.do_merge_subjects(survivor=theirs, duplicate=ours, reason="Same girl", actor=world.user("mash_southwark"))
    ours.refresh_from_db()
    assert ours.status == "merged" and ours.merged_into_id == theirs.pk


def test_an_erased_or_merged_record_cannot_be_accepted(world, girl, southwark):
    transfer, _ = ask(world, girl, southwark)
    Subject.objects.filter(pk=girl.pk).update(status="erased")
    with pytest.raises(ValidationError):
        boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))
    assert RegisterEntry.objects.get(subject=girl).borough.name == "Lambeth"


# --- The borough where harm happens ------------------------------------------------------------------------
def test_harm_borough_access_is_time_limited_read_only_and_ends_at_once(world, girl, southwark, client_for):
    southwark_mash = client_for("mash_southwark")
    page = reverse("subject-detail", kwargs={"reference": girl.reference})
    assert southwark_mash.get(page).status_code == 404
    audit_checkpoint()
    share = boroughs.do_grant_harm_borough_access(subject=girl, borough=southwark, ground=HarmBoroughGround.FOUND_THERE,
                                                  days=14, actor=world.user("mash_lambeth"))
    events = new_audit_events()
    grant = [e for e in events if e.detail.get("service") == "do_grant_harm_borough_access"]
    assert {(e.action, e.borough_code) for e in grant} == {("share", southwark.ons_code)}
    assert grant[0].purpose == "found_there"
    assert timezone.localtime(share.expires_at).date() == timezone.localdate() + dt.timedelta(days=14)
    # She reads the read-only pages ...
    response = southwark_mash.get(page)
    assert response.status_code == 200 and b"has shared her record with your MASH" in response.content
    assert b"Refer to MASH" not in response.content and b"Merge a duplicate" not in response.content
    for name in ("subject-risk", "map-subject"):
        page_html = southwark_mash.get(reverse(name, kwargs={"reference": girl.reference}))
        assert page_html.status_code == 200
        # No link to a form it would be refused: protective factors, level review, adding a link.
        for form in ("protective-factor-create", "risk-review-level", "map-link-add"):
            assert reverse(form, kwargs={"reference": girl.reference}).encode() not in page_html.content
    # ... and nothing that acts on her: forms and POSTs answer as if she did not exist.
    for name in ("subject-merge", "referral-create", "subject-rectify", "subject-restriction", "subject-boroughs",
                 "protective-factor-create", "risk-review-level"):
        url = reverse(name, kwargs={"reference": girl.reference})
        assert southwark_mash.get(url).status_code in (403, 404), name
        assert southwark_mash.post(url, {}).status_code in (403, 404), name
    # Not in her lists or the register: the register stays Lambeth's.
    assert girl.reference.encode() not in southwark_mash.get(reverse("register")).content
    assert not RegisterEntry.objects.restrict(world.user("mash_southwark"), "change").filter(subject=girl).exists()
    # Her home MASH ends it at once.
    boroughs.do_end_harm_borough_access(subject=girl, share_id=share.pk, actor=world.user("mash_lambeth"))
    assert southwark_mash.get(page).status_code == 404


def test_harm_borough_access_refusals(world, girl, southwark):
    lead = world.user("mash_lambeth")
    for kwargs in ({"days": 0}, {"days": 91}, {"ground": "curious"}, {"borough": girl.home_borough}):
        args = {"subject": girl, "borough": southwark, "ground": HarmBoroughGround.PLACE_ON_MAP, "days": 10,
                "actor": lead, **kwargs}
        with pytest.raises(ValidationError):
            boroughs.do_grant_harm_borough_access(**args)
    with pytest.raises(PermissionDenied):
        boroughs.do_grant_harm_borough_access(subject=girl, borough=southwark, ground=HarmBoroughGround.PLACE_ON_MAP,
                                              days=10, actor=world.user("mash_southwark"))
    assert not boroughs.harm_borough_shares(girl).exists()


# --- Pages ----------------------------------------------------------------------------------------------
def test_the_pages_ask_accept_and_confirm(world, girl, southwark, client_for):
    lambeth = client_for("mash_lambeth")
    url = reverse("subject-boroughs", kwargs={"reference": girl.reference})
    page = lambeth.get(url)
    assert page.status_code == 200 and b"Move her to another borough" in page.content
    # An empty post shows the errors and writes nothing.
    response = lambeth.post(url, {"action": "transfer", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 200 and b"Choose a borough" in response.content
    assert not BoroughTransfer.objects.exists()
    response = lambeth.post(url, {"action": "transfer", "to_borough": southwark.pk, "reason": "moved_home",
                                  "note": NOTE, "idempotency_key": str(uuid.uuid4())}, follow=True)
    transfer = BoroughTransfer.objects.get()
    assert transfer.reference.encode() in response.content
    southwark_client = client_for("mash_southwark")
    detail = southwark_client.get(reverse("borough-transfer-detail", kwargs={"reference": transfer.reference}))
    assert detail.status_code == 200 and girl.given_name.encode() in detail.content and NOTE.encode() in detail.content
    # Her home MASH sees the transfer but not the identity panel meant for the borough asked.
    own = lambeth.get(reverse("borough-transfer-detail", kwargs={"reference": transfer.reference}))
    assert b"Cancel this transfer" in own.content
    listing = southwark_client.get(reverse("borough-transfer-list"))
    assert transfer.reference.encode() in listing.content and girl.given_name.encode() not in listing.content
    response = southwark_client.post(reverse("borough-transfer-detail", kwargs={"reference": transfer.reference}),
                                     {"action": "accept"})
    assert response.status_code == 302 and response["Location"].endswith(girl.reference + "/")
    girl.refresh_from_db()
    assert girl.home_borough == southwark
    # A second accept (double click) is told it was answered; nothing changes.
    again = southwark_client.post(reverse("borough-transfer-detail", kwargs={"reference": transfer.reference}),
                                  {"action": "accept"})
    assert again.status_code == 400 and b"already accepted by Southwark" in again.content


def test_a_damaged_post_is_a_clear_error(world, girl, client_for):
    lambeth = client_for("mash_lambeth")
    url = reverse("subject-boroughs", kwargs={"reference": girl.reference})
    for data in ({"action": "explode"}, {"action": "end", "share": "x"}, {"action": "end", "share": "999999"}):
        response = lambeth.post(url, data)
        assert response.status_code == 400, data
        assert b"There is a problem" in response.content


def test_her_subject_access_report_lists_the_moves_of_her_record(world, girl, southwark):
    from dataprotection.export import subject_access_data

    transfer, _ = ask(world, girl, southwark)
    boroughs.do_decline_borough_transfer(transfer=transfer, note="She still lives in Lambeth.",
                                         actor=world.user("mash_southwark"))
    (move,) = subject_access_data(girl)["borough_transfers"]
    assert move["reference"] == transfer.reference and move["note"] == NOTE
    assert move["decline_note"] == "She still lives in Lambeth." and move["to"] == "Southwark"


# --- Two answers at once, and fresh proof before accepting -----------------------------------------------
def test_a_second_answer_is_told_who_answered_first_without_a_name(world, girl, southwark):
    # Two Southwark leads open the waiting transfer; one accepts; the other's answer, from the page she
    # still has open, is told that it was already accepted by Southwark's MASH (never by whom).
    transfer, _ = ask(world, girl, southwark)
    seen_by_second = BoroughTransfer.objects.get(pk=transfer.pk)  # still pending in her hands
    boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))
    audit_checkpoint()
    for answer in (lambda: boroughs.do_accept_borough_transfer(transfer=seen_by_second,
                                                               actor=world.user("mash_southwark")),
                   lambda: boroughs.do_decline_borough_transfer(transfer=seen_by_second, note="No",
                                                                actor=world.user("mash_southwark")),
                   lambda: boroughs.do_cancel_borough_transfer(transfer=seen_by_second,
                                                               actor=world.user("mash_lambeth"))):
        with pytest.raises(ValidationError) as refused:
            answer()
        text = " ".join(refused.value.messages)
        assert "already accepted by Southwark's MASH" in text, text
        lead = world.user("mash_southwark")
        assert lead.first_name not in text and lead.last_name not in text and lead.username not in text
    assert new_audit_events() == []
    # Someone who may not answer it still learns nothing from the refusal.
    with pytest.raises(PermissionDenied):
        boroughs.do_accept_borough_transfer(transfer=seen_by_second, actor=world.user("dsl_lambeth"))


def test_the_page_tells_the_second_lead_who_answered_first(world, girl, southwark, client_for):
    transfer, _ = ask(world, girl, southwark)
    boroughs.do_accept_borough_transfer(transfer=transfer, actor=world.user("mash_southwark"))
    response = client_for("mash_southwark").post(
        reverse("borough-transfer-detail", kwargs={"reference": transfer.reference}), {"action": "accept"})
    assert response.status_code == 400
    assert b"already accepted by Southwark&#x27;s MASH" in response.content


def test_accepting_asks_for_fresh_proof_as_asking_does(world, girl, southwark, client_for):
    from agencies.sessions import FRESH_AUTH_AT
    from tests.two_factor_helpers import set_session_value

    transfer, _ = ask(world, girl, southwark)
    url = reverse("borough-transfer-detail", kwargs={"reference": transfer.reference})
    southwark_client = client_for("mash_southwark")
    set_session_value(southwark_client, FRESH_AUTH_AT, 0)
    assert southwark_client.get(url).status_code == 200  # reading the request needs no fresh proof
    response = southwark_client.post(url, {"action": "accept"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("step-up"))
    transfer.refresh_from_db()
    girl.refresh_from_db()
    assert transfer.status == BoroughTransferStatus.PENDING and girl.home_borough.name == "Lambeth"
    set_session_value(southwark_client, FRESH_AUTH_AT, __import__("time").time())
    assert southwark_client.post(url, {"action": "accept"}).status_code == 302
    girl.refresh_from_db()
    assert girl.home_borough == southwark
