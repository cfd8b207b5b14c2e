"""The inbox and her chronology in a real browser, with axe-core on every page.

Lambeth's MASH lead, signed in to the demo, sees the unread count in the header, opens Notifications,
follows one to its case, marks one and then all as read (the count goes), and opens a girl's full
chronology from her page and filters it by kind. A teacher sees their own chronology without a level.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_mash_lead_works_through_the_inbox_and_reads_a_chronology(journey) -> None:
    page = journey.page
    journey.sign_in("mash.lambeth")
    badge = page.locator(".app-notification-badge")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text(re.compile(r"\d+ unread"))
    journey.check("home-with-unread-count")

    page.get_by_role("link", name=re.compile(r"^Notifications")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.locator(".app-notifications__item--unread").first).to_be_visible()
    journey.check("notifications")

    # Each notification is a reference and a link to its case's own page.
    first = page.locator(".app-notifications__item").first.get_by_role("link")
    reference = re.search(r"[A-Z]-[0-9A-Z]{4}-[0-9A-Z]{4}", first.inner_text()).group(0)
    first.click()
    expect(page.locator("main")).to_contain_text(reference)
    journey.check("notification-opened")

    page.go_back()
    unread_before = page.locator(".app-notifications__item--unread").count()
    unread = page.locator(".app-notifications__item--unread").first
    unread.get_by_role("button", name=re.compile("Mark as read")).click()
    expect(page.locator(".app-notifications__item--unread")).to_have_count(unread_before - 1)
    journey.check("one-marked-read")

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("alert")).to_contain_text("marked as read")
    expect(page.locator(".app-notifications__item--unread")).to_have_count(0)
    expect(page.locator(".app-notification-badge")).to_have_count(0)
    journey.check("all-read")

    # Her full chronology, from her page, filtered to concerns only.
    page.get_by_role("link", name="Young people").first.click()
    page.locator("table a.govuk-link").first.click()
    page.get_by_role("link", name=re.compile("^Full chronology")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology")
    journey.check("chronology")
    page.get_by_label("What").select_option("concern")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("caption")).to_contain_text(" of ")
    for what in page.locator("td[data-label='What']").all_inner_texts():
        assert what == "Concern"
    journey.check("chronology-concerns")
    journey.assert_clean()


def test_a_teacher_reads_her_chronology_without_a_level(journey) -> None:
    page = journey.page
    journey.sign_in("teacher.lambeth")
    page.get_by_role("link", name="Young people").first.click()
    page.locator("table a.govuk-link").first.click()
    page.get_by_role("link", name=re.compile("^Full chronology")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology")
    main = page.locator("main").inner_text()
    assert "Risk level" not in main and "Risk register" not in main
    assert set(page.locator("td[data-label='What']").all_inner_texts()) <= {"Concern", "Referral"}
    journey.check("teacher-chronology")
    page.get_by_role("link", name=re.compile(r"^Notifications")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    journey.check("teacher-notifications")
    journey.assert_clean()
