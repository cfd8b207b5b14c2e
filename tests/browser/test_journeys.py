"""Three journeys through the demo London in a real browser, with axe-core on every page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_practitioner_records_a_concern(journey) -> None:
    page = journey.page
    journey.sign_in("teacher.lambeth")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    journey.check("home")

    page.get_by_role("main").get_by_role("link", name="Record a concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a concern")
    journey.check("concern-form")

    # Continuing with nothing filled in explains what is missing, on the same page.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile("^Error: Record a concern"))
    journey.check("concern-form-errors")

    seen = timezone.localdate() - dt.timedelta(days=1)
    page.get_by_label("First name").fill("Journeya")
    page.get_by_label("Last name").fill("Browsertest")
    dob = page.get_by_role("group", name="Date of birth")
    dob.get_by_label("Day").fill("9")
    dob.get_by_label("Month").fill("4")
    dob.get_by_label("Year").fill("2011")
    page.get_by_label("Borough she lives in").select_option(label="Lambeth")
    observed = page.get_by_role("group", name="When did you see the signs?")
    observed.get_by_label("Day").fill(str(seen.day))
    observed.get_by_label("Month").fill(str(seen.month))
    observed.get_by_label("Year").fill(str(seen.year))
    # Signs sit in groups that open with one click (the form is short by keyboard).
    page.get_by_text("Missing and education (", exact=False).click()
    page.get_by_label("Absent from school").check()
    page.get_by_text("Online, gifts and exploitation of others (", exact=False).click()
    page.get_by_label("Gifts from unknown sources").check()
    page.get_by_label("What did you see or hear?").fill("Came in with a new phone; would not say who gave it to her.")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before recording the concern")
    expect(page.get_by_text("Journeya Browsertest")).to_be_visible()
    journey.check("check-answers")

    page.get_by_role("button", name="Record concern").click()
    expect(page.get_by_role("heading", name="Concern recorded")).to_be_visible()
    expect(page.locator(".govuk-panel__body")).to_contain_text(re.compile(r"C-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    journey.check("confirmation")
    journey.assert_clean()


def test_mash_lead_triages_the_register_and_decides_a_referral(journey) -> None:
    page = journey.page
    journey.sign_in("mash.lambeth")
    journey.check("home")

    page.get_by_role("link", name="Risk register for Lambeth").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Risk register")
    journey.check("register")

    # Triage the highest level first; the MASH lead sees each girl's name, her age and the agencies involved.
    page.get_by_label("Level").select_option(label="Very high")
    page.get_by_role("button", name="Apply filters").click()
    entries = page.get_by_role("table", name="Entries")
    first_row = entries.get_by_role("row").nth(1)
    first = first_row.get_by_role("link").first
    reference = re.search(r"S-[A-Z0-9]{4}-[A-Z0-9]{4}", first_row.inner_text()).group(0)
    assert not re.fullmatch(r"S-[A-Z0-9]{4}-[A-Z0-9]{4}", first.inner_text().strip())  # a name, not a reference
    journey.check("register-very-high")
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    journey.check("register-entry")

    page.get_by_role("link", name="Open the young person's record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    journey.check("subject")

    main = page.get_by_role("main")
    main.get_by_role("link", name="See the risk and how it changed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Risk")
    journey.check("subject-risk")
    page.go_back()
    main.get_by_role("link", name=f"People, places and groups linked to {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    journey.check("association-map")

    # Reaching high raised an automatic referral: find hers in the MASH inbox.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Home").click()
    page.get_by_role("link", name="MASH inbox").click()
    journey.check("inbox")
    row = page.get_by_role("row").filter(has_text=reference)
    row.get_by_role("link", name=re.compile(r"^R-")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"R-[A-Z0-9]{4}-[A-Z0-9]{4}"))
    journey.check("referral")

    page.get_by_role("button", name="Start screening").click()
    expect(page.get_by_text("is now")).to_be_visible()
    journey.check("referral-screening")

    page.get_by_role("link", name="Record the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the MASH decision")
    journey.check("decision-form")
    # The system's recommendation is ticked already, each pathway with its one service chosen: the lead
    # accepts it in one click, leaving one pathway out with a reason.
    page.get_by_label("Referred on to a service").check()
    recommended = page.get_by_role("group", name="Recommended pathways")
    choices = recommended.locator(".pathway-choice")
    assert choices.count() >= 2
    ticked = [n for n in range(choices.count()) if choices.nth(n).get_by_role("checkbox").is_checked()]
    assert len(ticked) >= 2, ticked
    left_out = choices.nth(ticked[-1])
    left_label = left_out.locator(".govuk-checkboxes__label").inner_text().replace("Urgent", "").strip()
    left_out.get_by_role("checkbox").uncheck()
    left_out.get_by_label("If you leave it out, why?").fill("Already offered last month; she said no.")
    for n in ticked[:-1]:
        service = choices.nth(n).get_by_role("combobox")
        if not service.input_value():  # several services take it (the NRM: police or the local authority)
            service.select_option(index=1)
        consent = choices.nth(n).get_by_label("Consent given")
        if consent.count():  # a voluntary service: her agreement is recorded with the decision
            consent.check()
    page.get_by_label("Reason for the decision").fill("Older associates and missing episodes: as recommended.")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_role("alert")).to_contain_text("Decision recorded")
    expect(page.get_by_role("heading", name="Pathways")).to_be_visible()
    expect(page.get_by_text("Recommended, left out by the MASH")).to_be_visible()
    expect(page.get_by_text("Already offered last month; she said no.")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=left_label)).to_be_visible()
    journey.check("decision-recorded")

    # The people, places and groups linking several young people, and one girl's map drawn from them.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Contexts of concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contexts of concern")
    journey.check("contexts")
    page.get_by_role("table").get_by_role("link", name=re.compile(r"^S-")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Association map for S-")
    expect(page.get_by_role("table").first).to_be_visible()
    journey.check("association-map-linked")
    journey.assert_clean()


def test_auditor_reviews_the_access_trail(journey) -> None:
    page = journey.page
    journey.sign_in("auditor")
    journey.check("home")

    page.get_by_role("link", name="Search the access trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access trail")
    journey.check("trail")

    page.get_by_label("User account").fill("mash.lambeth")
    page.get_by_label("Action").select_option(label="Decide")
    page.get_by_role("button", name="Filter").click()
    events = page.get_by_role("table", name="Access events, newest first")
    expect(events).to_be_visible()
    journey.check("trail-filtered")

    events.get_by_role("link").first.click()
    expect(page).to_have_title(re.compile("^Disclosure log of referral R-"))
    journey.check("disclosure-log")

    page.get_by_role("link", name="Anomalies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anomalies")
    journey.check("anomalies")

    page.get_by_role("link", name="Chain status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chain status")
    journey.check("chain-status")
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_role("alert")).to_contain_text("The trail is intact")
    journey.check("chain-verified")
    journey.assert_clean()
