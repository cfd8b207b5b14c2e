"""The example client in examples/ runs against a live server: token, submit, poll."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from referrals.models import Concern
from tests.api.clients import register
from tests.personas import build_world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api_client.py"


@pytest.mark.django_db(transaction=True)
def test_the_example_client_submits_a_concern_and_polls_its_outcome(live_server, monkeypatch, capsys):
    registered = register(build_world())
    for name, value in {"API_URL": live_server.url, "API_CLIENT_ID": registered.client_id,
                        "API_CLIENT_SECRET": registered.secret, "POLLS": "1", "POLL_SECONDS": "0"}.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("api_client_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    out = capsys.readouterr().out
    concern = Concern.objects.get(recorded_by=registered.client.account)
    assert f"Recorded as {concern.reference}" in out
    assert f"{concern.reference}: 0 referral(s)" in out
