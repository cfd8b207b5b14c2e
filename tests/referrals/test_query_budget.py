"""The number of SQL statements of the hottest write path, pinned so that it cannot creep back up.

Recording a concern about a new young person, as a whole request: session, user, membership and roles
(4); the form's borough and signs (2); the identity match (1); data key, subject and its history, blind
indexes (4); concern, its history and its signs (3); the re-check that the recorder can see it (1);
assessment and current risk (2); register entry and its history when she reaches the register (2); the
access trail's chain head (with its lock, on PostgreSQL) and one INSERT for both events (2); the
session's new expiry (1); the recorder's DSLs told in their inbox (who they are, and one
INSERT for their rows) (2). 24 in all, on PostgreSQL and SQLite; inside a test's transaction the two
``atomic`` blocks add two SAVEPOINT/RELEASE pairs.
"""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.django_db

SAVEPOINTS = 4  # two atomic blocks nested in the test's transaction


def _form(given: str, **extra: str) -> dict:
    from django.utils import timezone

    seen = timezone.localdate()
    return {
        "given_name": given, "family_name": "Querysworth", "dob_day": "3", "dob_month": "4",
        "dob_year": "2011", "home_borough": "lambeth", "observed_day": str(seen.day),
        "observed_month": str(seen.month), "observed_year": str(seen.year),
        "indicators": ["missing-from-home-or-care", "older-boyfriend-or-associate"],
        "narrative": "Collected from school by an older male in a car.", "idempotency_key": str(uuid.uuid4()),
        "stage": "confirm", **extra,
    }


def test_recording_a_concern_about_a_new_young_person(client_for, django_assert_max_num_queries):
    client = client_for("teacher_lambeth")
    assert client.post("/concerns/new/", _form("Warmia")).status_code == 302  # per-process caches
    with django_assert_max_num_queries(24 + SAVEPOINTS):
        assert client.post("/concerns/new/", _form("Budgetta")).status_code == 302


def test_recording_a_concern_about_a_known_young_person(client_for, django_assert_max_num_queries):
    # The assessment then reads her facts, map links, the MASH's decisions (signs explained, level
    # reviews: model v3 weighs them, one query) and current risk (one query each) and updates her current
    # risk; the register entry is read and written only when her level changes. Her DSLs are told (2).
    client = client_for("teacher_lambeth")
    assert client.post("/concerns/new/", _form("Knowna")).status_code == 302
    again = _form("Knowna", indicators=["self-harm"])
    with django_assert_max_num_queries(22 + SAVEPOINTS):
        assert client.post("/concerns/new/", again).status_code == 302
