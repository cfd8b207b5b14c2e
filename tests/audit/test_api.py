"""The recording API: what it refuses, what it fills in, and the view wrappers' semantics."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.views import View

from agencies.models import Borough
from audit.api import AuditedViewMixin, audited_view, is_audited, record
from audit.checks import unaudited_case_views
from audit.context import current_request
from audit.models import AccessEvent
from tests.audit_helpers import as_service, assert_audit, new_audit_events

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"reference": "Jane Doe"}, "never names"),
    ({"object_type": "Subject Name"}, "Unknown audit object type"),
        ({"object_type": "pizza"}, "Unknown audit object type"),
    ({"detail": {"name": "x" * 101}}, "at most"),
    ({"detail": {"narrative": {"nested": "dict"}}}, "whole number"),
    ({"detail": {"Bad Key": 1}}, "keys"),
    ({"detail": {"f": 1.5}}, "whole number"),
    ({"outcome": "maybe"}, "outcome"),
])
def test_it_refuses_values_that_could_carry_personal_data(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        record("view", actor=None, **kwargs)
    assert not AccessEvent.objects.exists()


def test_it_refuses_an_unknown_action():
    with pytest.raises(ValidationError):
        record("peek", actor=None)


def test_without_a_request_it_takes_agency_and_roles_from_the_membership(world):
    actor = world.user("dsl_lambeth")
    event = record("view", actor=actor, object_type="subject", reference="SUB-1",
                   borough=Borough.objects.get(name="Southwark"))
    assert event.actor_username == "dsl_lambeth" and event.actor_roles == "dsl,practitioner"
    assert event.actor_agency_id == world.agencies["lambeth_school"].pk
    assert event.chain == "E09000028" and event.request_id == "" and event.client_address == ""


def test_it_works_inside_a_rolled_back_transaction_by_leaving_nothing(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        as_service("do_update_subject", lambda: record("update", actor=None, object_type="subject",
                                                        reference="SUB-1"))
        raise RuntimeError
    assert new_audit_events() == []


# --- the view wrappers ------------------------------------------------------------------------------


@audited_view("view", object_type="subject", reference_kwarg="reference")
def subject_page(request, reference):
    if reference == "SUB-HIDDEN":
        raise Http404
    request.audit_borough = Borough.objects.get(name="Lambeth")
    request.audit_detail = {"tab": "summary"}
    return HttpResponse("ok")


class SubjectView(AuditedViewMixin, View):
    audit_action = "view"
    audit_object_type = "subject"
    audit_reference_kwarg = "reference"

    def get(self, request, reference):
        if reference == "SUB-HIDDEN":
            raise Http404
        return HttpResponse("ok")


def _request(world, persona="mash_lambeth"):
    request = RequestFactory().get("/x/", REMOTE_ADDR="10.1.2.3")
    request.user = world.user(persona)
    request.membership = request.user.membership
    request.request_id = "a" * 32
    request.client_address = "10.1.2.3"
    return request


@pytest.mark.parametrize("view", [subject_page, SubjectView.as_view()], ids=["decorator", "mixin"])
def test_a_shown_page_is_one_allowed_event_with_request_context(world, view):
    request = _request(world)
    token = current_request.set(request)
    try:
        assert view(request, reference="SUB-0042").status_code == 200
    finally:
        current_request.reset(token)
    event = assert_audit("view", actor=world.user("mash_lambeth"), object_type="subject",
                         reference="SUB-0042")
    assert event.request_id == "a" * 32 and event.client_address == "10.1.2.3"
    assert event.actor_roles == "mash_lead"
    if view is subject_page:
        assert event.chain == "E09000022" and event.detail == {"tab": "summary"}


@pytest.mark.parametrize("view", [subject_page, SubjectView.as_view()], ids=["decorator", "mixin"])
def test_a_404_is_recorded_as_denied_with_the_reference_and_re_raised(world, view):
    with pytest.raises(Http404):
        view(_request(world, "teacher_lambeth"), reference="SUB-HIDDEN")
    event = assert_audit("view", object_type="subject", reference="SUB-HIDDEN", outcome="denied")
    assert event.detail == {"status": 404}


def test_a_reference_that_is_not_a_reference_is_not_stored(world):
    with pytest.raises(Http404):
        subject_page(_request(world), reference="SUB-HIDDEN")
    subject_page(_request(world), reference="Jane Doe")
    assert_audit("view", object_type="subject", reference="SUB-HIDDEN", outcome="denied")
    # the page ran; the event keeps no reference rather than a name typed into a URL
    assert [e.reference for e in AccessEvent.objects.order_by("-id")[:1]] == [""]


def test_every_route_of_a_case_app_records_an_event():
    assert unaudited_case_views() == []


def test_the_check_spots_an_unwrapped_view():
    def bare(request):
        return HttpResponse()

    assert not is_audited(bare)
    assert is_audited(subject_page) and is_audited(SubjectView.as_view())


def test_every_response_carries_a_request_id(client):
    response = client.get("/health/")
    assert len(response["X-Request-ID"]) == 32
    assert client.get("/health/")["X-Request-ID"] != response["X-Request-ID"]


# --- one event per change, each naming its service (DESIGN.md §5.3) -------------------------------------
def test_a_change_outside_a_service_is_refused_and_writes_nothing():
    for action in ("create", "update", "decide", "share", "revoke", "merge", "erase", "break_glass"):
        with pytest.raises(ValidationError, match="audit_service"):
            record(action, actor=None, object_type="subject", reference="SUB-1")
    assert not AccessEvent.objects.exists()


def test_a_refusal_or_a_read_needs_no_service():
    record("decide", actor=None, object_type="referral", reference="REF-1", outcome="denied")
    record("view", actor=None, object_type="subject", reference="SUB-1")
    assert [e.detail.get("service") for e in AccessEvent.objects.order_by("id")] == [None, None]


def test_each_event_names_the_innermost_service_and_the_caller_gets_its_name_back():
    from audit.api import audit_service, current_service

    @audit_service
    def do_inner():
        return record("update", actor=None, object_type="subject", reference="SUB-2")

    @audit_service
    def do_outer():
        first = record("create", actor=None, object_type="subject", reference="SUB-1")
        inner = do_inner()
        assert current_service() == "do_outer"
        return first, inner, record("update", actor=None, object_type="subject", reference="SUB-1")

    events = do_outer()
    assert [e.detail["service"] for e in events] == ["do_outer", "do_inner", "do_outer"]
    assert current_service() == ""


def test_a_service_cannot_name_another_in_its_detail():
    with pytest.raises(ValidationError, match="names service"):
        as_service("do_a", lambda: record("update", actor=None, object_type="subject", reference="SUB-1",
                                          detail={"service": "do_b"}))
    assert not AccessEvent.objects.exists()


def test_assert_audit_only_catches_a_second_event():
    as_service("do_a", lambda: record("update", actor=None, object_type="subject", reference="SUB-1"))
    record("view", actor=None, object_type="subject", reference="SUB-1")
    with pytest.raises(AssertionError, match="only that event"):
        assert_audit("update", service="do_a", only=True)
