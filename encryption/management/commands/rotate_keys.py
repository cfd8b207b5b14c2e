"""``python manage.py rotate_keys``: make a new KEK active and re-wrap every data key under it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from encryption.keyring import add_dev_kek, get_keyring
from encryption.rotation import pending_rewrap, reencrypt_all, rewrap_data_keys


class Command(BaseCommand):
    help = (
        "Rotate the key-encryption key: with the generated development keyring, add a new KEK and make "
        "it active; with a configured keyring, use the KEK the configuration makes active. Then re-wrap "
        "every data key under it, in batches. Safe to run again: a run that was interrupted finishes, and "
        "keys already wrapped by the active KEK are skipped. --reencrypt also moves every owner's values "
        "to a fresh data key and destroys the old one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="data keys per transaction")
        parser.add_argument("--reencrypt", action="store_true",
                            help="also re-encrypt every value under a fresh data key (slow: reads every row)")

    def handle(self, *args: Any, **options: Any) -> None:
        keyring = get_keyring()
        if keyring.from_dev_file:
            if pending_rewrap().exists():
                # An earlier rotation was interrupted: finish it rather than start another one.
                self.stdout.write(f"Finishing the interrupted rotation to {keyring.active_id}.")
            else:
                kek_id = add_dev_kek()
                self.stdout.write(f"Added key-encryption key {kek_id} to the development keyring (active).")
        else:
            self.stdout.write(
                f"The keyring comes from configuration; its active key is {keyring.active_id}. "
                "To rotate: add "
                "a new key to ENCRYPTION_KEYRING, make it \"active\", keep the old keys, restart the "
                "application, then run this command. Remove an old key only when this command reports "
                "nothing left to re-wrap."
            )
        done = rewrap_data_keys(
            batch_size=options["batch_size"],
            on_batch=lambda n: self.stdout.write(f"  re-wrapped {n} data keys"),
        )
        self.stdout.write(self.style.SUCCESS(f"Re-wrapped {done} data keys under {get_keyring().active_id}; "
                                             f"{pending_rewrap().count()} left."))
        if options["reencrypt"]:
            moved = reencrypt_all(on_key=lambda n: self.stdout.write(f"  re-encrypted {n} data keys")
                                  if n % 100 == 0 else None)
            message = f"Re-encrypted the values of {moved} data keys under fresh data keys."
            self.stdout.write(self.style.SUCCESS(message))
