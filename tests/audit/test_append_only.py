"""UPDATE and DELETE (and TRUNCATE on PostgreSQL) of access events fail, from the ORM and raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.api import record
from audit.models import AccessEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return record("view", actor=None, object_type="subject", reference="SUB-0001")


def refused(action) -> None:
    # Each attempt in its own savepoint, so the test's transaction survives the database error.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action()


def test_orm_save_of_an_existing_event_is_refused(event):
    event.reference = "SUB-0002"
    refused(event.save)


def test_orm_delete_is_refused(event):
    refused(event.delete)


def test_queryset_update_and_delete_are_refused(event):
    refused(lambda: AccessEvent.objects.filter(pk=event.pk).update(outcome="denied"))
    refused(lambda: AccessEvent.objects.all().delete())


def _sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def test_raw_sql_update_and_delete_are_refused(event):
    refused(lambda: _sql("UPDATE audit_accessevent SET reference = 'SUB-0003'"))
    refused(lambda: _sql("DELETE FROM audit_accessevent"))
    assert AccessEvent.objects.get().reference == "SUB-0001"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists only on PostgreSQL")
def test_truncate_is_refused_on_postgresql(event):
    refused(lambda: _sql("TRUNCATE audit_accessevent"))
    assert AccessEvent.objects.count() == 1


def test_inserting_is_still_allowed(event):
    record("view", actor=None, object_type="subject", reference="SUB-0004")
    assert AccessEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_that_writes_events_can_still_be_cleaned_up(world):
    # The flush after this test empties the trail with the triggers briefly off (tests/conftest.py).
    record("view", actor=world.user("mash_lambeth"), object_type="subject", reference="SUB-0005")


@pytest.mark.django_db(transaction=True)
def test_the_triggers_are_back_after_a_transactional_flush():
    assert not AccessEvent.objects.exists()
    record("view", actor=None, object_type="subject", reference="SUB-0006")
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("DELETE FROM audit_accessevent")
    with pytest.raises(DatabaseError, match="append-only"):
        AccessEvent.objects.update(reference="SUB-0007")
