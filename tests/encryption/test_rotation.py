"""Key rotation (re-wrapping under a new KEK) and re-encryption under fresh data keys."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from encryption import rotation
from encryption.envelope import data_key_id_of
from encryption.keyring import get_keyring
from encryption.keys import clear_cache
from encryption.models import BlindIndex, DataKey
from encryption.services import do_reencrypt_data_key, do_set_blind_indexes, find_data_keys
from tests.encryption.helpers import make_note, make_person, stored
from tests.encryption.models import Note, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_keyring(tmp_path):
    """A generated development keyring in a temporary VAR_DIR, as on a developer's machine."""
    path = tmp_path / "kr.json"
    with override_settings(DEBUG=True, ENCRYPTION_KEYRING="", ENCRYPTION_DEV_KEYRING_FILE=path):
        yield path


def _people(count: int) -> list[Person]:
    people = []
    for i in range(count):
        person = make_person(name=f"Rotation {i}", details={"i": i})
        person.name = f"Rotation {i} renamed"  # two history rows each
        person.save()
        make_note(person, f"note {i}")
        people.append(person)
    return people


def _assert_everything_reads(people: list[Person]) -> None:
    clear_cache()  # unwrap again, under the keyring as it is now
    for i, person in enumerate(people):
        assert Person.objects.get(pk=person.pk).name == f"Rotation {i} renamed"
        assert [h.name for h in Person.history.filter(id=person.pk).order_by("history_date")] == [
            f"Rotation {i}", f"Rotation {i} renamed"]
        assert Note.objects.get(person=person).narrative == f"note {i}"
        assert Note.history.get(person_id=person.pk).narrative == f"note {i}"


def test_rotation_rewraps_every_key_and_everything_still_reads(dev_keyring):
    people = _people(5)
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"k1"}
    call_command("rotate_keys", batch_size=2, stdout=StringIO())
    assert get_keyring().active_id == "k2"
    assert json.loads(dev_keyring.read_text())["active"] == "k2"
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"k2"}
    assert (dev_keyring.stat().st_mode & 0o777) == 0o600
    _assert_everything_reads(people)


def test_an_interrupted_rotation_completes_when_run_again(dev_keyring, monkeypatch):
    people = _people(5)
    real_unwrap, calls = rotation.unwrap_key, []

    def killed_after_two(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("killed")
        return real_unwrap(*args, **kwargs)

    monkeypatch.setattr(rotation, "unwrap_key", killed_after_two)
    with pytest.raises(RuntimeError):
        call_command("rotate_keys", batch_size=2, stdout=StringIO())
    assert sorted(DataKey.objects.values_list("kek_id", flat=True)) == ["k1", "k1", "k1", "k2", "k2"]
    _assert_everything_reads(people)  # half way, both KEKs still open their keys

    monkeypatch.setattr(rotation, "unwrap_key", real_unwrap)
    call_command("rotate_keys", batch_size=2, stdout=StringIO())
    assert get_keyring().active_id == "k2"  # finished the same rotation, no third KEK
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"k2"}
    _assert_everything_reads(people)
    assert rotation.rewrap_data_keys() == 0  # idempotent: nothing left to do


def test_with_a_configured_keyring_rotation_rewraps_to_the_configured_active_kek():
    people = _people(3)
    old = '"t1": "dGVzdC1vbmx5LWtlay10MS0wMDAwMDAwMDAwMDAwMDA="'
    new = '"t2": "dGVzdC1vbmx5LWtlay10Mi0wMDAwMDAwMDAwMDAwMDA="'
    with override_settings(ENCRYPTION_KEYRING=f'{{"active": "t2", "keys": {{{old}, {new}}}}}'):
        call_command("rotate_keys", stdout=StringIO())
        assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"t2"}
        _assert_everything_reads(people)
        call_command("rotate_keys", stdout=StringIO())
        assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"t2"}


def test_reencryption_moves_live_and_history_values_to_a_fresh_key_and_shreds_the_old():
    people = _people(2)
    person, other = people
    do_set_blind_indexes(person.data_key, {"dob": ["d" * 32]}, actor=None)
    other_before = stored(Person, other.pk, "name")
    new_key = do_reencrypt_data_key(person.data_key, actor=None)
    old_key = DataKey.objects.get(pk=person.data_key_id)
    assert old_key.is_shredded and old_key.wrapped_key in (b"", memoryview(b""))
    assert Person.objects.get(pk=person.pk).data_key_id == new_key.pk
    assert data_key_id_of(stored(Person, person.pk, "name")) == new_key.pk
    assert data_key_id_of(stored(Note, Note.objects.get(person=person).pk, "narrative")) == new_key.pk
    for row in Person.history.filter(id=person.pk):
        assert data_key_id_of(row.__dict__["name"].ciphertext) == new_key.pk
        assert row.data_key_id == new_key.pk
    assert list(find_data_keys("dob", "d" * 32)) == [new_key.pk]
    assert not BlindIndex.objects.filter(data_key_id=old_key.pk).exists()
    assert stored(Person, other.pk, "name") == other_before
    _assert_everything_reads(people)


def test_rotate_keys_reencrypt_moves_every_owner(dev_keyring):
    people = _people(2)
    before = set(DataKey.objects.values_list("pk", flat=True))
    call_command("rotate_keys", reencrypt=True, stdout=StringIO())
    live = set(DataKey.objects.filter(shredded_at__isnull=True).values_list("pk", flat=True))
    assert live and not (live & before)
    _assert_everything_reads(people)
