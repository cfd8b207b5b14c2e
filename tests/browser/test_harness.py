"""The checks the journeys rely on really bite: axe-core reports a violation, the CSP blocks inline code."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_failed_sign_in_is_accessible_and_the_checks_catch_a_broken_page(browser_page) -> None:
    journey = browser_page
    page = journey.page
    journey.goto("/sign-in/")
    page.get_by_label("Username").fill("nobody.here")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a correct username and password")
    journey.check("sign-in-error")
    journey.assert_clean()

    # A template mistake, made on purpose: a field loses its label and an inline script appears.
    page.evaluate(
        """() => {
            document.querySelector("label[for='id_username']").remove();
            const script = document.createElement("script");
            script.textContent = "window.inlineScriptRan = true";
            document.body.append(script);
        }"""
    )
    journey.check("broken-on-purpose")
    assert any(" label " in violation and "#id_username" in violation for violation in journey.violations), (
        journey.violations
    )
    assert page.evaluate("() => window.inlineScriptRan") is None
    assert any("Content Security Policy" in error for error in journey.console_errors), journey.console_errors
