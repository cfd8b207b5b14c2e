"""Row counts of every table, in one query, to prove that a refused request changed nothing."""

from __future__ import annotations

from django.apps import apps
from django.db import connections, router

from audit.models import AccessEvent

# Sessions change on every signed-in request; the access trail is checked event by event instead.
ALWAYS_EXCLUDED = {"django_session", AccessEvent._meta.db_table}


def _tables() -> dict[str, list[str]]:
    """Tables by database alias (the key store's tables live in their own database)."""
    by_alias: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            by_alias.setdefault(router.db_for_write(model), set()).add(model._meta.db_table)
    return {alias: sorted(tables) for alias, tables in by_alias.items()}


def row_counts(exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    """``{table: rows}`` for every model's table (history tables and many-to-many tables included), in
    the main database and the key store, one query each."""
    counts: dict[str, int] = {}
    for alias, all_tables in _tables().items():
        tables = [t for t in all_tables if t not in ALWAYS_EXCLUDED and t not in exclude]
        connection = connections[alias]
        quote = connection.ops.quote_name
        sql = " UNION ALL ".join(f"SELECT %s, COUNT(*) FROM {quote(t)}" for t in tables)  # noqa: S608 - table names
        with connection.cursor() as cursor:
            cursor.execute(sql, tables)
            counts.update(cursor.fetchall())
    return counts


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Tables whose row count moved, with the difference."""
    return {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}


def last_event_id() -> int:
    return AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(event_id: int) -> list[tuple[str, str]]:
    """``(action, outcome)`` of the access events written after ``event_id``."""
    return list(AccessEvent.objects.filter(id__gt=event_id).order_by("id").values_list("action", "outcome"))
