"""The erasure ledger: export, re-application after a restore, and the start-up check.

Every crypto-shredding appends to ``ErasureRecord`` in the key store. A restored key-store backup
taken before an erasure would bring that data key back, so:

- ``export_erasures`` writes the whole ledger as JSON (data key ids, dates, reason codes; no personal
  data), with a SHA-256 head over its entries, to be kept beside the audit anchors, outside both
  databases (``ERASURE_LEDGER_FILE`` names the newest copy);
- ``reapply_erasures [--ledger FILE]`` shreds again every key that the store's own ledger or the
  exported one marks erased, and copies missing entries into the store's ledger;
- the system check ``encryption.E010`` refuses start-up while a key the ledger (or the exported
  ledger) marks erased is live.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError
from django.utils import timezone

from config.routers import keys_alias
from encryption import keys
from encryption.models import DataKey, ErasureReason, ErasureRecord

LEDGER_VERSION = 1


def _head(entries: list[dict[str, str]]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


def export_ledger(now: datetime | None = None) -> dict[str, Any]:
    """The whole ledger as a JSON-ready document with a SHA-256 head over its entries."""
    entries = [
        {"data_key": str(key_id), "erased_at": erased_at.isoformat(), "reason": reason}
        for key_id, erased_at, reason in ErasureRecord.objects.order_by("id").values_list(
            "data_key_id", "erased_at", "reason")
    ]
    return {"version": LEDGER_VERSION, "exported_at": (now or timezone.now()).isoformat(),
            "count": len(entries), "head": _head(entries), "entries": entries}


def read_ledger_file(path: str | Path) -> list[dict[str, str]]:
    """The entries of an exported ledger; a file that is damaged or altered raises ImproperlyConfigured."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"The erasure ledger {path} cannot be read: {exc.__class__.__name__}.") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if data.get("version") != LEDGER_VERSION or not isinstance(entries, list):
        raise ImproperlyConfigured(f"The erasure ledger {path} is not an export_erasures file.")
    if _head(entries) != data.get("head"):
        raise ImproperlyConfigured(f"The erasure ledger {path} does not match its head: it was altered.")
    for entry in entries:
        uuid.UUID(str(entry.get("data_key")))
    return entries


def erased_key_ids(ledger_file: str | Path | None = None) -> dict[uuid.UUID, dict[str, str]]:
    """Every data key the store's own ledger, or the exported ``ledger_file``, marks erased."""
    erased: dict[uuid.UUID, dict[str, str]] = {}
    if ledger_file:
        for entry in read_ledger_file(ledger_file):
            erased[uuid.UUID(entry["data_key"])] = entry
    for key_id, erased_at, reason in ErasureRecord.objects.values_list("data_key_id", "erased_at", "reason"):
        erased[key_id] = {"data_key": str(key_id), "erased_at": erased_at.isoformat(), "reason": reason}
    return erased


def _chunks(ids: list[uuid.UUID], size: int = 5000) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def live_keys_marked_erased(ledger_file: str | Path | None = None) -> list[uuid.UUID]:
    """Data keys that are live although the ledger says they were erased (a restored key store)."""
    ids = list(erased_key_ids(ledger_file))
    found: list[uuid.UUID] = []
    for chunk in _chunks(ids):
        found += DataKey.objects.filter(pk__in=chunk, shredded_at__isnull=True).values_list("pk", flat=True)
    return found


def reapply_erasures(ledger_file: str | Path | None = None) -> tuple[int, int]:
    """Shred again every live key the ledger marks erased; copy missing entries into the store's ledger.

    Returns (keys shredded again, ledger entries added). Idempotent.
    """
    from encryption.services import _shred, keys_atomic

    erased = erased_key_ids(ledger_file)
    known = set()
    for chunk in _chunks(list(erased)):
        known |= set(ErasureRecord.objects.filter(data_key_id__in=chunk).values_list("data_key_id", flat=True))
    shredded = added = 0
    with keys_atomic():
        for key_id in live_keys_marked_erased(ledger_file):
            _shred(key_id, ErasureReason.REAPPLIED)
            keys.forget_data_key(key_id)
            shredded += 1
        for key_id, entry in erased.items():
            if key_id in known or ErasureRecord.objects.filter(data_key_id=key_id).exists():
                continue
            given = entry.get("reason")
            reason = given if isinstance(given, str) and given in ErasureReason.values else ErasureReason.REAPPLIED
            try:
                erased_at = datetime.fromisoformat(entry["erased_at"])
            except (KeyError, TypeError, ValueError):
                raise ValidationError(f"The ledger entry for data key {key_id} has no valid date.") from None
            ErasureRecord.objects.create(data_key_id=key_id, erased_at=erased_at, reason=reason)
            added += 1
    return shredded, added


def check_erasures_applied(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """encryption.E010: refuse to start while a key the erasure ledger marks erased is live again.

    Skipped (silently) when the key store is not reachable or not migrated yet (``migrate`` must be able
    to run); the application cannot decrypt anything then anyway.
    """
    ledger_file = getattr(settings, "ERASURE_LEDGER_FILE", "") or None
    try:
        resurrected = live_keys_marked_erased(ledger_file)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Point ERASURE_LEDGER_FILE at the newest export_erasures file.",
                             id="encryption.E011")]
    except DatabaseError:
        return []
    if not resurrected:
        return []
    return [checks.Error(
        f"The key store ({keys_alias()}) holds {len(resurrected)} live data key(s) that the erasure ledger "
        "marks erased: it was restored from a backup older than those erasures.",
        hint="Run `python manage.py reapply_erasures` (with --ledger FILE for the newest exported "
             "ledger) before starting the application; see README.md, Backups and erasure.",
        id="encryption.E010",
    )]
