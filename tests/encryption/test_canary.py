"""A canary written through every encrypted field appears nowhere in the database's bytes."""

from __future__ import annotations

import datetime
import sqlite3

import pytest
from django.db import connection

from encryption.blind_index import blind_index
from encryption.services import do_set_blind_indexes
from tests.encryption.helpers import make_note, make_person

CANARY = "Canary-Xq7Zr9Wv-Plaintext"
CANARY_DATE = datetime.date(1911, 11, 11)
TEXT_TYPES = {"text", "character varying", "character", "json", "jsonb"}


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
    # The test database may be in memory: copy every page, as committed, to a real file and scan it.
    copy_path = tmp_path / "scan.sqlite3"
    target = sqlite3.connect(copy_path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()
    data = copy_path.read_bytes()
    assert digest.encode() in data  # the scan sees stored text: a positive control
    for needle in _needles():
        assert needle not in data


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL column scan")
def test_canary_is_nowhere_in_any_postgresql_text_or_bytea_column():
    digest = _write_canaries()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [sorted(TEXT_TYPES | {"bytea"})],
        )
        columns = cursor.fetchall()
        tables = {t for t, _, _ in columns}
        assert {"encryption_tests_person", "encryption_tests_historicalperson",
                "encryption_tests_historicalnote", "encryption_blindindex"} <= tables
        found_control = False
        for table, column, data_type in columns:
            qt, qc = connection.ops.quote_name(table), connection.ops.quote_name(column)
            for needle in _needles()[:3]:
                if data_type == "bytea":
                    sql = f"SELECT count(*) FROM {qt} WHERE position(%s::bytea IN {qc}) > 0"  # noqa: S608
                    cursor.execute(sql, [needle])
                else:
                    sql = f"SELECT count(*) FROM {qt} WHERE strpos({qc}::text, %s) > 0"  # noqa: S608
                    cursor.execute(sql, [needle.decode()])
                assert cursor.fetchone()[0] == 0, f"{table}.{column}"
            sql = f"SELECT count(*) FROM {qt} WHERE strpos({qc}::text, %s) > 0"  # noqa: S608
            cursor.execute(sql, [digest])
            found_control = found_control or cursor.fetchone()[0] > 0
        assert found_control  # the scan does see stored text: a positive control
