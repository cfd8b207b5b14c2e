"""Request context for the access trail: a request id, the client address, and the current request."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import AuditedRequest, current_request
from config.client import client_address


class RequestContextMiddleware:
    """Give every request an id (also sent back as ``X-Request-ID``) and make it the current request.

    The id is always generated here, never taken from the client, so nobody can plant a value that
    later joins up unrelated events.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AuditedRequest) -> HttpResponse:
        request.request_id = uuid.uuid4().hex
        request.client_address = client_address(request)
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
