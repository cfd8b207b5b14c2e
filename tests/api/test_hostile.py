"""The hostile suite's corpus sent through the API: every value in every free-text field of a concern is
refused with a problem or recorded as typed by the form's rules; never a server error, never an echo."""

from __future__ import annotations

import json

import pytest

from referrals.models import Concern
from tests.api.clients import ApiCaller, concern_body, register
from tests.hostile.corpus import CONTROL_VALUES, HOSTILE, LINE_BREAK_VALUES


@pytest.mark.parametrize("field", ["narrative", "given_name", "family_name", "address"])
def test_bad_text_is_refused_with_a_problem_and_records_nothing(world, field):
    api = ApiCaller(register(world))
    names = [*CONTROL_VALUES, *(LINE_BREAK_VALUES if field in {"given_name", "family_name"} else [])]
    # Text a JSON body can carry (raw bytes cannot be JSON; the parser's refusal is tested in test_api).
    for value in [HOSTILE[name] for name in names if isinstance(HOSTILE[name], str)]:
        body = concern_body()
        if field == "narrative":
            body["narrative"] = f"Seen {value} late"
        else:
            body["young_person"][field] = f"Name{value}x"
        before = Concern.objects.count()
        response = api.submit(body)
        assert response.status_code in (400, 422), (field, repr(value), response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert value not in json.dumps(response.json(), ensure_ascii=False), (field, repr(value))
        assert Concern.objects.count() == before


@pytest.mark.parametrize("field", ["judgement", "actions_taken", "date_of_birth", "age_estimate", "observed_on"])
def test_a_value_put_in_the_wrong_field_is_never_echoed(world, field):
    # A system that maps its fields wrongly sends her name where a code or a date belongs: the problem
    # names the field, never the value (which would then sit in the system's logs of refused calls).
    api = ApiCaller(register(world))
    secret = "Jasmine Secretname"
    body = concern_body()
    if field in {"date_of_birth", "age_estimate"}:
        body["young_person"][field] = secret
    else:
        body[field] = [secret] if field == "actions_taken" else secret
    response = api.submit(body)
    assert response.status_code in (400, 422), response.content
    assert "Secretname" not in response.content.decode()
