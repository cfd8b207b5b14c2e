"""The current request, kept in a context variable so services can audit without being passed it."""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def get_current_request() -> HttpRequest | None:
    """The request being served on this thread or task, or None (management commands, tests)."""
    return current_request.get()
