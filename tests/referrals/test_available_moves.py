"""``routing.available_moves``: the one answer to "what may this person do to this referral now", which the
referral page offers and the services enforce."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from referrals import routing
from referrals.choices import ReferralState
from tests.factories import advance_referral, new_referral, new_subject

pytestmark = pytest.mark.django_db

S = ReferralState
# Everyone who can see a Lambeth referral in some state, and some who never act on one.
PERSONAS = {
    "mash_lambeth": {routing.MASH}, "csc_lambeth": {routing.RECEIVER}, "dsl_lambeth": {routing.REFERRER},
    "teacher_lambeth": set(), "mash_southwark": set(), "auditor": set(),
}
STATES = ["submitted", "screening", "decided", "accepted", "declined", "closed", "withdrawn"]


def _expected(state: str, capacities: set[str]) -> set[str]:
    # The receiving service stands to a referral only while it is routed to them and waits for them.
    if routing.RECEIVER in capacities and state not in (S.DECIDED, S.ACCEPTED):
        capacities = capacities - {routing.RECEIVER}
    return {to for (frm, to, who) in routing.TRANSITIONS if frm == state and who in capacities}


@pytest.mark.parametrize("state", STATES)
def test_moves_follow_the_table_and_the_persons_capacity(world, state):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), state)
    for persona, capacities in PERSONAS.items():
        moves = routing.available_moves(referral, world.user(persona))
        assert all(isinstance(move, routing.Move) and move in routing.TRANSITIONS for move in moves)
        assert {move.to_state for move in moves} == _expected(state, capacities), persona


@pytest.mark.parametrize("state", ["submitted", "screening", "decided", "accepted", "declined"])
def test_the_referral_page_offers_exactly_the_available_moves(world, client_for, state):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), state)
    url = reverse("referral-detail", kwargs={"reference": referral.reference})
    for persona in ["mash_lambeth", "csc_lambeth", "dsl_lambeth"]:
        response = client_for(persona).get(url)
        if response.status_code == 404:  # e.g. the receiving service before the referral reaches them
            assert routing.available_moves(referral, world.user(persona)) == []
            continue
        html = response.content.decode()
        offered = set(re.findall(r'name="action" value="(\w+)"', html))
        # A receiving service accepts or declines each pathway routed to it: the referral's own
        # accept and decline are offered there, one pathway at a time.
        offered |= set(re.findall(r'name="response" value="(accept|decline)"', html))
        if reverse("referral-decide", kwargs={"reference": referral.reference}) in html:
            offered.add("decide")
        assert offered == {move.action for move in routing.available_moves(referral, world.user(persona))}, persona
