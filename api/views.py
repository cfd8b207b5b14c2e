"""The API's operations. Thin, like every view here: parse the request, ``restrict`` through the
client's account, call one service, answer. Every call records one audit event with the client's account
as the actor (``AuditedViewMixin``); a concern recorded writes the service's own events instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider.views import TokenView as OAuthTokenView
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import queries, services
from api.auth import ClientAuthentication, ClientRateThrottle, HasScope
from api.choices import Scope
from api.models import ApiClient
from api.problems import IDEMPOTENCY_MISMATCH, PROBLEM_TYPE, VALIDATION, problem_response
from api.problems import not_found as not_found_answer
from api.serializers import (
    ConcernAccepted,
    ConcernIn,
    ConcernOut,
    ConcernPage,
    IndicatorCatalogueOut,
    PathwayCatalogueOut,
    ProblemOut,
    ReferralOut,
    ReferralPage,
)
from audit.api import AuditedViewMixin, audit_exempt, run_audited
from audit.choices import Action, ObjectType
from referrals.forms import ConcernForm

PAGE_MAX = 100
KEY_MAX = 200
# Where each field of the concern form sits in the API's body, for the problem's ``errors``.
FORM_FIELDS = {
    "given_name": "young_person.given_name", "family_name": "young_person.family_name",
    "other_names": "young_person.other_names", "dob_day": "young_person.date_of_birth",
    "dob_month": "young_person.date_of_birth", "dob_year": "young_person.date_of_birth",
    "age_estimate": "young_person.age_estimate", "address": "young_person.address",
    "nhs_number": "young_person.nhs_number", "pupil_number": "young_person.unique_pupil_number",
    "home_borough": "young_person.home_borough", "observed_day": "observed_on", "observed_month": "observed_on",
    "observed_year": "observed_on", "indicators": "indicators", "narrative": "narrative",
    "judgement": "judgement", "actions_taken": "actions_taken", "seriously_worried": "judgement",
    "idempotency_key": "Idempotency-Key", "subject": "body", "__all__": "body",
}


def _problems(*statuses: int) -> dict[Any, Any]:
    return {(status, PROBLEM_TYPE): OpenApiResponse(ProblemOut, description=f"Problem ({status})")
            for status in statuses}


COMMON = (400, 401, 403, 406, 415, 429)


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The body is larger than this API accepts."


class LimitedJSONParser(JSONParser):
    """JSON, and no more of it than ``API_MAX_BODY_BYTES``: a larger body is refused before it is read."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge
        return super().parse(stream, media_type, parser_context)


class ApiView(AuditedViewMixin, APIView):
    """An operation of the API: a bearer token of a live client with ``required_scope``, JSON only, a rate
    per client, one audit event per call (its action chosen by the method)."""

    authentication_classes: ClassVar[list[Any]] = [ClientAuthentication]
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated, HasScope]
    throttle_classes: ClassVar[list[Any]] = [ClientRateThrottle]
    parser_classes: ClassVar[list[Any]] = [LimitedJSONParser]
    renderer_classes: ClassVar[list[Any]] = [JSONRenderer]
    required_scope: str | None = None
    audit_actions: ClassVar[dict[str, str]] = {}

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        # Bearer tokens, not sessions: no sign-in page, no second factor, no CSRF (REST framework exempts it).
        view.login_required = False  # type: ignore[attr-defined]  # read by LoginRequiredMiddleware
        return view

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.audit_action = self.audit_actions.get(request.method or "", Action.VIEW)
        return super().dispatch(request, *args, **kwargs)

    def client(self, request: Request) -> ApiClient:
        client: ApiClient = request._request.api_client  # set by ClientAuthentication
        return client


def _cursor(request: Request) -> queries.Cursor | None:
    since = request.query_params.get("since")
    if since is None or since == "":
        return None
    try:
        return queries.Cursor.decode(since)
    except queries.BadCursor as error:
        raise exceptions.ValidationError({"since": [str(error)]}) from error


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= PAGE_MAX:
        raise exceptions.ValidationError({"limit": [f"Give a whole number from 1 to {PAGE_MAX}."]})
    return int(raw)


SINCE = OpenApiParameter("since", OpenApiTypes.STR, description="next_cursor from the previous answer: only "
                         "what changed after it.", required=False)
LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most this many items (1–{PAGE_MAX}, "
                         "default 50).", required=False)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="A new random value (a UUID) for each concern, sent again unchanged with every retry of it: "
                "a retry then returns the first concern instead of recording a second.")


def _form_data(body: dict[str, Any], key: str) -> QueryDict:
    """The API's body as the concern form's fields, so the form checks it exactly as it checks a page."""
    person = body["young_person"]
    data = QueryDict(mutable=True)
    for field in ("given_name", "family_name", "other_names", "address", "nhs_number", "home_borough"):
        data[field] = person.get(field) or ""
    data["pupil_number"] = person.get("unique_pupil_number") or ""
    if person.get("age_estimate") is not None:
        data["age_estimate"] = str(person["age_estimate"])
    for prefix, day in (("dob", person.get("date_of_birth")), ("observed", body["observed_on"])):
        if day is not None:
            data[f"{prefix}_day"], data[f"{prefix}_month"], data[f"{prefix}_year"] = (
                str(day.day), str(day.month), str(day.year))
    data.setlist("indicators", list(body.get("indicators") or []))
    data["narrative"] = body.get("narrative") or ""
    data["judgement"] = body.get("judgement") or ""
    data.setlist("actions_taken", list(body.get("actions_taken") or []))
    data["idempotency_key"] = "00000000-0000-4000-8000-000000000000"  # the service derives the real one
    return data


def _form_errors(form: ConcernForm) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, messages in form.errors.items():
        path = FORM_FIELDS.get(field, "body")
        for message in messages:
            if str(message) not in errors.setdefault(path, []):
                errors[path].append(str(message))
    return errors


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not key or len(key) > KEY_MAX or not key.isprintable() or not key.isascii():
        raise exceptions.ValidationError({"Idempotency-Key": [
            f"Send an Idempotency-Key header: a new random value (at most {KEY_MAX} characters) for each "
            "concern, the same value on every retry of it."]})
    return key


class ConcernsView(ApiView):
    """Submit a concern (POST); list the agency's concerns and what became of them (GET)."""

    audit_object_type = ObjectType.CONCERN
    audit_actions: ClassVar[dict[str, str]] = {"GET": Action.LIST, "POST": Action.CREATE}

    def get_permissions(self) -> list[Any]:
        self.required_scope = Scope.CONCERNS_WRITE if self.request.method == "POST" else Scope.OUTCOMES_READ
        return super().get_permissions()

    @extend_schema(
        operation_id="submit_concern", request=ConcernIn, parameters=[IDEMPOTENCY_KEY],
        responses={201: ConcernAccepted, 200: OpenApiResponse(ConcernAccepted, description="A retry: the first "
                   "concern sent with this Idempotency-Key."), **_problems(*COMMON, 413, 422)},
        summary="Submit a concern (scope concerns:write)",
        description="Records the concern through the same service as the concern form: her record is matched "
                    "or made, her risk assessed, the register and the MASH follow. The answer is the concern's "
                    "reference only: never whether she was already known.")
    def post(self, request: Request) -> Response:
        client = self.client(request)
        key = _idempotency_key(request)
        shape = ConcernIn(data=request.data)
        shape.is_valid(raise_exception=True)
        form = ConcernForm(_form_data(shape.validated_data, key), subject_lookup=None)
        if not form.is_valid():
            return problem_response(422, "The concern could not be accepted. Correct the fields listed in errors "
                                         "and send it again.", type_=VALIDATION, errors=_form_errors(form))
        details = form.subject_details()
        assert details is not None  # no "subject" field: always her details
        try:
            concern, created = services.do_submit_concern(client=client, key=key, cleaned=form.cleaned_data,
                                                          details=details, actor=request.user)
        except ValidationError as error:
            if error.code == "idempotency_mismatch":
                return problem_response(422, error.messages[0], type_=IDEMPOTENCY_MISMATCH)
            return problem_response(422, "The concern could not be accepted.", type_=VALIDATION,
                                    errors={"body": error.messages})
        except PermissionDenied:
            raise exceptions.PermissionDenied("This client may not record concerns.") from None
        if not created:
            request._request.audit_detail = {"replay": True}
        response = Response({"reference": concern.reference}, status=201 if created else 200)
        response["Location"] = reverse("api-concern-detail", kwargs={"reference": concern.reference})
        return response

    @extend_schema(operation_id="list_concerns", parameters=[SINCE, LIMIT],
                   responses={200: ConcernPage, **_problems(*COMMON, 422)},
                   summary="The agency's concerns, oldest change first (scope outcomes:read)")
    def get(self, request: Request) -> Response:
        client = self.client(request)
        since, limit = _cursor(request), _limit(request)
        concerns = queries.concern_page(client, since, limit)
        about = queries.referrals_about(client, {c.subject_id for c in concerns})
        labels = queries.pathway_labels()
        codes = queries.routed_codes([r for rows in about.values() for r in rows])
        items = [queries.concern_row(c, about.get(c.subject_id, []), labels, codes) for c in concerns]
        last = concerns[-1] if concerns else None
        cursor = queries.Cursor(last.recorded_at, last.reference).encode() if last else (
            request.query_params.get("since") or None)
        return Response(ConcernPage({"items": items, "next_cursor": cursor}).data)


class ConcernDetailView(ApiView):
    """One of the agency's concerns and what became of it."""

    audit_object_type = ObjectType.CONCERN
    audit_reference_kwarg = "reference"
    audit_actions: ClassVar[dict[str, str]] = {"GET": Action.VIEW}
    required_scope = Scope.OUTCOMES_READ

    @extend_schema(operation_id="get_concern", responses={200: ConcernOut, **_problems(*COMMON, 404)},
                   summary="One concern and what became of it (scope outcomes:read)")
    def get(self, request: Request, reference: str) -> Response:
        client = self.client(request)
        concern = queries.agency_concerns(client).filter(reference=reference).prefetch_related("indicators").first()
        if concern is None:
            raise exceptions.NotFound
        about = queries.referrals_about(client, [concern.subject_id]).get(concern.subject_id, [])
        return Response(ConcernOut(queries.concern_row(concern, about, queries.pathway_labels(),
                                                       queries.routed_codes(about))).data)


class ReferralsView(ApiView):
    """The referrals the agency made, oldest change first."""

    audit_object_type = ObjectType.REFERRAL
    audit_actions: ClassVar[dict[str, str]] = {"GET": Action.LIST}
    required_scope = Scope.OUTCOMES_READ

    @extend_schema(operation_id="list_referrals", parameters=[SINCE, LIMIT],
                   responses={200: ReferralPage, **_problems(*COMMON, 422)},
                   summary="The agency's referrals, oldest change first (scope outcomes:read)")
    def get(self, request: Request) -> Response:
        client = self.client(request)
        since, limit = _cursor(request), _limit(request)
        referrals = queries.referral_page(client, since, limit)
        labels, codes = queries.pathway_labels(), queries.routed_codes(referrals)
        items = [queries.referral_row(r, labels, codes) for r in referrals]
        last = referrals[-1] if referrals else None
        cursor = queries.Cursor(getattr(last, "changed_at"), last.reference).encode() if last else (  # noqa: B009
            request.query_params.get("since") or None)
        return Response(ReferralPage({"items": items, "next_cursor": cursor}).data)


class ReferralDetailView(ApiView):
    """One referral the agency made: its status, decision and pathways."""

    audit_object_type = ObjectType.REFERRAL
    audit_reference_kwarg = "reference"
    audit_actions: ClassVar[dict[str, str]] = {"GET": Action.VIEW}
    required_scope = Scope.OUTCOMES_READ

    @extend_schema(operation_id="get_referral", responses={200: ReferralOut, **_problems(*COMMON, 404)},
                   summary="One referral the agency made (scope outcomes:read)")
    def get(self, request: Request, reference: str) -> Response:
        client = self.client(request)
        referral = queries.agency_referrals(client).filter(reference=reference).first()
        if referral is None:
            raise exceptions.NotFound
        return Response(ReferralOut(queries.referral_row(referral, queries.pathway_labels(),
                                                         queries.routed_codes([referral]))).data)


class IndicatorCatalogueView(ApiView):
    """The indicator catalogue, every version's indicators, so a system can map its own categories."""

    audit_object_type = ObjectType.INDICATOR_CATALOGUE
    audit_actions: ClassVar[dict[str, str]] = {"GET": Action.VIEW}

    @extend_schema(operation_id="get_indicator_catalogue", responses={200: IndicatorCatalogueOut,
                                                                       **_problems(*COMMON)},
                   summary="The indicator catalogue (any scope)")
    def get(self, request: Request) -> Response:
        return Response(IndicatorCatalogueOut(queries.indicator_catalogue()).data)


class PathwayCatalogueView(ApiView):
    """The active pathway catalogue: the plain-terms names of where a referral can go."""

    audit_object_type = ObjectType.PATHWAY_CATALOGUE
    audit_actions: ClassVar[dict[str, str]] = {"GET": Action.VIEW}

    @extend_schema(operation_id="get_pathway_catalogue", responses={200: PathwayCatalogueOut,
                                                                     **_problems(*COMMON)},
                   summary="The pathway catalogue (any scope)")
    def get(self, request: Request) -> Response:
        return Response(PathwayCatalogueOut(queries.pathway_catalogue()).data)


class TokenView(AuditedViewMixin, OAuthTokenView):
    """The OAuth 2.0 token endpoint (client credentials only). Each request is recorded: a sign-in of the
    client's account when it gets a token, a refused one otherwise."""

    audit_action = Action.LOGIN
    audit_object_type = ObjectType.API_CLIENT

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        view.login_required = False  # type: ignore[attr-defined]  # the client's credentials are its sign-in
        # django-oauth-toolkit exempts its dispatch from CSRF (no cookie, no session); the audit mixin's
        # dispatch comes first, so say it again on the view.
        return csrf_exempt(view)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().post(request, *args, **kwargs)
        client = getattr(request, "api_client", None)
        if client is not None:
            request.audit_reference = client.reference  # type: ignore[attr-defined]
            if response.status_code == 200:
                request.user = client.account
        return response


@audit_exempt("The OpenAPI contract: operations and shapes, no case data.")
def schema_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    return _schema(request, *args, **kwargs)


_schema = SpectacularAPIView.as_view()
schema_view.login_required = False  # type: ignore[attr-defined]


@audit_exempt("The browsable documentation of the contract (Swagger UI from static files): no case data.")
def docs_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    return _docs(request, *args, **kwargs)


_docs = SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")
docs_view.login_required = False  # type: ignore[attr-defined]


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    """Any other address under ``/api/``: a problem in JSON, recorded as a refused call."""
    return run_audited(request, lambda: not_found_answer(request), action=Action.VIEW, object_type="", reference="")


not_found.audited = True  # type: ignore[attr-defined]
not_found.login_required = False  # type: ignore[attr-defined]
