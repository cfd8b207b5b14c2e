"""Referral fixtures for the personas, built through the routing services: one referral per state
the authorization matrix needs, each about its own subject (recorded by teacher_lambeth in Lambeth,
referred by dsl_lambeth, routed by mash_lambeth to Lambeth children's social care).

| relation | state | share with Lambeth CSC |
|---|---|---|
| ref_submitted | submitted | none |
| ref_screening | screening | none |
| ref_routed | decided (routed to CSC) | active |
| ref_accepted | accepted by CSC | active |
| ref_declined | declined by CSC | revoked at once |
| ref_closed_grace | closed after acceptance | active until the grace period ends |
| ref_closed_expired | closed with no grace period | revoked at once |
| ref_withdrawn | withdrawn by the DSL | none |
| ref_southwark | submitted in Southwark (by mash_southwark) | none |
| ref_automatic | submitted automatically: teacher_lambeth's concern put her at high | none |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.test import override_settings

from referrals import routing
from referrals.choices import ConsentPosition, LegalBasis, Pathway, ReferralDecision
from referrals.models import Referral, Subject
from tests.cases import record
from tests.personas import World

REFERRAL_RELATIONS = ["ref_submitted", "ref_screening", "ref_routed", "ref_accepted", "ref_declined",
                      "ref_closed_grace", "ref_closed_expired", "ref_withdrawn", "ref_southwark", "ref_automatic"]
# The referrals dsl_lambeth's agency made (the automatic referral is the Lambeth MASH's own).
LAMBETH_REFERRALS = [r for r in REFERRAL_RELATIONS if r not in {"ref_southwark", "ref_automatic"}]


@dataclass
class ReferralCases:
    referrals: dict[str, Referral] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)


def new_subject(world: World, n: int, *, borough: str = "Lambeth", recorder: str = "teacher_lambeth") -> Subject:
    """A fresh subject with one concern (distinct name and date of birth, so nothing matches)."""
    return record(world, recorder, given=f"Referra{n}", family="Routingcase", dob=dt.date(2010, 1 + n % 12, 1 + n),
                  borough=borough).subject


def refer(world: World, subject: Subject, actor: str = "dsl_lambeth", **kwargs) -> Referral:
    return routing.do_make_referral(subject, summary=kwargs.pop("summary", "Going missing overnight."),
                                    legal_basis=LegalBasis.SAFEGUARDING, consent=ConsentPosition.GIVEN,
                                    actor=world.user(actor), **kwargs)


def advance(world: World, referral: Referral, to: str) -> Referral:
    """Move a Lambeth referral to ``to`` through the services, the way people would."""
    mash, csc, dsl = world.user("mash_lambeth"), world.user("csc_lambeth"), world.user("dsl_lambeth")
    if to == "submitted":
        return referral
    if to == "withdrawn":
        return routing.do_withdraw_referral(referral, reason="Family moved away", version=referral.version, actor=dsl)
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    if to == "screening":
        return referral
    referral = routing.do_decide_referral(
        referral, decision=ReferralDecision.ROUTED, pathway=Pathway.CSC_ASSESSMENT,
        receiving_agency=world.agencies["lambeth_csc"], reason="Needs an assessment", version=referral.version,
        actor=mash)
    if to == "decided":
        return referral
    if to == "declined":
        return routing.do_respond_to_referral(referral, accept=False, reason="Already open to another team",
                                              version=referral.version, actor=csc)
    referral = routing.do_respond_to_referral(referral, accept=True, reason="", version=referral.version, actor=csc)
    if to == "accepted":
        return referral
    if to == "closed":
        return routing.do_close_referral(referral, reason="Assessment complete", version=referral.version, actor=mash)
    raise ValueError(to)


STATES_BY_RELATION = {
    "ref_submitted": "submitted", "ref_screening": "screening", "ref_routed": "decided",
    "ref_accepted": "accepted", "ref_declined": "declined", "ref_closed_grace": "closed",
    "ref_closed_expired": "closed", "ref_withdrawn": "withdrawn",
}


def build_referral_cases(world: World) -> ReferralCases:
    cases = ReferralCases()
    for n, (relation, state) in enumerate(STATES_BY_RELATION.items()):
        subject = new_subject(world, n)
        referral = refer(world, subject)
        if relation == "ref_closed_expired":
            with override_settings(REFERRAL_SHARE_GRACE_DAYS=0):
                referral = advance(world, referral, state)
        else:
            referral = advance(world, referral, state)
        cases.referrals[relation], cases.subjects[relation] = referral, subject
    subject = new_subject(world, 20, borough="Southwark", recorder="teacher_southwark")
    cases.referrals["ref_southwark"] = refer(world, subject, actor="mash_southwark")
    cases.subjects["ref_southwark"] = subject
    cases.referrals["ref_automatic"] = automatic = raise_automatic(world)
    cases.subjects["ref_automatic"] = automatic.subject
    return cases


def raise_automatic(world: World, n: int = 30, recorder: str = "teacher_lambeth") -> Referral:
    """A Lambeth girl whom ``recorder``'s one concern puts at high: the register raises the automatic
    referral, by the system on the Lambeth MASH's behalf."""
    concern = record(world, recorder, given=f"Automa{n}", family="Registercase", dob=dt.date(2011, 3, 1 + n % 27),
                     borough="Lambeth", indicators=("older-boyfriend-or-associate",), seriously_worried=True)
    return Referral.objects.get(subject=concern.subject, automatic=True)
