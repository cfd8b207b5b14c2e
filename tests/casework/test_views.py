"""Case-work pages: what each reader is shown, and what an erased girl leaves behind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import Action
from referrals import services as referral_services
from tests.casework.cases import build_casework_cases

pytestmark = pytest.mark.django_db
DISCUSSION = "Seen with older men at the station."


@pytest.fixture
def cw(world):
    return build_casework_cases(world)


# The school's DSL reads the discussion of a girl the school recorded concerns about, but not the police's
# action agreed in it (actions follow their own rule); the police officer owns that action but reads no
# discussion of her (he sees it on his actions page).
@pytest.mark.parametrize(("persona", "sees_discussion", "sees_action"), [
    ("mash_lambeth", True, True), ("dsl_lambeth", True, False), ("csc_lambeth", True, True),
    ("police_lambeth", False, False), ("teacher_lambeth", False, False)])
def test_the_minutes_show_each_reader_their_part_under_the_marking(client_for, cw, persona, sees_discussion,
                                                                   sees_action):
    meeting = cw.meetings["cw_meeting_held"]
    html = client_for(persona).get(reverse("mace-minutes", kwargs={"reference": meeting.reference})).content.decode()
    assert html.count("OFFICIAL-SENSITIVE") >= 2
    assert (DISCUSSION in html) == sees_discussion
    assert ("Visit the station at night." in html) == sees_action
    assert ("only the discussions you may see: 0 of 1" in html) == (not sees_discussion)


def test_her_page_shows_open_actions_and_outcomes_to_those_who_may_see_them(client_for, cw, world):
    from casework import services

    services.do_record_outcome(subject=cw.subject, kind="engaged_specialist", occurred_on=cw.subject.created_at.date(),
                               note="", actor=world.user("csc_lambeth"))
    url = reverse("subject-detail", kwargs={"reference": cw.subject.reference})
    mash = client_for("mash_lambeth").get(url).content.decode()
    assert "Plan and outcomes" in mash and cw.actions["cw_police_action"].reference in mash
    assert "Engaged with the specialist service" in mash
    teacher = client_for("teacher_lambeth").get(url).content.decode()
    # Her teacher sees her school's action, not the police's, and not social care's outcome.
    assert cw.actions["cw_school_action"].reference in teacher
    assert cw.actions["cw_police_action"].reference not in teacher
    assert "Engaged with the specialist service" not in teacher


def test_an_owner_reads_the_action_without_her_record(client_for, cw):
    action = cw.actions["cw_police_action"]
    response = client_for("police_lambeth").get(reverse("action-detail", kwargs={"reference": action.reference}))
    html = response.content.decode()
    assert response.status_code == 200 and "Trace the adult." in html
    assert reverse("casework-subject", kwargs={"reference": cw.subject.reference}) not in html
    assert reverse("subject-detail", kwargs={"reference": cw.subject.reference}) not in html


def test_an_erased_girl_leaves_no_readable_case_work(client_for, cw, world):
    referral_services.do_erase_subject(subject=cw.subject, reason="recorded_in_error", actor=None)
    mash = client_for("mash_lambeth")
    action = cw.actions["cw_police_action"]
    assert mash.get(reverse("action-detail", kwargs={"reference": action.reference})).status_code == 404
    assert mash.get(reverse("strategy-discussion-detail",
                            kwargs={"reference": cw.discussions["cw_discussion"].reference})).status_code == 404
    minutes = mash.get(reverse("mace-minutes", kwargs={"reference": cw.meetings["cw_meeting_held"].reference}))
    assert minutes.status_code == 200 and DISCUSSION not in minutes.content.decode()
    detail = mash.get(reverse("mace-detail", kwargs={"reference": cw.meetings["cw_meeting_planned"].reference}))
    # Her erasure takes her off the agenda of a meeting not yet held (she was not discussed there).
    assert detail.status_code == 200 and cw.subject.reference not in detail.content.decode()
    actions = mash.get(reverse("action-list"))
    assert actions.status_code == 200 and Action.objects.filter(subject=cw.subject).exists()
