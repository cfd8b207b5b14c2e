"""Two MASH leads of the borough asked accept the same transfer at the same moment: one moves her record,
the other is told it was already accepted by that borough's MASH, not refused with a 403 (PostgreSQL, two
threads, real row locks)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from agencies import services as agency_services
from agencies.choices import RoleCode
from agencies.models import Borough
from referrals import boroughs
from referrals.choices import BoroughTransferReason, BoroughTransferStatus
from referrals.models import BoroughTransfer
from tests.factories import new_subject
from tests.personas import PASSWORD, build_world


@pytest.mark.django_db(transaction=True)
def test_two_leads_accept_at_once_one_moves_her_the_other_is_told():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    world = build_world()
    second_lead = agency_services.do_create_user(
        username="mash_southwark_2", password=PASSWORD, agency=world.agencies["southwark_mash"],
        roles=[RoleCode.MASH_LEAD], actor=None, first_name="Secondlead", last_name="Southwarkname")
    southwark = Borough.objects.get(name="Southwark")
    transfer, _ = boroughs.do_start_borough_transfer(
        subject=new_subject(world, 1), to_borough=southwark, reason=BoroughTransferReason.MOVED_HOME,
        note="Moved.", idempotency_key=uuid.uuid4(), actor=world.user("mash_lambeth"))
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def accept(name: str, actor) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            seen = BoroughTransfer.objects.get(pk=transfer.pk)
            boroughs.do_accept_borough_transfer(transfer=seen, actor=actor)
            results[name] = "won"
        except Exception as error:  # noqa: BLE001  # what the loser gets is what is under test
            results[name] = error
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=accept, args=("a", world.user("mash_southwark"))),
               threading.Thread(target=accept, args=("b", second_lead))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(v).__name__ for v in results.values()) == ["ValidationError", "str"], results
    lost = next(v for v in results.values() if isinstance(v, ValidationError))
    text = " ".join(lost.messages)
    assert "already accepted by Southwark's MASH" in text
    assert "Secondlead" not in text and "Southwarkname" not in text
    transfer.refresh_from_db()
    assert transfer.status == BoroughTransferStatus.ACCEPTED
