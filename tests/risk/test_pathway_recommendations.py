"""The pathway catalogue in the database, its activation, and the recommendation for one young person
gathered through ``restrict`` (``risk.queries.pathway_proposal``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from referrals import routing
from referrals.choices import Pathway
from risk import pathways, queries
from risk.models import PathwayCatalogue
from risk.services.pathways import do_activate_pathway_catalogue
from tests.audit_helpers import assert_audit
from tests.factories import advance_referral, new_concern, new_referral, route_to

pytestmark = pytest.mark.django_db


def _born(age: int) -> dt.date:
    """A date of birth that makes her ``age`` today (1 January: her birthday this year has passed)."""
    return dt.date(timezone.localdate().year - age, 1, 1)


def test_version_2_is_active_and_version_1_is_kept():
    row = PathwayCatalogue.objects.active()
    assert row is not None and row.version == 2 and row.is_active
    assert row.config == pathways.V2_CATALOGUE
    assert queries.active_pathway_catalogue().version == 2
    assert PathwayCatalogue.objects.get(version=1).config == pathways.V1_CATALOGUE
    # Version 2: adult safeguarding is received by adult social care (and one rule is added, see
    # tests/risk/test_pathway_rules.py).
    v1, v2 = pathways.load(pathways.V1_CATALOGUE), pathways.load(pathways.V2_CATALOGUE)
    assert v1.agency_kinds("adult_safeguarding") == set()
    assert v2.agency_kinds("adult_safeguarding") == {"adult_social_care"}
    assert len(v2.rules) == len(v1.rules) + 1
    assert [p for p in v1.pathways if p.code != "adult_safeguarding"] == [
        p for p in v2.pathways if p.code != "adult_safeguarding"]


def test_activating_a_new_version_is_audited_and_followed_at_once(world):
    config = {**pathways.V2_CATALOGUE, "version": 3,
              "rules": [r for r in pathways.V2_CATALOGUE["rules"] if r["code"] != "camhs"]}
    v3 = PathwayCatalogue.objects.create(version=3, title="v3", config=config)
    assert queries.active_pathway_catalogue().version == 2
    do_activate_pathway_catalogue(catalogue=v3, actor=world.user("administrator"))
    assert_audit("update", object_type="pathway_catalogue", reference="3", service="do_activate_pathway_catalogue")
    assert list(PathwayCatalogue.objects.filter(is_active=True).values_list("version", flat=True)) == [3]
    assert "camhs" not in {r.pathway for r in queries.active_pathway_catalogue().rules}


def test_a_version_that_does_not_load_is_not_activated(world):
    broken = PathwayCatalogue.objects.create(version=4, title="broken", config={
        **pathways.V2_CATALOGUE, "version": 4, "rules": [{**pathways.V2_CATALOGUE["rules"][0], "when": {"x": 1}}]})
    with pytest.raises(ValueError, match="Unknown condition"):
        do_activate_pathway_catalogue(catalogue=broken, actor=world.user("administrator"))
    assert PathwayCatalogue.objects.active().version == 2


def test_her_proposal_from_her_level_signs_age_and_open_pathways(world):
    concern = new_concern(world, "teacher_lambeth", given="Pathia", family="Proposalcase", dob=_born(15),
                          indicators=("county-lines", "self-harm"), days_ago=1)
    subject = concern.subject
    new_concern(world, "gp_lambeth", subject=subject, indicators=("sexual-assault-disclosed",), days_ago=0)
    mash = world.user("mash_lambeth")
    proposal = queries.pathway_proposal(subject, mash, today=timezone.localdate())
    assert proposal is not None and proposal.facts.age == 15
    assert proposal.facts.level in ("high", "very_high")
    assert {"csc_strategy", "nrm", "police_cce", "police_sot", "havens", "camhs", "mace"} <= set(proposal.codes)
    # Once the MASH has routed her to a strategy discussion it is open: shown apart, and the conference follows.
    referral = new_referral(world, subject, "dsl_lambeth")
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    routing.do_decide_referral(referral, reason="Significant harm", version=referral.version, actor=mash,
                               **route_to(world, referral, Pathway.CSC_STRATEGY))
    proposal = queries.pathway_proposal(subject, mash, today=timezone.localdate())
    assert proposal is not None
    assert "csc_strategy" not in proposal.codes and "cp_conference" in proposal.codes
    assert [item.pathway.code for item in proposal.already_open] == ["csc_strategy"]


def test_at_18_the_proposal_switches_to_adult_routes(world):
    concern = new_concern(world, "teacher_lambeth", given="Adulta", family="Proposalcase", dob=_born(18),
                          indicators=("residential-care", "county-lines", "older-boyfriend-or-associate"), days_ago=0)
    proposal = queries.pathway_proposal(concern.subject, world.user("mash_lambeth"), today=timezone.localdate())
    assert proposal is not None and proposal.facts.age == 18
    codes = set(proposal.codes)
    assert {"adult_safeguarding", "leaving_care", "nrm", "marac"} <= codes
    assert not codes & {"csc_assessment", "csc_strategy", "early_help", "mace"}
    nrm = next(item for item in proposal.recommended if item.pathway.code == "nrm")
    assert nrm.consent == "informed"


@pytest.mark.parametrize("persona", ["teacher_lambeth", "dsl_lambeth", "csc_lambeth", "mash_southwark", "auditor"])
def test_nobody_but_her_boroughs_mash_lead_gets_a_proposal(world, persona):
    concern = new_concern(world, "teacher_lambeth", given="Hidda", family="Proposalcase", dob=_born(15),
                          indicators=("county-lines",), days_ago=0)
    advance_referral(world, new_referral(world, concern.subject, "dsl_lambeth"), "accepted")
    user = world.user(persona)
    assert queries.pathway_proposal(concern.subject, user, today=timezone.localdate()) is None
    assert queries.pathway_recommendations(concern.subject, user, today=timezone.localdate()) is None


def test_the_proposal_costs_a_constant_number_of_queries(world, django_assert_max_num_queries):
    concern = new_concern(world, "teacher_lambeth", given="Counta", family="Proposalcase", dob=_born(15),
                          indicators=("county-lines",), days_ago=0)
    mash = world.user("mash_lambeth")
    queries.active_pathway_catalogue()  # this process's copy, as on any page after the first
    # Her current risk, latest assessment, open pathways and sign labels (4); outside a request, the lead's
    # membership and roles too (2: a page has them loaded already).
    with django_assert_max_num_queries(6):
        described = queries.pathway_recommendations(concern.subject, mash, today=timezone.localdate())
    assert described is not None and described["version"] == 2
    nrm = next(row for row in described["recommended"] if row["code"] == "nrm")
    assert "County lines" in nrm["reasons"][0]["matched"]
    assert nrm["reasons"][0]["sources"] == ["Home Office NRM guidance",
                                            "London Child Exploitation Operating Protocol 2021"]
