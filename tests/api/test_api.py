"""The API for agency systems: concerns in through the form's own service, outcomes back,
clients registered with four eyes, scopes, expiry and revocation, every call audited, problems as RFC 9457."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken

from agencies import services as agency_services
from agencies.choices import RequestStatus
from agencies.models import RoleGrantRequest
from api import serializers, services
from api.models import ApiClient
from audit.models import AccessEvent
from referrals import forms as referral_forms
from referrals import routing
from referrals.models import Concern, Referral
from tests.api.clients import ApiCaller, basic, concern_body, register, token_response
from tests.audit_helpers import assert_audit, audit_checkpoint, new_audit_events
from tests.factories import new_concern, new_referral, route_to

PROBLEM = "application/problem+json"


def _route(world, referral, code="early_help"):
    """The Lambeth MASH screens the referral and routes it into ``code``."""
    mash = world.user("mash_lambeth")
    referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
    return routing.do_decide_referral(referral, reason="Needs support.", version=referral.version, actor=mash,
                                      **route_to(world, referral, code))


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


# --- Submitting a concern: the form's service ----------------------------------------------------------

def test_a_submitted_concern_goes_through_the_forms_service_and_answers_only_its_reference(world):
    api = ApiCaller(register(world))
    audit_checkpoint()
    response = api.submit(concern_body(indicators=("missing-from-home-or-care", "older-boyfriend-or-associate")))
    assert response.status_code == 201
    assert response.json() == {"reference": response.json()["reference"]}
    concern = Concern.objects.get(reference=response.json()["reference"])
    assert concern.recorded_by == api.registered.client.account
    assert concern.agency == world.agencies["lambeth_school"]
    assert concern.narrative == "Seen getting into a car with an older man."
    assert response["Location"] == reverse("api-concern-detail", kwargs={"reference": concern.reference})
    event = assert_audit("create", object_type="concern", reference=concern.reference, service="do_record_concern",
                         actor=api.registered.client.account)
    assert event.actor_agency_id == world.agencies["lambeth_school"].pk
    assert event.actor_username.startswith("api-")


def test_the_api_refuses_what_the_form_refuses_with_the_forms_words_and_records_nothing(world):
    api = ApiCaller(register(world))
    before = Concern.objects.count()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    cases = [
        ({**concern_body(), "observed_on": future}, "observed_on", "today or in the past"),
        ({**concern_body(indicators=()), "narrative": ""}, "indicators", "Choose at least one sign"),
        ({**concern_body(), "indicators": ["not-a-sign"]}, "indicators", "Choose signs from the list"),
        ({**concern_body(), "narrative": "Seen\x1b[31m late"}, "narrative", "hidden or control characters"),
        ({**concern_body(), "young_person": {**concern_body()["young_person"], "home_borough": "paris"}},
         "young_person.home_borough", "London borough"),
        ({**concern_body(), "young_person": {**concern_body()["young_person"], "date_of_birth": None}},
         "young_person.date_of_birth", "date of birth, or her age"),
    ]
    for body, field, words in cases:
        problem = _problem(api.submit(body), 422)
        assert any(words in message for message in problem["errors"][field]), (field, problem)
        assert "Seen" not in json.dumps(problem)  # nothing sent is echoed back
    assert Concern.objects.count() == before


def test_unreadable_or_oversized_or_non_json_bodies_are_problems(world, settings):
    api = ApiCaller(register(world))
    url = reverse("api-concerns")
    headers = api.headers(HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    _problem(api.http.post(url, "{not json", content_type="application/json", **headers), 400)
    _problem(api.http.post(url, "a=b", content_type="application/x-www-form-urlencoded", **headers), 415)
    _problem(api.http.get(reverse("api-concerns"), HTTP_ACCEPT="text/html", **api.headers()), 406)
    _problem(api.http.post(url, concern_body(), content_type="application/json", **api.headers()), 422)  # no key
    _problem(api.get("/api/v1/nowhere/"), 404)
    _problem(api.get(reverse("api-concerns"), since="not-a-cursor"), 422)
    _problem(api.get(reverse("api-concerns"), limit="0"), 422)
    settings.API_MAX_BODY_BYTES = 100
    _problem(api.http.post(url, concern_body(narrative="x" * 200), content_type="application/json", **headers), 413)


def test_a_retry_with_the_same_key_returns_the_first_concern_and_another_body_is_refused(world):
    api = ApiCaller(register(world))
    key = str(uuid.uuid4())
    first = api.submit(concern_body(), key=key)
    again = api.submit(concern_body(), key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Concern.objects.filter(reference=first.json()["reference"]).count() == 1
    assert Concern.objects.filter(recorded_by=api.registered.client.account).count() == 1
    body = _problem(api.submit(concern_body(narrative="Something else entirely."), key=key), 422)
    assert body["type"].endswith("idempotency-key-reused")
    # Another client's identical key is its own: a new concern.
    other = ApiCaller(register(world, "southwark_school"))
    assert other.submit(concern_body(borough="southwark"), key=key).status_code == 201


def test_the_api_keeps_the_concern_forms_limits():
    assert serializers.NAME_MAX == referral_forms.NAME_MAX
    assert serializers.NARRATIVE_MAX == referral_forms.NARRATIVE_MAX


# --- The recorder learns nothing from a match (DESIGN.md §5.6a): the oracle through the API -----------

REF = re.compile(r"\b[SCRK]-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.+Z-]+")


def _normalise(response) -> str:
    text = re.sub(r'"next_cursor":"[^"]*"', '"next_cursor":"CURSOR"', response.content.decode())
    return TIME.sub("TIME", REF.sub("REF", text)) + f" {response.status_code}"


def _answers(api: ApiCaller, body) -> list[str]:
    submitted = api.submit(body)
    reference = submitted.json()["reference"]
    return [_normalise(r) for r in (
        submitted, api.get(reverse("api-concern-detail", kwargs={"reference": reference})),
        api.get(reverse("api-concerns")), api.get(reverse("api-referrals")))]


def test_a_known_girls_answers_equal_a_new_girls(world):
    """The same system sends the same concern about a girl other agencies have put at high (register,
    automatic referral) and about a girl nobody knows: every answer it can get is the same."""
    signs = ("older-boyfriend-or-associate", "missing-from-home-or-care")
    known = {"given": "Knownapi", "family": "Oracle", "dob": dt.date(2011, 2, 3), "borough": "Lambeth",
             "indicators": signs, "seriously_worried": True}
    new_concern(world, "gp_lambeth", **known)
    new_concern(world, "police_lambeth", **known)
    assert Referral.objects.filter(automatic=True, subject__concerns__recorded_by=world.user("gp_lambeth")).exists()
    first = _answers(ApiCaller(register(world)), concern_body("Knownapi", "Oracle", "2011-02-03", indicators=signs))
    # Another school's system (the first school's list now holds the first concern), sending the same.
    second = _answers(ApiCaller(register(world, "southwark_school")),
                      concern_body("Newapi", "Oracle", "2011-02-04", indicators=signs))
    assert first == second


# --- Reading outcomes: own agency only ----------------------------------------------------------------

def test_a_client_reads_its_agencys_concerns_and_referrals_and_never_another_agencys(world):
    api = ApiCaller(register(world))
    mine = new_concern(world, "teacher_lambeth", given="Ownagency", family="Reader")
    gp = new_concern(world, "gp_lambeth", given="Ownagency", family="Reader")  # the same girl, another agency
    southwark = new_concern(world, "teacher_southwark", given="Otheragency", family="Reader", borough="Southwark")
    referral = _route(world, new_referral(world, mine.subject))
    listed = api.get(reverse("api-concerns")).json()["items"]
    assert {item["reference"] for item in listed} == {mine.reference}
    assert listed[0]["referrals"][0]["reference"] == referral.reference
    assert listed[0]["referrals"][0]["pathways"] == [{"code": "early_help", "label": "Early help"}]
    assert "narrative" not in listed[0] and "Ownagency" not in json.dumps(listed)
    for other in (gp, southwark):
        _problem(api.get(reverse("api-concern-detail", kwargs={"reference": other.reference})), 404)
    referrals = api.get(reverse("api-referrals")).json()["items"]
    assert [item["reference"] for item in referrals] == [referral.reference]
    assert referrals[0]["decision"] == "routed"


def test_polling_with_since_returns_each_change_once(world):
    api = ApiCaller(register(world))
    first = new_concern(world, "teacher_lambeth", given="Pollone", family="Since")
    page = api.get(reverse("api-concerns")).json()
    assert [item["reference"] for item in page["items"]] == [first.reference]
    assert api.get(reverse("api-concerns"), since=page["next_cursor"]).json()["items"] == []
    second = new_concern(world, "teacher_lambeth", given="Polltwo", family="Since")
    later = api.get(reverse("api-concerns"), since=page["next_cursor"]).json()
    assert [item["reference"] for item in later["items"]] == [second.reference]
    referral = new_referral(world, first.subject)
    seen = api.get(reverse("api-referrals")).json()
    assert [(i["reference"], i["state"]) for i in seen["items"]] == [(referral.reference, "submitted")]
    _route(world, referral)
    changed = api.get(reverse("api-referrals"), since=seen["next_cursor"]).json()["items"]
    assert [(i["reference"], i["state"]) for i in changed] == [(referral.reference, "decided")]


def test_the_catalogues_are_versioned_and_readable_with_any_scope(world):
    api = ApiCaller(register(world, scopes=("concerns:write",)))
    indicators = api.get(reverse("api-indicators")).json()
    assert indicators["version"] >= 1
    assert "missing-from-home-or-care" in {row["code"] for row in indicators["indicators"]}
    pathways = api.get(reverse("api-pathways")).json()
    assert "early_help" in {row["code"] for row in pathways["pathways"]}


# --- Clients: four eyes, scopes, expiry, revocation ---------------------------------------------------

def test_registration_needs_a_second_administrator_and_the_secret_is_stored_hashed(world):
    registered = register(world, approve=False)
    application = registered.client.application
    assert application.client_secret != registered.secret
    assert check_password(registered.secret, application.client_secret)
    grants = list(RoleGrantRequest.objects.filter(user_id=registered.client.account_id))
    assert {grant.role_id for grant in grants} == {"practitioner", "dsl"}
    # Not yet approved: no token.
    assert token_response(Client(), registered).status_code == 401
    with pytest.raises(PermissionDenied):
        agency_services.do_approve_role_grant(grants[0], actor=world.user("administrator"))
    agency_services.do_approve_role_grant(grants[0], actor=world.user("administrator_2"))
    token = token_response(Client(), registered).json()
    assert token["scope"] == {"practitioner": "concerns:write", "dsl": "outcomes:read"}[grants[0].role_id]
    assert token_response(Client(), registered, secret="wrong").status_code == 401


def test_only_administrators_register_and_revoke(world):
    with pytest.raises(PermissionDenied):
        services.do_register_api_client(agency=world.agencies["lambeth_school"], name="Sneaky",
                                        scopes=["concerns:write"],
                                        expires_on=timezone.localdate() + dt.timedelta(days=5),
                                        actor=world.user("dsl_lambeth"))
    registered = register(world)
    with pytest.raises(PermissionDenied):
        services.do_revoke_api_client(registered.client, actor=world.user("mash_lambeth"))


@pytest.mark.parametrize(("scope", "submit", "read"), [
    ("concerns:write", 201, 403), ("outcomes:read", 403, 200), ("concerns:write outcomes:read", 201, 200)])
def test_each_operation_needs_its_scope(world, scope, submit, read):
    api = ApiCaller(register(world), scope=scope)
    assert api.submit(concern_body()).status_code == submit
    assert api.get(reverse("api-concerns")).status_code == read
    assert api.get(reverse("api-referrals")).status_code == read
    assert api.get(reverse("api-indicators")).status_code == 200


def test_a_client_cannot_ask_for_a_scope_it_was_not_registered_for(world):
    registered = register(world, scopes=("concerns:write",))
    response = token_response(Client(), registered, scope="outcomes:read")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_revocation_ends_tokens_at_once_and_refuses_new_ones(world):
    registered = register(world)
    api = ApiCaller(registered)
    audit_checkpoint()
    services.do_revoke_api_client(registered.client, actor=world.user("administrator"))
    assert_audit("revoke", object_type="api_client", reference=registered.client.reference,
                 service="do_revoke_api_client")
    assert not AccessToken.objects.filter(application=registered.client.application).exists()
    _problem(api.get(reverse("api-indicators")), 401)
    assert token_response(Client(), registered).status_code == 401


def test_an_expired_client_is_refused_even_with_a_live_token(world):
    registered = register(world)
    api = ApiCaller(registered)
    ApiClient.objects.filter(pk=registered.client.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _problem(api.get(reverse("api-indicators")), 401)
    assert token_response(Client(), registered).status_code == 401


def test_a_role_taken_away_takes_its_scope_away_at_the_next_call(world):
    registered = register(world)
    api = ApiCaller(registered)
    account = registered.client.account
    agency_services.do_set_membership(user=account, agency=world.agencies["lambeth_school"], roles=["practitioner"],
                                      actor=world.user("administrator"))
    assert api.get(reverse("api-concerns")).status_code == 403
    assert api.submit(concern_body()).status_code == 201


def test_too_many_calls_get_429_with_retry_after(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "3/min"}}
    api = ApiCaller(register(world))
    statuses = [api.get(reverse("api-indicators")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get(reverse("api-indicators"))
    _problem(response, 429)
    assert int(response["Retry-After"]) >= 1


# --- Every call is audited, with the client as the actor and its agency -------------------------------

def test_every_call_is_audited_with_the_client_and_its_agency(world):
    registered = register(world)
    api = ApiCaller(registered)
    concern = new_concern(world, "teacher_lambeth", given="Auditcall", family="Trail")
    account = registered.client.account
    calls = [
        (lambda: api.get(reverse("api-concerns")), "list", "concern", "", "allowed"),
        (lambda: api.get(reverse("api-concern-detail", kwargs={"reference": concern.reference})), "view", "concern",
         concern.reference, "allowed"),
        (lambda: api.get(reverse("api-referrals")), "list", "referral", "", "allowed"),
        (lambda: api.get(reverse("api-indicators")), "view", "indicator_catalogue", "", "allowed"),
        (lambda: api.get(reverse("api-pathways")), "view", "pathway_catalogue", "", "allowed"),
        (lambda: api.get(reverse("api-concern-detail", kwargs={"reference": "C-AAAA-AAAA"})), "view", "concern",
         "C-AAAA-AAAA", "denied"),
        (lambda: api.submit({"young_person": {}}), "create", "concern", "", "denied"),
    ]
    for call, action, object_type, reference, outcome in calls:
        audit_checkpoint()
        call()
        event = assert_audit(action, object_type=object_type, reference=reference, outcome=outcome, only=True)
        assert (event.actor_id, event.actor_agency_id) == (account.pk, world.agencies["lambeth_school"].pk)
    audit_checkpoint()
    Client().get(reverse("api-concerns"), HTTP_AUTHORIZATION="Bearer nothing")
    event = assert_audit("list", object_type="concern", outcome="denied", only=True)
    assert event.actor_id is None and event.detail["status"] == 401
    audit_checkpoint()
    token_response(Client(), registered)
    assert_audit("login", object_type="api_client", reference=registered.client.reference, actor=account, only=True)


def test_no_audit_event_carries_what_was_sent(world):
    api = ApiCaller(register(world))
    audit_checkpoint()
    api.submit(concern_body("Tracename", "Nowhere", narrative="Secretive narrative words"))
    api.submit({**concern_body("Tracename", "Nowhere"), "observed_on": "2999-01-01"})
    text = json.dumps([[e.reference, e.detail, e.purpose] for e in new_audit_events()])
    assert "Tracename" not in text and "Secretive" not in text


def test_the_anomalies_page_counts_a_clients_refusals(world, client_for, settings):
    settings.AUDIT_ANOMALY_RULES = {**settings.AUDIT_ANOMALY_RULES, "denials_per_hour": 3}
    api = ApiCaller(register(world, scopes=("concerns:write",)))
    for _ in range(4):
        api.get(reverse("api-concerns"))  # outcomes:read is not its scope: refused each time
    page = client_for("auditor").get(reverse("audit-anomalies")).content.decode()
    assert api.registered.client.account.get_username() in page
    assert AccessEvent.objects.filter(actor=api.registered.client.account, outcome="denied").count() == 4


# --- Administration pages ---------------------------------------------------------------------------

def test_an_administrator_registers_a_system_and_sees_its_secret_once(world, client_for):
    admin = client_for("administrator")
    response = admin.post(reverse("api-client-register"), {
        "agency": world.agencies["lambeth_gp"].pk, "name": "EMIS at Lambeth Test Surgery",
        "scopes": ["concerns:write"], "expires_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    secret = re.search(r"data-client-secret>([^<]+)<", page).group(1)
    client = ApiClient.objects.get(name="EMIS at Lambeth Test Surgery")
    assert check_password(secret, client.application.client_secret)
    listing = admin.get(reverse("api-client-list")).content.decode()
    assert "EMIS at Lambeth Test Surgery" in listing and secret not in listing
    assert "Waiting for a second administrator" in listing
    assert RoleGrantRequest.objects.filter(user=client.account, status=RequestStatus.PENDING).count() == 1
    revoked = admin.post(reverse("api-client-revoke", kwargs={"reference": client.reference}), {"confirm": "on"})
    assert revoked.status_code == 302
    client.refresh_from_db()
    assert client.revoked_at is not None and not client.account.is_active


def test_the_docs_page_loads_nothing_from_elsewhere_and_runs_no_inline_script(client):
    response = client.get(reverse("api-docs"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "https://" not in page and "//cdn" not in page
    assert "<script>" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert set(schema["paths"]) == {"/api/v1/concerns/", "/api/v1/concerns/{reference}/", "/api/v1/referrals/",
                                    "/api/v1/referrals/{reference}/", "/api/v1/indicators/", "/api/v1/pathways/"}
    assert schema["components"]["securitySchemes"]["agencySystem"]["flows"]["clientCredentials"]["tokenUrl"]


def test_basic_helper_encodes():
    assert basic("a", "b") == "Basic YTpi"


def test_the_token_endpoint_and_the_operations_need_no_csrf_cookie(world):
    """A system holds no session and no CSRF cookie: its posts must not be refused as a stale form."""
    registered = register(world)
    http = Client(enforce_csrf_checks=True)
    response = token_response(http, registered)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    submitted = http.post(reverse("api-concerns"), concern_body(), content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert submitted.status_code == 201


def test_the_rate_is_one_across_worker_processes(world, settings, monkeypatch):
    # Two gunicorn workers are two processes, each with its own cache objects: the count must live where
    # both see it (the database), so that N workers never give N times the rate.
    from django.core.cache import caches
    from django.db import connection

    from api.auth import ClientRateThrottle

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "3/min"}}
    workers = [caches.create_connection(settings.API_RATE_CACHE) for _ in range(2)]
    assert workers[0] is not workers[1]
    calls = iter(range(10))
    monkeypatch.setattr(ClientRateThrottle, "cache", property(lambda self: workers[next(calls) % 2]))
    api = ApiCaller(register(world))
    statuses = [api.get(reverse("api-indicators")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    with connection.cursor() as cursor:  # in the database every process shares, not in this process
        cursor.execute("SELECT COUNT(*) FROM api_rate_counts")
        assert cursor.fetchone()[0] >= 1


def test_expired_tokens_are_cleared_by_a_scheduled_job_and_live_ones_kept(world):
    from django.core.management import call_command

    from operations.jobs import JOBS
    from operations.models import JobRun

    registered = register(world)
    ApiCaller(registered)
    live = ApiCaller(registered)
    first = AccessToken.objects.order_by("pk").first()
    AccessToken.objects.filter(pk=first.pk).update(expires=timezone.now() - dt.timedelta(hours=1))
    assert AccessToken.objects.count() == 2
    assert "clear_api_tokens" in JOBS
    call_command(JOBS["clear_api_tokens"].command)
    assert list(AccessToken.objects.values_list("pk", flat=True)) != [first.pk]
    assert AccessToken.objects.count() == 1
    assert live.get(reverse("api-indicators")).status_code == 200
    run = JobRun.objects.get(job="clear_api_tokens")
    assert run.outcome == "succeeded" and run.counts == {"access_tokens_cleared": 1}
