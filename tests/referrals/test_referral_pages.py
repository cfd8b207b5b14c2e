"""Referral pages: refer, decide, act, inbox, my referrals; bad input changes nothing; the referrer sees
status and decision only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.choices import Action
from referrals import routing
from referrals.choices import ReferralDecision, ReferralState
from referrals.models import Referral
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import advance_referral, new_referral, new_subject

S = ReferralState


def _decide(client, referral, **data):
    return client.post(reverse("referral-decide", kwargs={"reference": referral.reference}),
                       {"version": referral.version, **data})


def test_refer_from_the_subject_page(world, client_for):
    subject = new_subject(world, 1)
    client = client_for("dsl_lambeth")
    page = client.get(reverse("subject-detail", kwargs={"reference": subject.reference})).content.decode()
    assert reverse("referral-create", kwargs={"reference": subject.reference}) in page and "Refer to MASH" in page
    teacher_page = client_for("teacher_lambeth").get(reverse("subject-detail", kwargs={"reference": subject.reference}))
    assert "Refer to MASH" not in teacher_page.content.decode()
    response = client.post(reverse("referral-create", kwargs={"reference": subject.reference}), {
        "summary": "Missing twice this week", "legal_basis": "safeguarding", "consent": "not_sought_risk"})
    referral = Referral.objects.get(subject=subject)
    assert response.status_code == 302 and response["Location"] == reverse(
        "referral-detail", kwargs={"reference": referral.reference})
    # A double submit is harmless: the open referral is named, nothing new is made.
    again = client.post(reverse("referral-create", kwargs={"reference": subject.reference}), {
        "summary": "Missing twice this week", "legal_basis": "safeguarding", "consent": "not_sought_risk"})
    assert again.status_code == 200 and referral.reference in again.content.decode()
    assert Referral.objects.filter(subject=subject).count() == 1


def test_refer_with_overridden_consent_and_no_reason_is_refused(world, client_for):
    subject = new_subject(world, 1)
    response = client_for("dsl_lambeth").post(reverse("referral-create", kwargs={"reference": subject.reference}), {
        "summary": "Worried", "legal_basis": "safeguarding", "consent": "overridden"})
    assert response.status_code == 200
    assert "Give the reason for overriding consent." in response.content.decode()
    assert not Referral.objects.exists()


@pytest.mark.parametrize(("data", "message"), [
    ({"decision": "nfa", "reason": ""}, "Give the reason for the decision."),
    # A service that does not take the pathway is not even offered for it.
    ({"decision": "routed", "reason": "x", "pathway-police_sot": "on", "agency-police_sot": "CSC"},
     "Choose one of the services offered."),
    ({"decision": "routed", "reason": "x", "pathway-early_help": "on", "agency-early_help": "999999"},
     "Choose one of the services offered."),
    ({"decision": "routed", "reason": "x"}, "Tick at least one pathway"),
    # Leaving out the recommended early help, and adding an assessment, each without a reason.
    ({"decision": "routed", "reason": "x", "pathway-csc_assessment": "on", "agency-csc_assessment": "CSC"},
     "Say why you are leaving out \u201cEarly help\u201d"),
    ({"decision": "routed", "reason": "x", "pathway-csc_assessment": "on", "agency-csc_assessment": "CSC"},
     "Say why you are adding"),
    # Early help needs her (or her family's) agreement: refused without her consent position.
    ({"decision": "routed", "reason": "x", "pathway-early_help": "on", "agency-early_help": "CSC"},
     "needs her consent"),
    ({"decision": "routed", "reason": "x", "pathway-csc_strategy": "on", "why-csc_strategy": "Harm",
      "why-early_help": "Too late for that"}, "Choose the service to refer to for"),
])
def test_bad_decision_input_changes_nothing(world, client_for, data, message):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    data = {key: str(world.agencies["lambeth_csc"].pk) if value == "CSC" else value for key, value in data.items()}
    client = client_for("mash_lambeth")
    audit_checkpoint()
    response = _decide(client, referral, **data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'").replace("&quot;", '"'), html
    referral.refresh_from_db()
    assert referral.state == S.SCREENING and referral.decision == ""
    assert not referral.pathways.exists()
    assert not [e for e in new_audit_events() if e.action in (Action.DECIDE, Action.SHARE)]


def test_stale_decision_form_keeps_what_was_typed(world, client_for):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    stale_version = referral.version
    routing.do_decide_referral(referral, decision=ReferralDecision.NO_FURTHER_ACTION, reason="First lead wins",
                               version=referral.version, actor=world.user("mash_lambeth"))
    response = client_for("mash_lambeth").post(
        reverse("referral-decide", kwargs={"reference": referral.reference}),
        {"version": stale_version, "decision": "signposted", "reason": "My careful second opinion"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this referral" in html
    assert "My careful second opinion" in html and 'value="signposted" checked' in html
    referral.refresh_from_db()
    assert referral.decision == ReferralDecision.NO_FURTHER_ACTION and referral.decision_reason == "First lead wins"


def test_decide_and_route_through_the_page(world, client_for):
    # Her recommendation (early help, at low) is ticked already with its one service: accepting it is one
    # click once her consent position is recorded (early help is voluntary).
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    client = client_for("mash_lambeth")
    page = client.get(reverse("referral-decide", kwargs={"reference": referral.reference})).content.decode()
    assert 'id="id_pathway-early_help" name="pathway-early_help" type="checkbox" value="on" checked' in page
    assert f'<option value="{world.agencies["lambeth_csc"].pk}" selected>' in page
    audit_checkpoint()
    response = _decide(client, referral, decision="routed", reason="Family support first",
                       **{"pathway-early_help": "on", "agency-early_help": world.agencies["lambeth_csc"].pk,
                          "consent-early_help": "given"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == S.DECIDED and referral.receiving_agency == world.agencies["lambeth_csc"]
    (row,) = referral.pathways.all()
    assert (row.pathway, row.recommended, row.status, row.consent) == ("early_help", True, "awaiting", "given")
    assert_audit(Action.DECIDE, actor=world.user("mash_lambeth"), object_type="referral", reference=referral.reference)


def test_unknown_referral_is_404(world, client_for):
    for name in ["referral-detail", "referral-decide"]:
        response = client_for("mash_lambeth").get(reverse(name, kwargs={"reference": "R-0000-0000"}))
        assert response.status_code == 404


def test_receiving_service_accepts_from_the_page(world, client_for):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "decided")
    client = client_for("csc_lambeth")
    listing = client.get(reverse("referral-list")).content.decode()
    assert referral.reference in listing
    response = client.post(reverse("referral-detail", kwargs={"reference": referral.reference}),
                           {"action": "accept", "version": referral.version, "reason": ""})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == S.ACCEPTED


def test_stale_action_form_is_refused_with_a_message(world, client_for):
    referral = new_referral(world, new_subject(world, 1))
    client = client_for("mash_lambeth")
    url = reverse("referral-detail", kwargs={"reference": referral.reference})
    assert client.post(url, {"action": "screen", "version": referral.version}).status_code == 302
    response = client.post(url, {"action": "screen", "version": referral.version})
    assert response.status_code == 200 and "Someone else changed this referral" in response.content.decode()


def test_decline_without_reason_is_refused_on_the_page(world, client_for):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "decided")
    response = client_for("csc_lambeth").post(reverse("referral-detail", kwargs={"reference": referral.reference}),
                                              {"action": "decline", "version": referral.version, "reason": ""})
    assert response.status_code == 200 and "Give a reason." in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == S.DECIDED


def test_referrer_sees_status_and_decision_only(world, client_for):
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "accepted")
    dsl_page = client_for("dsl_lambeth").get(
        reverse("referral-detail", kwargs={"reference": referral.reference})).content.decode()
    assert "Accepted by the receiving service" in dsl_page and "Children&#x27;s social care" in dsl_page
    for hidden in ["Lambeth Test Social Care", "Needs an assessment", "Timeline"]:
        assert hidden not in dsl_page
    mash_page = client_for("mash_lambeth").get(
        reverse("referral-detail", kwargs={"reference": referral.reference})).content.decode()
    assert "Lambeth Test Social Care" in mash_page and "Needs an assessment" in mash_page
    mine = client_for("dsl_lambeth").get(reverse("my-referrals")).content.decode()
    assert referral.reference in mine and "Lambeth Test Social Care" not in mine
    home = client_for("dsl_lambeth").get(reverse("home")).content.decode()
    assert reverse("my-referrals") in home


def test_mash_inbox_flags_overdue_with_constant_queries(world, client_for, django_assert_max_num_queries):
    client = client_for("mash_lambeth")
    url = reverse("referral-list") + "?tab=overdue"
    routing.do_make_referral(new_subject(world, 1), summary="x", legal_basis="safeguarding", consent="given",
                             received_at=timezone.now() - dt.timedelta(days=5), actor=world.user("dsl_lambeth"))
    client.get(url)
    with django_assert_max_num_queries(20) as one:
        html = client.get(url).content.decode()
    assert "Overdue" in html
    for n in range(2, 12):
        routing.do_make_referral(new_subject(world, n), summary="x", legal_basis="safeguarding", consent="given",
                                 received_at=timezone.now() - dt.timedelta(days=5), actor=world.user("dsl_lambeth"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('govuk-tag--red">Overdue') >= 11
