"""The menu offers exactly the pages that open: every item asks the predicate its page checks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies.navigation import NAVIGATION
from tests.personas import MEMBER_PERSONAS

pytestmark = pytest.mark.django_db


def _opens(response) -> bool:
    # Django admin refuses by sending to its own sign-in page; every other page refuses with 404.
    if response.status_code == 302 and response.url.startswith(reverse("admin:login")):
        return False
    return response.status_code != 404


@pytest.mark.parametrize("persona", MEMBER_PERSONAS)
def test_the_menu_shows_an_item_exactly_when_its_page_opens(client_for, persona):
    client = client_for(persona)
    shown = {item["href"] for item in client.get(reverse("home")).context["nav_items"]}
    drift = []
    for item in NAVIGATION:
        href = reverse(item.url_name)
        response = client.get(href)
        if (href in shown) != _opens(response):
            drift.append(f"{item.label}: shown={href in shown}, page answered {response.status_code}")
    assert drift == []


def test_my_referrals_is_offered_to_everyone_who_can_refer_or_be_a_referrer(client_for):
    # The drift this suite exists for: the page admits practitioners and MASH leads, not only DSLs.
    for persona in ["teacher_lambeth", "dsl_lambeth", "mash_lambeth"]:
        labels = [item["label"] for item in client_for(persona).get(reverse("home")).context["nav_items"]]
        assert "My referrals" in labels, persona
    labels = [item["label"] for item in client_for("csc_lambeth").get(reverse("home")).context["nav_items"]]
    assert "My referrals" not in labels
