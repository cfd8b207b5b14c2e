"""Assessments, rescore and the register, through the services."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Borough
from audit.models import AccessEvent
from referrals import intake as referrals
from risk import queries
from risk.models import Assessment, RegisterEntry, RegisterReview, ScoringModel, SubjectRisk
from risk.scoring import V1_CONFIG
from risk.services import assessment, register
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern

pytestmark = pytest.mark.django_db


# A concern about a girl born in 2010, through the factory: absent from school, seen today, unless a test
# says otherwise.
concern = partial(new_concern, family="Riskcase", dob=dt.date(2010, 1, 1), indicators=("absent-from-school",),
                  days_ago=0, narrative="Seen with older men.")


def test_a_concern_assesses_its_subject_at_once_with_its_own_event(world):
    made = concern(world, "teacher_lambeth", given="Ada")
    assert_audit("create", object_type="concern", reference=made.reference)
    audit_checkpoint()
    made = concern(world, "teacher_lambeth", given="Ada", indicators=("self-harm",))
    events = new_audit_events()
    assert [(e.action, e.object_type) for e in events] == [("create", "concern"), ("update", "risk")]
    risk = SubjectRisk.objects.get(subject=made.subject)
    assert risk.level == "low" and risk.model_version == ScoringModel.objects.active().version
    assert Assessment.objects.filter(subject=made.subject).count() == 2
    assert queries.current_levels([made.subject.pk]) == {made.subject.pk: "low"}


def test_reaching_the_threshold_puts_her_on_the_register_and_notifies_mash_leads_without_names(
        world, django_capture_on_commit_callbacks):
    lead = world.user("mash_lambeth")
    lead.email = "mash.lead@lambeth.example"
    lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        made = concern(world, "teacher_lambeth", given="Bisi",
                       indicators=("missing-from-home-or-care",), seriously_worried=True)
    entry = RegisterEntry.objects.get(subject=made.subject)
    assert entry.is_on and entry.level == "high" and entry.borough.name == "Lambeth"
    assert entry.review_cadence_days == 30
    assert entry.next_review_on == timezone.localdate() + dt.timedelta(days=30)
    event = [e for e in new_audit_events() if e.object_type == "risk"][0]
    assert event.detail["register"] == "added"
    # One for the register; reaching high also raised an automatic referral, with its own notice.
    register_mail = [m for m in mail.outbox if "/register/" in m.body]
    assert len(register_mail) == 1
    message = register_mail[0]
    assert message.to == [world.user("mash_lambeth").email]
    assert made.subject.reference in message.body and "/register/" in message.body
    for text in [text for m in mail.outbox for text in (m.subject, m.body)]:
        assert "Bisi" not in text and "Riskcase" not in text and "older" not in text


def test_the_cadence_follows_the_level(world):
    made = concern(world, "teacher_lambeth", given="Cleo",
                   indicators=("older-boyfriend-or-associate", "gifts-from-unknown-sources"))
    entry = RegisterEntry.objects.get(subject=made.subject)
    assert (entry.level, entry.review_cadence_days) == ("medium", 91)
    concern(world, "gp_lambeth", given="Cleo",
            indicators=("older-boyfriend-or-associate", "carrying-for-others", "gifts-from-unknown-sources",
                        "unexplained-phones-or-money", "missing-from-home-or-care"))
    entry.refresh_from_db()
    assert (entry.level, entry.review_cadence_days) == ("very_high", 14)
    assert entry.next_review_on == timezone.localdate() + dt.timedelta(days=14)
    assert entry.history.count() == 2


def test_rescore_equals_incremental_and_a_second_run_writes_nothing(world):
    made = [concern(world, "teacher_lambeth", given=name, indicators=signs, seriously_worried=worried)
            for name, signs, worried in [
        ("Dee", ("absent-from-school",), False),
        ("Eve", ("older-boyfriend-or-associate", "gifts-from-unknown-sources", "carrying-for-others"), False),
        ("Fay", ("missing-from-home-or-care",), True),
    ]]
    later = timezone.now() + dt.timedelta(days=200)
    # Incremental: assess each subject on its own at ``later``.
    incremental = {}
    for m in made:
        assessment.do_assess_subject(m.subject, actor=None, reason="check", now=later)
        incremental[m.subject.pk] = SubjectRisk.objects.values_list("level", "score").get(subject=m.subject)
    # Set-based, from the same starting point, gives the same.
    Assessment.objects.filter(reason="check").delete()
    for m in made:
        assessment.do_assess_subject(m.subject, actor=None, reason="reset", now=timezone.now())
    report = assessment.do_rescore_all(now=later)
    assert report.subjects == 3
    setbased = {m.subject.pk: SubjectRisk.objects.values_list("level", "score").get(subject=m.subject) for m in made}
    assert setbased == incremental
    audit_checkpoint()
    before = Assessment.objects.count()
    again = assessment.do_rescore_all(now=later)
    assert again.appended == 0 and Assessment.objects.count() == before and new_audit_events() == []


def test_decay_lowers_the_level_and_a_new_concern_raises_it(world):
    made = concern(world, "teacher_lambeth", given="Gia",
                   indicators=("older-boyfriend-or-associate", "carrying-for-others"))
    assert SubjectRisk.objects.get(subject=made.subject).level == "medium"
    # Model v3: two significant signs count fully for six months; then the level is held for one review
    # period of its level (medium: 91 days) before it falls a step, never by a cliff.
    assessment.do_rescore_all(now=timezone.now() + dt.timedelta(days=200))
    assert SubjectRisk.objects.get(subject=made.subject).level == "medium"
    audit_checkpoint()
    assessment.do_rescore_all(now=timezone.now() + dt.timedelta(days=280))
    risk = SubjectRisk.objects.get(subject=made.subject)
    assert (risk.level, risk.previous_level) == ("low", "medium")
    assert_audit("update", object_type="risk", reference=made.subject.reference)  # plus the run's own event
    entry = RegisterEntry.objects.get(subject=made.subject)
    assert entry.is_on and entry.level == "low"  # a falling level never removes anyone


def test_rescore_uses_a_constant_number_of_queries_per_batch(world, django_assert_max_num_queries):
    for n in range(12):
        concern(world, "teacher_lambeth", given=f"Q{n}", indicators=("absent-from-school",))
    later = timezone.now() + dt.timedelta(days=200)  # the moderate sign has left its six-month window
    # batch of 50: subjects, concerns, indicators, the MASH's decisions (model v3), current rows, bulk
    # insert, bulk update, run event (3), next empty batch; no level changes here (low is held for a
    # review period). 16 on PostgreSQL, 15 on SQLite.
    with django_assert_max_num_queries(17):  # PostgreSQL adds the audit chain's advisory lock
        report = assessment.do_rescore_all(now=later, batch_size=50)
    assert report.appended == 12 and report.level_changes == 0


def test_a_new_model_version_rescores_everyone_and_explanations_name_it(world):
    made = concern(world, "teacher_lambeth", given="Hana", indicators=("absent-from-school",))
    v4 = ScoringModel.objects.create(version=4, title="v4", config={**V1_CONFIG, "version": 4})
    assessment.do_activate_scoring_model(model=v4, actor=world.user("administrator"))
    assert_audit("update", object_type="scoring_model", reference="4")
    report = assessment.do_rescore_all()
    assert report.appended >= 1
    latest = Assessment.objects.filter(subject=made.subject).order_by("-id").first()
    assert latest.model_version == 4 and latest.explanation["model_version"] == 4


def test_review_removal_and_reinstatement_keep_the_history(world):
    made = concern(world, "teacher_lambeth", given="Ivy",
                   indicators=("missing-from-home-or-care",), seriously_worried=True)
    entry = RegisterEntry.objects.get(subject=made.subject)
    lead = world.user("mash_lambeth")
    audit_checkpoint()
    review = register.do_record_review(entry=entry, outcome="continue", notes="Met with Ivy at school.", actor=lead)
    assert_audit("update", actor=lead, object_type="register_entry", reference=made.subject.reference)
    assert RegisterReview.objects.get(pk=review.pk).notes == "Met with Ivy at school."
    register.do_set_lead_professional(entry=entry, lead=world.user("csc_lambeth"), actor=lead)
    assert_audit("update", actor=lead, object_type="register_entry")
    for code in ("", "not_recorded", "made-up"):  # a code is required, and "not recorded" is only for old rows
        with pytest.raises(ValidationError, match="Choose why"):
            register.do_remove_from_register(entry=entry, reason_code=code, reason="Moved out of the area",
                                             actor=lead)
    assert new_audit_events() == []
    register.do_remove_from_register(entry=entry, reason_code="moved_away", reason="Moved out of the area",
                                     actor=lead)
    removal = assert_audit("update", actor=lead, object_type="register_entry",
                           service="do_remove_from_register", only=True)
    # The trail holds the code, never the typed words.
    assert removal.detail["reason"] == "moved_away" and "Moved out" not in str(removal.detail)
    entry.refresh_from_db()
    assert entry.status == "removed" and entry.removal_reason == "Moved out of the area"
    assert entry.removal_reason_code == "moved_away"
    with pytest.raises(Exception, match="reason"):
        register.do_reinstate_register_entry(entry=entry, reason=" ", actor=lead)
    register.do_reinstate_register_entry(entry=entry, reason="Back in Lambeth", actor=lead)
    assert_audit("update", actor=lead, object_type="register_entry")
    entry.refresh_from_db()
    assert entry.is_on and entry.removal_reason is None and entry.reinstatement_reason == "Back in Lambeth"
    assert entry.removal_reason_code == ""
    # The typed reasons stay on the record (encrypted), never in the trail: the trail has a code.
    assert AccessEvent.objects.order_by("-id").values_list("purpose", flat=True).first() == "reinstated_on_register"
    statuses = list(entry.history.order_by("history_date").values_list("status", flat=True))
    assert statuses[-3:] == ["on", "removed", "on"]
    assert RegisterEntry.objects.filter(subject=made.subject).count() == 1


def test_only_the_boroughs_mash_lead_keeps_the_register(world):
    made = concern(world, "teacher_lambeth", given="Jo",
                   indicators=("missing-from-home-or-care",), seriously_worried=True)
    entry = RegisterEntry.objects.get(subject=made.subject)
    from django.core.exceptions import PermissionDenied

    for persona in ("mash_southwark", "teacher_lambeth"):
        with pytest.raises(PermissionDenied):
            register.do_remove_from_register(entry=entry, reason_code="risk_reduced", reason="x",
                                                 actor=world.user(persona))
    assert new_audit_events() == [] or all(e.object_type != "register_entry" for e in new_audit_events())


def test_overdue_reviews_are_found(world):
    made = concern(world, "teacher_lambeth", given="Kat",
                   indicators=("missing-from-home-or-care",), seriously_worried=True)
    now = timezone.now() + dt.timedelta(days=31)
    overdue = queries.register_entries(Borough.objects.get(name="Lambeth").pk, overdue=True,
                                       today=now.date(), now=now)
    assert [e.subject_id for e in overdue] == [made.subject.pk]
    assert not queries.register_entries(Borough.objects.get(name="Lambeth").pk, overdue=True,
                                        today=timezone.localdate(), now=timezone.now()).exists()


def test_removed_entry_is_reinstated_when_the_level_rises_above_it(world):
    made = concern(world, "teacher_lambeth", given="Lou",
                   indicators=("older-boyfriend-or-associate", "gifts-from-unknown-sources"))
    entry = RegisterEntry.objects.get(subject=made.subject)
    register.do_remove_from_register(entry=entry, reason_code="risk_reduced", reason="Support in place",
                                     actor=world.user("mash_lambeth"))
    concern(world, "gp_lambeth", given="Lou", indicators=("missing-from-home-or-care",), seriously_worried=True)
    entry.refresh_from_db()
    assert entry.is_on and entry.level == "high"


def test_cases_helper_still_records(world):
    assert new_concern(world, "teacher_lambeth", given="Mo", family="Case", dob=None, borough="Lambeth", age=14)


def test_a_merged_record_leaves_the_register(world):
    first = concern(world, "teacher_lambeth", given="Nell",
                    indicators=("missing-from-home-or-care",), seriously_worried=True)
    from referrals.models import Subject

    second = new_concern(world, "gp_lambeth", given="Nel", family="Other", dob=None, borough="Lambeth", age=15,
                    indicators=("absent-from-school",))
    lambeth = Borough.objects.get(name="Lambeth").pk
    now = timezone.now()
    assert queries.level_counts(lambeth) == {"high": 1}
    referrals.do_merge_subjects(survivor=Subject.objects.get(pk=second.subject.pk),
                                duplicate=Subject.objects.get(pk=first.subject.pk), reason="Same girl",
                                actor=world.user("mash_lambeth"))
    # The merged-away record leaves the register, and the survivor is re-assessed at once:
    # her merged concerns put her at high without waiting for the nightly ``rescore``.
    assert not queries.register_entries(lambeth, today=now.date(), now=now).filter(
        subject_id=first.subject.pk).exists()
    assert queries.level_counts(lambeth) == {"high": 1}
    assert queries.current_levels([second.subject.pk]) == {second.subject.pk: "high"}


def test_a_context_of_concern_on_the_map_is_explained_and_removing_the_link_lowers_the_score(world):
    import datetime as dt

    from agencies.models import Borough
    from risk.map import services as map_services
    from risk.map.models import LinkType, Place, PlaceKind

    first = concern(world, "teacher_lambeth", given="Ayla", indicators=("absent-from-school",))
    second = concern(world, "gp_lambeth", given="Bea", indicators=("absent-from-school",))
    mash = world.user("mash_lambeth")
    place = Place(name="Test Estate stairwell", kind=PlaceKind.ESTATE, borough=Borough.objects.get(name="Lambeth"))
    seen = timezone.localdate() - dt.timedelta(days=2)
    link = map_services.do_add_link(ends=(first.subject, place), link_type=LinkType.SEEN_AT, first_seen=seen,
                                    actor=mash)
    map_services.do_add_link(ends=(second.subject, place), link_type=LinkType.SEEN_AT, first_seen=seen, actor=mash)
    before = SubjectRisk.objects.get(subject=first.subject).score
    assessment.do_assess_subject(first.subject, actor=mash, reason="map")
    with_link = Assessment.objects.filter(subject=first.subject).order_by("-id").first()
    assert [item["node"] for item in with_link.explanation["map"]] == [place.reference]
    assert with_link.score > before and with_link.explanation["model_version"] == 3
    map_services.do_remove_link(link, reason="Recorded in error", actor=mash)
    assessment.do_assess_subject(first.subject, actor=mash, reason="map")
    without = Assessment.objects.filter(subject=first.subject).order_by("-id").first()
    assert without.explanation["map"] == [] and without.score == before


def test_reaching_high_raises_one_automatic_referral_to_the_mash(world):
    from referrals.models import Referral

    made = concern(world, "teacher_lambeth", given="Cara",
                   indicators=("older-boyfriend-or-associate",), seriously_worried=True)
    referral = Referral.objects.get(subject=made.subject)
    assert referral.automatic and referral.to_agency.kind == "mash"
    assert referral.borough == made.subject.home_borough
    # Still high after another concern: the open referral is not duplicated.
    concern(world, "gp_lambeth", given="Cara", indicators=("missing-from-home-or-care",), seriously_worried=True)
    assert Referral.objects.filter(subject=made.subject).count() == 1
