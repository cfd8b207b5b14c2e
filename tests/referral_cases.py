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

from dataclasses import dataclass, field

from django.test import override_settings

from referrals.models import Referral, Subject
from tests.factories import advance_referral, new_referral, new_subject, raise_automatic_referral
from tests.personas import World

REFERRAL_RELATIONS = ["ref_submitted", "ref_screening", "ref_routed", "ref_accepted", "ref_declined",
                      "ref_closed_grace", "ref_closed_expired", "ref_withdrawn", "ref_southwark", "ref_automatic"]
# The referrals dsl_lambeth's agency made (the automatic referral is the Lambeth MASH's own).
LAMBETH_REFERRALS = [r for r in REFERRAL_RELATIONS if r not in {"ref_southwark", "ref_automatic"}]


@dataclass
class ReferralCases:
    referrals: dict[str, Referral] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)


STATES_BY_RELATION = {
    "ref_submitted": "submitted", "ref_screening": "screening", "ref_routed": "decided",
    "ref_accepted": "accepted", "ref_declined": "declined", "ref_closed_grace": "closed",
    "ref_closed_expired": "closed", "ref_withdrawn": "withdrawn",
}


def build_referral_cases(world: World) -> ReferralCases:
    cases = ReferralCases()
    for n, (relation, state) in enumerate(STATES_BY_RELATION.items()):
        subject = new_subject(world, n)
        referral = new_referral(world, subject)
        if relation == "ref_closed_expired":
            with override_settings(REFERRAL_SHARE_GRACE_DAYS=0):
                referral = advance_referral(world, referral, state)
        else:
            referral = advance_referral(world, referral, state)
        cases.referrals[relation], cases.subjects[relation] = referral, subject
    subject = new_subject(world, 20, borough="Southwark", recorder="teacher_southwark")
    cases.referrals["ref_southwark"] = new_referral(world, subject, actor="mash_southwark")
    cases.subjects["ref_southwark"] = subject
    cases.referrals["ref_automatic"] = automatic = raise_automatic_referral(world)
    cases.subjects["ref_automatic"] = automatic.subject
    return cases
