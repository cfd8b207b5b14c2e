"""A canary written through every encrypted field appears nowhere in the database's bytes."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from encryption.blind_index import blind_index
from encryption.services import do_set_blind_indexes
from tests.database_scan import all_sqlite_bytes, postgresql_columns_containing, postgresql_stored_columns
from tests.encryption.helpers import make_note, make_person

CANARY = "Canary-Xq7Zr9Wv-Plaintext"
CANARY_DATE = datetime.date(1911, 11, 11)


def _write_canaries() -> str:
    person = make_person(name=CANARY, date_of_birth=CANARY_DATE, details={"alias": CANARY, CANARY: 1})
    make_note(person, f"narrative {CANARY}")
    person.name = f"{CANARY} updated"  # a second history row
    person.save()
    digest = blind_index("name_dob", CANARY, CANARY_DATE.isoformat())
    do_set_blind_indexes(person.data_key, {"name_dob": [digest]}, actor=None)
    return digest


def _needles() -> list[bytes]:
    return [CANARY.encode(), CANARY.lower().encode(), CANARY_DATE.isoformat().encode(),
            CANARY.encode("utf-16-le")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file scan")
def test_canary_is_nowhere_in_the_sqlite_file(tmp_path):
    digest = _write_canaries()
    data = all_sqlite_bytes(tmp_path)
    assert digest.encode() in data  # the scan sees stored text: a positive control
    for needle in _needles():
        assert needle not in data


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL column scan")
def test_canary_is_nowhere_in_any_postgresql_text_or_bytea_column():
    digest = _write_canaries()
    tables = {table for table, _, _ in postgresql_stored_columns()}
    assert {"encryption_tests_person", "encryption_tests_historicalperson",
            "encryption_tests_historicalnote"} <= tables
    assert "encryption_blindindex" in {table for table, _, _ in postgresql_stored_columns("keys")}
    for needle in _needles()[:3]:
        assert postgresql_columns_containing(needle.decode()) == []
    assert postgresql_columns_containing(digest)  # the scan does see stored text: a positive control
