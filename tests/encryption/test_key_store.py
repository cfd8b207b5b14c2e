"""The key store is a database of its own: routing, and what happens when it cannot be reached."""

from __future__ import annotations

import uuid

import pytest
from django.db import connections
from django.utils import timezone

from agencies.models import Borough
from audit.models import AccessEvent
from encryption.exceptions import KeyStoreUnavailable
from encryption.models import BlindIndex, DataKey, ErasureRecord
from referrals import intake
from referrals.models import Concern, Subject
from risk.models import Indicator


def test_key_material_lives_only_in_the_key_store():
    from django.db import router

    for model in (DataKey, BlindIndex, ErasureRecord):
        assert router.db_for_write(model) == "keys" and router.db_for_read(model) == "keys"
    assert router.db_for_write(Subject) == "default"
    assert not router.allow_migrate("default", "encryption")
    assert router.allow_migrate("keys", "encryption") and not router.allow_migrate("keys", "referrals")


@pytest.fixture
def unreachable_key_store(monkeypatch):
    """Every query on the key store fails as a lost connection does (the in-memory SQLite test database
    cannot be closed, so the failure is put where any database's would surface: the cursor)."""
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connections["keys"], "cursor", refuse)
    monkeypatch.setattr(connections["keys"], "_cursor", refuse)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_recording_a_concern_whose_key_cannot_be_stored_writes_nothing(world, unreachable_key_store):
    counts = (Subject.objects.count(), Concern.objects.count(), AccessEvent.objects.count())
    with pytest.raises(KeyStoreUnavailable, match="key store cannot be reached"):
        intake.do_record_concern(
            details=intake.SubjectDetails(given_name="Unstored", family_name="Girl", date_of_birth=None,
                                          age_estimate=14),
            home_borough=Borough.objects.get(name="Lambeth"), observed_on=timezone.localdate(),
            indicators=list(Indicator.objects.filter(code="self-harm")), narrative="Nothing must be kept.",
            seriously_worried=False, idempotency_key=uuid.uuid4(), actor=world.user("teacher_lambeth"),
        )
    assert (Subject.objects.count(), Concern.objects.count(), AccessEvent.objects.count()) == counts


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_start_up_check_is_quiet_when_the_key_store_is_not_there_yet(unreachable_key_store):
    from encryption.ledger import check_erasures_applied

    assert check_erasures_applied() == []
