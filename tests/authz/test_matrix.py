"""Runs the authorization matrix and checks that every URL has rows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.agencies.account_cases import ACCOUNT_RELATIONS
from tests.authz.matrix import (
    ACCOUNT_URL_OBJECTS,
    API_CLIENT_RELATIONS,
    AUTOMATIC_REFERRAL_ACTIONS,
    BOROUGH_URL_OBJECTS,
    CASE_EXTENSIONS,
    CASEWORK_URL_OBJECTS,
    COVERED_BY_ADMIN_SITE,
    PATHWAY_URL_OBJECTS,
    REFERRAL_URL_OBJECTS,
    ROWS,
    STATISTICS_AREA_URLS,
    TRANSFER_URL_OBJECTS,
    URL_KWARGS,
    URL_OBJECTS,
    VISIBLE,
)
from tests.cases import build_cases
from tests.casework.cases import CASEWORK_RELATIONS
from tests.personas import build_world
from tests.referral_cases import REFERRAL_RELATIONS, build_referral_cases
from tests.referrals.borough_cases import BOROUGH_RELATIONS
from tests.referrals.pathway_cases import PATHWAY_RELATIONS
from tests.referrals.transfer_cases import TRANSFER_RELATIONS
from tests.rolled_back import rolled_back_everywhere, settle_deferred_constraints
from tests.two_factor_helpers import UNVERIFIED_SUFFIX


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker):
    """Build the personas and every case once per module, inside a transaction rolled back at the end.

    Each row still runs in its own savepoint (pytest-django's ``db``), so a row that writes leaves
    nothing behind for the next; building the world per row instead made this matrix most of the
    suite's running time.
    """
    with django_db_blocker.unblock(), rolled_back_everywhere():
        world = build_world()
        built = build_cases(world)
        for extend in CASE_EXTENSIONS:  # later collections (e.g. the association map's nodes)
            extend(world, built)
        referral_cases = build_referral_cases(world)
        settle_deferred_constraints()
        yield SimpleNamespace(world=world, cases=built, referral_cases=referral_cases)


@pytest.fixture
def world(db, _shared_world):
    return _shared_world.world


@pytest.fixture
def cases(world, _shared_world):
    return _shared_world.cases


@pytest.fixture
def referral_cases(world, _shared_world):
    return _shared_world.referral_cases


def _url(url_name: str, relation: str, request) -> str:
    if relation == "-":
        return reverse(url_name)
    if url_name in STATISTICS_AREA_URLS:  # the relation is the area's slug
        return reverse(url_name, kwargs={"area": relation})
    if relation in REFERRAL_RELATIONS:
        collection = getattr(request.getfixturevalue("referral_cases"), REFERRAL_URL_OBJECTS[url_name])
        return reverse(url_name, kwargs={"reference": collection[relation].reference})
    cases = request.getfixturevalue("cases")
    if relation in TRANSFER_RELATIONS:
        collection = getattr(cases.transfer_cases, TRANSFER_URL_OBJECTS[url_name])
        return reverse(url_name, kwargs={"reference": collection[relation].reference})
    if relation in BOROUGH_RELATIONS:
        collection = getattr(cases.borough_cases, BOROUGH_URL_OBJECTS[url_name])
        return reverse(url_name, kwargs={"reference": collection[relation].reference})
    if relation in PATHWAY_RELATIONS:
        collection = getattr(cases.pathway_cases, PATHWAY_URL_OBJECTS[url_name])
        return reverse(url_name, kwargs={"reference": collection[relation].reference})
    if relation in CASEWORK_RELATIONS:
        casework = cases.casework_cases
        obj = getattr(casework, CASEWORK_URL_OBJECTS[url_name])[relation]
        kwargs = {"reference": obj.reference}
        if url_name == "mace-discuss":
            kwargs["item"] = casework.subject.reference
        return reverse(url_name, kwargs=kwargs)
    if relation in API_CLIENT_RELATIONS:
        return reverse(url_name, kwargs={"reference": cases.api_clients[relation].reference})
    if relation in ACCOUNT_RELATIONS:
        collection = getattr(cases, ACCOUNT_URL_OBJECTS[url_name])
        return reverse(url_name, kwargs={URL_KWARGS.get(url_name, "reference"): collection[relation].reference})
    collection = getattr(cases, URL_OBJECTS[url_name])
    return reverse(url_name, kwargs={"reference": collection[relation].reference})


@pytest.mark.parametrize(("url_name", "persona", "relation", "method", "expected"), ROWS)
def test_access(client_for, request, url_name, persona, relation, method, expected):
    url = _url(url_name, relation, request)
    client = client_for(persona)
    response = getattr(client, method.lower())(url)
    assert response.status_code == expected, (url_name, persona, relation, method)
    if persona.endswith(UNVERIFIED_SUFFIX) and expected == 302 and url_name not in {"login", "logout"}:
        # Sent to give the second factor, and brought back afterwards.
        assert response["Location"].startswith(reverse("two-factor-verify") + "?next="), (url_name, persona)


def test_every_url_has_unverified_rows():
    from tests.authz.matrix import UNVERIFIED_PERSONAS

    every = {row[0] for row in ROWS}
    unverified = {row[0] for row in ROWS if row[1] in UNVERIFIED_PERSONAS}
    assert every == unverified


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_subject_list_shows_exactly_what_the_persona_may_see(client_for, cases, persona):
    response = client_for(persona).get(reverse("subject-list"))
    if response.status_code == 404:
        assert not VISIBLE[persona]
        return
    html = response.content.decode()
    shown = {relation for relation, subject in cases.subjects.items() if subject.reference in html}
    assert shown == VISIBLE[persona]


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_rows():
    covered = {row[0] for row in ROWS}
    missing = sorted(
        name
        for name in _url_names(get_resolver())
        if name not in covered
        and not (name.startswith(COVERED_BY_ADMIN_SITE) and "admin:index" in covered)
    )
    assert missing == [], f"URL names without rows in tests/authz/matrix.py: {missing}"


def test_object_urls_are_covered_for_every_relation_and_persona():
    from tests.authz.matrix import RELATIONS
    from tests.personas import MEMBER_PERSONAS

    for url_name in URL_OBJECTS:
        cells = {(row[1], row[2]) for row in ROWS if row[0] == url_name and row[3] == "GET"}
        assert {(p, r) for p in MEMBER_PERSONAS for r in RELATIONS} <= cells, url_name


def test_every_url_has_rows_for_the_partnership_analysts():
    """Analysts must be refused every case page: each URL, relation and method that member personas have
    rows for has the analysts' rows too (a block added after the generated one in matrix.py would not)."""
    from tests.personas import ANALYST_PERSONAS, MEMBER_PERSONAS

    members = {(row[0], row[2], row[3]) for row in ROWS if row[1] in MEMBER_PERSONAS}
    for analyst in ANALYST_PERSONAS:
        assert members <= {(row[0], row[2], row[3]) for row in ROWS if row[1] == analyst}, analyst


def test_referral_urls_are_covered_for_every_relation_and_persona():
    from tests.personas import MEMBER_PERSONAS

    for url_name in REFERRAL_URL_OBJECTS:
        cells = {(row[1], row[2]) for row in ROWS if row[0] == url_name and row[3] == "GET"}
        assert {(p, r) for p in MEMBER_PERSONAS for r in REFERRAL_RELATIONS} <= cells, url_name


@pytest.mark.parametrize(("persona", "action", "expected"), AUTOMATIC_REFERRAL_ACTIONS)
def test_moves_on_the_automatic_referral(client_for, referral_cases, persona, action, expected):
    referral = referral_cases.referrals["ref_automatic"]
    referral.refresh_from_db()
    response = client_for(persona).post(reverse("referral-detail", kwargs={"reference": referral.reference}),
                                        {"action": action, "reason": "Matrix row", "version": referral.version})
    assert response.status_code == expected, (persona, action)
    moved = type(referral).objects.get(pk=referral.pk)
    assert (moved.version != referral.version) == (expected == 302), (persona, action)
