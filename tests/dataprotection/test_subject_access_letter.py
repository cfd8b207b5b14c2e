"""The subject access report reads as a letter to her: plain-English labels, dates in words, no raw codes;
other people's names withheld unless the officer includes them (recorded); a printable version."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dataprotection.letter import WITHHELD, as_letter, in_words, label
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.dataprotection.cases import open_grant
from tests.factories import new_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(world, cases):
    """Southwark's girl shared with Lambeth social care, on the map, referred, and opened in an emergency."""
    subject = cases.subjects["shared"]
    new_referral(world, subject, actor="mash_southwark", summary="Going missing overnight with older males.")
    open_grant(world, "mash_lambeth", subject)
    audit_checkpoint()
    return subject


def _text(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    body = html.split('<main', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _report(client, subject, **params):
    return client.get(reverse("subject-access-report", args=[subject.reference]), params)


STAFF = ["yot_southwark", "mash_southwark", "mash_lambeth"]


def test_the_letter_reads_in_plain_english_with_dates_in_words(client_for, shared):
    text = _text(_report(client_for("dpo"), shared).content.decode())
    for expected in ["The information we hold about you", "30 June 2009", "First name", "Tianna",
                     "Date of birth", "Who your information was shared with", "Information Commissioner"]:
        assert expected in text, expected
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), "an ISO date is shown"
    codes = re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text)
    assert codes == [], f"raw codes shown: {codes}"


def test_other_peoples_names_are_withheld_by_default(client_for, world, cases, shared):
    text = _text(_report(client_for("dpo"), shared).content.decode())
    assert WITHHELD in text
    for name in [*STAFF, cases.places["shared"].name, cases.groups["shared"].name]:
        assert name not in text, name
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=shared.reference)
    assert event.detail["third_parties"] == "withheld" and event.detail["format"] == "html"
    json_body = client_for("dpo").get(reverse("subject-access-export", args=[shared.reference])).content.decode()
    assert WITHHELD in json_body and "yot_southwark" not in json_body


def test_the_officer_can_include_them_and_that_is_recorded(client_for, world, cases, shared):
    client = client_for("dpo")
    page = _report(client, shared).content.decode()
    include = f'{reverse("subject-access-report", args=[shared.reference])}?third_parties=include'
    assert include in page and "Include other people" in page
    text = _text(_report(client, shared, third_parties="include").content.decode())
    assert "yot_southwark" in text and cases.places["shared"].name in text
    assert "Other people's names are included" in text.replace("&#x27;", "'")
    events = [e for e in new_audit_events() if e.action == "export"]
    assert [e.detail["third_parties"] for e in events] == ["withheld", "included"]


def test_the_printable_version_is_the_letter_alone_without_script(client_for, world, shared):
    audit_checkpoint()
    response = _report(client_for("dpo"), shared, version="print")
    html = response.content.decode()
    assert response.status_code == 200 and "The information we hold about you" in html
    for chrome in ["<script", "govuk-service-navigation", "govuk-footer", "Sign out", "Printable version"]:
        assert chrome not in html, chrome
    assert "css/app.css" in html and "app-letter" in html
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=shared.reference,
                         only=True)
    assert event.detail == {"format": "print", "third_parties": "withheld"}


def test_the_helpers():
    assert in_words("2011-04-03") == "3 April 2011"
    assert in_words("2026-11-29T14:05:00+00:00") == "29 November 2026 at 2:05pm"
    assert label("screening") == "Being screened by the MASH" and label("not_sought_risk") == "Not sought risk"
    assert label("Lambeth Test Social Care") == "Lambeth Test Social Care"
    assert as_letter({"identity": {"given_name": "A"}, "status": "active"}) == {
        "identity": {"First name": "A"}, "status": "Active"}
