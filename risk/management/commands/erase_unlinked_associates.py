"""Crypto-shred associates no longer linked to anyone past MAP_ASSOCIATE_RETENTION_DAYS (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from risk.map.services import do_erase_unlinked_associates


class Command(BaseCommand):
    help = "Erase (crypto-shred) the identity of associates no longer linked past retention."

    def handle(self, *args: Any, **options: Any) -> None:
        erased = do_erase_unlinked_associates(actor=None)
        self.stdout.write(f"Erased {erased} associate(s).")
