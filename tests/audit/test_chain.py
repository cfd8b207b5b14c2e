"""Every kind of tampering is detected, and the first bad event named, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from agencies.models import Borough
from audit import chain
from audit.api import record
from audit.models import AccessEvent, VerificationRun
from tests.audit.tampering import raw, triggers_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def lambeth_chain():
    """Six events in Lambeth's chain and two in the system chain; returns Lambeth's, in order."""
    lambeth = Borough.objects.get(name="Lambeth")
    events = []
    for n in range(6):
        events.append(record("view", actor=None, object_type="subject", reference=f"SUB-{n:04d}",
                             borough=lambeth, detail={"n": n}))
        if n % 3 == 0:
            record("login_failed", actor=None, outcome="denied")
    return events


def verify(*args: str) -> str:
    try:
        call_command("verify_audit", *args, stdout=(out := _Buffer()), stderr=(err := _Buffer()))
    except CommandError as exc:
        return f"FAILED {exc} {err.text}"
    return f"OK {out.text}"


class _Buffer:
    def __init__(self) -> None:
        self.text = ""

    def write(self, value: str) -> None:
        self.text += value

    def flush(self) -> None:
        pass


def test_an_untouched_trail_verifies_and_the_run_is_kept(lambeth_chain):
    result = verify()
    assert result.startswith("OK Intact: 8 events in 2 chains"), result
    run = VerificationRun.objects.get()
    assert run.intact and run.events_checked == 8 and "verify_audit command" in run.run_by
    # The run is itself in the trail.
    assert AccessEvent.objects.filter(action="verify", reference=str(run.pk)).exists()


def test_chains_are_numbered_and_linked(lambeth_chain):
    assert [e.sequence for e in lambeth_chain] == [1, 2, 3, 4, 5, 6]
    assert lambeth_chain[0].prev_hash == chain.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(lambeth_chain, lambeth_chain[1:], strict=False))
    assert {e.chain for e in lambeth_chain} == {"E09000022"}
    stored = AccessEvent.objects.get(pk=lambeth_chain[2].pk)
    assert chain.compute_hash(stored) == stored.hash  # the hash survives the database round trip


def test_an_edited_event_is_named(lambeth_chain):
    victim = lambeth_chain[3]
    with triggers_off():
        raw("UPDATE audit_accessevent SET reference = %s WHERE id = %s", ["SUB-9999", victim.pk])
    result = verify()
    assert result.startswith("FAILED"), result
    assert f"chain E09000022: event {victim.pk} (sequence 4)" in result and "edited" in result


def test_an_edited_detail_or_time_is_detected_too(lambeth_chain):
    with triggers_off():
        raw("UPDATE audit_accessevent SET outcome = 'denied' WHERE id = %s", [lambeth_chain[1].pk])
    assert f"event {lambeth_chain[1].pk} (sequence 2)" in verify()


def test_a_deleted_event_is_named_by_the_one_after_it(lambeth_chain):
    with triggers_off():
        raw("DELETE FROM audit_accessevent WHERE id = %s", [lambeth_chain[2].pk])
    result = verify()
    assert f"event {lambeth_chain[3].pk} (sequence 4)" in result
    assert "expected sequence 3" in result and "missing" in result


def test_an_inserted_event_is_detected_where_the_chain_breaks(lambeth_chain):
    # The attacker makes room at position 3 and inserts a well-formed event there, hashed correctly
    # onto event 2; the original event 3 (now numbered 4) no longer links to what precedes it.
    with triggers_off():
        for event in reversed(lambeth_chain[2:]):
            raw("UPDATE audit_accessevent SET sequence = sequence + 1 WHERE id = %s", [event.pk])
        forged = AccessEvent(**{
            f.attname: getattr(lambeth_chain[2], f.attname)
            for f in AccessEvent._meta.concrete_fields if f.attname != "id"
        })
        forged.reference = "SUB-FORGED"
        forged.prev_hash = lambeth_chain[1].hash
        forged.hash = chain.compute_hash(forged)
        forged.save(force_insert=True)
    result = verify()
    assert f"event {lambeth_chain[2].pk} (sequence 4)" in result, result
    assert "previous-hash link" in result


def test_reordered_events_are_named(lambeth_chain):
    first, second = lambeth_chain[1], lambeth_chain[2]
    with triggers_off():
        raw("UPDATE audit_accessevent SET sequence = 999999 WHERE id = %s", [first.pk])
        raw("UPDATE audit_accessevent SET sequence = 2 WHERE id = %s", [second.pk])
        raw("UPDATE audit_accessevent SET sequence = 3 WHERE id = %s", [first.pk])
    result = verify()
    assert f"chain E09000022: event {second.pk} (sequence 2)" in result, result


def test_a_broken_chain_does_not_hide_a_break_in_another(lambeth_chain):
    system_event = AccessEvent.objects.filter(chain="system").order_by("sequence").first()
    with triggers_off():
        raw("UPDATE audit_accessevent SET client_address = '10.9.9.9' WHERE id = %s", [system_event.pk])
        raw("UPDATE audit_accessevent SET reference = 'SUB-1' WHERE id = %s", [lambeth_chain[5].pk])
    report = chain.verify_all()
    assert {(p.chain, p.event_id) for p in report.problems} == {
        ("system", system_event.pk), ("E09000022", lambeth_chain[5].pk)
    }


def _anchor(tmp_path):
    call_command("anchor_audit", stdout=(out := _Buffer()))
    path = tmp_path / "anchor.json"
    path.write_text(out.text)
    return path, json.loads(out.text)


def test_the_anchor_lists_signed_chain_heads(lambeth_chain, tmp_path):
    _path, anchor = _anchor(tmp_path)
    assert anchor["chains"]["E09000022"] == {"sequence": 6, "hash": lambeth_chain[-1].hash}
    assert set(anchor["chains"]) == {"E09000022", "system"} and len(anchor["signature"]) == 64


def test_removal_of_the_newest_events_is_caught_only_against_the_anchor(lambeth_chain, tmp_path):
    path, _anchor_doc = _anchor(tmp_path)
    assert verify("--anchor", str(path)).startswith("OK"), "intact before tampering"
    with triggers_off():
        raw("DELETE FROM audit_accessevent WHERE id IN (%s, %s)", [lambeth_chain[4].pk, lambeth_chain[5].pk])
    # A shortened chain is self-consistent: only the previous run's checkpoint, or the anchor, shows it.
    assert "the event of the last verified checkpoint was removed or rewritten" in verify()
    assert "verified by an earlier run, are missing" in verify("--full")
    VerificationRun.objects.all().delete()  # an attacker who can rewrite the trail can drop the checkpoints
    assert verify().startswith("OK")
    result = verify("--anchor", str(path))
    assert result.startswith("FAILED") and "chain E09000022: end of chain" in result, result
    assert "events 5 to 6" in result


def test_a_recomputed_chain_is_caught_against_the_anchor(lambeth_chain, tmp_path):
    path, _anchor_doc = _anchor(tmp_path)
    # Someone who can rewrite the table edits event 5 and recomputes every hash from there.
    with triggers_off():
        previous = lambeth_chain[3].hash
        for event in lambeth_chain[4:]:
            event.refresh_from_db()
            if event.sequence == 5:
                event.reference = "SUB-REWRITTEN"
            event.prev_hash = previous
            event.hash = chain.compute_hash(event)
            raw("UPDATE audit_accessevent SET reference = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [event.reference, event.prev_hash, event.hash, event.pk])
            previous = event.hash
    assert verify().startswith("OK")
    result = verify("--anchor", str(path))
    assert f"chain E09000022: event {lambeth_chain[5].pk} (sequence 6)" in result, result
    assert "differs from the anchor" in result


def test_a_forged_or_foreign_anchor_is_refused(lambeth_chain, tmp_path):
    path, anchor = _anchor(tmp_path)
    anchor["chains"]["E09000022"]["sequence"] = 3
    path.write_text(json.dumps(anchor))
    assert "signature does not match" in verify("--anchor", str(path))
    path, _anchor_doc = _anchor(tmp_path)
    with override_settings(AUDIT_ANCHOR_KEY="another key"):
        assert "signature does not match" in verify("--anchor", str(path))
    path.write_text("not json")
    assert verify("--anchor", str(path)).startswith("FAILED")
