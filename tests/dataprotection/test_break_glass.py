"""Emergency (break-glass) access: the service, the flow, what it opens (read only), expiry, the banner,
how reads are recorded, and the auditors' review."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from dataprotection.models import BreakGlassGrant
from dataprotection.services import do_break_glass, do_review_break_glass
from referrals import services as referral_services
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.dataprotection.cases import REASON, expire, open_grant
from tests.factories import new_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def southwark(cases):
    """A Southwark subject that Lambeth's MASH lead cannot normally see."""
    return cases.subjects["southwark_school"]


def test_opening_a_record_makes_a_time_limited_grant_and_one_flagged_event(world, southwark, settings):
    before = timezone.now()
    grant = do_break_glass(southwark, REASON, actor=world.user("mash_lambeth"))
    hours = (grant.expires_at - before).total_seconds() / 3600
    assert settings.BREAK_GLASS_HOURS == 4 and 3.99 < hours <= 4.01
    assert grant.reason == REASON and grant.review_pending
    event = assert_audit("break_glass", actor=world.user("mash_lambeth"), object_type="subject",
                         reference=southwark.reference)
    assert event.borough_code == southwark.home_borough.ons_code
    assert event.detail == {"grant": grant.reference, "hours": 4, "review_pending": True, "service": "do_break_glass"}
    assert "missing" not in event.purpose and "missing" not in str(event.detail)


def test_the_reason_is_stored_encrypted(world, southwark):
    grant = do_break_glass(southwark, REASON, actor=world.user("mash_lambeth"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM dataprotection_breakglassgrant WHERE reference = %s", [grant.reference])
        raw = bytes(cursor.fetchone()[0])
    assert b"missing episode" not in raw
    assert BreakGlassGrant.objects.get(pk=grant.pk).reason == REASON


@pytest.mark.parametrize(("persona", "reason", "error"), [
    ("mash_lambeth", "urgent", ValidationError),            # too short to say anything
    ("mash_lambeth", "   " + "x" * 10 + "   ", ValidationError),
    ("mash_southwark", REASON, ValidationError),            # she is already in his borough
    ("teacher_lambeth", REASON, PermissionDenied),          # MASH leads only
    ("auditor", REASON, PermissionDenied),
    ("dpo", REASON, PermissionDenied),
])
def test_refusals_write_nothing(world, southwark, persona, reason, error):
    with pytest.raises(error):
        do_break_glass(southwark, reason, actor=world.user(persona))
    assert not BreakGlassGrant.objects.exists()
    assert new_audit_events() == []


def test_erased_and_merged_records_cannot_be_opened(world, cases):
    erased = cases.subjects["lambeth_gp"]
    referral_services.do_erase_subject(subject=erased, reason="subject_request", actor=None)
    with pytest.raises(ValidationError, match="erased"):
        do_break_glass(erased, REASON, actor=world.user("mash_southwark"))


def test_the_flow_asks_confirms_and_opens_the_subject_page(client_for, world, southwark):
    client = client_for("mash_lambeth")
    url = reverse("break-glass")
    assert client.get(url).status_code == 200
    warning = client.post(url, {"reference": southwark.reference.lower(), "reason": REASON})
    assert warning.status_code == 200 and "Are you sure" in warning.content.decode()
    assert not BreakGlassGrant.objects.exists()
    done = client.post(url, {"reference": southwark.reference, "reason": REASON, "stage": "confirm"})
    assert done.status_code == 302 and done["Location"] == reverse("subject-detail", args=[southwark.reference])
    grant = BreakGlassGrant.objects.get()
    assert grant.user == world.user("mash_lambeth") and grant.subject == southwark
    page = client.get(done["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    expected = f"You opened this record under emergency access until {timezone.localtime(grant.expires_at):%H:%M}"
    assert expected in html
    assert "Precious" in html  # the record itself, decrypted, as her borough's lead would see it
    # Read only: no button leads to a form.
    for name in ["subject-merge", "referral-create"]:
        assert reverse(name, args=[southwark.reference]) not in html


@pytest.mark.parametrize(("data", "message"), [
    ({"reference": "", "reason": REASON}, "Enter the young person&#x27;s reference number."),
    ({"reference": "Precious Madeup", "reason": REASON}, "Enter a reference number in the form"),
    ({"reference": "S-0000-0000", "reason": REASON}, "There is no record with that reference number"),
    ({"reference": "SOUTHWARK", "reason": "urgent"}, "at least 25 characters"),
])
def test_bad_input_is_a_clear_message_and_changes_nothing(client_for, southwark, data, message):
    data = {**data, "reference": data["reference"] or "", "stage": "confirm"}
    if data["reference"] == "SOUTHWARK":
        data["reference"] = southwark.reference
    response = client_for("mash_lambeth").post(reverse("break-glass"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_a_record_already_visible_is_refused_on_the_form(client_for, cases):
    reference = cases.subjects["lambeth_school"].reference
    response = client_for("mash_lambeth").post(reverse("break-glass"), {"reference": reference, "reason": REASON})
    assert "You can already see" in response.content.decode()


def _subject_pages(cases, relation: str) -> dict[str, str]:
    subject = cases.subjects[relation]
    return {
        "subject-detail": reverse("subject-detail", args=[subject.reference]),
        "subject-risk": reverse("subject-risk", args=[subject.reference]),
        "map-subject": reverse("map-subject", args=[subject.reference]),
        "concern-detail": reverse("concern-detail", args=[cases.concerns[relation].reference]),
        "subject-chronology": reverse("subject-chronology", args=[subject.reference]),
    }


def test_grant_opens_read_only_pages_to_that_lead_only_while_it_lasts(client_for, world, cases, southwark):
    lead = client_for("mash_lambeth")
    pages = _subject_pages(cases, "southwark_school")
    for url in pages.values():
        assert lead.get(url).status_code == 404
    grant = open_grant(world, "mash_lambeth", southwark)
    for name, url in pages.items():
        response = lead.get(url)
        assert response.status_code == 200, name
        assert "under emergency access until" in response.content.decode(), name
    # Nobody else gains anything: another borough's colleague, a practitioner in the same borough.
    for persona in ["dsl_lambeth", "teacher_lambeth", "csc_lambeth"]:
        assert client_for(persona).get(pages["subject-detail"]).status_code == 404
    # Only that one subject: her neighbour in Southwark stays closed.
    other = cases.subjects["shared"].reference
    assert lead.get(reverse("subject-detail", args=[other])).status_code == 404
    expire(grant)
    for url in pages.values():
        assert lead.get(url).status_code == 404


def test_grant_opens_no_form_and_no_list(client_for, world, cases, southwark):
    open_grant(world, "mash_lambeth", southwark)
    lead = client_for("mash_lambeth")
    for name in ["subject-merge", "referral-create", "map-link-add", "register-entry"]:
        assert lead.get(reverse(name, args=[southwark.reference])).status_code == 404, name
    link = cases.links["southwark_school"].reference
    assert lead.post(reverse("map-link-remove", args=[link]), {"reason": "Not relevant"}).status_code == 404
    assert southwark.reference not in lead.get(reverse("subject-list")).content.decode()


def test_pages_under_the_grant_offer_no_edit_links(client_for, world, cases, southwark):
    open_grant(world, "mash_lambeth", southwark)
    lead = client_for("mash_lambeth")
    link = cases.links["southwark_school"].reference
    pages = {name: lead.get(url).content.decode() for name, url in _subject_pages(cases, "southwark_school").items()}
    assert reverse("map-link-add", args=[southwark.reference]) not in pages["map-subject"]
    assert reverse("map-link-remove", args=[link]) not in pages["map-subject"]
    assert reverse("map-link-confirm", args=[link]) not in pages["map-subject"]
    assert reverse("register-entry", args=[southwark.reference]) not in pages["subject-risk"]


def test_a_referral_about_her_is_readable_under_the_grant(client_for, world, southwark):
    referral = new_referral(world, southwark, actor="mash_southwark")
    lead = client_for("mash_lambeth")
    url = reverse("referral-detail", args=[referral.reference])
    assert lead.get(url).status_code == 404
    open_grant(world, "mash_lambeth", southwark)
    assert lead.get(url).status_code == 200
    assert lead.post(url, {"action": "screen", "version": referral.version}).status_code == 404


def test_every_read_under_the_grant_is_recorded_as_such(client_for, world, cases, southwark):
    open_grant(world, "mash_lambeth", southwark)
    audit_checkpoint()
    client_for("mash_lambeth").get(reverse("subject-detail", args=[southwark.reference]))
    event = assert_audit("view", actor=world.user("mash_lambeth"), object_type="subject",
                         reference=southwark.reference)
    assert event.detail == {"break_glass": True}
    # The subject's own borough reads her as usual: not flagged.
    client_for("mash_southwark").get(reverse("subject-detail", args=[southwark.reference]))
    assert assert_audit("view", actor=world.user("mash_southwark"), object_type="subject").detail == {}


def test_a_new_opening_needs_a_new_reason_and_makes_a_new_grant(world, southwark):
    first = expire(open_grant(world, "mash_lambeth", southwark))
    second = open_grant(world, "mash_lambeth", southwark, reason="Second episode tonight; police ask for her plan.")
    assert first.pk != second.pk and second.is_active and not first.is_active
    assert BreakGlassGrant.objects.count() == 2


# --- Review by auditors -----------------------------------------------------------------------------

def test_auditors_see_openings_and_review_them(client_for, world, southwark):
    grant = open_grant(world, "mash_lambeth", southwark)
    auditor = client_for("auditor")
    listing = auditor.get(reverse("break-glass-list")).content.decode()
    assert grant.reference in listing and southwark.reference in listing and "mash_lambeth" in listing
    assert "Pending" in listing and "missing episode" not in listing  # the reason only on its own page
    anomalies = auditor.get(reverse("audit-anomalies")).content.decode()
    assert southwark.reference in anomalies and reverse("break-glass-list") in anomalies
    review = auditor.get(reverse("break-glass-review", args=[grant.reference])).content.decode()
    assert "missing episode" in review
    audit_checkpoint()
    done = auditor.post(reverse("break-glass-review", args=[grant.reference]), {"outcome": "justified"})
    assert done.status_code == 302
    assert_audit("update", actor=world.user("auditor"), object_type="break_glass", reference=grant.reference)
    grant.refresh_from_db()
    assert grant.reviewed_by == world.user("auditor") and grant.review_outcome == "justified"
    pending = auditor.get(reverse("break-glass-list"), {"show": "pending"}).content.decode()
    assert f'data-grant="{grant.reference}"' not in pending


def test_review_service(world, southwark):
    grant = open_grant(world, "mash_lambeth", southwark)
    audit_checkpoint()
    with pytest.raises(PermissionDenied):
        do_review_break_glass(grant, outcome="justified", actor=world.user("mash_southwark"))
    with pytest.raises(ValidationError):
        do_review_break_glass(grant, outcome="fine", actor=world.user("auditor"))
    assert new_audit_events() == []
    do_review_break_glass(grant, outcome="questioned", actor=world.user("auditor"))
    event = assert_audit("update", actor=world.user("auditor"), object_type="break_glass", reference=grant.reference)
    assert event.detail == {"review": "questioned", "subject": southwark.reference, "service": "do_review_break_glass"}
    with pytest.raises(ValidationError, match="already been reviewed"):
        do_review_break_glass(grant, outcome="justified", actor=world.user("auditor"))


def test_a_review_without_a_choice_is_a_form_error(client_for, world, southwark):
    grant = open_grant(world, "mash_lambeth", southwark)
    response = client_for("auditor").post(reverse("break-glass-review", args=[grant.reference]), {})
    assert response.status_code == 200 and "Choose whether" in response.content.decode()
    grant.refresh_from_db()
    assert grant.review_pending


def test_no_reason_reaches_the_trail(world, southwark, client_for):
    grant = open_grant(world, "mash_lambeth", southwark)
    client_for("mash_lambeth").get(reverse("subject-detail", args=[southwark.reference]))
    client_for("auditor").get(reverse("break-glass-review", args=[grant.reference]))
    for event in AccessEvent.objects.all():
        assert "missing episode" not in f"{event.purpose} {event.detail}"
