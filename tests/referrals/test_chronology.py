"""Her chronology: one timeline of concerns, level changes, register changes, referrals and
pathways, each row filtered by what the viewer may see; filters by kind and agency (codes and ids only);
a constant number of queries; opening it is a recorded read of her record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals import chronology, views_chronology
from referrals.chronology import ChronologyItem
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.factories import advance_referral, new_concern, new_referral
from tests.hostile.corpus import CORE, HOSTILE, forbidden_in_page
from tests.hostile.get_params import query
from tests.hostile.snapshot import changed, row_counts

pytestmark = pytest.mark.django_db

GIVEN, FAMILY, DOB = "Chrona", "Timeline", dt.date(2011, 4, 4)
SIGNS = ("older-boyfriend-or-associate", "missing-from-home-or-care")


def _known_girl(world):
    """A Lambeth girl whom the GP and the police put at high (register, automatic referral), then the
    teacher records a concern about, entering her as they know her."""
    first = new_concern(world, "gp_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth",
                        indicators=SIGNS, narrative="Collected by an older man.", seriously_worried=True)
    new_concern(world, "police_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth",
                indicators=SIGNS, narrative="Found in a car at 2am.", seriously_worried=True)
    mine = new_concern(world, "teacher_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth",
                       indicators=("absent-from-school",), narrative="Missed three days.")
    assert mine.subject.pk == first.subject.pk
    return mine


def _page(client_for, persona, subject, params: str = ""):
    return client_for(persona).get(reverse("subject-chronology", kwargs={"reference": subject.reference}) + params)


def test_a_practitioner_sees_only_their_own_concerns_and_never_a_level(world, client_for):
    mine = _known_girl(world)
    items = chronology.items_for(world.user("teacher_lambeth"), mine.subject)
    assert [(item.kind, item.agency_name) for item in items] == [("concern", "Lambeth Test Academy")]
    assert items[0].summary.startswith(mine.reference) and items[0].url == reverse(
        "concern-detail", kwargs={"reference": mine.reference})
    html = _page(client_for, "teacher_lambeth", mine.subject).content.decode()
    assert mine.reference in html
    for hidden in ["Lambeth Test Surgery", "Lambeth Test Police Unit", "Risk level", "Risk register", "high",
                   "High", "Referral", "Collected by an older man", "Found in a car"]:
        assert hidden not in html.split('<main')[1], hidden


def test_the_mash_sees_every_concern_the_level_the_register_and_the_referral(world):
    mine = _known_girl(world)
    items = chronology.items_for(world.user("mash_lambeth"), mine.subject)
    kinds = [item.kind for item in items]
    assert kinds.count("concern") == 3
    assert "risk_level" in kinds and "register" in kinds and "referral" in kinds
    assert any(item.summary == "Added to the risk register" for item in items)
    assert any("raised automatically" in item.summary for item in items if item.kind == "referral")
    assert [item.when for item in items] == sorted(item.when for item in items)


def test_a_dsl_sees_their_agencys_concern_and_their_referral_and_its_decision_never_pathways(world):
    mine = new_concern(world, "teacher_lambeth", given="Dslview", family="Chronocase", dob=dt.date(2010, 6, 6),
                       borough="Lambeth", indicators=("absent-from-school",))
    referral = advance_referral(world, new_referral(world, mine.subject), "accepted")
    dsl_items = chronology.items_for(world.user("dsl_lambeth"), mine.subject)
    # Which MASH decided would say where her record puts her: the referrer's side is not told.
    assert {item.agency_name for item in dsl_items} == {"Lambeth Test Academy", ""}
    dsl = {(item.kind, item.summary) for item in dsl_items}
    assert ("referral", f"{referral.reference}: made to the MASH") in dsl
    assert ("referral", f"{referral.reference}: referred on to a service") in dsl
    assert {kind for kind, _ in dsl} == {"concern", "referral"}
    csc = chronology.items_for(world.user("csc_lambeth"), mine.subject)
    assert {item.kind for item in csc} >= {"pathway", "referral", "concern"}
    assert any(item.summary.endswith("accepted by the receiving service") for item in csc)


def test_filters_by_kind_and_agency_take_codes_and_ids_and_refuse_anything_else(world, client_for):
    mine = _known_girl(world)
    gp = world.agencies["lambeth_gp"]
    html = _page(client_for, "mash_lambeth", mine.subject, "?kind=concern").content.decode()
    assert "3 of " in html and "Added to the risk register" not in html
    html = _page(client_for, "mash_lambeth", mine.subject, f"?kind=concern&agency={gp.pk}").content.decode()
    assert "1 of " in html and "Lambeth Test Surgery" in html and "Lambeth Test Academy</td>" not in html
    # An agency the viewer has no row from is not a choice: an error, and every row is shown.
    other = world.agencies["southwark_yot"]
    response = _page(client_for, "teacher_lambeth", mine.subject, f"?agency={other.pk}")
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and "Choose an agency from the list" in html
    assert "Southwark Test YOT" not in html and mine.reference in html


def test_the_query_count_does_not_grow_with_the_rows(world, client_for):
    mine = _known_girl(world)

    def queries() -> int:
        client = client_for("mash_lambeth")
        client.get(reverse("subject-chronology", kwargs={"reference": mine.subject.reference}))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("subject-chronology", kwargs={"reference": mine.subject.reference}))
        assert response.status_code == 200
        return len(captured.captured_queries)

    few = queries()
    assert few > 0
    for n in range(6):
        new_concern(world, "police_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth",
                    indicators=SIGNS, narrative=f"Seen again {n}.")
    assert len(chronology.items_for(world.user("mash_lambeth"), mine.subject)) >= 9
    assert queries() == few


def test_opening_it_is_a_recorded_read_of_her_record(world, client_for):
    mine = _known_girl(world)
    client = client_for("teacher_lambeth")
    audit_checkpoint()
    client.get(reverse("subject-chronology", kwargs={"reference": mine.subject.reference}))
    event = assert_audit("view", object_type="subject", reference=mine.subject.reference, only=True)
    assert event.detail["page"] == "chronology"
    other = new_concern(world, "gp_lambeth", given="Other", family="Girl", dob=dt.date(2010, 1, 1), borough="Lambeth")
    audit_checkpoint()
    assert client.get(reverse("subject-chronology", kwargs={"reference": other.subject.reference})).status_code == 404
    assert_audit("view", object_type="subject", reference=other.subject.reference, outcome="denied", only=True)


def test_a_provider_is_one_more_entry_in_the_tuple(world, client_for, monkeypatch):
    mine = _known_girl(world)

    def strategy(user, subject):
        return [ChronologyItem(mine.recorded_at, "strategy_discussion", "Strategy discussion", None, "",
                               "Strategy discussion held", None)]

    monkeypatch.setattr(views_chronology, "PROVIDERS", (*views_chronology.PROVIDERS, strategy))
    html = _page(client_for, "teacher_lambeth", mine.subject, "?kind=strategy_discussion").content.decode()
    assert "Strategy discussion held" in html and "1 of 2 entries" in html


def test_hostile_filter_values_never_break_the_page_or_write(world, client_for):
    mine = _known_girl(world)
    client = client_for("mash_lambeth")
    url = reverse("subject-chronology", kwargs={"reference": mine.subject.reference})
    problems = []
    for parameter in ["kind", "agency", "page"]:
        for value_name in CORE:
            before = row_counts()
            response = client.get(f"{url}?{query({parameter: HOSTILE[value_name]})}")
            if response.status_code not in (200, 400):
                problems.append(f"{parameter}={value_name}: {response.status_code}")
            if forbidden_in_page(response.content.decode("utf-8", errors="replace")):
                problems.append(f"{parameter}={value_name}: echoes raw characters")
            if changed(before, row_counts(exclude={"audit_accessevent"})):
                problems.append(f"{parameter}={value_name}: a read changed rows")
    assert problems == []
