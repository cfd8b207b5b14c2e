"""Schemathesis against the live OpenAPI schema: every operation, with inputs that the schema
allows and inputs it does not, through the Django WSGI application on the test database (SQLite or
PostgreSQL, whichever the suite runs on). Bounded and derandomised, so it runs the same in every CI run
inside ``make test``: 0 server errors, every status, content type, header and body as the schema says,
and whatever the schema forbids refused."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.clients import ApiCaller, register

# Examples per operation and generation mode: 7 operations x 2 modes x this, in well under a minute.
EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


# Loaded from the running application, as a client would read it (the schema page reads no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


@pytest.fixture
def bearer(world, settings):
    # The rate limit has its own test; here every generated request must reach the operation.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "100000/min"}}
    token = ApiCaller(register(world)).token
    # Django's test client keeps the test's database connection open across its requests by disconnecting
    # ``close_old_connections`` (and connects it again after each); Schemathesis calls the WSGI handler
    # itself, so the same is done here, after the last test-client request (on PostgreSQL the connection,
    # and the test's transaction with it, would otherwise close at the first generated request).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield token
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_schema(case, bearer):
    case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, checks=CHECKS)
