"""Encrypted fields: round trips, history, and every way a stored value can go wrong."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import FieldError
from django.db import connections
from django.template import Context, Template
from django.test import override_settings

from encryption import ERASED
from encryption.envelope import VERSION_PREFIX, data_key_id_of
from encryption.exceptions import DecryptionError, EncryptionError
from encryption.keys import clear_cache, prefetch_data_keys
from encryption.models import DataKey
from tests.encryption.helpers import make_note, make_person, put_raw, stored
from tests.encryption.models import Note, Person

pytestmark = pytest.mark.django_db

VALUES = [
    ("name", "Zoë O'Brien-Smith \u2014 \U0001f600"),
    ("name", ""),
    ("date_of_birth", datetime.date(2009, 2, 28)),
    ("details", {"phones": ["07700 900123"], "school": "Test Academy", "n": 3, "ok": True}),
    ("details", ["a", 1, None]),
    ("date_of_birth", None),
    ("details", None),
]


@pytest.mark.parametrize(("field", "value"), VALUES, ids=lambda v: repr(v)[:20])
def test_every_field_type_round_trips_through_the_database(field, value):
    person = make_person()
    setattr(person, field, value)
    person.save()
    again = Person.objects.get(pk=person.pk)
    assert getattr(again, field) == value
    raw = stored(Person, person.pk, field)
    if value is None:
        assert raw is None
    else:
        assert raw.startswith(VERSION_PREFIX) and data_key_id_of(raw) == person.data_key_id


def test_child_values_are_encrypted_under_the_owners_key():
    person = make_person()
    note = make_note(person, "seen with an older man near the station")
    assert data_key_id_of(stored(Note, note.pk, "narrative")) == person.data_key_id
    assert Note.objects.get(pk=note.pk).narrative == "seen with an older man near the station"


def test_history_rows_hold_the_same_ciphertext_and_decrypt():
    person = make_person(name="First Name", date_of_birth=datetime.date(2010, 1, 2), details={"a": 1})
    first = {f: stored(Person, person.pk, f) for f in ("name", "date_of_birth", "details")}
    person.name = "Second Name"
    person.save()
    note = make_note(person, "narrative one")
    history = list(Person.history.filter(id=person.pk).order_by("history_date", "history_id"))
    assert [h.name for h in history] == ["First Name", "Second Name"]
    assert history[0].instance.name == "First Name"  # simple-history rebuilds the live model
    assert [c.field for c in history[1].diff_against(history[0]).changes] == ["name"]
    assert history[0].date_of_birth == datetime.date(2010, 1, 2)
    assert history[0].details == {"a": 1}
    raw_history = Person.history.model.objects.filter(id=person.pk).order_by("history_date", "history_id")
    assert {f: raw_history.values_list(f, flat=True)[0] for f in first} == first
    assert raw_history.values_list("name", flat=True)[1] == stored(Person, person.pk, "name")
    note_history = note.history.get()
    assert note_history.narrative == "narrative one"
    assert Note.history.values_list("narrative", flat=True).get() == stored(Note, note.pk, "narrative")


def test_saving_an_unchanged_value_keeps_its_ciphertext():
    person = make_person(name="Unchanged", details={"x": [1]})
    before = stored(Person, person.pk, "name")
    again = Person.objects.get(pk=person.pk)
    assert again.name == "Unchanged"
    again.save()
    assert stored(Person, person.pk, "name") == before
    again.details["x"].append(2)  # changed in place, not reassigned: must still be saved
    again.save()
    assert Person.objects.get(pk=person.pk).details == {"x": [1, 2]}


def _assert_clean_message(exc: BaseException, *secrets: str | bytes) -> None:
    message = str(exc)
    for secret in secrets:
        text = secret if isinstance(secret, str) else secret.hex()
        assert text not in message and text[:16] not in message


def test_a_value_moved_to_another_row_fails():
    alice = make_person(name="Alice Canary")
    bob = make_person(name="Bob")
    put_raw(Person, bob.pk, "name", stored(Person, alice.pk, "name"))
    with pytest.raises(DecryptionError) as exc:
        _ = Person.objects.get(pk=bob.pk).name
    _assert_clean_message(exc.value, "Alice Canary", stored(Person, alice.pk, "name")[17:])


def test_a_value_moved_to_another_row_of_the_same_owner_fails():
    person = make_person()
    one, two = make_note(person, "note one"), make_note(person, "note two")
    put_raw(Note, two.pk, "narrative", stored(Note, one.pk, "narrative"))
    with pytest.raises(DecryptionError):
        _ = Note.objects.get(pk=two.pk).narrative


def test_a_value_moved_to_another_field_fails():
    person = make_person(name="Moved Name", details={"k": "v"})
    put_raw(Person, person.pk, "details", stored(Person, person.pk, "name"))
    with pytest.raises(DecryptionError):
        _ = Person.objects.get(pk=person.pk).details


@pytest.mark.parametrize("damage", ["flip", "flip_key_id", "truncate", "plaintext", "version", "no_key"])
def test_a_damaged_value_fails(damage):
    person = make_person(name="Damaged Value")
    raw = bytes(stored(Person, person.pk, "name"))
    damaged = {
        "flip": raw[:-6] + bytes([raw[-6] ^ 1]) + raw[-5:],
        "flip_key_id": raw[:5] + bytes([raw[5] ^ 1]) + raw[6:],
        "truncate": raw[:40],
        "plaintext": b"Damaged Value",
        "version": b"\x02" + raw[1:],
        "no_key": raw[:1] + bytes(16) + raw[17:],
    }[damage]
    put_raw(Person, person.pk, "name", damaged)
    with pytest.raises(DecryptionError) as exc:
        _ = Person.objects.get(pk=person.pk).name
    _assert_clean_message(exc.value, "Damaged Value", raw[17:])


WRONG_KEK = '{"active": "t1", "keys": {"t1": "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktMDA="}}'
OTHER_KEK_ONLY = '{"active": "t9", "keys": {"t9": "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMDA="}}'


@pytest.mark.parametrize("keyring", [WRONG_KEK, OTHER_KEK_ONLY], ids=["wrong_kek", "missing_kek"])
def test_a_wrong_or_missing_kek_fails_loudly(keyring):
    person = make_person(name="Kek Test")
    clear_cache()
    with override_settings(ENCRYPTION_KEYRING=keyring):
        with pytest.raises(DecryptionError) as exc:
            _ = Person.objects.get(pk=person.pk).name
        _assert_clean_message(exc.value, "Kek Test")
    assert Person.objects.get(pk=person.pk).name == "Kek Test"


def test_lookups_on_ciphertext_are_refused_and_plaintext_updates_too():
    person = make_person(name="Lookup")
    with pytest.raises(FieldError):
        list(Person.objects.filter(name="Lookup"))
    with pytest.raises(FieldError):
        list(Person.objects.filter(name__icontains="Look"))
    assert Person.objects.filter(date_of_birth__isnull=True).count() == 1
    assert Person.objects.filter(details=None).count() == 1
    with pytest.raises(EncryptionError):
        Person.objects.filter(pk=person.pk).update(name="Plain text in the database")


def test_a_page_of_fifty_owners_costs_one_query_for_their_keys(django_assert_num_queries):
    people = [make_person(name=f"Person {i}") for i in range(50)]
    notes = [make_note(p, f"note {i}") for i, p in enumerate(people)]
    clear_cache()
    listed = list(Person.objects.filter(pk__in=[p.pk for p in people]))
    # One query, on the key store; none on the main database.
    with django_assert_num_queries(1, connection=connections["keys"]), django_assert_num_queries(0):
        prefetch_data_keys(p.data_key_id for p in listed)
    with django_assert_num_queries(0):
        assert sorted(p.name for p in listed) == sorted(f"Person {i}" for i in range(50))
    # Children decrypt from the key id inside the value: no need to load their owners.
    listed_notes = list(Note.objects.filter(pk__in=[n.pk for n in notes]))
    with django_assert_num_queries(0):
        assert len({n.narrative for n in listed_notes}) == 50


def test_erased_is_a_falsy_singleton_that_renders_as_erased():
    import copy
    import pickle

    assert str(ERASED) == "Erased" and not ERASED
    assert pickle.loads(pickle.dumps(ERASED)) is ERASED  # noqa: S301 - our own bytes
    assert copy.deepcopy(ERASED) is ERASED
    assert Template("{{ v }}|{{ v|default:'none' }}").render(Context({"v": ERASED})) == "Erased|none"


def test_deferred_fields_load_and_decrypt():
    person = make_person(name="Deferred")
    assert Person.objects.defer("name").get(pk=person.pk).name == "Deferred"


def test_prefetching_a_page_with_one_unreadable_key_still_opens_the_others():
    good, bad = make_person(name="Good"), make_person(name="Bad")
    DataKey.objects.filter(pk=bad.data_key_id).update(kek_id="gone")
    clear_cache()
    prefetch_data_keys([good.data_key_id, bad.data_key_id])
    assert Person.objects.get(pk=good.pk).name == "Good"
    with pytest.raises(DecryptionError):
        _ = Person.objects.get(pk=bad.pk).name
