"""Reads from a real streaming replica (`make test-replica`, run by CI: a throwaway primary and a standby
made with pg_basebackup). The auditors' pages and the exports read from the replica; writes, and every
other page, use the primary. Skipped when DATABASE_REPLICA_URL is not set (the ordinary suite)."""

from __future__ import annotations

import time

import pytest
from django.db import connections
from django.urls import reverse

from audit.api import record
from audit.models import AccessEvent
from config.routers import REPLICA_ALIAS, replica_configured

pytestmark = [
    pytest.mark.skipif(not replica_configured(), reason="needs DATABASE_REPLICA_URL (make test-replica)"),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]
WAIT_SECONDS = 20


def _on_replica(reference: str) -> bool:
    return AccessEvent.objects.using(REPLICA_ALIAS).filter(reference=reference).exists()


def _wait_for_replica(reference: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not _on_replica(reference):
        if time.monotonic() > deadline:
            raise AssertionError("the replica did not catch up")
        time.sleep(0.05)


def _replay(paused: bool) -> None:
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


def test_it_is_a_real_standby() -> None:
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_the_auditors_trail_reads_from_the_replica_and_its_own_event_goes_to_the_primary(client_for) -> None:
    client = client_for("auditor")
    record("view", actor=None, object_type="subject", reference="S-REPLICA01")
    _wait_for_replica("S-REPLICA01")
    _replay(paused=True)
    try:
        record("view", actor=None, object_type="subject", reference="S-REPLICA02")
        page = client.get(reverse("audit-log"), {"object_type": "subject"}).content.decode()
        # The replica has not replayed the second event yet: the page, reading from it, shows only the first.
        assert "S-REPLICA01" in page and "S-REPLICA02" not in page
        # So does the export, whose rows are streamed after the view has returned.
        response = client.get(reverse("audit-export"), {"object_type": "subject"})
        exported = b"".join(response.streaming_content).decode()
        assert "S-REPLICA01" in exported and "S-REPLICA02" not in exported
        assert AccessEvent.objects.filter(reference="S-REPLICA02").exists()  # the primary has it
        # The page's own event was written to the primary.
        assert AccessEvent.objects.filter(object_type="access_event", actor__username__startswith="auditor").exists()
    finally:
        _replay(paused=False)
    _wait_for_replica("S-REPLICA02")
    page = client.get(reverse("audit-log"), {"object_type": "subject"}).content.decode()
    assert "S-REPLICA01" in page and "S-REPLICA02" in page


def test_case_pages_read_from_the_primary(client_for, world) -> None:
    """A MASH lead's register must show what was just written: it never reads from the replica."""
    from tests.factories import new_concern

    _replay(paused=True)
    try:
        made = new_concern(world, "teacher_lambeth", given="Primaryread",
                           indicators=("missing-from-home-or-care",), seriously_worried=True)
        page = client_for("mash_lambeth").get(reverse("register")).content.decode()
        assert made.subject.reference in page
    finally:
        _replay(paused=False)
