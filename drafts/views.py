"""Continue or discard a draft: the author's own, from the offer on her home page or on the form. Anyone
else's draft, an expired one, or none at all: 404, the same answer."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from audit.api import audited_view
from audit.choices import Action, ObjectType
from drafts import services
from drafts.models import Draft


@require_POST
@audited_view(Action.UPDATE, object_type=ObjectType.DRAFT, reference_kwarg="reference")
def draft_continue(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """"Continue": her form page, filled in from the draft (not sent)."""
    try:
        draft = services.do_resume_draft(draft_id=reference, actor=request.user)  # type: ignore[arg-type]
    except Draft.DoesNotExist:
        raise Http404 from None
    return redirect(f"{draft.path}?draft_id={draft.pk}")


@require_POST
@audited_view(Action.ERASE, object_type=ObjectType.DRAFT, reference_kwarg="reference")
def draft_discard(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """"Discard": the draft ends (its key is shredded); back to the form page or home."""
    # Read the body before anything changes: a body Django refuses (too large, too many fields) is then
    # a 400 that discarded nothing.
    back_to_form = request.POST.get("return_to") == "form"
    try:
        draft = services.do_discard_draft(draft_id=reference, actor=request.user)  # type: ignore[arg-type]
    except Draft.DoesNotExist:
        raise Http404 from None
    messages.success(request, "The draft has been discarded.")
    # The stored path is one this service recorded from its own URL of a form page: never a foreign site.
    return redirect(draft.path if back_to_form else "home")
