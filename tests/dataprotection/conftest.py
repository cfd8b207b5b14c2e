"""The cases every data-protection test starts from: the shared cases with the association map."""

from __future__ import annotations

import pytest

from tests.audit_helpers import audit_checkpoint
from tests.cases import build_cases
from tests.risk.map_cases import extend as extend_with_map


@pytest.fixture
def cases(world):
    built = build_cases(world)
    extend_with_map(world, built)
    audit_checkpoint()
    return built
