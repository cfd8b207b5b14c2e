"""The current request, kept in a context variable so services can audit without being passed it, and
the attributes the access trail reads from a request."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Protocol

from django.http import HttpRequest


class ChainBorough(Protocol):
    """What the trail reads of a borough (``agencies.models.Borough``): the ONS code naming its chain."""

    @property
    def ons_code(self) -> str: ...


class AuditedRequest(HttpRequest):
    """A request as the trail sees it. Django makes plain ``HttpRequest`` objects; this class only declares,
    for the type checker, the attributes set on them: by ``audit.middleware.RequestContextMiddleware``
    (every request) and by views for their audit event (optional, read with a default; see ``audit.api``).
    """

    request_id: str
    client_address: str
    audit_borough: ChainBorough | None
    audit_detail: dict[str, Any]
    audit_reference: str

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def get_current_request() -> HttpRequest | None:
    """The request being served on this thread or task, or None (management commands, tests)."""
    return current_request.get()
