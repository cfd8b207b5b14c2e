"""Subject access exports for the data protection officer: finding the record, what the export holds,
its two formats, its audit event, and erased records."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from dataprotection.export import subject_access_data
from referrals import services as referral_services
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.dataprotection.cases import open_grant
from tests.factories import new_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(cases):
    """Southwark's subject shared with Lambeth children's social care, linked on the map."""
    return cases.subjects["shared"]


def test_the_officer_finds_a_record_by_name_and_date_of_birth_by_post(client_for, shared):
    client = client_for("dpo")
    assert client.get(reverse("subject-access")).status_code == 200
    response = client.post(reverse("subject-access"), {"given_name": "tianna", "family_name": " INVENTED ",
                                                       "dob_day": "30", "dob_month": "6", "dob_year": "2009"})
    html = response.content.decode()
    assert response.status_code == 200 and f'data-result="{shared.reference}"' in html
    assert reverse("subject-access-report", args=[shared.reference]) in html


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Enter her last name."),
    ({"family_name": "Invented"}, "Enter her first name, or her date of birth, as well as her last name."),
    ({"family_name": "Invented", "dob_day": "31", "dob_month": "2", "dob_year": "2009"},
     "Date of birth must be a real date."),
    ({"given_name": "Nobody", "family_name": "Atall", "dob_day": "1", "dob_month": "1", "dob_year": "2010"},
     "No records found"),
])
def test_bad_searches_are_form_errors_or_find_nothing(client_for, cases, data, message):
    response = client_for("dpo").post(reverse("subject-access"), data)
    assert response.status_code == 200 and message in response.content.decode()


def test_the_page_holds_everything_decrypted_and_is_one_export_event(client_for, world, cases, shared):
    new_referral(world, shared, actor="mash_southwark", summary="Going missing overnight with older males.")
    open_grant(world, "mash_lambeth", shared)
    audit_checkpoint()
    response = client_for("dpo").get(reverse("subject-access-report", args=[shared.reference]))
    html = response.content.decode()
    assert response.status_code == 200
    for expected in ["Tianna", "Invented", "30 June 2009", "Seen late at night.", "Missing from home or care",
                     "Going missing overnight with older males.", "Lambeth Test Social Care", "Strategy discussion",
                     cases.links["shared"].reference, cases.associates["shared"].reference,
                     "Found in our borough tonight", "Southwark Test YOT"]:
        assert expected in html, expected
    # Third parties' identities are not hers to receive.
    assert "Matrix Associate" not in html
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=shared.reference)
    assert event.detail == {"format": "html", "third_parties": "withheld"}
    assert "Tianna" not in f"{event.purpose} {event.detail}"


def test_the_json_download(client_for, world, cases, shared):
    response = client_for("dpo").get(reverse("subject-access-export", args=[shared.reference]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="subject-access-{shared.reference}.json"'
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["identity"]["given_name"] == "Tianna" and data["identity"]["date_of_birth"] == "2009-06-30"
    assert [c["narrative"] for c in data["concerns"]] == ["Seen late at night."]
    assert data["assessments"] and data["assessments"][0]["level"]
    shares = [d for d in data["disclosures"] if d["change"] == "shared"]
    assert shares[0]["agency"] == "Lambeth Test Social Care" and shares[0]["purpose"] == "Strategy discussion"
    assert shares[0]["until"] and shares[0]["granted_by"] == "[name withheld]"
    assert {link["with"]["kind"] for link in data["map_links"]} == {"associate", "place", "group"}
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=shared.reference)
    assert event.detail == {"format": "json", "third_parties": "withheld"}


def test_a_revoked_share_shows_when_it_ended(world, cases):
    data = subject_access_data(cases.subjects["share_revoked"])
    assert [d["change"] for d in data["disclosures"]] == ["shared", "share ended"]


def test_an_erased_record_says_so(client_for, world, cases):
    subject = cases.subjects["lambeth_gp"]
    referral_services.do_erase_subject(subject=subject, reason="subject_request", actor=None)
    page = client_for("dpo").get(reverse("subject-access-report", args=[subject.reference])).content.decode()
    assert "has been erased" in page and "Kayla" not in page
    data = json.loads(client_for("dpo").get(reverse("subject-access-export", args=[subject.reference])).content)
    assert data["status"] == "erased" and "identity" not in data


def test_nobody_else_can_export(client_for, world, shared):
    for persona in ["mash_southwark", "auditor", "administrator", "yot_southwark"]:
        assert client_for(persona).get(reverse("subject-access-report", args=[shared.reference])).status_code == 404
        assert_audit("export", actor=world.user(persona), object_type="subject", outcome="denied")


@pytest.mark.parametrize("url_name", ["subject-access-report", "subject-access-export"])
def test_step_up_comes_first_for_any_reference_existing_or_not(client_for, shared, url_name):
    """A stale session is asked for step-up whether or not the reference exists (else 302-or-404 tells);
    with fresh proof, a missing one is 404."""
    import time

    from agencies.sessions import FRESH_AUTH_AT
    from tests.two_factor_helpers import set_session_value

    missing = "S-2222-2222" if shared.reference != "S-2222-2222" else "S-3333-3333"
    stale = client_for("dpo")
    set_session_value(stale, FRESH_AUTH_AT, time.time() - 24 * 3600)
    for reference in (shared.reference, missing):
        response = stale.get(reverse(url_name, args=[reference]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("step-up")), reference
    assert client_for("dpo").get(reverse(url_name, args=[missing])).status_code == 404
    # Others still get 404, never a step-up.
    other = client_for("mash_lambeth")
    set_session_value(other, FRESH_AUTH_AT, 0)
    assert other.get(reverse(url_name, args=[shared.reference])).status_code == 404


def test_the_mashs_decisions_and_protective_factors_are_hers_to_receive(client_for, world, cases):
    """Article 15: what the MASH decided about her risk, with its reasons, and what keeps her safer."""
    from django.utils import timezone

    from risk.models import Indicator
    from risk.services import decisions

    lambeth = cases.subjects["lambeth_school"]
    mash = world.user("mash_lambeth")
    sign = Indicator.objects.filter(concerns__subject=lambeth).first()
    decisions.do_mark_sign_explained(subject=lambeth, indicator=sign, reason="Explained by her bereavement",
                                     actor=mash)
    decisions.do_record_protective_factor(subject=lambeth, kind="trusted_adult", note="Talks to her aunt",
                                          observed_on=timezone.localdate(), actor=mash)
    data = subject_access_data(lambeth)
    assert [(d["sign"], d["reason"]) for d in data["risk_decisions"]] == [
        (sign.label, "Explained by her bereavement")]
    assert [f["note"] for f in data["protective_factors"]] == ["Talks to her aunt"]
    html = client_for("dpo").get(reverse("subject-access-report", args=[lambeth.reference])).content.decode()
    assert "Explained by her bereavement" in html and "Talks to her aunt" in html
