"""Smoke test of the G11 load test (``bench.load``): a few seconds, a few users, two gunicorn workers.

PostgreSQL only: the server's worker processes must read what this test commits, which the suite's
SQLite test database (in memory, in this process) cannot offer. It checks that the load test works (every
page reached, no errors, a throughput); it asserts no time, as the benchmark harness does not.
"""

from __future__ import annotations

import configparser
import secrets

import pytest
from django.db import connection
from django.test import override_settings

from bench import load
from bench.dataset import Dataset
from tests.personas import build_world
from tests.referral_cases import build_referral_cases


def test_unexpected_statuses_and_failed_connections_are_errors_and_fail_the_run():
    samples = [("register", 200, 5.0), ("record a concern", 302, 9.0), ("record a concern", 200, 8.0),
               ("referral page", 500, 7.0), ("access trail", 0, 60000.0)]
    summary = load.summarise(samples, 2.0)
    assert summary["errors"] == 3 and summary["requests"] == 5 and summary["throughput"] == 2.5
    assert summary["pages"]["record a concern"] == {"count": 2, "errors": 1, "statuses": {"302": 1, "200": 1},
                                                    "p50_ms": 8.5, "p95_ms": 9.0}
    clean = load.summarise(samples[:2], 1.0)
    assert load.exit_status({"mix": summary, "bare": clean}) == 1
    assert load.exit_status({"mix": clean, "bare": clean}) == 0


def test_load_test_refuses_any_target_but_loopback():
    for target in ("http://10.0.0.5:8000", "http://localhost:8000", "https://example.org/"):
        with pytest.raises(SystemExit, match="only sends load to 127.0.0.1"):
            load.refuse_unless_loopback(target)
    assert load.refuse_unless_loopback("http://127.0.0.1:8123") == "http://127.0.0.1:8123"


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="gunicorn's workers need a database they can share (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_load_smoke_reaches_every_page_without_errors():
    world = build_world()
    cases = build_referral_cases(world)
    lambeth = world.agencies["lambeth_school"].borough
    ds = Dataset(practitioners=[(world.user("teacher_lambeth"), world.agencies["lambeth_school"]),
                                (world.user("police_lambeth"), world.agencies["lambeth_police"])],
                 mash_leads={lambeth.pk: world.user("mash_lambeth")}, auditor=world.user("auditor"))
    assert cases.referrals
    # The server runs with DEBUG off: a production-like secret key, which the sessions are signed with.
    secret_key = secrets.token_urlsafe(50)
    with override_settings(SECRET_KEY=secret_key):
        people = load.personas(ds, 4)
    report = load.run_against(load.database_url("default"), load.database_url("keys"), people, processes=2,
                              duration=2, max_requests=400, var_dir=load.db.ROOT / "var" / "load", warm_up=0,
                              secrets_env=load.keys_in_use(secret_key))
    assert set(report["mix"]["pages"]) == set(load.PAGES), report["mix"]["pages"]
    assert report["mix"]["errors"] == 0 and report["bare"]["errors"] == 0, report
    assert report["mix"]["throughput"] > 0 and report["bare"]["throughput"] > 0
    assert report["bare"]["requests"] >= 1 and "ratio" in report


def test_the_web_service_keeps_database_connections_as_the_load_test_advised():
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read_string((load.db.ROOT / "deploy" / "systemd" / "safeguarding-web.service").read_text())
    assert unit["Service"]["Environment"] == "DATABASE_CONN_MAX_AGE=60"
