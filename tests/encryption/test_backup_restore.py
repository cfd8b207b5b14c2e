"""The backup story (README.md, Backups and erasure), on SQLite and PostgreSQL alike.

A nightly copy of the main database taken before an erasure, restored afterwards, holds no key: her
name, narrative and history read as erased with no extra step. A key-store copy taken before the
erasure, restored, brings her key back: start-up refuses (encryption.E010) until ``reapply_erasures``
has run with the exported ledger, and then she is unreadable again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

from encryption import ERASED
from encryption.keys import clear_cache
from encryption.ledger import check_erasures_applied
from referrals.models import Concern, Subject
from referrals.services import do_erase_subject
from tests.factories import new_concern

NAME = "Backupcanary"


class Backup:
    """A whole-database copy of one alias, and its restore (SQLite backup API, or a PostgreSQL template)."""

    def __init__(self, alias: str, tmp_path: Path, label: str) -> None:
        self.alias, self.conn = alias, connections[alias]
        self.vendor = self.conn.vendor
        self.path = tmp_path / f"{alias}-{label}.sqlite3"
        self.copy_name = f"{self.conn.settings_dict['NAME']}_{label}"[:60]
        self._take()

    @contextmanager
    def _maintenance(self) -> Iterator[psycopg.Connection]:
        settings = self.conn.settings_dict
        self.conn.close()
        with psycopg.connect(dbname="postgres", user=settings["USER"] or None, password=settings["PASSWORD"] or None,
                             host=settings["HOST"] or None, port=settings["PORT"] or None,
                             autocommit=True) as maintenance:
            yield maintenance

    def _take(self) -> None:
        if self.vendor == "sqlite":
            self.conn.ensure_connection()
            target = sqlite3.connect(self.path)
            self.conn.connection.backup(target)
            target.close()
            return
        with self._maintenance() as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{self.copy_name}"')
            pg.execute(f'CREATE DATABASE "{self.copy_name}" TEMPLATE "{self.conn.settings_dict["NAME"]}"')

    def restore(self) -> None:
        if self.vendor == "sqlite":
            self.conn.ensure_connection()
            source = sqlite3.connect(self.path)
            source.backup(self.conn.connection)
            source.close()
        else:
            name = self.conn.settings_dict["NAME"]
            with self._maintenance() as pg:
                pg.execute(f'DROP DATABASE "{name}"')
                pg.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.copy_name}"')
        clear_cache()  # a restarted process starts with no cached keys

    def drop(self) -> None:
        if self.vendor == "postgresql":
            with self._maintenance() as pg:
                pg.execute(f'DROP DATABASE IF EXISTS "{self.copy_name}"')


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_restored_backups_never_bring_an_erased_girl_back(world, tmp_path):
    concern = new_concern(world, "teacher_lambeth", given=NAME, family="Restorecase", dob=None, age=14,
                     borough="Lambeth", narrative=f"{NAME} was seen at the bus station.")
    subject = concern.subject
    main_before = Backup("default", tmp_path, "nightly")
    keys_before = Backup("keys", tmp_path, "keysnightly")
    try:
        do_erase_subject(subject=subject, reason="subject_request", actor=None)
        ledger = tmp_path / "erasures.json"
        call_command("export_erasures", "--output", str(ledger), stdout=StringIO())

        # 1. The main database restored from before the erasure: nothing readable, no extra step.
        main_before.restore()
        restored = Subject.objects.get(pk=subject.pk)
        assert restored.status == "active"  # the row is back as it was...
        assert restored.given_name is ERASED  # ...but its key is not
        assert Concern.objects.get(pk=concern.pk).narrative is ERASED
        assert all(h.given_name is ERASED for h in Subject.history.filter(id=subject.pk))
        assert check_erasures_applied() == []

        # 2. The key store restored from before the erasure brings her key back...
        keys_before.restore()
        assert Subject.objects.get(pk=subject.pk).given_name == NAME
        # ...so start-up refuses, given the newest exported ledger,
        with override_settings(ERASURE_LEDGER_FILE=str(ledger)):
            assert [m.id for m in check_erasures_applied()] == ["encryption.E010"]
        # 3. until reapply_erasures has shredded again every key the ledger lists.
        out = StringIO()
        call_command("reapply_erasures", "--ledger", str(ledger), stdout=out)
        assert "1 data key(s) shredded again" in out.getvalue()
        clear_cache()
        assert Subject.objects.get(pk=subject.pk).given_name is ERASED
        assert Concern.objects.get(pk=concern.pk).narrative is ERASED
        with override_settings(ERASURE_LEDGER_FILE=str(ledger)):
            assert check_erasures_applied() == []
        # Its own ledger now lists her too: the next restore of *this* store needs no file.
        call_command("reapply_erasures", stdout=out)
    finally:
        main_before.drop()
        keys_before.drop()


@pytest.mark.django_db(databases="__all__")
def test_the_key_store_own_ledger_is_enough_when_it_is_newer(world):
    """A key store whose own ledger lists a key that is live (a partial restore) also refuses start-up."""
    from encryption.models import DataKey, ErasureRecord
    from encryption.services import do_create_data_key

    key = do_create_data_key(actor=None)
    ErasureRecord.objects.create(data_key_id=key.pk, erased_at=key.created_at, reason="subject_erased")
    assert [m.id for m in check_erasures_applied()] == ["encryption.E010"]
    call_command("reapply_erasures", stdout=StringIO())
    assert DataKey.objects.get(pk=key.pk).is_shredded
    assert check_erasures_applied() == []


@pytest.mark.django_db(databases="__all__")
def test_an_altered_exported_ledger_is_refused(tmp_path):
    ledger = tmp_path / "erasures.json"
    call_command("export_erasures", "--output", str(ledger), stdout=StringIO())
    ledger.write_text(ledger.read_text().replace('"count": 0', '"count": 1').replace(
        '"entries": []', '"entries": [{"data_key": "00000000-0000-0000-0000-000000000001"}]'))
    with override_settings(ERASURE_LEDGER_FILE=str(ledger)):
        assert [m.id for m in check_erasures_applied()] == ["encryption.E011"]
