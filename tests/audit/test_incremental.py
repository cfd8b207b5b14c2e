"""Incremental verification: each run keeps every intact chain's head as a checkpoint; the next run walks
only what follows it, after checking the checkpointed event still holds the same hash. ``--full`` walks
everything, and is what catches a rewrite before a checkpoint (with anchors)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies.models import Borough
from audit import chain
from audit.api import record
from audit.models import AccessEvent, ChainCheckpoint, VerificationRun
from audit.services import do_verify_trail, latest_checkpoints
from tests.audit.tampering import raw, triggers_off
from tests.audit.test_chain import verify
from tests.audit_helpers import assert_audit

pytestmark = pytest.mark.django_db

LAMBETH = "E09000022"


def _lambeth(count: int, start: int = 0) -> list[AccessEvent]:
    lambeth = Borough.objects.get(name="Lambeth")
    return [record("view", actor=None, object_type="subject", reference=f"SUB-{n:04d}", borough=lambeth,
                   detail={"n": n}) for n in range(start, start + count)]


def test_a_run_stores_each_chains_head_and_the_next_walks_only_new_events():
    events = _lambeth(5)
    report, run = do_verify_trail(run_by="test")
    assert report.intact and report.full and run.full and report.events_checked == 5
    assert_audit(action="verify", service="do_verify_trail", reference=str(run.pk))
    checkpoint = ChainCheckpoint.objects.get(run=run, chain=LAMBETH)
    assert (checkpoint.sequence, checkpoint.hash, checkpoint.event_id) == (5, events[-1].hash, events[-1].pk)

    newer = _lambeth(3, start=5)
    report, run = do_verify_trail(run_by="test")
    # Three new Lambeth events, and the previous run's own event on the system chain.
    assert report.intact and not report.full and not run.full
    assert report.events_checked == 4 and report.chains[LAMBETH] == (8, newer[-1].hash)
    assert latest_checkpoints()[LAMBETH] == chain.Checkpoint(LAMBETH, 8, newer[-1].hash, newer[-1].pk)
    assert VerificationRun.objects.count() == 2


@pytest.mark.parametrize("column, value", [("reference", "SUB-9999"), ("outcome", "denied")])
def test_tampering_after_the_checkpoint_is_caught_incrementally_and_full_agrees(column, value):
    _lambeth(4)
    do_verify_trail(run_by="test")
    newer = _lambeth(4, start=4)
    victim = newer[1]
    with triggers_off():
        raw(f"UPDATE audit_accessevent SET {column} = %s WHERE id = %s", [value, victim.pk])  # noqa: S608
    incremental = verify()
    full = verify("--full")
    where = f"chain {LAMBETH}: event {victim.pk} (sequence 6)"
    assert incremental.startswith("FAILED") and where in incremental and "edited" in incremental, incremental
    assert full.startswith("FAILED") and where in full, full
    # A broken chain keeps no new checkpoint: the next incremental run finds the same event again.
    assert where in verify()


def test_tampering_before_the_checkpoint_is_for_full_runs_and_anchors():
    events = _lambeth(6)
    do_verify_trail(run_by="test")
    with triggers_off():
        raw("UPDATE audit_accessevent SET reference = 'SUB-9999' WHERE id = %s", [events[2].pk])
    assert verify().startswith("OK"), "an incremental run does not re-read what its checkpoint covers"
    result = verify("--full")
    assert result.startswith("FAILED") and f"event {events[2].pk} (sequence 3)" in result, result


def test_a_rewritten_or_removed_checkpoint_event_is_caught_incrementally():
    events = _lambeth(4)
    do_verify_trail(run_by="test")
    # Rewriting the head and recomputing its hash: self-consistent, but not the hash the checkpoint kept.
    head = AccessEvent.objects.get(pk=events[-1].pk)
    head.reference = "SUB-REWRITTEN"
    with triggers_off():
        raw("UPDATE audit_accessevent SET reference = %s, hash = %s WHERE id = %s",
            [head.reference, chain.compute_hash(head), head.pk])
    result = verify()
    assert f"chain {LAMBETH}: event {head.pk} (sequence 4)" in result
    assert "checkpoint was removed or rewritten" in result
    # A full walk finds the chain self-consistent but will not take it as its new starting point.
    result = verify("--full")
    assert f"chain {LAMBETH}: event {head.pk} (sequence 4)" in result and "rewritten" in result


def test_a_whole_chain_removed_after_its_checkpoint_is_caught():
    _lambeth(3)
    do_verify_trail(run_by="test")
    with triggers_off():
        raw("DELETE FROM audit_accessevent WHERE chain = %s", [LAMBETH])
    result = verify()
    assert result.startswith("FAILED") and f"chain {LAMBETH}: end of chain" in result, result


def test_chain_names_come_from_the_index_not_a_scan():
    _lambeth(2)
    record("login_failed", actor=None, outcome="denied")
    assert chain.chain_names() == sorted(set(AccessEvent.objects.values_list("chain", flat=True)))


def test_verify_now_is_incremental(client_for):
    _lambeth(3)
    auditor = client_for("auditor")
    assert auditor.post(reverse("audit-verify")).status_code == 302
    _lambeth(2, start=3)
    assert auditor.post(reverse("audit-verify")).status_code == 302
    first, second = VerificationRun.objects.order_by("id")
    assert first.full and not second.full and second.intact
    assert "Since checkpoints" in auditor.get(reverse("audit-chain")).content.decode()
