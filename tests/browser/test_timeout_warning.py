"""The timeout warning and drafts in a real browser (GOV.UK timeout-warning pattern), with the idle limit
shortened by settings: the dialog opens, keeps the keyboard inside, answers Escape and "Stay signed in"
by restarting the idle clock, passes axe-core; when time runs out on the concern form what she typed is
kept as a draft, and after signing in again "Continue" fills the form in."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARRATIVE = "Timeoutcanary: she was picked up at the school gate by an older man in a grey car."
IDLE_SECONDS = 24
WARNING_SECONDS = 20  # the dialog opens 4 seconds after a page loads


def _session_expiry(page) -> object:
    key = next(c["value"] for c in page.context.cookies() if c["name"].endswith("sessionid"))
    return Session.objects.get(session_key=key).expire_date


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.textContent.trim() : ''")


def test_the_timeout_warning_and_a_draft_kept_when_time_runs_out(journey, settings) -> None:
    page = journey.page
    journey.sign_in("teacher.lambeth")
    settings.SESSION_COOKIE_AGE = IDLE_SECONDS
    settings.SESSION_WARNING_SECONDS = WARNING_SECONDS
    journey.goto("/concerns/new/")
    expect(page.get_by_text("For your security, we will sign you out at")).to_be_visible()
    page.get_by_label("What did you see or hear?").fill(NARRATIVE)
    page.get_by_label("What did you see or hear?").focus()

    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog).to_contain_text("We will sign you out in")
    expect(dialog).to_contain_text("kept as a draft that only you can open")
    journey.check("timeout-warning")

    # The keyboard stays inside the dialog.
    assert _focused(page) == "Stay signed in"
    page.keyboard.press("Tab")
    assert _focused(page) == "Sign out"
    page.keyboard.press("Tab")
    assert _focused(page) == "Stay signed in"
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "Sign out"

    # Escape is "Stay signed in": the dialog closes, the idle clock restarts, focus goes back.
    before = _session_expiry(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    assert _session_expiry(page) > before
    assert page.evaluate("document.activeElement.id") == "id_narrative"

    # It comes back before the new limit; "Stay signed in" restarts the clock too.
    expect(dialog).to_be_visible(timeout=15_000)
    before = _session_expiry(page)
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(300)
    assert _session_expiry(page) > before

    # This time nobody answers: the session ends, the form is kept as her draft, she is asked to sign in.
    expect(dialog).to_be_visible(timeout=15_000)
    page.wait_for_url("**/sign-in/**", timeout=40_000)
    expect(page.get_by_text("we kept what you typed as a draft that only you can open")).to_be_visible()
    assert NARRATIVE not in page.content()
    journey.check("signed-out-draft-kept")

    # Signing in again: the offer, then Continue fills the form in (not sent).
    settings.SESSION_COOKIE_AGE = 1800
    settings.SESSION_WARNING_SECONDS = 120
    journey.sign_in("teacher.lambeth")
    journey.goto("/")
    expect(page.get_by_text("You have an unsent concern from")).to_be_visible()
    journey.check("home-draft-offer")
    page.get_by_role("button", name="Continue the unsent concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a concern")
    expect(page.get_by_label("What did you see or hear?")).to_have_value(NARRATIVE)
    journey.check("draft-continued")
    journey.assert_clean()
