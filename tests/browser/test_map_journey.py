"""Adding a link on the association map in a real browser, with axe-core on every page: one section at a
time (conditional reveal), finding a place already on the map by part of its name, the GOV.UK date pattern."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mash_lead_links_a_girl_to_a_place_found_by_name(journey) -> None:
    page = journey.page
    journey.sign_in("mash.lambeth")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Contexts of concern").click()
    expect(page.get_by_role("table")).to_contain_text("(High)")  # levels in words, never a code
    expect(page.get_by_role("table")).not_to_contain_text("very_high")
    journey.check("contexts")
    page.get_by_role("table").get_by_role("link", name=re.compile(r"^S-")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Association map for S-")
    journey.check("map")

    page.get_by_role("link", name="Add a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a link")
    # One section at a time: nothing of the new-person section shows until it is chosen.
    expect(page.get_by_label("Name or street name")).to_be_hidden()
    expect(page.get_by_role("option", name="---------")).to_have_count(0)
    journey.check("link-form")
    page.get_by_label("Someone or somewhere already on the map").check()
    page.get_by_label("Find someone or somewhere on the map").fill("fictional row")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("group", name="Found on the map")).to_be_visible()
    journey.check("link-form-found")

    page.get_by_label(re.compile("Fictional Row Estate")).check()
    page.get_by_label("How they are linked").select_option(label="Seen at")
    today = timezone.localdate()
    first_seen = page.get_by_role("group", name="First seen")
    first_seen.get_by_label("Day").fill(str(today.day))
    first_seen.get_by_label("Month").fill(str(today.month))
    first_seen.get_by_label("Year").fill(str(today.year))
    page.get_by_role("button", name="Add link").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Link L-[A-Z0-9]{4}-[A-Z0-9]{4} added"))
    journey.check("map-with-new-link")
    journey.assert_clean()
