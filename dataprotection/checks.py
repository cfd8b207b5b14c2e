"""Start-up checks of data-protection duties."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from referrals.services import restored_erasures


def check_restored_erasures_finished(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """dataprotection.E001: refuse to start while the main database shows an erased girl as not erased
    (``restored_erasures``): restored from before her erasure, or an erasure stopped after her key was
    destroyed (the key store commits first). Her text is unreadable, but her map links, open actions and
    notifications are back until ``reapply_erasures`` finishes her erasure. Restoring only the main
    database, with the key store untouched, is not caught by ``encryption.E010``: every key stays shredded.

    Skipped when a database is not reachable or not migrated (``migrate`` must be able to run), and when the
    exported ledger is refused (``encryption.E011`` reports that)."""
    try:
        unfinished = restored_erasures(getattr(settings, "ERASURE_LEDGER_FILE", "") or None)
    except (DatabaseError, ImproperlyConfigured):
        return []
    if not unfinished:
        return []
    return [checks.Error(
        f"The main database holds {len(unfinished)} record(s) not marked erased whose data key was destroyed "
        "because she was erased: it was restored from a backup older than those erasures, or an erasure "
        "stopped part-way.",
        hint="Run `python manage.py reapply_erasures` (with --ledger FILE for the newest exported ledger; it runs "
             "while this check refuses) before starting the application; see README.md, Backups and erasure.",
        id="dataprotection.E001",
    )]
