"""Opting a form into drafts: the ``keeps_drafts`` decorator, the middleware that keeps a form posted
after the session ended, and what the form's templates and views read.

A view opts in with ``@keeps_drafts("form-name", label=..., subject_reference=...)`` (outermost), puts
``{% include "drafts/_binding.html" %}`` inside its ``<form>`` and ``{% include "drafts/_offer.html" %}``
above it, and binds its form to ``draft_data(request)`` on GET when there is one. The rest is here:

- signed in, GET: the page gets a binding token (``drafts.binding``) and the offer of her own draft for
  this form page, if she has one; with ``?draft_id=`` (after "Continue") the form is filled in from it;
- signed in, POST with ``draft_only`` (the timeout warning ran out while another tab kept the session
  alive): the form is kept as her draft instead of being sent;
- signed in, POST of a form filled in from a draft that succeeds (a redirect): the draft ends;
- no session, POST (``DraftCaptureMiddleware``, before ``LoginRequiredMiddleware``): with a valid binding
  token the form is kept as the token's user's draft and the visitor is sent to sign in, told that her
  work is saved; without one, sent to sign in as before, and nothing is kept.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect

from audit.api import record
from audit.choices import Action, ObjectType, Outcome
from drafts import binding, services
from drafts.models import Draft
from encryption.exceptions import DecryptionError, KeyStoreUnavailable

DRAFT_ONLY_FIELD = "draft_only"
SAVED_MESSAGE = ("You were signed out, so we kept what you typed as a draft that only you can open, for "
                 "{hours} hours. Sign in again to continue.")
SAVED_SIGNED_IN_MESSAGE = ("This page was left open, so we kept what you typed as a draft that only you can "
                           "open, for {hours} hours. Continue it below.")
NOT_KEPT_MESSAGE = "You were signed out. What you typed could not be kept; sign in and start again."
GONE_MESSAGE = "That draft is no longer available: it was sent, discarded or has expired."


@dataclass(frozen=True)
class DraftForm:
    """A form that keeps drafts: its name (the URL name), what the offer calls it, and where the young
    person it is about (if any) is named in the request."""

    name: str
    label: str
    subject_reference: Callable[[HttpRequest, dict[str, Any]], str] | None = None


# Every form that keeps drafts, by name (filled in as the views are imported).
FORMS: dict[str, DraftForm] = {}


def keeps_drafts(name: str, *, label: str,
                 subject_reference: Callable[[HttpRequest, dict[str, Any]], str] | None = None
                 ) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Make a form view keep what was typed when the session ends (see the module docstring)."""
    spec = DraftForm(name=name, label=label, subject_reference=subject_reference)
    FORMS[name] = spec

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return view(request, *args, **kwargs)
            request.draft_binding = binding.make_token(request, form=name)  # type: ignore[attr-defined]
            if request.method == "POST" and request.POST.get(DRAFT_ONLY_FIELD):
                return _keep_for_signed_in(request, spec, kwargs)
            resumed = _uuid(request.GET.get(binding.RESUMED_FIELD) if request.method == "GET"
                            else request.POST.get(binding.RESUMED_FIELD))
            if request.method == "GET":
                if resumed is not None:
                    _load(request, spec, resumed)
                else:
                    request.draft_offers = _offers(request.user, form=name,  # type: ignore[attr-defined]
                                                   path=request.path)
            elif resumed is not None:
                request.draft_resumed_id = resumed  # type: ignore[attr-defined]
            response = view(request, *args, **kwargs)
            if request.method == "POST" and resumed is not None and 300 <= response.status_code < 400:
                # Already ended (sent twice, discarded in another tab, expired): nothing to do.
                with contextlib.suppress(Draft.DoesNotExist):
                    services.do_discard_draft(draft_id=resumed, actor=request.user, reason=services.DraftEnd.SENT)
            return response

        wrapper.draft_form = spec  # type: ignore[attr-defined]  # read by DraftCaptureMiddleware
        return wrapper

    return decorator


def draft_data(request: HttpRequest) -> QueryDict | None:
    """The data of the draft this GET resumes (to bind the form to), or None."""
    return getattr(request, "draft_data", None)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except (ValueError, TypeError):
        return None


def _load(request: HttpRequest, spec: DraftForm, draft_id: uuid.UUID) -> None:
    draft = (Draft.objects.restrict(request.user, "resume")
             .filter(pk=draft_id, form=spec.name, path=request.path, resumed_at__isnull=False).first())
    if draft is None:
        messages.error(request, GONE_MESSAGE)
        return
    try:
        stored = draft.data
    except DecryptionError:
        stored = None
    if not isinstance(stored, dict):  # its key is gone (erased with her; a restored backup): unreadable
        messages.error(request, GONE_MESSAGE)
        return
    data = binding.as_query_dict(stored)
    request.draft_data = data  # type: ignore[attr-defined]
    request.draft_resumed_id = draft.pk  # type: ignore[attr-defined]


def _offers(user: Any, **filters: Any) -> list[dict[str, Any]]:
    return [{"draft": draft, "label": FORMS[draft.form].label if draft.form in FORMS else "form"}
            for draft in services.offers_for(user, **filters)]


def offers(user: Any) -> list[dict[str, Any]]:
    """Every unexpired draft of this user, with what to call it (for her home page)."""
    return _offers(user)


def _subject_reference(request: HttpRequest, spec: DraftForm, kwargs: dict[str, Any]) -> str:
    if spec.subject_reference is None:
        return ""
    return str(spec.subject_reference(request, kwargs) or "")[:32]


def _keep(request: HttpRequest, spec: DraftForm, kwargs: dict[str, Any], user: User) -> bool:
    data = binding.keepable(request.POST)
    if data is None:
        return False
    data.pop(DRAFT_ONLY_FIELD, None)
    try:
        services.do_keep_draft(user=user, form=spec.name, path=request.path, data=data,
                               subject_reference=_subject_reference(request, spec, kwargs), actor=user)
    except (ValidationError, PermissionDenied, KeyStoreUnavailable):
        return False
    return True


def _keep_for_signed_in(request: HttpRequest, spec: DraftForm, kwargs: dict[str, Any]) -> HttpResponse:
    """The timeout warning ran out on this page while the session was still alive (another tab): keep the
    form as her draft rather than send it, after checking that the token is hers."""
    try:
        bound = binding.verify(request, form=spec.name)
    except binding.BindingRefused:
        bound = None
    user = request.user
    if bound is None or bound.user_id != user.pk or not _keep(request, spec, kwargs, user):
        messages.error(request, "What you typed could not be kept as a draft.")
        return redirect("home")
    messages.info(request, SAVED_SIGNED_IN_MESSAGE.format(hours=_hours()))
    return redirect("home")


def _hours() -> int:
    from django.conf import settings

    return int(settings.DRAFT_HOURS)


class DraftCaptureMiddleware:
    """Keep a form posted without a session (it ended while she typed) as its author's encrypted draft.

    After ``CsrfViewMiddleware`` (a post with a bad CSRF token never gets here) and before
    ``LoginRequiredMiddleware`` (which would send her to sign in and drop the form). Only views marked by
    ``keeps_drafts`` are considered, and only with a valid binding token (``drafts.binding.verify``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any,
                     view_kwargs: dict[str, Any]) -> HttpResponse | None:
        spec: DraftForm | None = getattr(view_func, "draft_form", None)
        if spec is None or request.method != "POST" or request.user.is_authenticated:
            return None
        if binding.FIELD not in request.POST:
            return None  # not a form of a signed-in page: sign in as usual
        try:
            bound = binding.verify(request, form=spec.name)
        except binding.BindingRefused:
            # A forged, altered, expired or copied token: refused and recorded (no personal data).
            record(Action.DENIED, actor=None, object_type=ObjectType.DRAFT, outcome=Outcome.DENIED,
                   detail={"form": spec.name, "binding": "refused"})
            messages.error(request, NOT_KEPT_MESSAGE)
            return redirect_to_login(request.get_full_path())
        user = User.objects.filter(pk=bound.user_id, is_active=True).first()
        if user is None or not _keep(request, spec, view_kwargs, user):
            messages.error(request, NOT_KEPT_MESSAGE)
        else:
            messages.info(request, SAVED_MESSAGE.format(hours=_hours()))
        return redirect_to_login(request.get_full_path())
