"""How much effort the record-a-concern form takes, measured in a real browser (README: "Recording a
concern: effort"). Before the signs were grouped behind "More signs" and the date seen defaulted to today,
reaching Continue from the first field took 54 Tab presses; the journey's counts are pinned here so that
the form does not silently grow again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAB_BUDGET = 32  # measured 29 on the demo catalogue (README); a little room for one more group or field


def _tabs_to(page, name: str) -> int:
    """Tab presses from the first name field until the button named ``name`` has the focus."""
    page.get_by_label("First name").focus()
    for presses in range(1, 200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent.trim()") == name:
            return presses
    raise AssertionError(f"{name} was never reached by Tab")


def test_the_concern_form_is_short_by_keyboard_and_defaults_the_date_seen_to_today(journey) -> None:
    page = journey.page
    journey.sign_in("teacher.lambeth")
    journey.goto("/concerns/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a concern")
    journey.check("concern-form")
    tabs = _tabs_to(page, "Continue")
    print(f"\nTab presses from First name to Continue: {tabs}")
    assert tabs <= TAB_BUDGET

    today = timezone.localdate()
    observed = page.get_by_role("group", name="When did you see the signs?")
    assert (observed.get_by_label("Day").input_value(), observed.get_by_label("Month").input_value(),
            observed.get_by_label("Year").input_value()) == (str(today.day), str(today.month), str(today.year))

    # Every sign is still one click away: a sign behind "More signs" opens its group and is ticked.
    more = page.get_by_role("group", name="Which signs have you seen?").locator("details").first
    more.locator("summary").click()
    more.get_by_role("checkbox").first.check()
    page.get_by_label("First name").fill("Effortia")
    page.get_by_label("Last name").fill("Keyboardtest")
    dob = page.get_by_role("group", name="Date of birth")
    born = dt.date(2011, 4, 9)
    dob.get_by_label("Day").fill(str(born.day))
    dob.get_by_label("Month").fill(str(born.month))
    dob.get_by_label("Year").fill(str(born.year))
    page.get_by_label("Told my designated safeguarding lead").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before recording the concern")
    expect(page.get_by_text("Told my designated safeguarding lead")).to_be_visible()
    journey.check("check-answers")
    page.get_by_role("button", name="Record concern").click()
    expect(page.get_by_role("heading", name="Concern recorded")).to_be_visible()
    journey.check("confirmation")

    # Recording another concern about her shows her name as this teacher entered it, not a reference alone.
    page.get_by_role("link", name="S-", exact=False).first.click()
    page.get_by_role("link", name="Record another concern").click()
    expect(page.get_by_text("Effortia Keyboardtest")).to_be_visible()
    journey.check("another-concern")
    journey.assert_clean()


# The demo journey (README "Recording a concern: effort"): a new girl, three signs in two groups, a line
# about what was seen, how worried, then check and record. Counted the same way on the form before the
# signs were grouped (this journey run against that commit, abc24df^): 15 clicks and 89 keystrokes then,
# 8 of them today's date (29 11 2026), which now needs none; now 14 and 81. Most keystrokes are her name, her
# date of birth and what was seen, which no form can spare; the clicks now include opening two groups.
DEMO_SIGNS = ("Missing from home or care", "Absent from school", "Older boyfriend or associate")
DEMO_NARRATIVE = "Seen getting into a car with an older man after school."
CLICK_BUDGET, KEY_BUDGET = 14, 81


class Effort:
    """Clicks and keystrokes of a scripted journey: every click and every character goes through here."""

    def __init__(self, page) -> None:
        self.page, self.clicks, self.keys = page, 0, 0

    def click(self, locator) -> None:
        locator.click()
        self.clicks += 1

    def type_into(self, locator, text: str) -> None:
        self.click(locator)
        self.page.keyboard.type(text)
        self.keys += len(text)

    def tick_sign(self, label: str) -> None:
        box = self.page.get_by_label(label, exact=True)
        if not box.is_visible():  # behind its group's heading: one click opens the group
            self.click(box.locator("xpath=ancestor::details[1]/summary"))
        self.click(box)


def record_demo_concern(page) -> Effort:
    effort = Effort(page)
    effort.type_into(page.get_by_label("First name"), "Effortia")
    effort.type_into(page.get_by_label("Last name"), "Keyboardtest")
    dob = page.get_by_role("group", name="Date of birth")
    for box, value in (("Day", "9"), ("Month", "4"), ("Year", "2011")):
        effort.type_into(dob.get_by_label(box), value)
    observed = page.get_by_role("group", name="When did you see the signs?")
    if not observed.get_by_label("Day").input_value():  # the form before: no default
        today = timezone.localdate()
        for box, value in (("Day", today.day), ("Month", today.month), ("Year", today.year)):
            effort.type_into(observed.get_by_label(box), str(value))
    for sign in DEMO_SIGNS:
        effort.tick_sign(sign)
    effort.type_into(page.get_by_label("What did you see or hear?"), DEMO_NARRATIVE)
    effort.click(page.get_by_label("I am worried about her", exact=True))
    effort.click(page.get_by_role("button", name="Continue"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before recording the concern")
    effort.click(page.get_by_role("button", name="Record concern"))
    expect(page.get_by_role("heading", name="Concern recorded")).to_be_visible()
    return effort


def test_the_demo_journey_takes_few_clicks_and_keystrokes(journey) -> None:
    page = journey.page
    journey.sign_in("teacher.lambeth")
    journey.goto("/concerns/new/")
    effort = record_demo_concern(page)
    print(f"\nDemo journey: {effort.clicks} clicks, {effort.keys} keystrokes")
    assert effort.clicks <= CLICK_BUDGET
    assert effort.keys <= KEY_BUDGET
    journey.assert_clean()
