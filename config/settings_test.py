"""Test settings: the real settings with a fast password hasher and in-memory email."""

from config.settings import *  # noqa: F403

# Argon2 at production cost would make every persona take ~100 ms; the hasher is not under test here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Fixed test-only keys, so parallel test workers never race to generate a development keyring. Tests of
# the keyring itself override these.
ENCRYPTION_KEYRING = (
    '{"active": "t1", "keys": {"t1": "dGVzdC1vbmx5LWtlay10MS0wMDAwMDAwMDAwMDAwMDA="}}'
)
BLIND_INDEX_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0wMDAwMDA="
# Test-only models with encrypted fields and history (tests/encryption/models.py); not in production.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.encryption.apps.EncryptionTestsConfig"]  # noqa: F405
