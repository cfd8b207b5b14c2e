"""Crypto-shredding: one owner's values become unreadable everywhere; everyone else is untouched."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import Context, Template

from encryption import ERASED
from encryption.blind_index import blind_index
from encryption.exceptions import KeyShreddedError
from encryption.models import BlindIndex, DataKey
from encryption.services import do_set_blind_indexes, do_shred_data_key, find_data_keys
from tests.encryption.helpers import make_note, make_person, stored
from tests.encryption.models import Note, Person

pytestmark = pytest.mark.django_db


def _owner(name: str) -> tuple[Person, str]:
    person = make_person(name=name, date_of_birth=datetime.date(2008, 5, 6), details={"k": name})
    person.name = f"{name} later"
    person.save()
    make_note(person, f"note about {name}")
    digest = blind_index("name_dob", name, "2008-05-06")
    do_set_blind_indexes(person.data_key, {"name_dob": [digest]}, actor=None)
    return person, digest


def test_shredding_erases_every_live_and_history_value_of_one_owner_only():
    alice, alice_digest = _owner("Alice")
    bob, bob_digest = _owner("Bob")
    assert Person.objects.get(pk=alice.pk).name == "Alice later"  # cached before shredding

    do_shred_data_key(alice.data_key, actor=None, reason="retention")

    key = DataKey.objects.get(pk=alice.data_key_id)
    assert key.is_shredded and bytes(key.wrapped_key) == b""
    live = Person.objects.get(pk=alice.pk)
    assert live.name is ERASED and live.date_of_birth is ERASED and live.details is ERASED
    assert Note.objects.get(person=alice).narrative is ERASED
    history = list(Person.history.filter(id=alice.pk))
    assert len(history) == 2 and all(h.name is ERASED and h.details is ERASED for h in history)
    assert Note.history.get(person_id=alice.pk).narrative is ERASED
    assert not BlindIndex.objects.filter(data_key_id=alice.data_key_id).exists()
    assert list(find_data_keys("name_dob", alice_digest)) == []
    assert Template("{{ p.name }}").render(Context({"p": live})) == "Erased"

    other = Person.objects.get(pk=bob.pk)
    assert (other.name, other.details) == ("Bob later", {"k": "Bob"})
    assert Note.history.get(person_id=bob.pk).narrative == "note about Bob"
    assert list(find_data_keys("name_dob", bob_digest)) == [bob.data_key_id]


def test_an_erased_owner_can_still_be_saved_but_not_given_new_values():
    person, _ = _owner("Carol")
    do_shred_data_key(person.data_key, actor=None, reason="subject_erased")
    erased = Person.objects.get(pk=person.pk)
    before = stored(Person, person.pk, "name")
    _ = erased.name
    erased.save()  # touching other fields of an erased record must not fail
    assert stored(Person, person.pk, "name") == before
    erased.name = "New value"
    with pytest.raises(KeyShreddedError), transaction.atomic():
        erased.save()
    with pytest.raises(ValidationError):
        do_set_blind_indexes(erased.data_key, {"dob": ["x"]}, actor=None)


def test_shredding_twice_changes_nothing_and_needs_a_reason():
    person, _ = _owner("Dee")
    with pytest.raises(ValidationError):
        do_shred_data_key(person.data_key, actor=None, reason="  ")
    first = do_shred_data_key(person.data_key, actor=None, reason="subject_erased")
    second = do_shred_data_key(person.data_key, actor=None, reason="subject_erased")
    assert first.shredded_at == second.shredded_at
