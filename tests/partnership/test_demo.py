"""The demo's year of statistics history keeps the register's invariants, in every borough it fills.

Loaded without the rest of the demo (``seed_demo`` loads it only where the statistics are looked at), so
these are checked here: next review never before she joined, every entry with her current risk behind it
(the history once put girls on the register with no risk at all, which the demo's register check could not
survive), reviews and removals in order."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partnership.demo import HISTORY_BOROUGHS, seed_statistics_history
from referrals.models import Subject
from risk.models import RegisterEntry, RegisterReview, RegisterStatus, SubjectRisk
from risk.scoring import LEVEL_RANK


@pytest.mark.django_db
def test_the_demo_history_keeps_the_register_invariants():
    assert seed_statistics_history() > 0
    entries = list(RegisterEntry._base_manager.filter(borough__name__in=HISTORY_BOROUGHS))
    assert {e.borough.name for e in entries} == set(HISTORY_BOROUGHS)
    today = timezone.localdate()
    for entry in entries:
        added = timezone.localdate(entry.added_at)
        assert entry.added_at <= timezone.now(), "added in the future"
        assert entry.next_review_on >= added, "next review before added"
        if entry.status == RegisterStatus.REMOVED:
            assert entry.removed_at is not None and entry.removed_at >= entry.added_at, "removed before added"
            assert entry.removed_at <= timezone.now(), "removed in the future"
        assert entry.subject.created_at <= entry.added_at, "on the register before her record existed"
        # A register entry has her current risk behind it: at its level while she is on it (the register's
        # pages and the MACE agenda read it), below the register's threshold once she is off it.
        risk = SubjectRisk.objects.get(subject_id=entry.subject_id)
        if entry.status == RegisterStatus.ON:
            assert (risk.level, risk.level_rank) == (entry.level, entry.level_rank), "register level is not hers"
        else:
            assert risk.level_rank < LEVEL_RANK["medium"], "taken off the register at the register's level"
    # Every girl of the history has a current risk, as every girl recorded through the services has.
    girls = Subject._base_manager.filter(home_borough__name__in=HISTORY_BOROUGHS)
    assert girls.count() == SubjectRisk.objects.filter(subject__in=girls).count()
    for row in RegisterEntry.history.filter(id__in=[e.pk for e in entries]):
        assert row.next_review_on >= timezone.localdate(row.added_at), "next review before added (history)"
    for review in RegisterReview._base_manager.filter(entry__in=entries).select_related("entry"):
        assert review.reviewed_at >= review.entry.added_at, "reviewed before added"
        assert timezone.localdate(review.reviewed_at) <= today, "reviewed in the future"
        assert review.next_review_on >= timezone.localdate(review.reviewed_at)
