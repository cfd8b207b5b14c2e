"""The API's rate under concurrent calls (PostgreSQL, real transactions in two threads).

A module of its own: a transactional test makes every test of its module build its own personas.
"""

from __future__ import annotations

import contextlib
import threading
from types import SimpleNamespace

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.db import connection

from api.auth import ClientRateThrottle


@pytest.mark.django_db(transaction=True)
def test_two_calls_at_once_are_counted_one_after_the_other(settings, monkeypatch):
    """REST framework's throttle reads a client's recent calls, then writes them back. Two calls at once
    used to read the same history, and both passed a rate that allows one."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps REST framework's read-then-write (api.auth)")

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "1/min"}}
    both_reading = threading.Barrier(2, timeout=1.5)
    original_get = DatabaseCache.get

    def get_then_wait(cache, *args, **kwargs):
        found = original_get(cache, *args, **kwargs)
        # Without the lock both calls reach here together and go on with the same history.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_reading.wait()
        return found

    monkeypatch.setattr(DatabaseCache, "get", get_then_wait)
    request = SimpleNamespace(_request=SimpleNamespace(api_client=SimpleNamespace(reference="K-RACE-0001")))
    allowed: list[bool] = []

    def call() -> None:
        try:
            allowed.append(ClientRateThrottle().allow_request(request, None))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(allowed) == [False, True]
