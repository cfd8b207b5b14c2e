"""Two MASH leads decide the same referral at the same moment: one wins, the other is told (PostgreSQL,
two threads, real row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from agencies import services as agency_services
from agencies.choices import RoleCode
from referrals import routing
from referrals.choices import ReferralDecision
from referrals.models import Referral, ReferralTransition
from tests.factories import advance_referral, new_referral, new_subject
from tests.personas import PASSWORD, build_world


@pytest.mark.django_db(transaction=True)
def test_two_leads_decide_at_once_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    world = build_world()
    second_lead = agency_services.do_create_user(
        username="mash_lambeth_2", password=PASSWORD, agency=world.agencies["lambeth_mash"],
        roles=[RoleCode.MASH_LEAD], actor=None)
    referral = advance_referral(world, new_referral(world, new_subject(world, 1)), "screening")
    version = referral.version
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(name: str, decision: str, actor) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            fresh = Referral.objects.get(pk=referral.pk)
            routing.do_decide_referral(fresh, decision=decision, reason=f"Reason from {name}", version=version,
                                       actor=actor)
            results[name] = "won"
        except routing.StaleReferral as error:
            results[name] = error
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", ReferralDecision.NO_FURTHER_ACTION, world.user("mash_lambeth"))),
        threading.Thread(target=decide, args=("b", ReferralDecision.SIGNPOSTED, second_lead)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(str(type(v).__name__) for v in results.values()) == ["StaleReferral", "str"], results
    winner = next(name for name, value in results.items() if value == "won")
    referral.refresh_from_db()
    assert referral.version == version + 1
    assert referral.decision_reason == f"Reason from {winner}"
    assert ReferralTransition.objects.filter(referral=referral, to_state="decided").count() == 1
