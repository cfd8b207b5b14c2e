"""Recording a concern through the pages, what each role sees, bad input, query counts and races."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from referrals.models import Concern, Subject
from tests.cases import build_cases

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def form_data(**overrides) -> dict:
    seen = TODAY - dt.timedelta(days=1)
    data = {
        "given_name": "Shanice", "family_name": "Exampleton", "dob_day": "14", "dob_month": "2",
        "dob_year": "2011", "home_borough": "lambeth", "observed_day": str(seen.day),
        "observed_month": str(seen.month), "observed_year": str(seen.year),
        "indicators": ["missing-from-home-or-care", "older-boyfriend-or-associate"],
        "narrative": "Collected from school by an older male in a car.", "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def record_through_pages(client: Client, **overrides):
    data = form_data(**overrides)
    check = client.post(reverse("concern-create"), {**data, "stage": "check"})
    assert check.status_code == 200 and "Check your answers" in check.content.decode()
    return client.post(reverse("concern-create"), {**data, "stage": "confirm"}, follow=True)


def normalise(html: str) -> str:
    html = re.sub(r"[SC]-[0-9A-Z]{4}-[0-9A-Z]{4}", "REF", html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r"nonce-?=?\"?[A-Za-z0-9+/=]+\"?", "", html)
    html = re.sub(r"\d{1,2} \w+ \d{4}, \d\d:\d\d", "TIME", html)
    return html


def test_a_practitioner_records_a_concern_and_sees_the_confirmation(client_for):
    client = client_for("teacher_lambeth")
    assert client.get(reverse("concern-create")).status_code == 200
    response = record_through_pages(client)
    html = response.content.decode()
    assert "Concern recorded" in html
    concern = Concern.objects.get()
    assert concern.reference in html and concern.reference in response.redirect_chain[-1][0]
    assert "Shanice" not in response.redirect_chain[-1][0]
    # The panel shows once; the page afterwards is the plain concern page.
    assert "Concern recorded" not in client.get(reverse("concern-detail", args=[concern.reference])).content.decode()


def test_a_second_agency_gets_the_same_pages_as_for_a_new_girl_and_mash_sees_both(client_for, world):
    record_through_pages(client_for("teacher_lambeth"))  # the school knows Shanice
    police = client_for("police_lambeth")
    seen = {}
    for name, given, family in [("known", "Shanice", "Exampleton"), ("new", "Unknown", "Newperson")]:
        confirmation = record_through_pages(police, given_name=given, family_name=family)
        concern = Concern.objects.filter(recorded_by=world.user("police_lambeth")).order_by("-recorded_at").first()
        subject_page = police.get(reverse("subject-detail", args=[concern.subject.reference]))
        listing = police.get(reverse("subject-list"))
        seen[name] = [normalise(r.content.decode().replace(f"{given} {family}", "NAME")
                                .replace(given, "GIVEN").replace(family, "FAMILY"))
                      for r in (confirmation, subject_page)]
        seen[name + "_list_rows"] = listing.content.decode().count('<tr class="govuk-table__row">')
    assert seen["known"] == seen["new"]
    assert "Lambeth Test Academy" not in seen["known"][1]

    shanice = Concern.objects.get(recorded_by=world.user("teacher_lambeth")).subject
    html = client_for("mash_lambeth").get(reverse("subject-detail", args=[shanice.reference])).content.decode()
    assert "Lambeth Test Academy" in html and "Lambeth Test Police Unit" in html
    assert html.count('href="/concerns/') == 2


@pytest.mark.parametrize(("overrides", "message"), [
    ({"dob_day": "31", "dob_month": "2"}, "must be a real date"),
    ({"dob_year": str(TODAY.year + 1)}, "must be in the past"),
    ({"dob_year": str(TODAY.year - 30)}, "aged 25 or under"),
    ({"dob_day": "", "dob_month": "", "dob_year": ""}, "Enter her date of birth, or her age"),
    ({"dob_month": ""}, "must include a day, month and year"),
    ({"observed_day": "", "observed_month": "", "observed_year": ""}, "Enter the date you saw the signs"),
    ({"observed_year": str(TODAY.year + 1)}, "must be today or in the past"),
    ({"indicators": [], "narrative": ""}, "Choose at least one sign, or describe what you saw"),
    ({"indicators": ["not-a-real-sign"]}, "Choose signs from the list"),
    ({"narrative": "x" * 10_001}, "at most 10000 characters"),
    ({"given_name": "y" * 101}, "at most 100 characters"),
    ({"given_name": ""}, "Enter her first name"),
    ({"home_borough": "atlantis"}, "Choose a London borough"),
    ({"subject": "S-AAAA-AAAA"}, "could not find that young person"),
    ({"subject": "Robert'); DROP TABLE"}, "could not find that young person"),
    ({"age_estimate": "fifteen", "dob_day": "", "dob_month": "", "dob_year": ""}, "Age must be a number"),
    ({"idempotency_key": "not-a-uuid"}, "This form has expired"),
    ({"given_name": "Nul\x00byte"}, "hidden or control characters"),
])
def test_bad_input_gets_a_clear_message_and_writes_nothing(client_for, overrides, message):
    client = client_for("teacher_lambeth")
    before = (Subject.objects.count(), Concern.objects.count(), Subject.history.count(), Concern.history.count(),
              AccessEvent.objects.count())
    for stage in ("check", "confirm"):
        response = client.post(reverse("concern-create"), {**form_data(**overrides), "stage": stage})
        assert response.status_code == 200
        assert message in response.content.decode().replace("&#x27;", "'"), stage
    assert before == (Subject.objects.count(), Concern.objects.count(), Subject.history.count(),
                      Concern.history.count(), AccessEvent.objects.count())


def test_a_forged_reference_to_someone_elses_subject_is_refused(client_for, world):
    cases = build_cases(world)
    before = Concern.objects.count()
    response = client_for("teacher_lambeth").post(
        reverse("concern-create"),
        {**form_data(subject=cases.subjects["southwark_school"].reference), "stage": "confirm"})
    assert "could not find that young person" in response.content.decode()
    assert Concern.objects.count() == before
    assert client_for("teacher_lambeth").get(
        reverse("concern-create") + f"?subject={cases.subjects['southwark_school'].reference}").status_code == 404


def test_a_further_concern_about_a_visible_subject(client_for, world):
    cases = build_cases(world)
    subject = cases.subjects["lambeth_school"]
    client = client_for("teacher_lambeth")
    assert client.get(reverse("concern-create") + f"?subject={subject.reference}").status_code == 200
    response = record_through_pages(client, subject=subject.reference, given_name="", family_name="")
    assert "Concern recorded" in response.content.decode()
    assert subject.concerns.count() == 2


def test_a_double_submit_creates_one_concern(client_for):
    client = client_for("teacher_lambeth")
    data = {**form_data(), "stage": "confirm"}
    first = client.post(reverse("concern-create"), data)
    second = client.post(reverse("concern-create"), data)
    assert Concern.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_recording_a_concern_costs_a_bounded_number_of_queries(client_for, django_assert_max_num_queries):
    client = client_for("teacher_lambeth")
    record_through_pages(client)  # warm caches: content types, permissions
    # 40 for the concern, plus 12 for the risk assessment it triggers: model, facts (2), current
    # row, assessment, current row, register entry and its history, and the assessment's access event
    # (one more on PostgreSQL: the audit chain's advisory lock).
    with django_assert_max_num_queries(54):
        client.post(reverse("concern-create"), {**form_data(given_name="Second"), "stage": "confirm"})


def test_subject_page_and_list_cost_constant_queries(client_for, world, django_assert_max_num_queries):
    cases = build_cases(world)
    for n in range(8):
        record_through_pages(client_for("gp_lambeth"), given_name=f"Extra{n}")
    client = client_for("mash_lambeth")
    with django_assert_max_num_queries(20):
        client.get(reverse("subject-list"))
    # 21: her page's plan and outcomes (case work) and the header's unread-notifications count joined it.
    with django_assert_max_num_queries(21):
        client.get(reverse("subject-detail", args=[cases.subjects["lambeth_gp"].reference]))


def test_views_write_access_events_and_denials(client_for, world):
    cases = build_cases(world)
    reference = cases.subjects["southwark_school"].reference
    client_for("mash_southwark").get(reverse("subject-detail", args=[reference]))
    client_for("teacher_lambeth").get(reverse("subject-detail", args=[reference]))
    events = AccessEvent.objects.filter(object_type="subject", reference=reference, action="view")
    assert {(e.actor_username, e.outcome) for e in events} == {("mash_southwark", "allowed"),
                                                                ("teacher_lambeth", "denied")}


def test_duplicates_are_listed_for_the_mash_lead_and_merged(client_for, world):
    record_through_pages(client_for("teacher_lambeth"), given_name="Natasha", family_name="Dupont")
    record_through_pages(client_for("gp_lambeth"), given_name="Natasha", family_name="Dupond",
                         dob_day="15")
    a, b = Subject.objects.order_by("created_at")
    page = client_for("mash_lambeth").get(reverse("duplicate-list")).content.decode()
    assert a.reference in page and b.reference in page
    client = client_for("mash_lambeth")
    check = client.post(reverse("subject-merge", args=[a.reference]), {"duplicate": b.reference, "reason": "Same"})
    assert "Check before merging" in check.content.decode()
    done = client.post(reverse("subject-merge", args=[a.reference]),
                       {"duplicate": b.reference, "reason": "Same", "confirm": "on"}, follow=True)
    assert "has been merged" in done.content.decode()
    assert Subject.objects.get(pk=b.pk).merged_into_id == a.pk


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_posts_of_one_form_create_one_concern(world):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL; SQLite serialises them.")
    data = {**form_data(), "stage": "confirm"}
    statuses: list[int] = []

    def post() -> None:
        from django.db import connections

        client = Client()
        client.force_login(world.user("teacher_lambeth"), backend="agencies.backends.RoleBackend")
        try:
            statuses.append(client.post(reverse("concern-create"), data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Concern.objects.count() == 1 and Subject.objects.count() == 1
    assert statuses == [302] * 10
