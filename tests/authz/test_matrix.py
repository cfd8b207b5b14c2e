"""Runs the authorization matrix and checks that every URL has rows."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.authz.matrix import COVERED_BY_ADMIN_SITE, ROWS


@pytest.mark.parametrize(("url_name", "persona", "relation", "method", "expected"), ROWS)
def test_access(client_for, url_name, persona, relation, method, expected):
    client = client_for(persona)
    response = getattr(client, method.lower())(reverse(url_name))
    assert response.status_code == expected, (url_name, persona, method)


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
