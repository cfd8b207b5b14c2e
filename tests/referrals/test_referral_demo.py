"""Demo referrals: every state, some overdue, and a second run changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from audit.models import AccessEvent
from referrals.choices import PathwayStatus, ReferralState
from referrals.models import Referral, ReferralPathway, ReferralTransition


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_demo_referrals_cover_every_state_and_are_idempotent(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    assert set(Referral.objects.values_list("state", flat=True)) == set(ReferralState.values)
    # Under scoring model v3 the Southwark demo girl's significant signs raise an automatic referral (made
    # now, so not overdue) which the demo screens; Lambeth's submitted referral stays overdue.
    assert sum(r.is_overdue for r in Referral.objects.all()) >= 1
    # One decision into several pathways (one recommended pathway left out, with its reason), and a
    # same-day strategy discussion, urgent, at the top of the inboxes.
    several = [r for r in Referral.objects.all()
               if r.pathways.exclude(status=PathwayStatus.LEFT_OUT).count() > 1]
    assert several
    assert ReferralPathway.objects.filter(status=PathwayStatus.LEFT_OUT, pathway="sexual_health").exists()
    same_day = ReferralPathway.objects.get(pathway="csc_strategy", urgent=True, status=PathwayStatus.AWAITING)
    assert same_day.clock_unit == "same_day" and same_day.due_at is not None
    snapshot = (Referral.objects.count(), ReferralTransition.objects.count(), Referral.history.count(),
                AccessEvent.objects.count())
    call_command("seed_demo")
    assert snapshot == (Referral.objects.count(), ReferralTransition.objects.count(), Referral.history.count(),
                        AccessEvent.objects.count())


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_the_demo_moves_one_girl_between_boroughs_and_shares_one_where_harm_happens(monkeypatch):
    from referrals.boroughs import harm_borough_shares
    from referrals.models import BoroughTransfer, Subject

    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    (transfer,) = BoroughTransfer.objects.all()
    assert (transfer.status, transfer.from_borough.name, transfer.to_borough.name) == ("pending", "Lambeth",
                                                                                        "Southwark")
    shared = [s for s in Subject.objects.filter(home_borough__name="Lambeth") if harm_borough_shares(s).exists()]
    assert len(shared) == 1
    call_command("seed_demo")
    assert BoroughTransfer.objects.count() == 1
