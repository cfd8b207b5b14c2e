from django.apps import AppConfig


class EncryptionTestsConfig(AppConfig):
    """Test-only models that exercise the encrypted fields; installed by config.settings_test only."""

    name = "tests.encryption"
    label = "encryption_tests"
