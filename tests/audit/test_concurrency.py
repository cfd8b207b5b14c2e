"""Concurrent appends on PostgreSQL never fork a chain (several threads, real transactions).

Test-database clean-up: a ``TransactionTestCase`` empties every table after the test with TRUNCATE,
which the append-only trigger rightly refuses; ``tests/conftest.py`` switches the audit table's
triggers off around that flush only (``ALTER TABLE ... DISABLE TRIGGER USER`` needs the table owner,
which the test database's user is and the production application role is not), and back on straight
after. The migration, the triggers and the production guarantee are unchanged.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import TransactionTestCase

from agencies.models import Borough
from audit import chain
from audit.api import record
from audit.models import AccessEvent
from tests.personas import ensure_reference_data

THREADS = 6
EVENTS_PER_THREAD = 15


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
class ConcurrentAppendTests(TransactionTestCase):
    # Not serialized_rollback: after another transactional test's flush it would clash with the
    # content types recreated by that flush. Reference data is reloaded instead when missing.
    def test_threads_appending_to_shared_chains_leave_every_chain_intact(self) -> None:
        ensure_reference_data()
        boroughs = [None, *Borough.objects.filter(name__in=["Lambeth", "Southwark"]).order_by("name")]
        start = threading.Barrier(THREADS)
        errors: list[BaseException] = []

        def writer(number: int) -> None:
            try:
                start.wait()
                for n in range(EVENTS_PER_THREAD):
                    record("view", actor=None, object_type="subject", reference=f"T{number}-{n}",
                           borough=boroughs[(number + n) % len(boroughs)])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        workers = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

        assert errors == []
        assert AccessEvent.objects.count() == THREADS * EVENTS_PER_THREAD
        for name in ["system", "E09000022", "E09000028"]:
            sequences = list(AccessEvent.objects.filter(chain=name).order_by("sequence")
                             .values_list("sequence", flat=True))
            assert sequences == list(range(1, len(sequences) + 1)), name
            assert len(sequences) == THREADS * EVENTS_PER_THREAD // 3
        report = chain.verify_all()
        assert report.intact, report.problems
