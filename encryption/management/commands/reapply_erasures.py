"""``python manage.py reapply_erasures [--ledger FILE]``: re-shred every key the erasure ledger lists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from encryption.ledger import reapply_erasures
from referrals.services import do_complete_restored_erasures


class Command(BaseCommand):
    help = (
        "After restoring the key store from a backup: destroy again every data key that the store's own "
        "erasure ledger, or the exported ledger FILE (default ERASURE_LEDGER_FILE), marks erased, and "
        "copy the exported entries into the store's ledger. Safe to run again. Run it before starting "
        "the application, which refuses to start until it has. Then finish the erasure of every record a restored "
        "main database brought back as not erased (its key shredded): status, shares, map links, drafts, "
        "notifications and case work."
    )
    # The remedy (and the ledger it reads) must run while the start-up checks refuse: they are what those
    # checks ask for (encryption.E010, dataprotection.E001).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ledger", help="an export_erasures file (the newest one kept)")

    def handle(self, *args: Any, **options: Any) -> None:
        ledger = options.get("ledger") or getattr(settings, "ERASURE_LEDGER_FILE", "") or None
        try:
            shredded, added = reapply_erasures(ledger)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Re-applied the erasure ledger{f' from {ledger}' if ledger else ''}: {shredded} data key(s) "
            f"shredded again, {added} ledger entr{'y' if added == 1 else 'ies'} added."))
        # A main database restored from before an erasure has her rows back (unreadable): end them again.
        finished = do_complete_restored_erasures(ledger_file=ledger, actor=None)
        self.stdout.write(self.style.SUCCESS(f"Finished the erasure of {len(finished)} restored record(s)."))
