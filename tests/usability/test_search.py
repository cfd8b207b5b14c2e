"""Finding a young person by name and date of birth: MASH leads (their borough) and the data protection
officer (every borough), by POST, through the blind indexes, recorded without what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from referrals.search import find_subjects
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.factories import new_concern

pytestmark = pytest.mark.django_db

DOB = dt.date(2011, 4, 3)


@pytest.fixture
def girls(world):
    """Two Lambeth girls and one in Southwark, with names chosen to test partial and sounds-alike search."""
    return {
        "natasha": new_concern(world, "teacher_lambeth", given="Natasha", family="Dupont", dob=DOB,
                               borough="Lambeth").subject,
        "natalie": new_concern(world, "teacher_lambeth", given="Natalie", family="Dupont", dob=DOB,
                               borough="Lambeth").subject,
        "southwark": new_concern(world, "teacher_southwark", given="Natasha", family="Dupont",
                                 dob=dt.date(2012, 5, 6), borough="Southwark").subject,
    }


def _post(client, **data):
    return client.post(reverse("subject-search"), data)


def _found(response) -> set[str]:
    html = response.content.decode()
    return {part.split('"')[0] for part in html.split('data-result="')[1:]}


def _dob(day: dt.date) -> dict[str, str]:
    return {"dob_day": str(day.day), "dob_month": str(day.month), "dob_year": str(day.year)}


def test_a_full_name_and_date_of_birth_finds_her_with_name_age_borough_and_reference(client_for, girls):
    response = _post(client_for("mash_lambeth"), given_name="natasha", family_name="DUPONT", **_dob(DOB))
    assert response.status_code == 200
    assert _found(response) == {girls["natasha"].reference}
    html = response.content.decode()
    row = html.split(f'data-result="{girls["natasha"].reference}"')[1].split("</tr>")[0]
    today = timezone.localdate()
    age = today.year - 2011 - ((today.month, today.day) < (4, 3))
    for expected in ["Natasha Dupont", f">{age}<", "Lambeth", girls["natasha"].reference,
                     "Same name and date of birth",
                     reverse("subject-detail", kwargs={"reference": girls["natasha"].reference})]:
        assert expected in row, expected


def test_a_partial_name_works(client_for, girls):
    client = client_for("mash_lambeth")
    # Her last name and date of birth alone find both girls of that name and birthday...
    assert _found(_post(client, family_name="Dupont", **_dob(DOB))) == {
        girls["natasha"].reference, girls["natalie"].reference}
    # ...and the first letters of her first name narrow it to her.
    assert _found(_post(client, given_name="Nata", family_name="Dupont", **_dob(DOB))) == {
        girls["natasha"].reference, girls["natalie"].reference}
    assert _found(_post(client, given_name="Natal", family_name="Dupont", **_dob(DOB))) == {
        girls["natalie"].reference}


def test_a_name_that_sounds_alike_works(client_for, girls):
    client = client_for("mash_lambeth")
    response = _post(client, given_name="Nattasha", family_name="Doupont", **_dob(DOB))
    assert _found(response) == {girls["natasha"].reference}
    assert "Name sounds alike" in response.content.decode()
    # Without a date of birth the name alone is enough, within what she may see.
    assert girls["natasha"].reference in _found(_post(client, given_name="Nattasha", family_name="Doupont"))
    # A name that sounds alike with another birthday is another girl.
    assert _found(_post(client, given_name="Nattasha", family_name="Doupont", **_dob(dt.date(2011, 4, 4)))) == set()


def test_a_search_never_reveals_a_girl_outside_the_searchers_visibility(client_for, world, girls):
    lambeth = _found(_post(client_for("mash_lambeth"), given_name="Natasha", family_name="Dupont"))
    southwark = _found(_post(client_for("mash_southwark"), given_name="Natasha", family_name="Dupont"))
    assert girls["southwark"].reference not in lambeth and girls["natasha"].reference in lambeth
    assert southwark == {girls["southwark"].reference}
    # The officer answers requests from anywhere: every borough, each opening her subject access report.
    dpo = client_for("dpo")
    response = _post(dpo, given_name="Natasha", family_name="Dupont")
    assert _found(response) == {girls["natasha"].reference, girls["southwark"].reference}
    assert reverse("subject-access-report", kwargs={"reference": girls["southwark"].reference}) in \
        response.content.decode()
    # The query itself answers only what the user may already see; the page is for searchers only (404).
    for persona in ["gp_lambeth", "csc_lambeth", "mash_southwark", "auditor", "administrator"]:
        user = world.user(persona)
        assert find_subjects(user, given_name="Natasha", family_name="Dupont", date_of_birth=DOB) == [], persona
    for persona in ["teacher_lambeth", "dsl_lambeth", "csc_lambeth", "auditor", "administrator"]:
        assert _post(client_for(persona), given_name="Natasha", family_name="Dupont").status_code == 404


def test_nothing_personal_in_the_trail_or_the_url(client_for, world, girls):
    client = client_for("mash_lambeth")
    audit_checkpoint()
    response = _post(client, given_name="Natasha", family_name="Dupont", **_dob(DOB))
    assert response.status_code == 200 and "Location" not in response
    event = assert_audit("search", actor=world.user("mash_lambeth"), object_type="subject", only=True)
    assert event.detail == {"results": 1, "given": "first_name", "date_of_birth": True}
    assert event.reference == ""
    stored = "\n".join(str(row) for row in AccessEvent.objects.values()).casefold()
    # Not what was typed; not even which record was found (the search event names no reference).
    for typed in ["natasha", "dupont", "2011-04-03", "2011, 4, 3"]:
        assert typed not in stored, typed
    # A name in the address does nothing: the page only searches what is posted.
    response = client.get(reverse("subject-search"), {"given_name": "Natasha", "family_name": "Dupont"})
    assert response.status_code == 200 and _found(response) == set()


def test_bad_input_is_a_clear_message(client_for, girls):
    client = client_for("mash_lambeth")
    cases = [
        ({}, "Enter her last name."),
        ({"family_name": "Dupont"}, "Enter her first name, or her date of birth, as well as her last name."),
        ({"family_name": "Dupont", "dob_day": "40", "dob_month": "1", "dob_year": "2011"}, "Ensure this value"),
        ({"family_name": "Dupont", "dob_day": "1", "dob_month": "1", "dob_year": "2100"}, "must be in the past"),
        ({"family_name": "---", "given_name": "Natasha"}, "Enter her last name in letters."),
    ]
    for data, message in cases:
        response = _post(client, **data)
        assert response.status_code == 200 and message in response.content.decode(), (data, message)
        assert "data-result=" not in response.content.decode()


def test_the_officer_gives_the_second_factor_again_before_searching_every_borough(client_for, girls):
    import time

    from agencies.sessions import FRESH_AUTH_AT
    from tests.two_factor_helpers import set_session_value

    for url_name in ("subject-search", "subject-access"):
        stale = client_for("dpo")
        set_session_value(stale, FRESH_AUTH_AT, time.time() - 24 * 3600)
        response = stale.post(reverse(url_name), {"given_name": "Natasha", "family_name": "Dupont"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("step-up")), url_name
    # A MASH lead searches her own borough without it (as she opens her records).
    lead = client_for("mash_lambeth")
    set_session_value(lead, FRESH_AUTH_AT, 0)
    assert _post(lead, given_name="Natasha", family_name="Dupont").status_code == 200
