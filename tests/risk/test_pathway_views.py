"""Recommended pathways on the MASH's pages (the referral decision page, her risk page) and the catalogue's
documentation page; never on a practitioner's, a DSL's or a receiving service's page (DESIGN.md §5.6a)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.audit_helpers import assert_audit
from tests.factories import advance_referral, new_concern, new_referral

pytestmark = pytest.mark.django_db

# What only a page with recommendations says (the signs themselves a recorder may see in her own concerns).
MARKERS = ("Recommended pathways", "National Referral Mechanism", "pathway catalogue",
           "Signs of trafficking or criminal exploitation", "Urgent")


def _girl(world, given: str = "Routa", indicators=("county-lines", "self-harm")):
    """A Lambeth girl of 15 recorded by the Lambeth teacher, with a referral her DSL made, now screened."""
    born = dt.date(timezone.localdate().year - 15, 1, 1)
    concern = new_concern(world, "teacher_lambeth", given=given, family="Pathwaycase", dob=born,
                          indicators=indicators, days_ago=0)
    referral = advance_referral(world, new_referral(world, concern.subject, "dsl_lambeth"), "screening")
    return concern.subject, referral


def test_the_mash_lead_sees_the_recommendations_with_reasons_on_the_decision_page(world, client_for):
    subject, referral = _girl(world)
    response = client_for("mash_lambeth").get(reverse("referral-decide", kwargs={"reference": referral.reference}))
    html = response.content.decode()
    assert response.status_code == 200
    for marker in MARKERS[:-1]:
        assert marker in html
    assert "County lines" in html
    # Each reason, with what matched and its source; the consent and clock of the pathway.
    assert "Signs of trafficking or criminal exploitation" in html and "Home Office NRM guidance" in html
    assert "aged 15" in html and "consent: No consent needed" in html
    assert_audit("view", object_type="referral", reference=referral.reference)


def test_the_mash_lead_sees_them_on_her_risk_page_with_the_same_day_strategy_discussion_first(world, client_for):
    subject, _referral = _girl(world, "Urgenta", ("sexual-assault-disclosed", "county-lines", "carrying-for-others",
                                                  "older-boyfriend-or-associate"))
    html = client_for("mash_lambeth").get(reverse("subject-risk", kwargs={"reference": subject.reference})).content
    text = html.decode()
    assert "Recommended pathways" in text and "the Havens" in text
    section = text[text.index("Recommended pathways"):]
    assert section.index("strategy discussion (section 47)") < section.index("National Referral Mechanism")
    assert "Urgent" in section and "The same day" in section


@pytest.mark.parametrize("persona", ["teacher_lambeth", "dsl_lambeth", "csc_lambeth"])
def test_practitioners_dsls_and_receiving_services_never_see_them(world, client_for, persona):
    subject, referral = _girl(world, f"Hida{persona[:3]}")
    if persona == "csc_lambeth":  # routed to, and accepted by, children's social care: her record is shared
        mash = world.user("mash_lambeth")
        from referrals import routing
        from referrals.choices import Pathway
        from tests.factories import route_to

        referral = routing.do_decide_referral(referral, reason="Assess", version=referral.version, actor=mash,
                                              **route_to(world, referral, Pathway.CSC_ASSESSMENT))
        referral = routing.do_respond_to_referral(referral, accept=True, reason="", version=referral.version,
                                                  actor=world.user("csc_lambeth"))
    client = client_for(persona)
    pages = [reverse("subject-risk", kwargs={"reference": subject.reference}),
             reverse("subject-detail", kwargs={"reference": subject.reference}),
             reverse("referral-detail", kwargs={"reference": referral.reference})]
    if persona != "csc_lambeth":
        pages.append(reverse("my-referrals"))
    seen = 0
    for url in pages:
        response = client.get(url)
        if response.status_code == 200:
            seen += 1
            html = response.content.decode()
            for marker in MARKERS:
                assert marker not in html, (url, marker)
    assert seen >= 2
    assert client.get(reverse("referral-decide", kwargs={"reference": referral.reference})).status_code == 404


def test_another_boroughs_mash_lead_gets_nothing(world, client_for):
    subject, referral = _girl(world, "Elsewha")
    client = client_for("mash_southwark")
    assert client.get(reverse("referral-decide", kwargs={"reference": referral.reference})).status_code == 404
    assert client.get(reverse("subject-risk", kwargs={"reference": subject.reference})).status_code == 404


def test_the_decision_page_costs_the_same_queries_however_much_she_has(world, client_for,
                                                                       django_assert_max_num_queries):
    subject, referral = _girl(world, "Constanta", ("county-lines",))
    client = client_for("mash_lambeth")
    url = reverse("referral-decide", kwargs={"reference": referral.reference})
    client.get(url)  # this process's copy of the active catalogue
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for code in ("self-harm", "sexual-assault-disclosed", "image-based-abuse", "involvement-in-offending"):
        new_concern(world, "gp_lambeth", subject=subject, indicators=(code,), days_ago=0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert "the Havens" in html and "CAMHS" in html


def test_the_catalogue_page_documents_every_pathway_and_rule(world, client_for):
    response = client_for("mash_lambeth").get(reverse("pathway-catalogue"))
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("Early help", "Initial child protection conference", "Multi-agency child exploitation (MACE) panel",
                  "National Referral Mechanism", "Police: threat to life", "the Havens", "Pre-birth assessment",
                  "Marac (partner abuse, from 16)", "Care Act section 42", "Leaving care: personal adviser",
                  "Context referral"):
        assert label in html
    assert "Within 15 working days of the strategy discussion" in html
    assert "aged 16 to 17" in html and "Working Together to Safeguard Children 2023" in html
    assert client_for("dsl_lambeth").get(reverse("pathway-catalogue")).status_code == 404
