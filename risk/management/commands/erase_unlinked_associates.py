"""Crypto-shred associates no longer linked to anyone past MAP_ASSOCIATE_RETENTION_DAYS (run daily)."""

from __future__ import annotations

from typing import Any

from operations.runs import ScheduledCommand
from risk.map.services import do_erase_unlinked_associates


class Command(ScheduledCommand):
    job = "erase_unlinked_associates"
    help = "Erase (crypto-shred) the identity of associates no longer linked past retention."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        erased = do_erase_unlinked_associates(actor=None)
        self.stdout.write(f"Erased {erased} associate(s).")
        return {"erased": erased}
