"""Test settings: the real settings with a fast password hasher and in-memory email."""

import os

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

# The key store's test database: KEYS_DATABASE_URL if set, otherwise beside the main one (SQLite in
# memory, or "<main database>_keys" on the same PostgreSQL server), so CI needs no extra setting.
if not os.environ.get("KEYS_DATABASE_URL"):
    _main = DATABASES["default"]  # noqa: F405
    if _main["ENGINE"].endswith("postgresql"):
        DATABASES[KEYS_DATABASE_ALIAS] = {**_main, "NAME": f"{_main['NAME']}_keys"}  # noqa: F405
        DATABASES[KEYS_DATABASE_ALIAS]["TEST"] = {"NAME": f"test_{_main['NAME']}_keys"}  # noqa: F405

# Tests that check the health endpoint's view of scheduled jobs turn this on themselves.
HEALTH_REQUIRES_JOBS = False
# No worker runs in the tests: queued tasks run in-process when the transaction commits (tests of the
# queue itself switch to the database backend).
TASKS_BACKEND = "immediate"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default", "email"]}}
# The demo's year of statistics history is loaded only by the tests that look at the statistics.
DEMO_STATISTICS_HISTORY = False
