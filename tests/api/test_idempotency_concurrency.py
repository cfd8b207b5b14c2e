"""Ten copies of one submission race each other with the same Idempotency-Key: one concern (PostgreSQL,
ten threads, each on its own connection, through the whole API stack)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from referrals.models import Concern
from tests.api.clients import ApiCaller, concern_body, register
from tests.personas import build_world

COPIES = 10


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_submits_with_one_key_create_one_concern(settings):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions racing on the unique key are only meaningful on PostgreSQL.")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "1000/min"}}
    world = build_world()
    api = ApiCaller(register(world))
    key, body = str(uuid.uuid4()), concern_body("Racing", "Copies")
    barrier = threading.Barrier(COPIES)
    answers: list[tuple[int, str]] = []

    def submit() -> None:
        try:
            http = Client()
            barrier.wait(timeout=20)
            response = http.post(reverse("api-concerns"), body, content_type="application/json",
                                 **api.headers(HTTP_IDEMPOTENCY_KEY=key))
            answers.append((response.status_code, response.json().get("reference", "")))
        finally:
            connections.close_all()  # this thread's connections to both databases

    threads = [threading.Thread(target=submit) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == COPIES
    assert sorted(status for status, _ in answers) == [200] * (COPIES - 1) + [201]
    assert len({reference for _, reference in answers}) == 1
    assert Concern.objects.filter(recorded_by=api.registered.client.account).count() == 1
