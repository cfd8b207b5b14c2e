"""G12 (G11 is the load test, ``bench.load``): submitting a concern through the API against
submitting it through the concern form, in the same run, interleaved. Both call
``referrals.intake.do_record_concern``; the difference is what sits around it (a bearer token and JSON
against a session, CSRF and the form page's redirect)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from bench.harness import Result, _concern_form, compare


def _api_body(rng: random.Random, borough_slug: str) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "young_person": {"given_name": f"Benchapi{rng.randrange(10**6)}",
                         "family_name": f"Runsworth{rng.randrange(10**6)}", "date_of_birth": "2011-04-03",
                         "home_borough": borough_slug},
        "observed_on": timezone.localdate().isoformat(),
        "indicators": ["missing-from-home-or-care", "older-boyfriend-or-associate"],
        "narrative": "Benchmark narrative: collected from school by an older male in a car. " * 4,
    }


def api_vs_form(ds: Any, rounds: int) -> list[Result]:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from agencies import services as agency_services
    from agencies.choices import RequestStatus, RoleCode
    from agencies.models import Agency, RoleGrantRequest
    from api import services as api_services

    user, agency = ds.practitioners[0]
    governance = Agency.objects.exclude(pk=agency.pk).order_by("pk").first() or agency
    admins = []
    for n in (1, 2):
        admin = User.objects.filter(username=f"bench-admin-{n}").first() or agency_services.do_create_user(
            username=f"bench-admin-{n}", agency=governance, roles=[RoleCode.ADMINISTRATOR], actor=None)
        admins.append(admin)
    registered = api_services.do_register_api_client(
        agency=agency, name="Benchmark system", scopes=["concerns:write"],
        expires_on=timezone.localdate() + dt.timedelta(days=2), actor=admins[0])
    for grant in RoleGrantRequest.objects.filter(user_id=registered.client.account_id, status=RequestStatus.PENDING):
        agency_services.do_approve_role_grant(grant, actor=admins[1])
    # The rate limit is not what is measured.
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"] = "1000000/min"
    system = Client()
    token = system.post("/api/oauth/token/", {"grant_type": "client_credentials", "client_id": registered.client_id,
                                              "client_secret": registered.client_secret}).json()["access_token"]
    person = Client()
    person.force_login(user, backend="agencies.backends.RoleBackend")
    rng = random.Random(9)
    slug = agency.borough.slug

    def through_api() -> None:
        response = system.post("/api/v1/concerns/", _api_body(rng, slug), content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert response.status_code == 201, response.status_code

    def through_form() -> None:
        response = person.post("/concerns/new/", _concern_form(rng, slug))
        assert response.status_code == 302, response.status_code

    through_api()  # warm per-process caches
    through_form()
    return [compare("G12", "record a concern through the API", "the same through the concern form", through_api,
                    through_form, rounds, throughput=False, goal="(informative) same service; ≈ 1×")]
