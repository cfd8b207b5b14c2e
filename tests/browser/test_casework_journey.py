"""Case work in a real browser, with axe-core on every page: the Lambeth MASH lead schedules a MACE
meeting whose agenda comes from the register, records the discussion of one girl with two actions for two
agencies, sends the agenda, closes the meeting and prints the minutes (OFFICIAL-SENSITIVE, as a PDF from the
browser's print stylesheet); the police officer who owns one action sees it, and the minutes without the
discussion he may not see, and completes it; an overdue action notifies its owner."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RECORD = "Seen twice at the station after school with the same adult."


def test_the_mash_runs_a_mace_meeting_and_an_owner_completes_the_action(journey) -> None:
    from casework.models import Action, MaceMeeting
    from referrals.demo import _demo_subject

    girl = _demo_subject("lam-4a")  # a girl in immediate danger, whom the police officer never recorded
    page = journey.page
    journey.sign_in("mash.lambeth")
    page.get_by_role("link", name="MACE meetings").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("MACE meetings")
    journey.check("mace-meetings")
    page.get_by_label("Meeting date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Schedule it and build the agenda").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MACE meeting X-")
    # The agenda comes from the register: very high and high first.
    agenda = page.get_by_role("table", name="Agenda")
    expect(agenda).to_contain_text(girl.reference)
    expect(agenda.locator("tbody tr").first).to_contain_text("risk")
    journey.check("agenda")

    for agency in ("Larkhall Rise Academy", "Lambeth Safeguarding Unit (Central South BCU)",
                   "Lambeth Children's Social Care"):
        page.get_by_label(agency, exact=True).check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is updated")
    page.get_by_role("button", name="Send the agenda").click()
    expect(page.get_by_text("Agenda sent")).to_be_visible()
    journey.check("agenda-sent")

    page.get_by_role("link", name=f"Record the discussion of {girl.reference}").click()
    journey.check("discussion-form")
    # An action half filled in is explained, and nothing is recorded.
    page.get_by_label("Record of the discussion").fill(RECORD)
    page.get_by_label("Action 1: what needs to be done").fill("Visit the station at home time.")
    page.get_by_role("button", name="Record the discussion").click()
    expect(page.get_by_role("alert")).to_contain_text("an owner and a due date")
    journey.check("discussion-errors")
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    page.get_by_label("Decisions").fill("Police to disrupt; school to plan her walk home.")
    page.get_by_label("Action 1: who owns it").select_option(label="Tom Fletcher (Lambeth Safeguarding Unit "
                                                                   "(Central South BCU))")
    page.get_by_label("Action 1: due date").fill(due)
    page.get_by_label("Action 2: what needs to be done").fill("Safety plan for the walk home.")
    page.get_by_label("Action 2: who owns it").select_option(label="Helen Marsh (Larkhall Rise Academy)")
    page.get_by_label("Action 2: due date").fill(due)
    page.get_by_role("button", name="Record the discussion").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is recorded")
    meeting = MaceMeeting.objects.filter(status="agenda_out").get()
    assert sorted(a.owner.username for a in Action.objects.filter(meeting=meeting)) == ["dsl.lambeth",
                                                                                      "police.lambeth"]
    page.get_by_role("button", name="Close the meeting and record the minutes").click()
    expect(page.get_by_text("Held: minutes recorded")).to_be_visible()
    page.get_by_role("link", name="Minutes (printable)").click()
    expect(page.get_by_text("OFFICIAL-SENSITIVE").first).to_be_visible()
    expect(page.get_by_text(RECORD)).to_be_visible()
    expect(page.get_by_text("Safety plan for the walk home.", exact=False)).to_be_visible()
    journey.check("minutes")
    # Printed: the print stylesheet hides the service's header and menu; the marking stays on the page.
    page.emulate_media(media="print")
    expect(page.locator(".app-header")).to_be_hidden()
    expect(page.get_by_text("OFFICIAL-SENSITIVE").first).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Sign out").click()

    # The police officer owns one action; he cannot see her record, nor the discussion of her. It is waiting in
    # his inbox, by its reference.
    journey.sign_in("police.lambeth")
    police_action = Action.objects.get(meeting=meeting, owner__username="police.lambeth")
    journey.goto("/notifications/")
    expect(page.get_by_text(police_action.reference).first).to_be_visible()
    expect(page.get_by_text("Action assigned to you").first).to_be_visible()
    journey.check("police-notifications")
    page.get_by_role("link", name="Actions").first.click()
    mine = page.get_by_role("table", name="Your actions")
    expect(mine).to_contain_text(girl.reference)
    journey.check("police-actions")
    journey.goto(f"/mace/{meeting.reference}/minutes/")
    expect(page.get_by_text("OFFICIAL-SENSITIVE").first).to_be_visible()
    expect(page.get_by_text(RECORD)).to_have_count(0)
    expect(page.get_by_text("Safety plan for the walk home.")).to_have_count(0)
    expect(page.get_by_text("only the discussions you may see: 0 of 1")).to_be_visible()
    journey.check("police-minutes")
    journey.goto(f"/actions/{police_action.reference}/")
    expect(page.get_by_text("Visit the station at home time.")).to_be_visible()
    expect(page.get_by_role("link", name="Her case work")).to_have_count(0)
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_role("alert")).to_contain_text("Say what came of it")
    page.get_by_label("What came of it").fill("Patrolled three evenings; the adult has not been seen since.")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is updated")
    expect(page.locator(".govuk-tag", has_text="Done")).to_be_visible()
    journey.check("action-done")
    # Her record stays closed to him (the matrix checks the 404 page itself).
    from django.contrib.auth import get_user_model

    from referrals.models import Subject

    officer = get_user_model().objects.get(username="police.lambeth")
    assert not Subject.objects.restrict(officer, "view").filter(pk=girl.pk).exists()

    # The school's action passes its due date: the nightly job marks it overdue and tells its owner.
    school_action = Action.objects.get(meeting=meeting, owner__username="dsl.lambeth")
    Action.objects.filter(pk=school_action.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    mail.outbox.clear()
    call_command("alert_overdue_actions", stdout=io.StringIO())
    urgent = [m for m in mail.outbox if m.subject == f"URGENT: Action {school_action.reference} is overdue"]
    assert [m.to for m in urgent] == [["dsl.lambeth@example.org"]]
    assert "walk home" not in urgent[0].body
    journey.assert_clean()
