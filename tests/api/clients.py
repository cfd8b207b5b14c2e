"""API clients for tests, registered and approved through the services (four eyes: one administrator
registers, the other approves each role grant), and a test client that calls the API with a bearer token."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies import services as agency_services
from agencies.choices import RequestStatus
from agencies.models import RoleGrantRequest
from api import services
from api.choices import Scope
from api.models import ApiClient
from tests.personas import World

BOTH = (Scope.CONCERNS_WRITE, Scope.OUTCOMES_READ)


@dataclass
class Registered:
    client: ApiClient
    client_id: str
    secret: str


def register(world: World, agency: str = "lambeth_school", scopes: tuple[str, ...] = BOTH, *,
             approve: bool = True, days: int = 365, name: str = "Test safeguarding system") -> Registered:
    """``administrator`` registers a system of ``agency``; ``administrator_2`` approves its roles."""
    done = services.do_register_api_client(
        agency=world.agencies[agency], name=name, scopes=list(scopes),
        expires_on=timezone.localdate() + dt.timedelta(days=days), actor=world.user("administrator"))
    if approve:
        for grant in RoleGrantRequest.objects.filter(user_id=done.client.account_id, status=RequestStatus.PENDING):
            agency_services.do_approve_role_grant(grant, actor=world.user("administrator_2"))
    return Registered(done.client, done.client_id, done.client_secret)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_response(http: Client, registered: Registered, scope: str | None = None, secret: str | None = None) -> Any:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return http.post(reverse("api-token"), data, HTTP_AUTHORIZATION=basic(registered.client_id,
                                                                          secret or registered.secret))


class ApiCaller:
    """Calls the API as one registered client, with a fresh bearer token."""

    def __init__(self, registered: Registered, scope: str | None = None) -> None:
        self.http = Client()
        self.registered = registered
        response = token_response(self.http, registered, scope)
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]

    def headers(self, **extra: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **extra}

    def get(self, url: str, **params: Any) -> Any:
        return self.http.get(url, params, **self.headers())

    def submit(self, body: dict[str, Any], key: str | None = None) -> Any:
        return self.http.post(reverse("api-concerns"), body, content_type="application/json",
                              **self.headers(HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())))


def concern_body(given: str = "Apitest", family: str = "Person", dob: str = "2011-04-03", *,
                 borough: str = "lambeth", indicators: tuple[str, ...] = ("missing-from-home-or-care",),
                 narrative: str = "Seen getting into a car with an older man.", days_ago: int = 2,
                 judgement: str = "") -> dict[str, Any]:
    return {
        "young_person": {"given_name": given, "family_name": family, "date_of_birth": dob, "home_borough": borough},
        "observed_on": (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat(),
        "indicators": list(indicators), "narrative": narrative, "judgement": judgement,
    }
