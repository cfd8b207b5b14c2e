"""One transaction on every database, rolled back at the end: a module's shared cases leave nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db import connections, transaction


@contextmanager
def rolled_back_everywhere() -> Iterator[None]:
    """Both the main database and the key store: data keys made for the cases must go with them, or the
    next test on the same worker finds them."""
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(transaction.atomic(using=alias))
            stack.callback(transaction.set_rollback, True, using=alias)
        yield


def settle_deferred_constraints() -> None:
    """Check the deferred foreign keys of what a module built, once, before its tests start.

    Each test ends (Django's TestCase teardown) by checking deferred constraints and then rolling back
    to its savepoint; on PostgreSQL that rollback also un-fires the checks still pending from before the
    savepoint, so without this every test re-checked every row the module had built (about a second a
    test under load, most of the suite's time on PostgreSQL).
    """
    for alias in connections:
        connection = connections[alias]
        if connection.features.can_defer_constraint_checks:
            connection.check_constraints()

