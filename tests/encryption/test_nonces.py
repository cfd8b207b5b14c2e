"""A fresh random nonce for every encryption."""

from __future__ import annotations

import pytest

from encryption.envelope import VERSION_PREFIX, encrypt_value
from tests.encryption.helpers import make_person, stored
from tests.encryption.models import Person

pytestmark = pytest.mark.django_db


def test_no_nonce_repeats_across_100000_encryptions():
    person = make_person()
    nonces = set()
    for i in range(100_000):
        token = encrypt_value(person.data_key_id, b"encryption_tests.person.name:x", b"same plaintext")
        assert token[:17] == VERSION_PREFIX + person.data_key_id.bytes
        nonces.add(token[17:29])
        assert len(nonces) == i + 1
    assert len(nonces) == 100_000


def test_the_same_value_saved_twice_gives_different_ciphertexts():
    person = make_person(name="Same")
    first = stored(Person, person.pk, "name")
    person.name = "Changed"
    person.save()
    person.name = "Same"
    person.save()
    assert stored(Person, person.pk, "name") != first
    assert Person.objects.get(pk=person.pk).name == "Same"
