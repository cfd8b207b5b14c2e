"""Building test owners through the services, and reading what the database really stores."""

from __future__ import annotations

import datetime
from typing import Any

from encryption.services import do_create_data_key
from tests.encryption.models import Note, Person


def make_person(name: str = "Test Person", date_of_birth: datetime.date | None = None,
                details: Any = None) -> Person:
    """A person with a fresh data key, as a referrals service would create a subject."""
    data_key = do_create_data_key(actor=None)
    return Person.objects.create(data_key=data_key, name=name, date_of_birth=date_of_birth, details=details)


def make_note(person: Person, narrative: str) -> Note:
    """A child record under the person's key."""
    return Note.objects.create(person=person, narrative=narrative)


def stored(model: type, pk: object, field: str) -> bytes | None:
    """The raw stored value of one field, without decrypting."""
    return model._default_manager.filter(pk=pk).values_list(field, flat=True).get()


def put_raw(model: type, pk: object, field: str, value: bytes) -> None:
    """Write a raw value behind the field's back, as an attacker with database access could."""
    from django.db import connection

    table = model._meta.db_table
    column = model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(table)} SET {connection.ops.quote_name(column)} = %s "  # noqa: S608
            f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s",
            [value, model._meta.pk.get_db_prep_value(pk, connection)],
        )
