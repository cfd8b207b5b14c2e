"""``get_visible_or_404`` and ``restricted_prefetch``: one row, or related rows, only as far as the rules allow."""

from __future__ import annotations

import pytest
from django.db.models import prefetch_related_objects
from django.http import Http404

from agencies.permissions import NOTHING, get_visible_or_404, restricted_prefetch
from referrals.models import Referral, ReferralTransition, Subject
from risk.models import RegisterReview
from tests.factories import advance_referral, new_referral, new_subject

pytestmark = pytest.mark.django_db


def test_a_visible_row_is_returned_with_its_relations(world):
    subject = new_subject(world, 1)
    found = get_visible_or_404(Subject, world.user("teacher_lambeth"), reference=subject.reference,
                               select_related=("home_borough",))
    assert found == subject
    assert Subject.home_borough.is_cached(found)


@pytest.mark.parametrize("persona", ["teacher_southwark", "gp_lambeth", "auditor"])
def test_a_row_the_user_may_not_see_looks_like_one_that_does_not_exist(world, persona):
    subject = new_subject(world, 1)
    with pytest.raises(Http404):
        get_visible_or_404(Subject, world.user(persona), reference=subject.reference)
    with pytest.raises(Http404):
        get_visible_or_404(Subject, world.user(persona), reference="S-0000-0000")


def test_the_action_is_restricted_not_just_viewing(world):
    referral = new_referral(world, new_subject(world, 1))
    assert get_visible_or_404(Referral, world.user("dsl_lambeth"), reference=referral.reference) == referral
    with pytest.raises(Http404):  # the referrer sees it, but only the MASH decides
        get_visible_or_404(Referral, world.user("dsl_lambeth"), "decide", reference=referral.reference)


@pytest.mark.parametrize(("persona", "sees_timeline"), [
    ("mash_lambeth", True), ("csc_lambeth", True),  # they work the referral
    ("dsl_lambeth", False),  # the referrer's side: status and decision only
    ("mash_southwark", False), ("auditor", False),
])
def test_a_restricted_prefetch_loads_only_the_related_rows_the_user_may_see(world, persona, sees_timeline):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "decided")
    user = world.user(persona)
    prefetch_related_objects([referral], restricted_prefetch("transitions", ReferralTransition, user,
                                                             select_related=("actor",)))
    loaded = list(referral.transitions.all())
    assert loaded == (list(ReferralTransition.objects.filter(referral=referral)) if sees_timeline else [])
    assert [t.to_state for t in loaded] == (["submitted", "screening", "decided"] if sees_timeline else [])


def test_register_reviews_are_for_the_boroughs_mash_leads(world):
    lambeth, southwark = world.user("mash_lambeth").membership, world.user("mash_southwark").membership
    assert RegisterReview.access_rule(lambeth, "view") != RegisterReview.access_rule(southwark, "view")
    for persona in ["teacher_lambeth", "dsl_lambeth", "csc_lambeth", "auditor", "dpo"]:
        assert RegisterReview.access_rule(world.user(persona).membership, "view") == NOTHING
    assert RegisterReview.access_rule(lambeth, "change") == NOTHING
