"""A move between boroughs in a real browser, with axe-core on every page: Southwark's MASH lead opens the
demo's waiting transfer from Lambeth, sees who she is, and accepts; her record is then Southwark's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_other_boroughs_mash_accepts_a_girl_moving_to_it(journey) -> None:
    page = journey.page
    journey.sign_in("mash.southwark")
    page.get_by_role("link", name="Borough transfers").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Borough transfers")
    journey.check("borough-transfers")

    waiting = page.get_by_role("table", name="Waiting for your answer")
    waiting.get_by_role("link").first.click()
    expect(page.get_by_text("Moved with her mother to a refuge in Southwark")).to_be_visible()
    expect(page.get_by_text("Samplea Notreal")).to_be_visible()  # who she is, to check for a duplicate
    journey.check("borough-transfer")

    # Declining without a reason explains what is missing and changes nothing.
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why you are declining")
    journey.check("borough-transfer-errors")

    page.get_by_role("button", name="Accept: she is ours now").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is now a young person of your borough")
    expect(page.get_by_role("link", name="Move her to another borough")).to_be_visible()
    journey.check("her-record-in-southwark")

    page.get_by_role("link", name="Move her to another borough").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Her borough")
    expect(page.get_by_text("Her home borough is Southwark")).to_be_visible()
    journey.check("her-boroughs")
    journey.assert_clean()
