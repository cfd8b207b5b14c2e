from __future__ import annotations

import pytest
from django.test import Client, TransactionTestCase

from tests.audit.tampering import triggers_off
from tests.audit_helpers import audit_checkpoint
from tests.personas import World, build_world
from tests.two_factor_helpers import (
    UNVERIFIED_SUFFIX,
    ensure_authenticator,
    mark_session_verified,
    requires_two_factor,
)

_flush_tables = TransactionTestCase._fixture_teardown


def _flush_tables_with_audit_triggers_off(self: TransactionTestCase) -> None:
    # Transactional tests (django_db(transaction=True), TransactionTestCase) empty every table after
    # the test with TRUNCATE (PostgreSQL) or DELETE (SQLite), which the access trail's append-only
    # triggers rightly refuse. Only here, in the test suite, are they switched off for that flush (as
    # the table owner, which the production application role is not) and straight back on.
    with triggers_off():
        _flush_tables(self)


TransactionTestCase._fixture_teardown = _flush_tables_with_audit_triggers_off  # type: ignore[method-assign]

# Every database test also gets the key store (the encryption app's own database, config/routers.py):
# recording anything about a person creates a data key there. Tests of unittest-style classes say so
# with ``databases = "__all__"`` themselves.
TransactionTestCase.databases = "__all__"  # type: ignore[assignment]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        if marker is None and not ({"db", "transactional_db", "live_server"} & set(fixtures)):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if "databases" in kwargs:
            continue
        if marker is not None and marker.args:  # django_db(True) means transaction=True
            kwargs.setdefault("transaction", marker.args[0])
        if "transactional_db" in fixtures or "live_server" in fixtures:
            kwargs["transaction"] = True
        item.add_marker(pytest.mark.django_db(databases="__all__", **kwargs), append=False)


@pytest.fixture(autouse=True)
def _audit_checkpoint(request):
    """Start each database test with a fresh audit checkpoint (see tests/audit_helpers.py)."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames or (
        request.node.get_closest_marker("django_db")
    ):
        request.getfixturevalue("_django_db_helper")
        audit_checkpoint()


@pytest.fixture(autouse=True)
def _fresh_scoring_model_cache():
    """Each test rolls its database back, so no test may see another's cached active scoring model."""
    from risk.services.assessment import forget_active_model

    forget_active_model()
    yield
    forget_active_model()


@pytest.fixture
def world(db) -> World:
    """Agencies in Lambeth, Southwark and governance, and a named user for every persona.

    The events written while building it are behind the audit checkpoint, so ``assert_audit`` sees only
    what the test itself does.
    """
    built = build_world()
    audit_checkpoint()
    return built


@pytest.fixture
def client_for(world: World):
    """A test client signed in as the named persona (``None`` for anonymous).

    Members whose roles require two-factor authentication get an authenticator and a *verified* session
    (django-otp's session key set, as after entering a code), fresh for step-up. ``verified=False``, or the
    persona suffix ``:unverified`` (used by the authorization matrix), gives a session that has given only
    the password, by a member who has an authenticator.
    """

    def make(persona: str | None, verified: bool = True) -> Client:
        client = Client()
        if persona is None or persona == "anonymous":
            return client
        if persona.endswith(UNVERIFIED_SUFFIX):
            persona, verified = persona.removesuffix(UNVERIFIED_SUFFIX), False
        user = world.user(persona)
        device = ensure_authenticator(user) if (not verified or requires_two_factor(user)) else None
        client.force_login(user, backend="agencies.backends.RoleBackend")
        if device is not None and verified:
            mark_session_verified(client, device)
        return client

    return make
