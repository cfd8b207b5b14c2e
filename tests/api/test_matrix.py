"""The API's authorization matrix, as data: operation x the client's scope x relation to the object ->
status. Written out, never computed (tests/authz/matrix.py does the same for pages). The scope is checked
before the object is looked up, so a token without the scope gets 403 whatever the object; an object of
another agency, or none at all, is 404 (DESIGN.md §5.2)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from api import services
from tests.api.clients import ApiCaller, concern_body, register
from tests.factories import new_concern, new_referral

COLUMNS = ["write", "read", "both", "revoked", "no_token"]
SCOPES = {"write": "concerns:write", "read": "outcomes:read", "both": "concerns:write outcomes:read",
          "revoked": "concerns:write outcomes:read"}
MATRIX = """
    operation        relation        write  read  both  revoked  no_token
    submit           -                 201   403   201      401       401
    list_concerns    -                 403   200   200      401       401
    get_concern      own               403   200   200      401       401
    get_concern      other_agency      403   404   404      401       401
    get_concern      other_borough     403   404   404      401       401
    get_concern      missing           403   404   404      401       401
    list_referrals   -                 403   200   200      401       401
    get_referral     own               403   200   200      401       401
    get_referral     other_agency      403   404   404      401       401
    indicators       -                 200   200   200      401       401
    pathways         -                 200   200   200      401       401
"""
ROWS = [(line.split()[0], line.split()[1], dict(zip(COLUMNS, map(int, line.split()[2:]), strict=True)))
        for line in MATRIX.strip().splitlines()[1:]]


def _objects(world) -> dict[str, str]:
    """The relations: a Lambeth school's own concern and referral; the same girl's GP concern; a Southwark
    school's concern; a referral the Lambeth MASH made (about a girl a GP worried about)."""
    own = new_concern(world, "teacher_lambeth", given="Matrixown", family="Apicase")
    gp = new_concern(world, "gp_lambeth", given="Matrixown", family="Apicase")
    southwark = new_concern(world, "teacher_southwark", given="Matrixother", family="Apicase", borough="Southwark")
    elsewhere = new_concern(world, "gp_lambeth", given="Matrixgp", family="Apicase")
    return {
        "concern:own": own.reference, "concern:other_agency": gp.reference,
        "concern:other_borough": southwark.reference, "concern:missing": "C-AAAA-AAAA",
        "referral:own": new_referral(world, own.subject).reference,
        "referral:other_agency": new_referral(world, elsewhere.subject, actor="mash_lambeth").reference,
    }


def _call(http: Client, headers: dict[str, str], operation: str, relation: str, objects: dict[str, str]):
    if operation == "submit":
        return http.post(reverse("api-concerns"), concern_body(), content_type="application/json",
                         **headers, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    if operation.startswith("get_"):
        kind = operation.removeprefix("get_")
        url = reverse(f"api-{kind}-detail", kwargs={"reference": objects[f"{kind}:{relation}"]})
    else:
        url = reverse({"list_concerns": "api-concerns", "list_referrals": "api-referrals",
                       "indicators": "api-indicators", "pathways": "api-pathways"}[operation])
    return http.get(url, **headers)


@pytest.mark.parametrize(("operation", "relation", "expected"), ROWS, ids=[f"{r[0]}-{r[1]}" for r in ROWS])
def test_api_access(world, operation, relation, expected):
    objects = _objects(world)
    registered = register(world)
    for column, status in expected.items():
        if column == "no_token":
            headers: dict[str, str] = {}
        else:
            headers = ApiCaller(registered, scope=SCOPES[column]).headers()
        if column == "revoked":
            services.do_revoke_api_client(registered.client, actor=world.user("administrator"))
        response = _call(Client(), headers, operation, relation, objects)
        assert response.status_code == status, (operation, relation, column, response.content)


def test_every_operation_of_the_schema_has_rows(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    covered = {"submit": "submit_concern", "list_concerns": "list_concerns", "get_concern": "get_concern",
               "list_referrals": "list_referrals", "get_referral": "get_referral",
               "indicators": "get_indicator_catalogue", "pathways": "get_pathway_catalogue"}
    assert {covered[operation] for operation, _relation, _expected in ROWS} == operations
