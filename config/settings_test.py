"""Test settings: the real settings with a fast password hasher and in-memory email."""

from config.settings import *  # noqa: F403

# Argon2 at production cost would make every persona take ~100 ms; the hasher is not under test here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
