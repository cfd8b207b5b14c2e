"""Hypothesis profiles: ``ci`` (the default) is bounded and derandomised, so the suite stays quick and
its results repeat; ``thorough`` (HYPOTHESIS_PROFILE=thorough) searches far more widely."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.hostile.runner import Tally

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_QUIET)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def tally(request):
    """Counts and collects what one test's requests did; the totals are printed after the run."""
    counted = Tally()
    yield counted
    request.node.user_properties.append(("hostile", (counted.requests, counted.server_errors)))


def pytest_terminal_summary(terminalreporter):
    sent = errors = 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", []):
                if name == "hostile" and getattr(report, "when", "") == "teardown":
                    sent, errors = sent + value[0], errors + value[1]
    if sent:
        terminalreporter.write_line(f"hostile input: {sent} requests sent, {errors} answered with a server error")
