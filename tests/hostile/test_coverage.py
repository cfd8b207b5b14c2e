"""The hostile suite reaches every form: every URL that accepts POST is a target (or says why it reads
no input), and every target is used by a persona the authorization matrix allows."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from tests.agencies.account_cases import ACCOUNT_RELATIONS
from tests.authz.matrix import (
    ACCOUNT_URL_OBJECTS,
    API_CLIENT_RELATIONS,
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
)
from tests.authz.test_matrix import _url_names
from tests.cases import build_cases
from tests.casework.cases import CASEWORK_RELATIONS
from tests.hostile.targets import TARGETS
from tests.personas import MEMBER_PERSONAS
from tests.referral_cases import REFERRAL_RELATIONS, build_referral_cases
from tests.referrals.borough_cases import BOROUGH_RELATIONS
from tests.referrals.pathway_cases import PATHWAY_RELATIONS
from tests.referrals.transfer_cases import TRANSFER_RELATIONS

pytestmark = pytest.mark.django_db

# URLs that answer POST but read nothing from the request body.
READS_NO_INPUT = {
    "admin_login_redirect": "Sends every method on to the sign-in page.",
    "session-keep-alive": "Stay signed in: the request itself restarts the idle clock; it reads no field.",
    "metrics": "GET only, for a scraper with the bearer token (404 without one): tests/operations/test_jobs.py.",
}
# The API's operations answer a bearer token, never a session, and take JSON, never a form post: their
# bodies go through the concern form itself (api.views), Schemathesis fuzzes every operation against the
# schema (tests/api/test_schemathesis.py) and tests/api/test_hostile.py sends them this suite's corpus.
BEARER_ONLY = {"api-token", "api-concerns", "api-concern-detail", "api-referrals", "api-referral-detail",
               "api-indicators", "api-pathways"}
# Django's admin site: its forms are Django's own ModelForms behind the administrator check, and the
# fields an administrator can change go through agencies.services (tests/agencies).
NOT_COVERED_PREFIXES = (COVERED_BY_ADMIN_SITE,)


def _reachable_row(url_name: str) -> tuple[str, str] | None:
    """A persona and relation that the matrix says reach ``url_name`` (not a sign-in redirect)."""
    for name, persona, relation, _method, status in ROWS:
        if name != url_name:
            continue
        if (persona in MEMBER_PERSONAS and status in (200, 302)) or (persona == "anonymous" and status == 200):
            return persona, relation
    return None


def _url(url_name: str, relation: str, cases, referral_cases) -> str:
    if relation == "-":
        return reverse(url_name)
    if relation in CASEWORK_RELATIONS:
        obj = getattr(cases.casework_cases, CASEWORK_URL_OBJECTS[url_name])[relation]
        kwargs = {"reference": obj.reference}
        if url_name == "mace-discuss":
            kwargs["item"] = cases.casework_cases.subject.reference
        return reverse(url_name, kwargs=kwargs)
    if relation in API_CLIENT_RELATIONS:
        return reverse(url_name, kwargs={"reference": cases.api_clients[relation].reference})
    if url_name in STATISTICS_AREA_URLS:  # partnership statistics: the relation is the area's slug
        return reverse(url_name, kwargs={"area": relation})
    if relation in ACCOUNT_RELATIONS:
        collection = getattr(cases, ACCOUNT_URL_OBJECTS[url_name])
        return reverse(url_name, kwargs={URL_KWARGS.get(url_name, "reference"): collection[relation].reference})
    if relation in REFERRAL_RELATIONS:
        collection = getattr(referral_cases, REFERRAL_URL_OBJECTS[url_name])
    elif relation in TRANSFER_RELATIONS:
        collection = getattr(cases.transfer_cases, TRANSFER_URL_OBJECTS[url_name])
    elif relation in BOROUGH_RELATIONS:
        collection = getattr(cases.borough_cases, BOROUGH_URL_OBJECTS[url_name])
    elif relation in PATHWAY_RELATIONS:
        collection = getattr(cases.pathway_cases, PATHWAY_URL_OBJECTS[url_name])
    else:
        collection = getattr(cases, URL_OBJECTS[url_name])
    return reverse(url_name, kwargs={"reference": collection[relation].reference})


def test_every_url_that_accepts_post_is_a_hostile_target(client_for, world):
    cases = build_cases(world)
    for extend in CASE_EXTENSIONS:
        extend(world, cases)
    referral_cases = build_referral_cases(world)
    accepts_post, unreachable = set(), []
    for url_name in sorted(_url_names(get_resolver())):
        if url_name.startswith(NOT_COVERED_PREFIXES) or url_name in READS_NO_INPUT or url_name in BEARER_ONLY:
            continue
        found = _reachable_row(url_name)
        if found is None:
            unreachable.append(url_name)
            continue
        persona, relation = found
        client = client_for(None if persona == "anonymous" else persona)
        response = client.post(_url(url_name, relation, cases, referral_cases))
        if response.status_code != 405:
            accepts_post.add(url_name)
    assert unreachable == [], f"no persona in the authorization matrix reaches {unreachable}"
    targets = {target.url_name for target in TARGETS}
    assert sorted(accepts_post - targets) == [], "URLs that accept POST but are not in tests/hostile/targets.py"
    assert sorted(targets - accepts_post) == [], "targets whose URL no longer accepts POST"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_each_target_is_used_by_a_persona_the_matrix_allows(target):
    allowed = {persona for name, persona, _relation, _method, status in ROWS
               if name == target.url_name and status in (200, 302)}
    assert target.persona in allowed, (target.name, target.persona)
