"""A merged-away record forwards and offers nothing; a merge or a confirmed map link
re-assesses her at once; lists show the name as the viewer entered it last."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from audit.choices import Action
from referrals import intake
from referrals.models import Referral, Subject
from risk.map.models import Place, PlaceKind
from risk.models import Indicator, SubjectRisk
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern
from tests.risk.map_cases import link


def _two_records(world):
    first = new_concern(world, "teacher_lambeth", given="Nell", family="Mergecase", dob=None, borough="Lambeth", age=15,
                   indicators=("older-boyfriend-or-associate",), seriously_worried=True)
    second = new_concern(world, "gp_lambeth", given="Nel", family="Other", dob=None, borough="Lambeth", age=15,
                    indicators=("absent-from-school",))
    return first.subject, second.subject


def test_a_merge_reassesses_the_survivor_at_once(world):
    duplicate, survivor = _two_records(world)
    assert SubjectRisk.objects.get(subject=survivor).level != "high"
    mash = world.user("mash_lambeth")
    audit_checkpoint()
    intake.do_merge_subjects(survivor=Subject.objects.get(pk=survivor.pk), duplicate=duplicate, reason="Same girl",
                             actor=mash)
    # The merge, her assessment and (reaching high) the register's automatic referral: one event each.
    events = new_audit_events()
    assert assert_audit("merge", actor=mash, object_type="subject", reference=survivor.reference)
    assert [(e.action, e.object_type) for e in events if e.object_type in {"risk", "referral"}] == [
        (Action.UPDATE, "risk"), (Action.CREATE, "referral")]
    assert SubjectRisk.objects.get(subject=survivor).level == "high"
    assert Referral.objects.filter(subject=survivor, automatic=True, referred_by=None).count() == 1


def test_a_merged_away_record_forwards_and_offers_no_actions(world, client_for):
    duplicate, survivor = _two_records(world)
    intake.do_merge_subjects(survivor=Subject.objects.get(pk=survivor.pk), duplicate=duplicate, reason="Same girl",
                             actor=world.user("mash_lambeth"))
    html = client_for("mash_lambeth").get(reverse("subject-detail", kwargs={"reference": duplicate.reference}))
    assert html.status_code == 200
    page = html.content.decode()
    assert f"merged into <a class=\"govuk-link\" href=\"{reverse('subject-detail', args=[survivor.reference])}\">" \
           f"{survivor.reference}</a>" in page
    for action in ("Merge a duplicate", "Refer to MASH", "Current level", "Record another concern",
                   reverse("referral-create", args=[duplicate.reference])):
        assert action not in page, action


def test_confirming_a_map_link_reassesses_her_at_once(world, client_for):
    concern = new_concern(world, "teacher_lambeth", given="Mapa", family="Relinkcase", dob=dt.date(2010, 2, 3),
                     borough="Lambeth", indicators=("missing-from-home-or-care",))
    subject = concern.subject
    others = [new_concern(world, "gp_lambeth", given=f"Other{n}", family="Relinkcase", dob=dt.date(2010, 3, n + 1),
                     borough="Lambeth", indicators=("missing-from-home-or-care",)).subject for n in range(2)]
    suggestion = link(world, "teacher_lambeth", subject, Place(name="Test Relink Hotel", kind=PlaceKind.HOTEL))
    for other in others:
        link(world, "mash_lambeth", other, suggestion.place)
    before = SubjectRisk.objects.get(subject=subject).score
    audit_checkpoint()
    response = client_for("mash_lambeth").post(reverse("map-link-confirm", kwargs={"reference": suggestion.reference}))
    assert response.status_code == 302
    events = [(e.action, e.object_type, e.reference) for e in new_audit_events()]
    assert events.count(("decide", "map_link", suggestion.reference)) == 1  # the service's; the page adds none
    assert events.count(("update", "risk", subject.reference)) == 1  # her re-assessment, at once
    assert SubjectRisk.objects.get(subject=subject).score > before
    # Confirming it again changes nothing: the attempt is in the trail as refused, not as a decision.
    lead = client_for("mash_lambeth")
    audit_checkpoint()
    again = lead.post(reverse("map-link-confirm", kwargs={"reference": suggestion.reference}))
    assert again.status_code == 302
    refused = assert_audit("decide", object_type="map_link", reference=suggestion.reference, outcome="denied",
                           only=True)
    assert refused.detail == {"unchanged": True, "status": 302}


def test_lists_show_the_name_as_the_viewer_entered_it_last(world, client_for):
    first = new_concern(world, "teacher_lambeth", given="Listy", family="Namecase", dob=dt.date(2011, 7, 8),
                   borough="Lambeth")
    # A second concern from her page carries no details of its own.
    new_concern(world, "teacher_lambeth", subject=first.subject, borough="Lambeth",
                indicators=[Indicator.objects.all()[0].code], narrative="Again.", days_ago=0)
    for persona in ("teacher_lambeth", "dsl_lambeth"):
        page = client_for(persona).get(reverse("subject-list")).content.decode()
        assert "Listy Namecase" in page and "Erased" not in page, persona


def test_a_merge_carries_the_mashs_decisions_and_protective_factors_to_the_survivor(world):
    """A sign the MASH explained on the merged-away record stays explained on the survivor (it does not
    count again), and its reasons and protective factors still read, under the survivor's key."""
    from risk.models import ProtectiveFactor, RiskDecision
    from risk.services import decisions

    mash = world.user("mash_lambeth")
    duplicate = new_concern(world, "teacher_lambeth", given="Ivy", family="Mergedecide", dob=None, age=14,
                            borough="Lambeth", indicators=("gifts-from-unknown-sources",)).subject
    survivor = new_concern(world, "gp_lambeth", given="Ivie", family="Other", dob=None, age=14, borough="Lambeth",
                           indicators=("absent-from-school",)).subject
    gifts = Indicator.objects.get(code="gifts-from-unknown-sources")
    decisions.do_mark_sign_explained(subject=duplicate, indicator=gifts, reason="Gifts from her grandmother",
                                     actor=mash)
    decisions.do_record_protective_factor(subject=duplicate, kind="trusted_adult", note="Her aunt",
                                          observed_on=timezone.localdate(), actor=mash)
    before = SubjectRisk.objects.get(subject=survivor).score
    intake.do_merge_subjects(survivor=Subject.objects.get(pk=survivor.pk), duplicate=duplicate,
                             reason="Same girl", actor=mash)
    decision = RiskDecision.objects.get(subject=survivor)
    factor = ProtectiveFactor.objects.get(subject=survivor)
    assert decision.data_key_id == factor.data_key_id == survivor.data_key_id
    assert decision.reason == "Gifts from her grandmother" and factor.note == "Her aunt"
    assert not RiskDecision.objects.filter(subject=duplicate).exists()
    # The explained sign does not count on the survivor: her score is what it was before the merge.
    assert SubjectRisk.objects.get(subject=survivor).score == before
