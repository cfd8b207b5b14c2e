"""``rescore`` touches only subjects that are due: the due day must be exactly the first day on which
re-assessing everyone (as ``rescore`` used to) would have appended, as the scoring engine computes it."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from risk.catalogue import V1_INDICATORS
from risk.scoring import V1_CONFIG, V2_CONFIG, ConcernFact, assess
from risk.services.assessment import _moved, _should_append, next_due_on

INDICATORS = [(code, kind) for code, kind, *_rest in V1_INDICATORS]
TODAY = dt.date(2026, 6, 1)


def _random_facts(rng: random.Random) -> list[ConcernFact]:
    facts = []
    for n in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
        facts.append(ConcernFact(
            reference=f"C-{n}", agency_id=rng.randrange(1, 5),
            observed_on=TODAY - dt.timedelta(days=rng.choice([0, 1, 30, 89, 90, 200, 364, 365, 400, 729, 730,
                                                               rng.randrange(0, 900)])),
            seriously_worried=rng.random() < 0.15,
            indicators=tuple(sorted(rng.sample(INDICATORS, rng.randrange(0, 4))))))
    return facts


def _random_map(rng: random.Random) -> list[dict]:
    return [{"kind": rng.choice(["context_of_concern", "associate_of_concern"]), "node": f"N-{n}"}
            for n in range(rng.choice([0, 0, 1, 2]))]


@pytest.mark.parametrize("config", [V1_CONFIG, V2_CONFIG], ids=["v1", "v2-map"])
def test_the_due_day_is_the_first_day_a_full_reassessment_would_append(config):
    rng = random.Random(20261128)
    delta = float(config["rescore_delta"])
    for _ in range(150):
        facts, map_facts = _random_facts(rng), _random_map(rng)
        # Stored either as assessed today, or as assessed some days ago and not moved enough since.
        stored = assess(facts, config, TODAY - dt.timedelta(days=rng.choice([0, 0, 3, 20])), map_facts)
        if _moved(assess(facts, config, TODAY, map_facts), stored.score, stored.level, delta):
            stored = assess(facts, config, TODAY, map_facts)
        due = next_due_on(facts, config, TODAY, map_facts, None, stored.score, stored.level)
        assert due > TODAY
        day = TODAY + dt.timedelta(days=1)
        while day < due:
            assert not _moved(assess(facts, config, day, map_facts), stored.score, stored.level, delta), (facts, day)
            day += dt.timedelta(days=1)
        if _moved(assess(facts, config, due, map_facts), stored.score, stored.level, delta):
            continue
        # Not moved by the due day: only when nothing will ever move again (the horizon).
        for later in (30, 365, 3 * 365):
            assert not _moved(assess(facts, config, due + dt.timedelta(days=later), map_facts),
                              stored.score, stored.level, delta)


def test_a_map_fact_that_may_expire_brings_the_due_day_forward():
    facts = [ConcernFact("C-1", 1, TODAY, indicators=(("history-of-abuse", "vulnerability"),))]
    result = assess(facts, V2_CONFIG, TODAY, [{"kind": "context_of_concern", "node": "P-1"}])
    expires = TODAY + dt.timedelta(days=40)
    due = next_due_on(facts, V2_CONFIG, TODAY, [{"kind": "context_of_concern", "node": "P-1"}], expires,
                      result.score, result.level)
    assert due <= expires


@pytest.mark.django_db
def test_rescore_over_time_equals_reassessing_everyone_every_time(world):
    """Built through the services; at each step, ``rescore`` must leave every subject exactly where
    re-assessing everyone would (the old behaviour), on SQLite and PostgreSQL alike."""
    from risk import queries
    from risk.models import Assessment, ScoringModel, SubjectRisk
    from risk.services import assessment
    from tests.factories import record_concern

    rng = random.Random(7)
    now = timezone.now()
    codes = [code for code, _kind in INDICATORS]
    recorders = ["teacher_lambeth", "gp_lambeth", "police_lambeth", "dsl_lambeth"]
    for n in range(14):
        for _c in range(rng.choice([1, 2, 3])):
            # Keyword arguments are evaluated in order: the draws from ``rng`` stay as they were.
            record_concern(
                world, given=f"Dua{n}", family="Timecase", dob=dt.date(2011, 2, 3), borough="Lambeth",
                observed_on=now.date() - dt.timedelta(days=rng.choice([0, 10, 80, 150, 300, 360, 700])),
                indicators=rng.sample(codes, rng.randrange(1, 4)),
                narrative="", seriously_worried=rng.random() < 0.1, recorder=rng.choice(recorders))
    model = ScoringModel.objects.active()
    delta = float(model.config["rescore_delta"])
    expected = {r.subject_id: r for r in SubjectRisk.objects.all()}
    appended = Assessment.objects.count()
    for days in (1, 5, 11, 30, 60, 61, 95, 150, 200, 290, 366, 400, 731, 800):
        at = now + dt.timedelta(days=days)
        facts = queries.load_facts(list(expected))
        map_facts = assessment.map_facts_for(list(expected), model.config, at)
        for pk, row in expected.items():
            result = assess(facts[pk], model.config, at, map_facts.get(pk, ()))
            if _should_append(row, result, model.version, delta):
                row.score, row.level = result.score, result.level
                appended += 1
        report = assessment.do_rescore_all(now=at)
        stored = {r.subject_id: (r.score, r.level) for r in SubjectRisk.objects.all()}
        assert stored == {pk: (r.score, r.level) for pk, r in expected.items()}, days
        assert Assessment.objects.count() == appended
        assert report.evaluated <= report.subjects
    assert report.subjects == len(expected)
