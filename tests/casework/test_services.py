"""Case work services: each asserts its access events, what it refuses, and who sees what."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessEvent
from casework import chronology, services
from casework.choices import ActionStatus, AgendaReason
from casework.models import Action, MaceDiscussion, MaceMeeting, Outcome, Plan, StrategyDiscussion
from referrals import clocks
from referrals.models import ReferralPathway, Subject
from risk.pathways import Clock
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.casework.cases import add_action, meeting_about, routed_girl, strategy_discussion
from tests.referrals.pathway_cases import ALL_THREE, LEFT_OUT_MACE, add_services, decide, high_girl, respond, row

pytestmark = pytest.mark.django_db
TYPED = "Seen with the man in the blue car"


@pytest.fixture
def emails(world):
    """Give the personas email addresses (they have none by default), so notifications are sent."""
    for name in ("dsl_lambeth", "mash_lambeth", "csc_lambeth", "police_lambeth", "teacher_lambeth"):
        user = world.user(name)
        user.email = f"{name}@example.org"
        user.save()


def _no_typed_text_in_the_trail(*texts: str) -> None:
    for event in AccessEvent.objects.all():
        blob = f"{event.purpose} {event.detail}"
        for text in texts:
            assert text not in blob


def test_a_strategy_discussion_starts_the_clocks_that_wait_for_it(world, emails, django_capture_on_commit_callbacks):
    add_services(world)
    referral = high_girl(world)
    referral = decide(world, referral, {**ALL_THREE, "cp_conference": "lambeth_csc"}, left_out=LEFT_OUT_MACE,
                      added={"cp_conference": "Enquiries already under way: conference likely."})
    respond(world, referral, "csc_strategy", "accept")
    conference = row(referral, "cp_conference")
    assert conference.due_at is None and conference.clock_starts == "strategy_discussion"
    audit_checkpoint()
    held = timezone.now() - dt.timedelta(hours=3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        discussion = services.do_record_strategy_discussion(
            subject=referral.subject, held_at=held, agencies=[world.agencies["lambeth_csc"]], decision="conference",
            record_text=TYPED, pathway=row(referral, "csc_strategy"), actor=world.user("mash_lambeth"))
    events = [(e.action, e.object_type, e.reference, e.detail.get("service"), e.detail.get("pathway"))
              for e in new_audit_events()]
    # One event per change: the discussion's creation, and the conference pathway whose clock started.
    assert events == [("create", "strategy_discussion", discussion.reference, "do_record_strategy_discussion",
                       "csc_strategy"),
                      ("update", "referral", referral.reference, "do_record_strategy_discussion", "cp_conference")]
    conference.refresh_from_db()
    assert conference.due_at == clocks.deadline(Clock("working_days", 15, "strategy_discussion"), held)
    # Held against the strategy pathway's own clock (one working day from the decision).
    assert discussion.due_at == row(referral, "csc_strategy").due_at and discussion.within_clock is True
    assert StrategyDiscussion.objects.get(pk=discussion.pk).record == TYPED
    # The services holding her live pathways are told: a reference and a link, nothing typed.
    assert [m.to for m in mail.outbox] == [["csc_lambeth@example.org"]]
    assert all(TYPED not in m.body and TYPED not in m.subject for m in mail.outbox)
    _no_typed_text_in_the_trail(TYPED)


@pytest.mark.parametrize(("persona", "error"), [
    ("csc_lambeth", PermissionDenied), ("dsl_lambeth", PermissionDenied), ("mash_southwark", PermissionDenied),
])
def test_only_her_borough_mash_records_a_strategy_discussion(world, persona, error):
    referral = routed_girl(world)
    audit_checkpoint()
    with pytest.raises(error):
        services.do_record_strategy_discussion(
            subject=referral.subject, held_at=timezone.now(), agencies=[world.agencies["lambeth_csc"]],
            decision="section_47", record_text="x", actor=world.user(persona))
    assert not StrategyDiscussion.objects.exists() and new_audit_events() == []


@pytest.mark.parametrize(("change", "message"), [
    ({"decision": "arrest"}, "Choose what the strategy discussion decided"),
    ({"record_text": "  "}, "Enter the record"),
    ({"record_text": "bad\x00text"}, "control characters"),
    ({"agencies": []}, "Choose the agencies"),
    ({"held_at": "future"}, "before it is held"),
])
def test_a_bad_strategy_discussion_changes_nothing(world, change, message):
    referral = routed_girl(world)
    kwargs = {"subject": referral.subject, "held_at": timezone.now(), "agencies": [world.agencies["lambeth_csc"]],
              "decision": "section_47", "record_text": "Shared.", **change}
    if kwargs["held_at"] == "future":
        kwargs["held_at"] = timezone.now() + dt.timedelta(hours=2)
    audit_checkpoint()
    with pytest.raises(ValidationError, match=message):
        services.do_record_strategy_discussion(actor=world.user("mash_lambeth"), **kwargs)
    assert not StrategyDiscussion.objects.exists() and new_audit_events() == []


def test_an_action_goes_to_its_owner_who_sees_the_action_not_her_record(world, emails,
                                                                       django_capture_on_commit_callbacks):
    referral = routed_girl(world)
    subject = referral.subject
    mail.outbox.clear()
    audit_checkpoint()
    with django_capture_on_commit_callbacks(execute=True):
        action = add_action(world, subject, "police_lambeth", text=TYPED)
    event = assert_audit("create", object_type="plan_action", reference=action.reference, service="do_add_action",
                         only=True)
    assert event.detail["about"] == subject.reference and event.detail["source"] == "plan"
    assert Plan.objects.get(subject=subject).kind == "safety"
    police = world.user("police_lambeth")
    assert [m.to for m in mail.outbox] == [[police.email]]
    assert action.reference in mail.outbox[0].subject and TYPED not in mail.outbox[0].body
    assert Action.objects.restrict(police, "view").filter(pk=action.pk).exists()
    assert not Subject.objects.restrict(police, "view").filter(pk=subject.pk).exists()
    # Her school's DSL and a GP see nothing of a police action; another borough's MASH neither.
    for persona in ("dsl_lambeth", "gp_lambeth", "mash_southwark", "auditor"):
        assert not Action.objects.restrict(world.user(persona), "view").filter(pk=action.pk).exists(), persona
    _no_typed_text_in_the_trail(TYPED)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"days": -1}, "today or later"),
    ({"days": 400}, "within a year"),
    ({"owner": "auditor"}, "Choose an owner"),
    ({"owner": "mash_southwark"}, "Choose an owner"),
    ({"text": ""}, "Enter the description"),
    ({"from_review": True}, "no register review"),
])
def test_a_bad_action_changes_nothing(world, kwargs, message):
    subject = routed_girl(world).subject
    owner = kwargs.pop("owner", "police_lambeth")
    audit_checkpoint()
    with pytest.raises(ValidationError, match=message):
        add_action(world, subject, owner, **kwargs)
    assert not Action.objects.exists() and new_audit_events() == []


def test_a_register_review_can_agree_an_action(world):
    from risk.models import RegisterEntry, ReviewOutcome
    from risk.services import register

    subject = routed_girl(world).subject
    entry = RegisterEntry.objects.get(subject=subject)
    register.do_record_review(entry=entry, outcome=ReviewOutcome.ESCALATE, notes="",
                              actor=world.user("mash_lambeth"))
    action = add_action(world, subject, "dsl_lambeth", from_review=True)
    assert action.source == "register_review" and action.review is not None


def test_the_owner_completes_the_mash_cancels(world):
    subject = routed_girl(world).subject
    action = add_action(world, subject, "police_lambeth")
    police, mash = world.user("police_lambeth"), world.user("mash_lambeth")
    with pytest.raises(PermissionDenied):
        services.do_cancel_action(action, reason="not_needed", note="", version=action.version, actor=police)
    with pytest.raises(PermissionDenied):
        services.do_complete_action(action, outcome_note="Done.", version=action.version,
                                    actor=world.user("dsl_lambeth"))
    audit_checkpoint()
    done = services.do_complete_action(action, outcome_note=TYPED, version=action.version, actor=police)
    assert_audit("update", object_type="plan_action", reference=action.reference, service="do_complete_action",
                 only=True)
    assert done.status == ActionStatus.DONE and Action.objects.get(pk=action.pk).outcome_note == TYPED
    with pytest.raises(ValidationError, match="done"):
        services.do_cancel_action(done, reason="not_needed", note="", version=done.version, actor=mash)
    other = add_action(world, subject, "police_lambeth")
    with pytest.raises(ValidationError, match="Someone else"):
        services.do_cancel_action(other, reason="not_needed", note="", version=other.version + 1, actor=mash)
    with pytest.raises(ValidationError, match="detail"):
        services.do_cancel_action(other, reason="other", note="", version=other.version, actor=mash)
    audit_checkpoint()
    cancelled = services.do_cancel_action(other, reason="other", note=TYPED, version=other.version, actor=mash)
    event = assert_audit("update", object_type="plan_action", reference=other.reference,
                         service="do_cancel_action", only=True)
    assert event.purpose == "other" and event.detail["reason"] == "other"
    assert cancelled.status == "cancelled" and Action.objects.get(pk=other.pk).cancel_note == TYPED
    _no_typed_text_in_the_trail(TYPED)


def test_overdue_actions_are_marked_once_and_notified(world, emails, django_capture_on_commit_callbacks):
    subject = routed_girl(world).subject
    action = services.do_add_action(
        target=services.Target(subject=subject), description="Late.", owner=world.user("police_lambeth"),
        due_on=timezone.localdate() - dt.timedelta(days=2), actor=world.user("mash_lambeth"),
        today=timezone.localdate() - dt.timedelta(days=10))
    mail.outbox.clear()
    audit_checkpoint()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("alert_overdue_actions", stdout=io.StringIO())
    assert_audit("update", object_type="plan_action", reference=action.reference,
                 service="do_mark_overdue_actions", only=True)
    action.refresh_from_db()
    assert action.status == ActionStatus.OVERDUE and action.overdue_notified_at is not None
    urgent = [m for m in mail.outbox if m.subject.startswith("URGENT")]
    assert [m.to for m in urgent] == [["police_lambeth@example.org"]]
    assert action.reference in urgent[0].subject and "Late." not in urgent[0].body
    assert ["mash_lambeth@example.org"] in [m.to for m in mail.outbox]
    mail.outbox.clear()
    assert services.do_mark_overdue_actions() == [] and mail.outbox == []
    # Overdue actions are still the owner's to complete.
    services.do_complete_action(action, outcome_note="Done late.", version=action.version,
                                actor=world.user("police_lambeth"))


def test_outcomes_by_agency(world):
    subject = routed_girl(world).subject
    audit_checkpoint()
    outcome = services.do_record_outcome(subject=subject, kind="engaged_specialist",
                                         occurred_on=timezone.localdate(), note=TYPED,
                                         actor=world.user("csc_lambeth"))
    event = assert_audit("create", object_type="outcome", reference=subject.reference,
                         service="do_record_outcome", only=True)
    assert event.detail == {"service": "do_record_outcome", "kind": "engaged_specialist",
                            "agency": world.agencies["lambeth_csc"].pk}
    assert outcome.agency == world.agencies["lambeth_csc"]
    for persona, sees in [("mash_lambeth", True), ("csc_lambeth", True), ("dsl_lambeth", False),
                          ("police_lambeth", False), ("mash_southwark", False)]:
        assert Outcome.objects.restrict(world.user(persona), "view").filter(pk=outcome.pk).exists() == sees
    for persona in ("teacher_lambeth", "police_lambeth", "mash_southwark"):
        with pytest.raises(PermissionDenied):
            services.do_record_outcome(subject=subject, kind="other", occurred_on=timezone.localdate(), note="x",
                                       actor=world.user(persona))
    with pytest.raises(ValidationError):
        services.do_record_outcome(subject=subject, kind="other", occurred_on=timezone.localdate(), note="",
                                   actor=world.user("dsl_lambeth"))
    _no_typed_text_in_the_trail(TYPED)


def test_the_mace_agenda_comes_from_the_register_and_the_minutes_show_each_reader_their_part(world):
    subject = routed_girl(world).subject
    audit_checkpoint()
    meeting = services.do_schedule_meeting(meets_on=timezone.localdate(), actor=world.user("mash_lambeth"))
    assert_audit("create", object_type="mace_meeting", reference=meeting.reference,
                 service="do_schedule_meeting", only=True)
    item = meeting.items.get(subject=subject)
    assert item.reason == AgendaReason.HIGH
    with pytest.raises(ValidationError, match="already on the agenda"):
        services.do_add_agenda_item(meeting, target=services.Target(subject=subject),
                                    actor=world.user("mash_lambeth"))
    with pytest.raises(PermissionDenied):
        services.do_add_agenda_item(meeting, target=services.Target(subject=subject),
                                    actor=world.user("mash_southwark"))
    held = meeting_about(world, subject, hold=True)
    assert held.status == "held"
    discussion = MaceDiscussion.objects.get(meeting=held, subject=subject)
    assert held.actions.get().owner == world.user("police_lambeth")
    for persona, sees in [("mash_lambeth", True), ("dsl_lambeth", True), ("csc_lambeth", True),
                          ("police_lambeth", False), ("teacher_lambeth", False), ("mash_southwark", False)]:
        assert MaceDiscussion.objects.restrict(world.user(persona), "view").filter(pk=discussion.pk).exists() == sees
    for persona, sees in [("police_lambeth", True), ("teacher_lambeth", True), ("gp_lambeth", False),
                          ("mash_southwark", False), ("auditor", False)]:
        assert MaceMeeting.objects.restrict(world.user(persona), "view").filter(pk=held.pk).exists() == sees


def test_the_agenda_is_sent_to_the_invited_agencies(world, emails, django_capture_on_commit_callbacks):
    subject = routed_girl(world).subject
    meeting = meeting_about(world, subject, hold=False)
    mash = world.user("mash_lambeth")
    mail.outbox.clear()
    audit_checkpoint()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.do_send_agenda(meeting, version=meeting.version, actor=mash)
    assert_audit("update", object_type="mace_meeting", reference=meeting.reference, service="do_send_agenda",
                 only=True)
    assert sent.status == "agenda_out"
    recipients = {address for m in mail.outbox for address in m.to}
    # The MASH, the school's DSL and social care's worker; a practitioner is not sent the agenda.
    assert recipients == {"mash_lambeth@example.org", "dsl_lambeth@example.org", "csc_lambeth@example.org"}
    assert all(subject.reference not in m.body for m in mail.outbox)
    with pytest.raises(ValidationError, match="already been sent"):
        services.do_send_agenda(sent, version=sent.version, actor=mash)


def test_the_chronology_items_follow_what_each_viewer_may_see(world):
    referral = routed_girl(world)
    subject = referral.subject
    strategy_discussion(world, referral)
    add_action(world, subject, "police_lambeth")
    services.do_record_outcome(subject=subject, kind="missing_stopped", occurred_on=timezone.localdate(), note="",
                               actor=world.user("mash_lambeth"))
    kinds = {item.kind for item in chronology.items_for(world.user("mash_lambeth"), subject)}
    assert kinds == {"strategy_discussion", "action", "outcome"}
    assert {i.kind for i in chronology.items_for(world.user("police_lambeth"), subject)} == {"action"}
    assert chronology.items_for(world.user("teacher_lambeth"), subject) == []
    assert chronology.items_for(world.user("mash_southwark"), subject) == []
    assert all(i.when.tzinfo is not None for i in chronology.items_for(world.user("mash_lambeth"), subject))


def test_a_pathway_clock_of_another_start_is_left_alone(world):
    referral = routed_girl(world)
    before = {r.pk: r.due_at for r in ReferralPathway.objects.filter(referral=referral)}
    strategy_discussion(world, referral)
    after = {r.pk: r.due_at for r in ReferralPathway.objects.filter(referral=referral)}
    assert before == after


def test_a_later_discussion_that_agrees_a_conference_restarts_its_clock(world):
    add_services(world)
    referral = decide(world, high_girl(world), {**ALL_THREE, "cp_conference": "lambeth_csc"}, left_out=LEFT_OUT_MACE,
                      added={"cp_conference": "Enquiries already under way: conference likely."})
    respond(world, referral, "csc_strategy", "accept")
    mash, csc = world.user("mash_lambeth"), [world.agencies["lambeth_csc"]]
    first = timezone.now() - dt.timedelta(days=2)
    services.do_record_strategy_discussion(subject=referral.subject, held_at=first, agencies=csc,
                                           decision="section_47", record_text="Enquiries first.", actor=mash)
    conference = row(referral, "cp_conference")
    assert conference.due_at == clocks.deadline(Clock("working_days", 15, "strategy_discussion"), first)
    # A discussion deciding something else leaves a started clock alone; one agreeing the conference restarts it.
    services.do_record_strategy_discussion(subject=referral.subject, held_at=first + dt.timedelta(hours=1),
                                           agencies=csc, decision="section_17", record_text="Review.", actor=mash)
    assert row(referral, "cp_conference").due_at == conference.due_at
    last = timezone.now() - dt.timedelta(hours=1)
    services.do_record_strategy_discussion(subject=referral.subject, held_at=last, agencies=csc,
                                           decision="conference", record_text="Conference agreed.", actor=mash)
    assert row(referral, "cp_conference").due_at == clocks.deadline(Clock("working_days", 15, "strategy_discussion"),
                                                                    last)


def test_an_owner_who_moved_to_another_agency_no_longer_reads_or_updates_the_action(world):
    # Need to know follows the job, not the person: a Lambeth police officer who owned an action about her
    # and now works for a Southwark service keeps neither the action nor its place in the minutes.
    from agencies import services as agency_services

    subject = routed_girl(world).subject
    action = add_action(world, subject, "police_lambeth", text=TYPED)
    meeting = meeting_about(world, subject, hold=True)
    police = world.user("police_lambeth")
    agreed = Action.objects.filter(meeting=meeting, owner=police).get()
    assert Action.objects.restrict(police, "view").filter(pk__in=[action.pk, agreed.pk]).count() == 2
    agency_services.do_set_membership(user=police, agency=world.agencies["southwark_yot"],
                                      roles=["practitioner"], actor=None)
    police = type(police).objects.get(pk=police.pk)
    for rule in ("view", "update"):
        assert not Action.objects.restrict(police, rule).filter(pk__in=[action.pk, agreed.pk]).exists(), rule
    # Her own agency's colleagues and the MASH still see it, so the action is not lost.
    assert Action.objects.restrict(world.user("mash_lambeth"), "update").filter(pk=action.pk).exists()
