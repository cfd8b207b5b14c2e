from __future__ import annotations

import pytest
from django.test import Client

from tests.personas import World, build_world


@pytest.fixture
def world(db) -> World:
    """Agencies in Lambeth, Southwark and governance, and a named user for every persona."""
    return build_world()


@pytest.fixture
def client_for(world: World):
    """A test client signed in as the named persona (``None`` for anonymous)."""

    def make(persona: str | None) -> Client:
        client = Client()
        if persona is not None and persona != "anonymous":
            client.force_login(world.user(persona), backend="agencies.backends.RoleBackend")
        return client

    return make
