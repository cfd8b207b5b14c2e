from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, TestCase, TransactionTestCase

from agencies.models import Agency
from tests.audit.tampering import triggers_off
from tests.audit_helpers import audit_checkpoint
from tests.personas import World, build_world
from tests.rolled_back import rolled_back_everywhere, settle_deferred_constraints
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fresh_world: build the personas for each test of this module, in the test's own transaction")


# Modules whose tests each build their own personas: a transactional test (its writes are committed, and
# flushed afterwards) cannot run inside a module-wide transaction, nor can a test marked ``fresh_world``.
_PER_TEST_WORLD_MODULES: set[str] = set()


def _is_transactional(item: pytest.Item, marker_kwargs: dict) -> bool:
    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, TransactionTestCase) and not issubclass(cls, TestCase):
        return True
    return bool(marker_kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        module = getattr(getattr(item, "module", None), "__name__", "")
        if item.get_closest_marker("fresh_world") or "fresh_world" in fixtures:
            _PER_TEST_WORLD_MODULES.add(module)
        if marker is None and not ({"db", "transactional_db", "live_server"} & set(fixtures)):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if marker is not None and marker.args:  # django_db(True) means transaction=True
            kwargs.setdefault("transaction", marker.args[0])
        if _is_transactional(item, kwargs):
            _PER_TEST_WORLD_MODULES.add(module)
        if "databases" in kwargs:
            continue
        if "transactional_db" in fixtures or "live_server" in fixtures:
            kwargs["transaction"] = True
        item.add_marker(pytest.mark.django_db(databases="__all__", **kwargs), append=False)
    # Where a module shares one world, its tests without personas run first: they then find the tables
    # as empty as they always did. Only within each run of one module's tests, so pytest-django's order
    # (database tests, then transactional ones, then the rest) is kept; the same on every xdist worker.
    def module_of(item: pytest.Item) -> str:
        return getattr(getattr(item, "module", None), "__name__", "")

    def shares(item: pytest.Item) -> bool:
        return module_of(item) not in _PER_TEST_WORLD_MODULES and "world" in getattr(item, "fixturenames", ())

    ordered: list[pytest.Item] = []
    for _module, run in itertools.groupby(items, key=module_of):
        ordered.extend(sorted(run, key=shares))
    items[:] = ordered


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
    from risk.queries import forget_active_pathway_catalogue
    from risk.services.assessment import forget_active_model

    forget_active_model()
    forget_active_pathway_catalogue()
    yield
    forget_active_model()
    forget_active_pathway_catalogue()


@pytest.fixture(scope="module")
def _module_personas(request, django_db_setup, django_db_blocker) -> Iterator[World | None]:
    """The personas, built once per module (per xdist worker) in a transaction on every database that is
    rolled back when the module ends; each test runs in its own savepoint inside it (pytest-django's
    ``db``), so what a test writes, users and memberships included, is gone before the next.

    ``None`` for a module with transactional or ``fresh_world`` tests: those build their own.
    """
    if request.module.__name__ in _PER_TEST_WORLD_MODULES:
        yield None
        return
    with ExitStack() as stack:
        # Only while building and rolling back: the module's tests without a database stay blocked.
        with django_db_blocker.unblock():
            stack.enter_context(rolled_back_everywhere())
            built = build_world()
            settle_deferred_constraints()
        try:
            yield built
        finally:
            with django_db_blocker.unblock():
                stack.close()


def _reloaded(shared: World) -> World:
    """The same personas as new objects, so what one test changes in memory (an e-mail address, a cached
    membership) is not seen by the next."""
    User = get_user_model()
    users = User.objects.in_bulk([user.pk for user in shared.users.values()])
    agencies = Agency.objects.in_bulk([agency.pk for agency in shared.agencies.values()])
    return World(agencies={key: agencies[agency.pk] for key, agency in shared.agencies.items()},
                 users={name: users[user.pk] for name, user in shared.users.items()})


@pytest.fixture
def world(db, _module_personas) -> World:
    """Agencies in Lambeth, Southwark and governance, and a named user for every persona.

    Shared by the module's tests (see ``_module_personas``), or built for this test alone in a module of
    transactional or ``fresh_world`` tests. The events written while building it are behind the audit
    checkpoint, so ``assert_audit`` sees only what the test itself does.
    """
    if _module_personas is not None:
        return _reloaded(_module_personas)
    built = build_world()
    audit_checkpoint()
    return built


@pytest.fixture
def fresh_world(db) -> World:
    """The personas built for this test alone (its module then builds them per test throughout)."""
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
