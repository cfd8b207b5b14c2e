"""Case-work pages cost a constant number of queries, however many actions and discussions they list
(DESIGN.md §7)."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.casework.cases import add_action, build_casework_cases

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connections["default"]) as main, CaptureQueriesContext(connections["keys"]) as keys:
        assert client.get(url).status_code == 200
    return len(main) + len(keys)


@pytest.mark.parametrize(("persona", "url_name", "kind"), [
    ("mash_lambeth", "action-list", None), ("police_lambeth", "action-list", None),
    ("mash_lambeth", "casework-subject", "subject"), ("mash_lambeth", "subject-detail", "subject"),
])
def test_lists_of_actions_cost_the_same_for_two_or_twelve(client_for, world, persona, url_name, kind):
    cases = build_casework_cases(world)
    client = client_for(persona)
    url = reverse(url_name, kwargs={"reference": cases.subject.reference}) if kind else reverse(url_name)
    _queries(client, url)  # warm: the session, the membership, the catalogue caches
    before = _queries(client, url)
    for _ in range(10):
        add_action(world, cases.subject, "police_lambeth")
    after = _queries(client, url)
    assert after == before, (url_name, persona, before, after)
