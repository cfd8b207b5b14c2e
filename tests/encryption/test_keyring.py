"""The keyring: generated in development, required and checked in production."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from encryption.keyring import get_blind_index_key, get_keyring, parse_keyring
from encryption.services import do_create_data_key
from tests.agencies.test_demo_and_settings import PRODUCTION_ENCRYPTION, PRODUCTION_KEY, run_manage


def test_development_generates_private_keys_once(tmp_path):
    keyring_file, bi_file = tmp_path / "keyring.json", tmp_path / "blind_index.key"
    with override_settings(DEBUG=True, ENCRYPTION_KEYRING="", BLIND_INDEX_KEY="",
                           ENCRYPTION_DEV_KEYRING_FILE=keyring_file,
                           ENCRYPTION_DEV_BLIND_INDEX_KEY_FILE=bi_file):
        assert get_keyring().active_id == "k1" and len(get_blind_index_key()) == 32
        first = keyring_file.read_text(), bi_file.read_text()
        for path in (keyring_file, bi_file):
            assert (path.stat().st_mode & 0o777) == 0o600
    with override_settings(DEBUG=True, ENCRYPTION_KEYRING="", BLIND_INDEX_KEY="",
                           ENCRYPTION_DEV_KEYRING_FILE=keyring_file,
                           ENCRYPTION_DEV_BLIND_INDEX_KEY_FILE=bi_file):
        get_keyring(), get_blind_index_key()
        assert (keyring_file.read_text(), bi_file.read_text()) == first


def test_without_debug_nothing_is_generated(tmp_path):
    path = tmp_path / "k.json"
    with (
        override_settings(DEBUG=False, ENCRYPTION_KEYRING="", ENCRYPTION_DEV_KEYRING_FILE=path),
        pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYRING is not configured"),
    ):
        get_keyring()
    assert not (tmp_path / "k.json").exists()


@pytest.mark.parametrize("text", [
    "not json", "{}", '{"active": "k1", "keys": {}}', '{"active": "k2", "keys": {"k1": "AAAA"}}',
    '{"active": "k1", "keys": {"k1": "c2hvcnQ="}}', '{"active": "k 1", "keys": {"k 1": "x"}}',
])
def test_a_malformed_keyring_is_refused_without_echoing_keys(text):
    with pytest.raises(ImproperlyConfigured) as exc:
        parse_keyring(text)
    assert "c2hvcnQ" not in str(exc.value)


@pytest.mark.django_db
def test_a_data_key_is_stored_only_wrapped():
    data_key = do_create_data_key(actor=None)
    assert data_key.kek_id == "t1" and len(bytes(data_key.wrapped_key)) == 12 + 32 + 16


def test_production_refuses_to_start_without_the_keys():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY)
    assert result.returncode != 0
    assert "ENCRYPTION_KEYRING and BLIND_INDEX_KEY must be set" in result.stderr


def test_production_refuses_a_malformed_keyring_at_start():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY, ENCRYPTION_KEYRING='{"active": "x"}',
                        BLIND_INDEX_KEY=PRODUCTION_ENCRYPTION["BLIND_INDEX_KEY"])
    assert result.returncode != 0
    assert "ENCRYPTION_KEYRING must look like" in result.stderr


def test_production_refuses_a_blind_index_key_equal_to_an_encryption_key():
    keyring = json.loads(PRODUCTION_ENCRYPTION["ENCRYPTION_KEYRING"])
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="safeguarding.example.org",
                        SECRET_KEY=PRODUCTION_KEY, ENCRYPTION_KEYRING=json.dumps(keyring),
                        BLIND_INDEX_KEY=keyring["keys"]["p1"])
    assert result.returncode != 0
    assert "BLIND_INDEX_KEY must not be one of the encryption keys" in result.stderr


def test_production_reads_the_keys_from_files(tmp_path):
    keyring_file, bi_file = tmp_path / "keyring.json", tmp_path / "bi.key"
    keyring_file.write_text(PRODUCTION_ENCRYPTION["ENCRYPTION_KEYRING"])
    bi_file.write_text(PRODUCTION_ENCRYPTION["BLIND_INDEX_KEY"])
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false",
                        ALLOWED_HOSTS="safeguarding.example.org", SECRET_KEY=PRODUCTION_KEY,
                        ENCRYPTION_KEYRING_FILE=str(keyring_file), BLIND_INDEX_KEY_FILE=str(bi_file))
    assert result.returncode == 0, result.stderr
