"""The partnership's statistics in a real browser, with axe-core on every page: MOPAC's analyst looks at
London and at Lewisham (the demo's year of history), by quarter and by month; Lewisham's analyst sees
Lewisham and London only, and is refused another borough's figures and the case pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_london_and_the_borough_analyst_look_at_the_charts(journey) -> None:
    from partnership.demo import seed_statistics_history
    from partnership.services import do_aggregate_statistics

    # The demo's year of history (seed_demo loads it unless DEMO_STATISTICS_HISTORY is off, as in the tests).
    seed_statistics_history()
    do_aggregate_statistics()
    page = journey.page
    journey.sign_in("analyst.london")
    page.get_by_role("link", name="Statistics").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("London")
    expect(page.get_by_text("Last computed")).to_be_visible()
    expect(page.locator("svg.app-stat-chart")).to_have_count(15)  # one per measure
    expect(page.get_by_role("table", name="Girls identified, by the kind of agency that raised the first "
                                          "concern, by quarter")).to_be_visible()
    journey.check("statistics-london")

    page.get_by_role("link", name="By month").click()
    expect(page.get_by_role("table", name="Register entries, by level at entry, by month")).to_be_visible()
    journey.check("statistics-london-by-month")

    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Lewisham").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lewisham")
    journey.check("statistics-lewisham")

    journey.page.context.clear_cookies()
    journey.sign_in("analyst.lewisham")
    page.get_by_role("link", name="Statistics").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lewisham")
    areas = page.get_by_role("navigation", name="Areas")
    expect(areas.get_by_role("link")).to_have_count(1)  # London; Lewisham is the page itself
    journey.check("statistics-borough-analyst")
    # Another borough's figures and every case page are refused, as if they did not exist (asked with the
    # session's own cookies, so the refusal is not a console error of the journey).
    for path in ("/statistics/lambeth/", "/subjects/", "/register/"):
        assert page.request.get(journey.base_url + path).status == 404, path
    journey.assert_clean()
