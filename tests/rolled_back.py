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
