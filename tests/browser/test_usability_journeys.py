"""The usability journeys in a real browser, with axe-core on every page: finding a young person (MASH
lead), a subject access letter (data protection officer), the trail on a desktop and a phone (auditor),
adding a user (administrator), and the demo's not-found page."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _no_sideways_scroll(journey, name: str) -> None:
    overflow = journey.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"


def _fill_dob(page, day: int, month: int, year: int) -> None:
    dob = page.get_by_role("group", name="Date of birth")
    dob.get_by_label("Day").fill(str(day))
    dob.get_by_label("Month").fill(str(month))
    dob.get_by_label("Year").fill(str(year))


def test_mash_lead_finds_a_young_person_by_name(journey) -> None:
    page = journey.page
    journey.sign_in("mash.lambeth")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find a young person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a young person")
    journey.check("search-form")

    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter her last name.")
    journey.check("search-errors")

    # Part of a name: the first letters of her first name, her last name and date of birth.
    page.get_by_label("First name").fill("Demo")
    page.get_by_label("Last name").fill("fictionson")
    _fill_dob(page, 14, 3, 2011)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 record found")).to_be_visible()
    assert "Demoiya" not in page.url and "fictionson" not in page.url.lower()
    results = page.get_by_role("table", name="1 record found")
    expect(results).to_contain_text("Demoiya Fictionson")
    expect(results).to_contain_text("Lambeth")
    journey.check("search-results")

    # A girl in another borough is not found, whatever her name.
    page.get_by_label("First name").fill("Exampla")
    page.get_by_label("Last name").fill("Imaginary")
    _fill_dob(page, 19, 8, 2010)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No records found")).to_be_visible()
    journey.check("search-nothing")

    page.get_by_label("First name").fill("Demoiya")
    page.get_by_label("Last name").fill("Fictionson")
    _fill_dob(page, 14, 3, 2011)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("table").get_by_role("link", name=re.compile(r"^S-")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"S-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    journey.check("found-subject")

    page.set_viewport_size(PHONE)
    journey.goto("/subjects/search/")
    page.get_by_label("Last name").fill("Fictionson")
    _fill_dob(page, 14, 3, 2011)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 record found")).to_be_visible()
    _no_sideways_scroll(journey, "search results on a phone")
    journey.check("search-results-phone")
    journey.assert_clean()


def test_data_protection_officer_answers_a_subject_access_request_as_a_letter(journey) -> None:
    page = journey.page
    journey.sign_in("dpo")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Subject access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subject access request")
    journey.check("sar-search")

    # Every borough: a Southwark girl, by the name and date of birth in her request.
    page.get_by_label("First name").fill("Exampla")
    page.get_by_label("Last name").fill("Imaginary")
    _fill_dob(page, 19, 8, 2010)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 record found")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Southwark")
    journey.check("sar-results")

    page.get_by_role("table").get_by_role("link", name=re.compile(r"^S-")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The information we hold about you")
    expect(page.get_by_role("main")).to_contain_text("19 August 2010")
    expect(page.get_by_role("main")).to_contain_text("[name withheld]")
    expect(page.get_by_role("main")).not_to_contain_text("teacher.southwark")
    journey.check("sar-letter")

    page.get_by_role("link", name="Include other people's names").click()
    expect(page.get_by_role("main")).to_contain_text("teacher.southwark")
    journey.check("sar-letter-with-names")
    page.get_by_role("link", name="Withhold other people's names again").click()

    page.get_by_role("link", name="Printable version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The information we hold about you")
    expect(page.locator("script")).to_have_count(0)
    expect(page.get_by_role("navigation")).to_have_count(0)
    journey.check("sar-printable")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.check("sar-printed")
    journey.assert_clean()


def test_auditor_reads_the_trail_on_a_desktop_and_a_phone(journey) -> None:
    page = journey.page
    journey.sign_in("auditor")
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        journey.goto("/audit/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Access trail")
        _no_sideways_scroll(journey, f"access trail, {label}")
        journey.check(f"trail-{label}")
        page.get_by_role("link", name="Anomalies").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Anomalies")
        _no_sideways_scroll(journey, f"anomalies, {label}")
        journey.check(f"anomalies-{label}")
    # On the phone, each row of the trail stacks, each value under its column's name.
    journey.goto("/audit/")
    first = page.locator("table.app-table--stacked tbody tr").first
    display = first.evaluate("row => getComputedStyle(row).display")
    assert display == "block", display
    journey.assert_clean()


def _ignore_axe_messages(journey):
    """On the admin pages axe-core itself (injected by the harness, not part of the page) tries to load
    the admin's stylesheets into <style> elements, which the page's policy refuses, and logs that. Those
    messages come from axe's own file; the page's are kept. Returns the function that drops them."""
    from_axe: set[str] = set()

    def note(message) -> None:
        if message.type == "error" and message.location.get("url", "").endswith("axe.min.js"):
            from_axe.add(message.text)

    journey.page.on("console", note)

    def drop() -> None:
        journey.console_errors[:] = [e for e in journey.console_errors
                                     if e not in from_axe and not e.startswith("Couldn't load preload assets")]

    return drop


def test_administrator_adds_a_user_in_one_form(journey) -> None:
    page = journey.page
    journey.sign_in("admin")
    harness = _ignore_axe_messages(journey)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Administration").click()
    journey.check("admin-index")

    journey.goto("/administration/auth/user/")
    expect(page.locator("th.column-agency")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="teacher.lambeth")).to_contain_text("Larkhall Rise Academy")
    journey.check("admin-users")

    journey.goto("/administration/auth/user/add/")
    journey.check("admin-add-user")
    page.get_by_label("Username").fill("new.teacher")
    page.get_by_label("First name").fill("New")
    page.get_by_label("Last name").fill("Teacher")
    page.get_by_label("Email address").fill("new.teacher@larkhall.example")
    page.locator("#id_agency").select_option(label="Larkhall Rise Academy (Lambeth)")
    page.get_by_label("Practitioner").check()
    page.get_by_role("button", name=re.compile("^Save$")).click()
    expect(page.get_by_role("main")).to_contain_text("Set-password links")
    journey.check("admin-user-added")

    journey.goto("/administration/agencies/membership/")
    page.get_by_role("link", name="teacher.lambeth").first.click()
    expect(page.locator(".select2-selection[role=combobox]").first).to_be_visible()
    journey.check("admin-membership")
    harness()
    journey.assert_clean()


def _forget_the_pages_own_404(journey) -> None:
    # Chromium logs the 404 status of the page itself as a console error; that status is the point here.
    journey.console_errors[:] = [e for e in journey.console_errors if "status of 404" not in e]


def test_the_demo_not_found_page_is_the_services_own(journey) -> None:
    page = journey.page
    with override_settings(DEBUG=True):
        journey.goto("/no-such-page/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page.get_by_role("main")).not_to_contain_text("URLconf")
        expect(page.locator("body")).not_to_contain_text("Django tried these URL patterns")
        journey.check("not-found-signed-out")
        _forget_the_pages_own_404(journey)
        journey.sign_in("teacher.lambeth")
        journey.goto("/subjects/S-AAAA-AAAA/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        journey.check("not-found-signed-in")
        _forget_the_pages_own_404(journey)
    journey.assert_clean()
