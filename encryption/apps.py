from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    """Keyring, envelope encryption, encrypted fields, blind indexes and crypto-shredding."""

    name = "encryption"
