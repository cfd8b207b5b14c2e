"""The hostile corpus against every form: every field with the core values, every value in one
free-text field per form, and malformed requests (shapes, content types, CSRF, size)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import _get_new_csrf_string

from tests.hostile.corpus import (
    CORE,
    HOSTILE,
    MARKUP_VALUES,
    MISSING,
    OVERSIZE_BODY_BYTES,
    TOO_MANY_FIELDS,
)
from tests.hostile.runner import client_for_target, encode, submit
from tests.hostile.targets import TARGETS, Context

pytestmark = pytest.mark.django_db

FORM_TARGETS = [t for t in TARGETS if t.fields()]


def _baseline(client_for, target, ctx, tally):
    response = submit(client_for, target, ctx, tally, f"{target.name} valid")
    done = response is not None and response.status_code == 200 and any(
        marker in response.content.decode() for marker in target.success_markers)
    assert response is not None and (response.status_code == 302 or done), (
        f"{target.name}: the valid submission was not accepted ({getattr(response, 'status_code', 500)}); "
        f"{tally.problems}")


@pytest.mark.parametrize("target", FORM_TARGETS, ids=lambda t: t.name)
def test_every_field_with_the_core_values(client_for, world, target, tally):
    ctx = Context(world)
    _baseline(client_for, target, ctx, tally)
    for name in target.fields():
        for value_name in CORE:
            submit(client_for, target, ctx, tally, f"{target.name} {name}={value_name}",
                   override={name: HOSTILE[value_name]},
                   expect_refusal=target.must_refuse(name, value_name))
    tally.check()


@pytest.mark.parametrize("target", [t for t in FORM_TARGETS if t.probe], ids=lambda t: t.name)
def test_every_value_in_one_field(client_for, world, target, tally):
    ctx = Context(world)
    text = target.probe in target.text_fields()
    for value_name, value in HOSTILE.items():
        submit(client_for, target, ctx, tally, f"{target.name} {target.probe}={value_name}",
               override={target.probe: value}, expect_refusal=target.must_refuse(target.probe, value_name),
               markup=value if text and value_name in MARKUP_VALUES else None)
    tally.check()


def _fresh_token() -> str:
    return _get_new_csrf_string()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_malformed_requests(client_for, world, target, tally):
    """Unexpected and duplicated fields, other content types, too many fields, too big a body, and
    absent or forged CSRF tokens."""
    ctx = Context(world)
    # Fields the form does not have, named like things an attacker would like to set.
    extra = {"is_superuser": "1", "is_staff": "on", "recorded_by": "1", "agency": "1", "status": "erased",
             "pk": "1", "id": "../1", "reference": "S-0000-0000", "__proto__[admin]": "1", "x\x00y": "z",
             "": "nameless", "stage": "confirm"}
    submit(client_for, target, ctx, tally, f"{target.name} extra fields", override=extra)
    for name in target.fields():
        for label, pair in (("valid then hostile", ["__valid__", "\x00<script>"]),
                            ("hostile then valid", ["\x00<script>", "__valid__"])):
            valid = target.data(ctx).get(name, "")
            valid = valid[-1] if isinstance(valid, list) and valid else valid
            sent = [valid if item == "__valid__" else item for item in pair]
            submit(client_for, target, ctx, tally, f"{target.name} {name} twice, {label}", override={name: sent})
    submit(client_for, target, ctx, tally, f"{target.name} empty body", body=b"")
    submit(client_for, target, ctx, tally, f"{target.name} every field missing",
           override=dict.fromkeys(target.fields(), MISSING))
    submit(client_for, target, ctx, tally, f"{target.name} JSON body",
           body=json.dumps(target.data(ctx)).encode(), content_type="application/json")
    submit(client_for, target, ctx, tally, f"{target.name} text/plain body",
           body=encode(target.data(ctx)), content_type="text/plain")
    submit(client_for, target, ctx, tally, f"{target.name} truncated multipart",
           body=b"--boundary\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\x00",
           content_type="multipart/form-data; boundary=boundary")
    if target.probe:
        client = client_for_target(client_for, target, ctx)
        url = target.url(ctx)
        data = {**target.data(ctx), target.probe: SimpleUploadedFile("x.txt", b"\x00\xff<script>")}
        data = {k: v for k, v in data.items() if v is not MISSING}
        tally.requests += 1
        response = client.post(url, data)  # multipart, with a file where text belongs
        if response.status_code not in {200, 302, 400}:
            tally.fail(f"{target.name} file in a text field", f"status {response.status_code}")
        if response.status_code == 302 and target.consumes:
            ctx.consumed = True
    # A view that reads no field never parses the body, so for it these are ordinary requests.
    reads = bool(target.fields())
    done = {302, 200} if target.success_markers else {302}
    many = "&".join(f"f{n}=1" for n in range(TOO_MANY_FIELDS)).encode()
    submit(client_for, target, ctx, tally, f"{target.name} too many fields",
           body=encode(target.data(ctx)) + b"&" + many, statuses={400} if reads else {*done, 400},
           expect_refusal=reads)
    submit(client_for, target, ctx, tally, f"{target.name} oversize body",
           body=encode(target.data(ctx)) + b"&pad=" + b"x" * OVERSIZE_BODY_BYTES,
           statuses={400} if reads else {*done, 400}, expect_refusal=reads)

    # CSRF, enforced as in production: absent, forged, and (to show the refusals are about the token)
    # a matching one.
    for label, cookie, token in (("absent", None, None), ("forged", _fresh_token(), _fresh_token()),
                                 ("matching", "same", "same")):
        client = client_for_target(client_for, target, ctx)
        client.handler.enforce_csrf_checks = True
        override = {}
        if cookie is not None:
            secret = _fresh_token() if cookie == "same" else cookie
            client.cookies[settings.CSRF_COOKIE_NAME] = secret
            override["csrfmiddlewaretoken"] = secret if token == "same" else token
        submit(client_for, target, ctx, tally, f"{target.name} CSRF {label}", override=override, client=client,
               statuses=done if label == "matching" else {403}, expect_refusal=label != "matching")
        client.handler.enforce_csrf_checks = False
    tally.check()
