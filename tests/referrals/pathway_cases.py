"""Decisions into several pathways, built through the services, for the pathway tests and the
authorization matrix.

Two Lambeth services exist only here, each with a receiving worker no persona is: a specialist voluntary
service (``spec_lambeth``) and adult social care (``asc_lambeth``). Every girl lives in Lambeth and is at
high (an older boyfriend, and a teacher seriously worried), which raised the automatic referral that the
Lambeth MASH lead screens and decides:

| relation | routed to | state | csc_lambeth is |
|---|---|---|---|
| pw_routed | strategy discussion → CSC; disruption → police; specialist → spec | decided | routed, before |
| pw_not_routed | disruption → police; specialist → spec (the strategy discussion left out) | decided | not routed |
| pw_accepted | as pw_routed; CSC accepted its pathway | accepted | routed, after accepting |
| pw_declined | as pw_routed; CSC declined its pathway (the others still wait) | decided | after declining |
| pw_completed | as pw_routed; CSC accepted, then completed its pathway | accepted | after completing |
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from agencies import services as agency_services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Borough
from referrals import routing
from referrals.choices import ConsentPosition, ReferralDecision
from referrals.models import Referral, ReferralPathway, Subject
from tests.factories import new_concern
from tests.personas import PASSWORD, World

PATHWAY_RELATIONS = ["pw_routed", "pw_not_routed", "pw_accepted", "pw_declined", "pw_completed"]
_numbers = itertools.count(1)


@dataclass
class PathwayCases:
    referrals: dict[str, Referral] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)


def add_services(world: World) -> None:
    """The Lambeth specialist voluntary service and adult social care, with their receiving workers, once."""
    if "lambeth_specialist" in world.agencies:
        return
    lambeth = Borough.objects.get(name="Lambeth")
    for key, kind, name, worker in [
            ("lambeth_specialist", AgencyKind.VOLUNTARY_SECTOR, "Lambeth Test Girls' Project", "spec_lambeth"),
            ("lambeth_asc", AgencyKind.ADULT_SOCIAL_CARE, "Lambeth Test Adult Social Care", "asc_lambeth")]:
        agency = agency_services.do_create_agency(name=name, kind=kind, borough=lambeth, actor=None)
        world.agencies[key] = agency
        world.users[worker] = agency_services.do_create_user(
            username=worker, password=PASSWORD, agency=agency, roles=[RoleCode.RECEIVING_WORKER],
            first_name="Test", last_name=worker.title(), email=f"{worker}@example.test", actor=None)


def high_girl(world: World, n: int | None = None, *, dob: dt.date | None = None) -> Referral:
    """A Lambeth girl at high (an older boyfriend; her teacher seriously worried), and the automatic
    referral that raised, screened by the Lambeth MASH lead."""
    n = next(_numbers) if n is None else n
    concern = new_concern(world, "teacher_lambeth", given=f"Pathwa{n:03d}", family="Severalcase",
                          dob=dob or dt.date(2011, 1 + n % 12, 1 + n % 27), borough="Lambeth",
                          indicators=("older-boyfriend-or-associate",), seriously_worried=True)
    referral = Referral.objects.get(subject=concern.subject, automatic=True)
    return routing.do_start_screening(referral, version=referral.version, actor=world.user("mash_lambeth"))


def decide(world: World, referral: Referral, routes: dict[str, str], *, left_out: dict[str, str] | None = None,
           added: dict[str, str] | None = None, consent: str = ConsentPosition.GIVEN) -> Referral:
    """The Lambeth MASH lead routes ``referral``: ``routes`` maps pathway code to agency key; a reason for
    each pathway in ``added`` (not recommended) and in ``left_out`` (recommended, not taken)."""
    choices = [routing.PathwayChoice(code, world.agencies[agency], reason=(added or {}).get(code, ""),
                                     consent=consent) for code, agency in routes.items()]
    return routing.do_decide_referral(referral, decision=ReferralDecision.ROUTED, reason="Significant harm",
                                      version=referral.version, actor=world.user("mash_lambeth"),
                                      pathways=choices, left_out=left_out or {})


ALL_THREE = {"csc_strategy": "lambeth_csc", "police_disruption": "lambeth_police",
             "specialist_cse": "lambeth_specialist"}
LEFT_OUT_MACE = {"mace": "The MACE panel already discusses her peer group."}


def row(referral: Referral, code: str) -> ReferralPathway:
    return ReferralPathway.objects.get(referral=referral, pathway=code)


def respond(world: World, referral: Referral, code: str, response: str, actor: str = "csc_lambeth",
            reason: str = "") -> ReferralPathway:
    pathway = row(referral, code)
    return routing.do_respond_to_pathway(pathway, response=response, reason=reason, version=pathway.version,
                                         actor=world.user(actor))


def build_pathway_cases(world: World) -> PathwayCases:
    add_services(world)
    cases = PathwayCases()
    for relation in PATHWAY_RELATIONS:
        referral = high_girl(world)
        if relation == "pw_not_routed":
            referral = decide(world, referral, {k: v for k, v in ALL_THREE.items() if k != "csc_strategy"},
                              left_out={**LEFT_OUT_MACE, "csc_strategy": "A strategy discussion was held last week."})
        else:
            referral = decide(world, referral, ALL_THREE, left_out=LEFT_OUT_MACE)
        if relation in ("pw_accepted", "pw_completed"):
            respond(world, referral, "csc_strategy", "accept")
        if relation == "pw_completed":
            respond(world, referral, "csc_strategy", "complete")
        if relation == "pw_declined":
            respond(world, referral, "csc_strategy", "decline", reason="Already known: open to the team.")
        referral.refresh_from_db()
        cases.referrals[relation], cases.subjects[relation] = referral, referral.subject
    return cases


def extend(world: World, built: Any) -> None:
    """A ``CASE_EXTENSIONS`` hook of the authorization matrix."""
    built.pathway_cases = build_pathway_cases(world)
