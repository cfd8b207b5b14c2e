"""Who sees which rows of the case models that hold risk, register, referral-timeline, share and
emergency-access data: each model's ``access_rule`` as a table, then the pages that read them (404 for
everyone else). Relations name the fixtures in tests/cases.py and tests/referral_cases.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from dataprotection.models import BreakGlassGrant
from referrals.models import Referral, ReferralTransition, SubjectShare
from risk.models import Assessment, RegisterEntry, RegisterReview, ReviewOutcome, SubjectRisk
from risk.services import register as register_services
from tests.authz.matrix import VISIBLE
from tests.cases import CASES, build_cases
from tests.dataprotection.cases import REASON, open_grant
from tests.factories import new_concern
from tests.personas import LOCKED_OUT_PERSONAS, MEMBER_PERSONAS, build_world
from tests.referral_cases import build_referral_cases
from tests.rolled_back import rolled_back_everywhere, settle_deferred_constraints

MASH_OF = {"mash_lambeth": {"lambeth_school", "lambeth_gp"},
           "mash_southwark": {"southwark_school", "shared", "share_revoked"}}
# Her cross-agency risk (score, timeline, register): the MASH leads of her borough and the agency she is
# shared with, while the share lasts. Never a practitioner, a DSL, an auditor, an administrator or the DPO.
CROSS_AGENCY: dict[str, set[str]] = {persona: set() for persona in MEMBER_PERSONAS}
CROSS_AGENCY.update({**MASH_OF, "csc_lambeth": {"shared"}})
# The register's own working record (its changes, its reviews): the MASH leads of its borough.
REGISTER_KEEPERS: dict[str, set[str]] = {persona: set() for persona in MEMBER_PERSONAS}
REGISTER_KEEPERS.update(MASH_OF)
# Shares: the MASH leads of her borough, and the agency shared with (revoked shares are gone).
SHARES: dict[str, set[str]] = {persona: set() for persona in MEMBER_PERSONAS}
SHARES.update({"mash_southwark": {"shared"}, "csc_lambeth": {"shared"}})
EVERYONE = [*MEMBER_PERSONAS, *LOCKED_OUT_PERSONAS]


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker):
    """The personas, every case on her borough's register with one review, and the referrals: built
    once per module in a transaction rolled back at the end (each test runs in its own savepoint)."""
    with django_db_blocker.unblock(), rolled_back_everywhere():
        world = build_world()
        cases = build_cases(world)
        for relation, subject in cases.subjects.items():
            # Seriously worried: at least high, so on her borough's register (and an automatic referral).
            new_concern(world, CASES[relation][0], subject=subject, indicators=(), days_ago=0,
                        narrative="Seen getting into a car.", seriously_worried=True)
            lead = "mash_lambeth" if relation in MASH_OF["mash_lambeth"] else "mash_southwark"
            register_services.do_record_review(
                entry=RegisterEntry.objects.get(subject=subject), outcome=ReviewOutcome.CONTINUE,
                notes="Review notes", actor=world.user(lead))
        referral_cases = build_referral_cases(world)
        settle_deferred_constraints()
        yield SimpleNamespace(world=world, cases=cases, referral_cases=referral_cases)


@pytest.fixture
def world(db, _shared):
    return _shared.world


@pytest.fixture
def cases(world, _shared):
    return _shared.cases


@pytest.fixture
def referral_cases(world, _shared):
    return _shared.referral_cases


def _relations(cases, subject_ids) -> set[str]:
    by_subject = {subject.pk: relation for relation, subject in cases.subjects.items()}
    return {by_subject[pk] for pk in subject_ids if pk in by_subject}


def _expected(table: dict[str, set[str]], persona: str) -> set[str]:
    return table.get(persona, set())


@pytest.mark.parametrize("persona", EVERYONE)
@pytest.mark.parametrize(("model", "action", "subject_path", "table"), [
    (SubjectRisk, "view", "subject_id", CROSS_AGENCY),
    (SubjectRisk, "level", "subject_id", VISIBLE),     # the level alone: whoever sees her (DESIGN.md §2)
    (Assessment, "view", "subject_id", CROSS_AGENCY),
    (RegisterEntry, "view", "subject_id", CROSS_AGENCY),
    (RegisterEntry, "change", "subject_id", REGISTER_KEEPERS),
    (RegisterReview, "view", "entry__subject_id", REGISTER_KEEPERS),
    (SubjectShare, "view", "content_object_id", SHARES),
])
def test_who_sees_which_rows(world, cases, persona, model, action, subject_path, table):
    seen = model.objects.restrict(world.user(persona), action).values_list(subject_path, flat=True)
    assert _relations(cases, seen) == _expected(table, persona)


@pytest.mark.parametrize("persona", EVERYONE)
@pytest.mark.parametrize("model", [SubjectRisk, Assessment, RegisterEntry, RegisterReview, SubjectShare])
def test_unknown_actions_see_nothing(world, cases, persona, model):
    assert not model.objects.restrict(world.user(persona), "delete").exists()


def test_every_case_has_the_rows_the_tables_are_about(cases):
    for subject in cases.subjects.values():
        assert SubjectRisk.objects.filter(subject=subject).exists()
        assert Assessment.objects.filter(subject=subject).count() >= 2
        assert RegisterEntry.objects.get(subject=subject).is_on
        assert RegisterReview.objects.filter(entry__subject=subject).count() == 1


@pytest.mark.parametrize("persona", EVERYONE)
def test_a_referrals_timeline_is_seen_by_those_who_work_it(world, referral_cases, persona):
    """The MASH that decides it and the receiving service while it is theirs; the referrer's side sees the
    referral's status and decision, never the moves and their reasons."""
    user = world.user(persona)
    worked = (set(Referral.objects.restrict(user, "decide").values_list("pk", flat=True))
              | set(Referral.objects.restrict(user, "respond").values_list("pk", flat=True)))
    transitions = set(ReferralTransition.objects.restrict(user, "view").values_list("referral_id", flat=True))
    assert transitions == worked & set(ReferralTransition.objects.values_list("referral_id", flat=True))
    for action in ("decide", "respond", "withdraw"):
        assert not ReferralTransition.objects.restrict(user, action).exists()


def test_transitions_by_persona(world, referral_cases):
    def seen(persona: str) -> set[str]:
        refs = ReferralTransition.objects.restrict(world.user(persona), "view").values_list(
            "referral__reference", flat=True)
        by_reference = {r.reference: relation for relation, r in referral_cases.referrals.items()}
        return {by_reference[ref] for ref in refs if ref in by_reference}

    lambeth = set(referral_cases.referrals) - {"ref_southwark"}
    assert seen("mash_lambeth") == lambeth
    assert seen("csc_lambeth") == {"ref_routed", "ref_accepted"}  # while it waits for them or is worked on
    assert seen("mash_southwark") == {"ref_southwark"}
    for persona in ["teacher_lambeth", "dsl_lambeth", "gp_lambeth", "teacher_southwark", "auditor",
                    "administrator", "dpo"]:
        assert seen(persona) == set(), persona


def test_emergency_grants_are_seen_by_their_lead_and_by_auditors(world, cases):
    grant = open_grant(world, "mash_lambeth", cases.subjects["southwark_school"])
    for persona in EVERYONE:
        user = world.user(persona)
        viewed = set(BreakGlassGrant.objects.restrict(user, "view").values_list("pk", flat=True))
        reviewed = set(BreakGlassGrant.objects.restrict(user, "review").values_list("pk", flat=True))
        assert viewed == ({grant.pk} if persona in {"mash_lambeth", "auditor"} else set()), persona
        assert reviewed == ({grant.pk} if persona == "auditor" else set()), persona


# --- The pages that read them -----------------------------------------------------------------------





def test_the_register_entry_page_shows_reviews_to_the_boroughs_mash_leads_only(client_for, cases):
    subject = cases.subjects["lambeth_gp"]
    url = reverse("register-entry", args=[subject.reference])
    html = client_for("mash_lambeth").get(url).content.decode()
    assert "Review notes" in html
    for persona in ["mash_southwark", "csc_lambeth", "gp_lambeth", "dsl_lambeth", "auditor"]:
        assert client_for(persona).get(url).status_code == 404, persona


def test_the_register_lists_only_the_boroughs_entries(client_for, cases):
    html = client_for("mash_lambeth").get(reverse("register")).content.decode()
    assert all(cases.subjects[r].reference in html for r in MASH_OF["mash_lambeth"])
    assert not any(cases.subjects[r].reference in html for r in MASH_OF["mash_southwark"])


def test_emergency_access_opens_her_risk_page_whole_but_not_the_register(client_for, world, cases):
    subject = cases.subjects["southwark_school"]
    lead = client_for("mash_lambeth")
    risk_url = reverse("subject-risk", args=[subject.reference])
    assert lead.get(risk_url).status_code == 404
    open_grant(world, "mash_lambeth", subject, REASON)
    html = lead.get(risk_url).content.decode()
    assert "Score " in html and "<svg" in html and "on the borough's risk register" in html
    assert lead.get(reverse("register-entry", args=[subject.reference])).status_code == 404
    assert subject.reference not in lead.get(reverse("register")).content.decode()


def test_the_referral_timeline_is_shown_only_with_the_whole_referral(client_for, referral_cases):
    referral = referral_cases.referrals["ref_accepted"]
    url = reverse("referral-detail", args=[referral.reference])
    moves = ReferralTransition.objects.filter(referral=referral).count()
    for persona in ["mash_lambeth", "csc_lambeth"]:
        html = client_for(persona).get(url).content.decode()
        assert "Timeline" in html and html.count("govuk-!-margin-bottom-4") == moves == 4, persona
    assert "Timeline" not in client_for("dsl_lambeth").get(url).content.decode()
    closed = reverse("referral-detail", args=[referral_cases.referrals["ref_closed_grace"].reference])
    assert "Assessment complete" in client_for("mash_lambeth").get(closed).content.decode()  # a move's reason
    for persona in ["teacher_lambeth", "mash_southwark", "auditor"]:
        assert client_for(persona).get(url).status_code == 404, persona


def test_the_review_queue_is_for_auditors(client_for, world, cases):
    grant = open_grant(world, "mash_lambeth", cases.subjects["southwark_school"])
    assert grant.reference in client_for("auditor").get(reverse("break-glass-list")).content.decode()
    for persona in ["mash_lambeth", "mash_southwark", "dpo", "administrator"]:
        assert client_for(persona).get(reverse("break-glass-list")).status_code == 404, persona
        assert client_for(persona).get(reverse("break-glass-review", args=[grant.reference])).status_code == 404
