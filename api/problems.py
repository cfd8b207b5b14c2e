"""Errors as RFC 9457 problem details (``application/problem+json``), for every refusal of the API.

A problem says what went wrong in plain words and never echoes what was sent: a value in the body may be
a name or a narrative (DESIGN.md §5.6). Field problems list the field's path and the message only.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

PROBLEM_TYPE = "application/problem+json"
# Problem types this API defines (RFC 9457 §3.1.1 "type"); everything else is "about:blank" with the
# HTTP status's own title.
VALIDATION = "urn:safeguarding:problem:validation"
IDEMPOTENCY_MISMATCH = "urn:safeguarding:problem:idempotency-key-reused"
INSUFFICIENT_SCOPE = "urn:safeguarding:problem:insufficient-scope"


def problem(status: int, detail: str, *, type_: str = "about:blank", title: str | None = None,
            errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The body of one problem."""
    body: dict[str, Any] = {"type": type_, "title": title or HTTPStatus(status).phrase, "status": status,
                            "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def problem_response(status: int, detail: str, **kwargs: Any) -> Response:
    return Response(problem(status, detail, **kwargs), status=status, content_type=PROBLEM_TYPE)


def _messages(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value if not isinstance(item, dict | list)] or ["This value is not valid."]
    return [str(value)]


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"young_person.given_name": ["..."]}``."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            path = ".".join(part for part in (prefix, name) if part) or "body"
            if isinstance(value, dict):
                found.update(flatten(value, path))
            elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
                for index, item in enumerate(value):
                    found.update(flatten(item, f"{path}.{index}"))
            else:
                found.setdefault(path, []).extend(_messages(value))
        return found
    return {prefix or "body": _messages(detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST framework's exception handler, answering every error as a problem."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        return problem_response(404, "There is nothing here, or nothing this client may see.")
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a server error: Django's handler answers (and logs it without the body)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        headers["Retry-After"] = str(max(1, wait))
        response = problem_response(429, f"Too many requests from this client. Try again in {max(1, wait)} "
                                         "seconds.")
    elif isinstance(exc, exceptions.ValidationError):
        response = problem_response(422, "The concern could not be accepted. Correct the fields listed in "
                                         "errors and send it again.", type_=VALIDATION, errors=flatten(exc.detail))
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response = problem_response(401, "Send a valid bearer token: get one from the token endpoint with "
                                         "this system's client credentials." if isinstance(
                                             exc, exceptions.NotAuthenticated) else str(exc.detail))
        view = context.get("view")
        request = context.get("request")
        if view is not None and request is not None:
            header = view.get_authenticate_header(request)
            if header:
                headers["WWW-Authenticate"] = header
    elif isinstance(exc, exceptions.PermissionDenied):
        response = problem_response(403, str(exc.detail), type_=INSUFFICIENT_SCOPE)
    elif isinstance(exc, exceptions.NotAcceptable):
        response = problem_response(406, "This API answers in JSON only (application/json).")
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response = problem_response(415, "Send the body as JSON (Content-Type: application/json).")
    elif isinstance(exc, exceptions.ParseError):
        response = problem_response(400, "The body is not valid JSON.")
    elif isinstance(exc, exceptions.MethodNotAllowed):
        response = problem_response(405, "This operation does not accept that method.")
    elif isinstance(exc, exceptions.NotFound):
        response = problem_response(404, "There is nothing here, or nothing this client may see.")
    else:
        response = problem_response(exc.status_code, str(exc.detail) if isinstance(exc.detail, str)
                                    else HTTPStatus(exc.status_code).phrase)
    for name, value in headers.items():
        response[name] = value
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other address under ``/api/``: a problem, not the service's HTML page."""
    return JsonResponse(problem(404, "There is no such operation in this API."), status=404,
                        content_type=PROBLEM_TYPE)
