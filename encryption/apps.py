from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings


class EncryptionConfig(AppConfig):
    """Keyring, envelope encryption, encrypted fields, blind indexes and crypto-shredding."""

    name = "encryption"

    def ready(self) -> None:
        from django.core import checks
        from django.core.signals import setting_changed
        from simple_history.signals import pre_create_historical_record

        from encryption.keyring import check_configuration
        from encryption.ledger import check_erasures_applied

        # Not tagged "database": it must run on every start (runserver, check, the WSGI entry point).
        checks.register(check_erasures_applied, "keystore")

        pre_create_historical_record.connect(copy_ciphertext_to_history, dispatch_uid="encryption.history")
        setting_changed.connect(reset_on_setting_change, dispatch_uid="encryption.settings")
        if not settings.DEBUG:
            # Production: a missing or malformed keyring stops start-up, not the first request.
            check_configuration()


def copy_ciphertext_to_history(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """Give a history row the live row's ciphertext, so history holds exactly the stored bytes.

    simple-history builds the history row from attribute values (plaintext here); without this the
    history row would be encrypted a second time under a fresh nonce.
    """
    from encryption.fields import EncryptedState, encrypted_fields

    live_model = type(instance)._meta.concrete_model
    for field in encrypted_fields(type(history_instance)):
        state = instance.__dict__.get(field.attname)
        if isinstance(state, EncryptedState) and field.origin_model is live_model:
            history_instance.__dict__[field.attname] = state.copy()


def reset_on_setting_change(setting: str, **kwargs: Any) -> None:
    """Tests change keys with override_settings; drop everything derived from the old ones."""
    if setting.startswith(("ENCRYPTION_", "BLIND_INDEX_")) or setting == "DEBUG":
        from encryption.keyring import reset_keyring
        from encryption.keys import clear_cache

        reset_keyring()
        clear_cache()
