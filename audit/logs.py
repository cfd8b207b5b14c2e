"""The current request's id on every log record (``config.logs.JsonFormatter`` writes it)."""

from __future__ import annotations

import logging

from audit.context import get_current_request


class RequestIdFilter(logging.Filter):
    """Adds ``request_id``: the id ``audit.middleware.RequestContextMiddleware`` gave this request, or
    empty outside a request (management commands, scheduled jobs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = get_current_request()
        record.request_id = getattr(request, "request_id", "") if request is not None else ""
        return True
