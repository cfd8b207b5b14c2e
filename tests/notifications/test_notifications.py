"""The inbox: ``notify`` writes one row per recipient and emails a reference and a link after
commit; people are told what is theirs to know (a DSL: what their own agency did, never the register); the
page lists a member's own notifications, newest first, paginated; marking as read is a recorded change."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.choices import EMAILS, Kind
from notifications.models import Notification
from referrals import routing
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import advance_referral, new_concern, new_referral, new_subject

pytestmark = pytest.mark.django_db


def _inbox(user) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(recipient=user).order_by("created_at").values_list("kind", "reference"))


def _tell(user, reference: str, kind: str = Kind.REFERRAL_DECIDED, **kwargs) -> Notification:
    services.notify([user], kind=kind, reference=reference,
                    url=reverse("subject-detail", kwargs={"reference": reference}), **kwargs)
    return Notification.objects.filter(recipient=user, reference=reference).latest("created_at")


def test_notify_writes_one_row_per_person_and_emails_a_reference_and_a_link_after_commit(
        world, django_capture_on_commit_callbacks):
    teacher, dsl = world.user("teacher_lambeth"), world.user("dsl_lambeth")
    teacher.email, dsl.email = "teacher@example.test", ""
    teacher.save()
    dsl.save()
    subject = new_subject(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify([teacher, dsl, teacher], kind=Kind.REFERRAL_DECIDED, reference=subject.reference,
                        url=reverse("subject-detail", kwargs={"reference": subject.reference}), urgent=True)
        assert mail.outbox == []  # not before commit
    for callback in callbacks:
        callback()
    assert Notification.objects.filter(reference=subject.reference, urgent=True).count() == 2  # each once
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["teacher@example.test"]  # nobody without an address
    message = mail.outbox[0]
    assert message.subject == f"URGENT: Referral {subject.reference}: decided by the mash"  # urgent says so
    assert settings.SITE_URL + f"/subjects/{subject.reference}/" in message.body
    for secret in [subject.given_name, subject.family_name]:
        assert secret not in message.subject + message.body
    # A notification holds no event of its own: the service that made the change records it.
    assert [e for e in new_audit_events() if e.object_type == "notification"] == []


@pytest.mark.parametrize(("kind", "reference", "url"), [
    ("no_such_kind", "S-AAAA-BBBB", "/subjects/S-AAAA-BBBB/"),
    (Kind.REFERRAL_DECIDED, "Jane Smith", "/subjects/S-AAAA-BBBB/"),
    (Kind.REFERRAL_DECIDED, "S-AAAA-BBBB", "https://elsewhere.example/"),
    (Kind.REFERRAL_DECIDED, "S-AAAA-BBBB", "//elsewhere.example/"),
    (Kind.REFERRAL_DECIDED, "S-AAAA-BBBB", "/subjects/?name=Jane Smith"),
])
def test_notify_refuses_anything_but_a_kind_a_reference_and_a_path(world, kind, reference, url):
    with pytest.raises(ValidationError):
        services.notify([world.user("teacher_lambeth")], kind=kind, reference=reference, url=url)
    assert not Notification.objects.exists()


def test_every_kind_has_an_email_with_the_reference_and_the_link():
    for kind in Kind.values:
        subject, body = EMAILS[kind].render("S-AAAA-BBBB", "https://service.example/x/")
        assert "https://service.example/x/" in body and "S-AAAA-BBBB" in subject + body, kind
    for kind in ["action_assigned", "action_overdue", "meeting_agenda_out", "strategy_discussion_recorded"]:
        assert kind in Kind.values  # the kinds the case-work app raises


def test_a_referral_decided_reaches_the_referrers_inbox_and_the_mash_gets_its_own(world):
    subject = new_subject(world)
    referral = new_referral(world, subject)
    assert (Kind.REFERRAL_SUBMITTED, referral.reference) in _inbox(world.user("mash_lambeth"))
    referral = advance_referral(world, referral, "decided")
    assert (Kind.REFERRAL_DECIDED, referral.reference) in _inbox(world.user("dsl_lambeth"))
    assert (Kind.REFERRAL_DECIDED, referral.reference) in _inbox(world.user("csc_lambeth"))
    routing.do_respond_to_referral(referral, accept=True, reason="", version=referral.version,
                                   actor=world.user("csc_lambeth"))
    assert (Kind.REFERRAL_ACCEPTED, referral.reference) in _inbox(world.user("dsl_lambeth"))
    # The practitioner who only recorded the concern is told nothing of the referral.
    assert not Notification.objects.filter(recipient=world.user("teacher_lambeth"), reference=referral.reference)


def test_a_dsl_is_told_what_their_agency_recorded_and_never_that_she_went_on_the_register(world):
    """She reaches the register on the teacher's concern: her borough's MASH leads are told; the school's
    DSL is told only that their agency recorded a concern (the words of the recorder's own confirmation
    page), and the teacher nothing about their own concern."""
    concern = new_concern(world, "teacher_lambeth", given="Registra", family="Inboxcase", dob=dt.date(2010, 2, 2),
                          borough="Lambeth", indicators=("older-boyfriend-or-associate", "missing-from-home-or-care"),
                          seriously_worried=True)
    reference = concern.subject.reference
    mash = _inbox(world.user("mash_lambeth"))
    assert (Kind.REGISTER_ADDED, reference) in mash
    assert _inbox(world.user("dsl_lambeth")) == [(Kind.AGENCY_CONCERN, concern.reference)]
    assert _inbox(world.user("teacher_lambeth")) == []
    for persona in ["dsl_lambeth", "teacher_lambeth", "gp_lambeth", "mash_southwark"]:
        assert not Notification.objects.filter(recipient=world.user(persona), reference=reference).exists()


def test_the_overdue_job_emails_each_run_but_puts_each_reference_in_the_inbox_once(world):
    lead = world.user("mash_lambeth")
    lead.email = "mash@example.org"
    lead.save()
    referral = routing.do_make_referral(new_subject(world), summary="Secret summary", legal_basis="safeguarding",
                                        consent="given", received_at=timezone.now() - dt.timedelta(days=5),
                                        actor=world.user("dsl_lambeth"))
    mail.outbox.clear()
    call_command("alert_overdue_referrals")
    call_command("alert_overdue_referrals")
    assert len(mail.outbox) == 2
    assert _inbox(lead).count((Kind.REFERRAL_OVERDUE, referral.reference)) == 1


def test_marking_one_as_read_is_recorded_and_only_the_owner_can(world):
    teacher, gp = world.user("teacher_lambeth"), world.user("gp_lambeth")
    note = _tell(teacher, new_subject(world).reference)
    audit_checkpoint()
    with pytest.raises(Http404):
        services.do_mark_notification_read(notification_id=str(note.pk), actor=gp)
    assert new_audit_events() == [] or all(e.object_type != "notification" for e in new_audit_events())
    services.do_mark_notification_read(notification_id=str(note.pk), actor=teacher)
    assert_audit("update", actor=teacher, object_type="notification", reference=note.pk,
                 service="do_mark_notification_read", only=True)
    note.refresh_from_db()
    assert note.read_at is not None
    services.do_mark_notification_read(notification_id=str(note.pk), actor=teacher)  # again: no change
    assert new_audit_events() == []


def test_marking_all_as_read_is_one_recorded_change_and_nothing_when_none(world):
    teacher = world.user("teacher_lambeth")
    for _ in range(3):
        _tell(teacher, new_subject(world).reference)
    other = _tell(world.user("gp_lambeth"), new_subject(world, recorder="gp_lambeth").reference)
    audit_checkpoint()
    assert services.do_mark_all_notifications_read(actor=teacher) == 3
    event = assert_audit("update", actor=teacher, object_type="notification",
                         service="do_mark_all_notifications_read", only=True)
    assert event.detail["count"] == 3
    assert services.do_mark_all_notifications_read(actor=teacher) == 0
    assert new_audit_events() == []
    other.refresh_from_db()
    assert other.read_at is None


def test_the_page_lists_own_notifications_newest_first_unread_marked_and_paginated(world, client_for):
    teacher = world.user("teacher_lambeth")
    subject = new_subject(world)
    notes = [_tell(teacher, subject.reference, kind=kind) for kind in
             [Kind.REFERRAL_SUBMITTED, Kind.REFERRAL_DECIDED, Kind.REFERRAL_CLOSED] * 9]  # 27: two pages
    notes[-1].read_at = timezone.now()
    notes[-1].save()
    _tell(world.user("gp_lambeth"), new_subject(world, recorder="gp_lambeth").reference)
    client = client_for("teacher_lambeth")
    html = client.get(reverse("notification-list")).content.decode()
    assert html.count('<li class="app-notifications__item') == 25 and "Page 1 of 2" in html
    assert html.index("Referral closed") < html.index("Referral decided by the MASH")  # newest first
    assert html.count("app-notifications__item--unread") == 24
    assert "You have 26 unread notifications." in html
    assert '<span class="app-notification-badge">26<span class="govuk-visually-hidden"> unread</span>' in html
    second = client.get(reverse("notification-list") + "?page=2").content.decode()
    assert second.count('<li class="app-notifications__item') == 2
    # Nobody else's: the GP's notification is not on the teacher's pages.
    assert Notification.objects.filter(recipient=world.user("gp_lambeth")).get().reference not in html + second


def test_mark_one_and_mark_all_through_the_page(world, client_for):
    teacher = world.user("teacher_lambeth")
    first, second = _tell(teacher, new_subject(world).reference), _tell(teacher, new_subject(world).reference)
    client = client_for("teacher_lambeth")
    response = client.post(reverse("notification-read", kwargs={"reference": first.pk}), {"page": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("notification-list")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    # A page number that is not one: nothing marked, and the reader is told.
    response = client.post(reverse("notification-read-all"), {"page": "<b>"}, follow=True)
    second.refresh_from_db()
    assert second.read_at is None and "Nothing was marked as read" in response.content.decode()
    response = client.post(reverse("notification-read-all"), {"page": "2"})
    assert response["Location"] == reverse("notification-list") + "?page=2"
    second.refresh_from_db()
    assert second.read_at is not None
    # Another person's notification: not found, and not marked.
    gp_note = _tell(world.user("gp_lambeth"), new_subject(world, recorder="gp_lambeth").reference)
    assert client.post(reverse("notification-read", kwargs={"reference": gp_note.pk})).status_code == 404
    gp_note.refresh_from_db()
    assert gp_note.read_at is None


def test_the_header_count_costs_one_query_per_request(world, client_for):
    teacher = world.user("teacher_lambeth")
    _tell(teacher, new_subject(world).reference)
    client = client_for("teacher_lambeth")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()
    assert '<span class="app-notification-badge">1<span class="govuk-visually-hidden"> unread</span>' in html
    assert sum('"notifications_notification"' in q["sql"] for q in queries.captured_queries) == 1
    # The inbox page shares the header's count: the unread count, the paginator's count, the page's rows.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notification-list"))
    assert sum('"notifications_notification"' in q["sql"] for q in queries.captured_queries) == 3
    services.do_mark_all_notifications_read(actor=teacher)
    html = client.get(reverse("home")).content.decode()
    assert "app-notification-badge" not in html and ">Notifications</a>" in html


def test_a_stale_notification_leads_to_a_404_not_to_her_record(world, client_for):
    """The link is to her page, which checks access itself: someone told about a case they cannot see (or
    no longer see) gets the same 404 as for any case not theirs."""
    subject = new_subject(world, recorder="gp_lambeth")
    note = _tell(world.user("teacher_lambeth"), subject.reference)
    client = client_for("teacher_lambeth")
    assert note.url in client.get(reverse("notification-list")).content.decode()
    assert client.get(note.url).status_code == 404


def test_a_record_named_by_uuid_is_accepted_as_a_reference(world):
    """Records without a reference number (an action, a meeting) are named by their UUID: not a name."""
    key = "6f1c7a52-3c1e-4a7e-9d0a-2b8f7e0c1d11"
    services.notify([world.user("teacher_lambeth")], kind=Kind.ACTION_ASSIGNED, reference=key, url=f"/actions/{key}/")
    assert Notification.objects.get().kind == Kind.ACTION_ASSIGNED


def test_notifications_past_their_retention_are_deleted_with_one_event(world, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 30
    teacher = world.user("teacher_lambeth")
    old, recent = _tell(teacher, new_subject(world).reference), _tell(teacher, new_subject(world).reference)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    audit_checkpoint()
    call_command("purge_notifications", stdout=io.StringIO())
    assert list(Notification.objects.filter(recipient=teacher)) == [recent]
    event = assert_audit("erase", object_type="notification", service="do_purge_notifications", only=True)
    assert event.detail["notifications"] == 1
    assert services.do_purge_notifications() == 0
    assert new_audit_events() == []
