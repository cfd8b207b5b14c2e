"""Her case work and the notifications about her case in the subject access export: what is hers
is there, decrypted; what the same MACE meeting said about another girl never is; staff are withheld."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from casework import services
from dataprotection.export import subject_access_data
from notifications.models import Notification
from tests.audit_helpers import assert_audit
from tests.dataprotection.casework_cases import (
    HER_DECISIONS,
    HERS,
    OTHER_ACTION,
    OTHER_DECISIONS,
    OTHERS,
    two_girls_at_one_meeting,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_girls(world):
    return two_girls_at_one_meeting(world)


def test_the_export_holds_her_case_work_decrypted_and_nothing_of_another_girl_at_the_same_meeting(
        client_for, world, two_girls):
    her, other, meeting = two_girls
    data = subject_access_data(her)
    [discussion] = data["strategy_discussions"]
    assert discussion["record"] == "Police and school shared what they know; enquiries to start."
    assert discussion["decision"].startswith("Section 47 enquiry and an initial child protection conference")
    [mace] = data["mace"]
    assert (mace["meeting"], mace["record"], mace["decisions"]) == (meeting.reference, HERS, HER_DECISIONS)
    assert mace["on_agenda_because"] and mace["discussed"] is True
    descriptions = {a["description"] for a in data["actions"]}
    assert descriptions == {"Keep her attendance up.", "Visit the car park at night."}
    assert [(o["kind"], o["note"]) for o in data["outcomes"]] == [("Back in education", "Back at school full time.")]
    # The other girl discussed at the same meeting: not a word of hers, not her reference.
    blob = json.dumps(data, default=str)
    for text in (OTHERS, OTHER_DECISIONS, OTHER_ACTION, other.reference, "Zenobia"):
        assert text not in blob, text

    response = client_for("dpo").get(reverse("subject-access-report", args=[her.reference]))
    html = response.content.decode()
    assert response.status_code == 200
    for expected in (HERS, HER_DECISIONS, "Visit the car park at night.", "Back at school full time.",
                     "Police and school shared what they know; enquiries to start.", meeting.reference):
        assert expected in html, expected
    for text in (OTHERS, OTHER_DECISIONS, OTHER_ACTION, other.reference):
        assert text not in html, text
    # Staff (the chair, action owners, recorders) are third parties: withheld unless the officer asks.
    for staff in ("mash_lambeth", "police_lambeth", "dsl_lambeth"):
        assert world.user(staff).get_username() not in html
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=her.reference)
    assert event.detail == {"format": "html", "third_parties": "withheld"}
    assert HERS not in f"{event.purpose} {event.detail}"


def test_the_json_download_withholds_staff_in_her_case_work_unless_asked(client_for, world, two_girls):
    her, _other, _meeting = two_girls
    client = client_for("dpo")
    data = json.loads(client.get(reverse("subject-access-export", args=[her.reference])).content)
    assert {a["owner"] for a in data["actions"]} == {"[name withheld]"}
    assert data["mace"][0]["chair"] == "[name withheld]"
    assert {n["recipient"] for n in data["notifications"]} == {"[name withheld]"}
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=her.reference)
    assert event.detail == {"format": "json", "third_parties": "withheld"}
    named = json.loads(client.get(reverse("subject-access-export", args=[her.reference]),
                                  {"third_parties": "include"}).content)
    assert world.user("police_lambeth").get_username() in {a["owner"] for a in named["actions"]}
    event = assert_audit("export", actor=world.user("dpo"), object_type="subject", reference=her.reference)
    assert event.detail == {"format": "json", "third_parties": "included"}


def test_notifications_naming_her_case_are_hers_and_a_meetings_are_not(world, two_girls):
    """A notification holds a kind, a reference and a link: pseudonymised, but tied to her by the controller,
    so those naming her case's references are in her export; a MACE agenda's names a meeting of many."""
    her, other, meeting = two_girls
    data = subject_access_data(her)
    references = {n["reference"] for n in data["notifications"]}
    hers = {a.reference for a in services.Action.objects.filter(subject=her)}
    assert hers <= references  # each action of hers told its owner ("Action assigned to you")
    assert her.reference in references  # her register entry told the MASH
    assert meeting.reference not in references
    assert not references & ({other.reference}
                             | set(services.Action.objects.filter(subject=other).values_list("reference", flat=True)))
    kinds = {n["kind"] for n in data["notifications"]}
    assert "Action assigned to you" in kinds and "Added to the risk register" in kinds
    assert len(data["notifications"]) == Notification.objects.filter(reference__in=references).count()
