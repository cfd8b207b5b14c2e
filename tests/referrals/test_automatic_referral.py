"""The automatic referral belongs to the MASH: raised by the system on its behalf, moved
only by the MASH, never in a recorder's "My referrals", its decisions emailed to the MASH side; a DSL who
refers while it is open is told nothing about it."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from audit.choices import Action
from referrals import routing
from referrals.choices import ReferralDecision, ReferralState
from referrals.models import Referral, ReferralTransition
from tests.audit_helpers import audit_checkpoint, new_audit_events
from tests.factories import raise_automatic_referral

S = ReferralState


def test_raised_by_the_system_for_the_mash(world):
    referral = raise_automatic_referral(world)
    assert referral.automatic and referral.referred_by is None
    assert referral.from_agency == world.agencies["lambeth_mash"] == referral.to_agency
    first = ReferralTransition.objects.get(referral=referral)
    assert first.actor is None and first.to_state == S.SUBMITTED


def test_the_concern_that_raises_it_writes_one_event_per_change_each_naming_its_service(world):
    """Recording, the assessment it causes and the referral that raises: three changes, three events."""
    referral = raise_automatic_referral(world)
    changes = [(e.action, e.object_type, e.detail.get("service")) for e in new_audit_events()
               if e.reference in (referral.reference, referral.subject.reference) or e.object_type == "concern"]
    assert changes == [
        ("create", "concern", "do_record_concern"),
        ("update", "risk", "do_assess_subject"),
        ("create", "referral", "do_raise_automatic_referral"),
    ]


def test_its_timeline_says_the_system_raised_it(world, client_for):
    referral = raise_automatic_referral(world)
    page = client_for("mash_lambeth").get(reverse("referral-detail", kwargs={"reference": referral.reference}))
    html = page.content.decode()
    assert "the system, for the MASH" in html and "Teacher" not in html


def test_only_the_mash_may_move_it(world):
    referral = raise_automatic_referral(world)
    assert {m.action for m in routing.available_moves(referral, world.user("mash_lambeth"))} == {"screen", "withdraw"}
    for persona in ("teacher_lambeth", "dsl_lambeth", "gp_lambeth", "mash_southwark", "csc_lambeth"):
        assert routing.available_moves(referral, world.user(persona)) == [], persona
    mash = world.user("mash_lambeth")
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    referral = routing.do_decide_referral(referral, decision=ReferralDecision.NO_FURTHER_ACTION, reason="Held",
                                          version=referral.version, actor=mash)
    assert {m.action for m in routing.available_moves(referral, mash)} == {"close"}
    assert routing.available_moves(referral, world.user("teacher_lambeth")) == []


def test_the_mash_withdraws_it_with_one_audit_event(world):
    referral = raise_automatic_referral(world)
    audit_checkpoint()
    routing.do_withdraw_referral(referral, reason="Raised in error", version=referral.version,
                                 actor=world.user("mash_lambeth"))
    events = [e for e in new_audit_events() if e.object_type == "referral"]
    assert [(e.action, e.detail["as"]) for e in events] == [(Action.UPDATE, routing.REFERRER)]


def test_not_in_the_recorders_my_referrals(world, client_for):
    referral = raise_automatic_referral(world)
    for persona in ("teacher_lambeth", "dsl_lambeth", "mash_lambeth"):
        html = client_for(persona).get(reverse("my-referrals")).content.decode()
        assert referral.reference not in html, persona
    for persona in ("teacher_lambeth", "dsl_lambeth"):
        response = client_for(persona).get(reverse("referral-detail", kwargs={"reference": referral.reference}))
        assert response.status_code == 404, persona


def test_decision_emails_go_to_the_mash_not_the_recorder(world, django_capture_on_commit_callbacks):
    for name in ("teacher_lambeth", "dsl_lambeth", "mash_lambeth"):
        user = world.user(name)
        user.email = f"{name}@example.test"
        user.save(update_fields=["email"])
    referral = raise_automatic_referral(world)
    mash = world.user("mash_lambeth")
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        routing.do_decide_referral(referral, decision=ReferralDecision.NO_FURTHER_ACTION, reason="Held",
                                   version=referral.version, actor=mash)
    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients == {"mash_lambeth@example.test"}


def test_a_dsl_referring_while_it_is_open_is_told_nothing_of_it(world, client_for):
    automatic = raise_automatic_referral(world)
    client = client_for("dsl_lambeth")
    url = reverse("referral-create", kwargs={"reference": automatic.subject.reference})
    form = client.get(url).content.decode()
    assert "already an open referral" not in form and automatic.reference not in form
    response = client.post(url, {"summary": "Missing overnight", "legal_basis": "safeguarding",
                                 "consent": "not_sought_risk"})
    assert response.status_code == 302
    own = Referral.objects.get(subject=automatic.subject, automatic=False)
    assert own.referred_by == world.user("dsl_lambeth") and own.state == S.SUBMITTED
    # The MASH has both in its inbox, to consider together.
    inbox = client_for("mash_lambeth").get(reverse("referral-list")).content.decode()
    assert automatic.reference in inbox and own.reference in inbox
    # Their own open referral is named to them on a second try (a double submit makes nothing new).
    again = client.post(url, {"summary": "Missing overnight", "legal_basis": "safeguarding",
                              "consent": "not_sought_risk"})
    assert again.status_code == 200 and own.reference in again.content.decode()
    assert automatic.reference not in again.content.decode()
    assert Referral.objects.filter(subject=automatic.subject).count() == 2
