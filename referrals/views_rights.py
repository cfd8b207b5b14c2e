"""Her rights in practice: her home borough's MASH lead corrects her identity, and restricts
processing of her record or lifts the restriction. Thin views: parse, find her (404 when not visible), 403
when visible but not theirs to change, one service, post/redirect/get with a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.permissions import get_visible_or_404
from agencies.two_factor import step_up_redirect
from audit.api import audited_view
from audit.choices import Action, ObjectType
from referrals import rights
from referrals.choices import SubjectStatus
from referrals.models import Subject
from referrals.rights_forms import RectifyForm, RestrictionForm, rectify_initial


def _subject(request: CaseRequest, reference: str) -> Subject:
    subject: Subject = get_visible_or_404(Subject, request.user, reference=reference,
                                          select_related=("home_borough",))
    request.audit_borough = subject.home_borough
    return subject


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.SUBJECT, reference_kwarg="reference")
def subject_rectify(request: CaseRequest, reference: str) -> HttpResponse:
    """Correct her identity: the form shows what the record holds now; the concerns keep their own copies."""
    subject = _subject(request, reference)
    if not capabilities.can_rectify(request.user, subject):
        raise PermissionDenied
    # Changing who the record says she is changes whom later concerns match: ask for the second factor
    # again, as a merge does (after the 404 and 403, so it reveals nothing).
    step_up = step_up_redirect(request)
    if step_up is not None:
        return step_up
    active = subject.status == SubjectStatus.ACTIVE
    stale = ""
    if request.method == "POST":
        form = RectifyForm(request.POST)
        if active and form.is_valid():
            try:
                _corrected, changed = rights.do_rectify_subject_identity(
                    subject=subject, changes=form.changes(), reason_code=form.cleaned_data["reason"],
                    actor=request.user, version=form.cleaned_data["version"])
            except rights.StaleIdentity as error:
                # Show what the record holds now, with the message; the lead makes the correction again.
                current = Subject.objects.restrict(request.user, "view").get(pk=subject.pk)
                form = RectifyForm(initial=rectify_initial(rights.current_identity(current),
                                                           rights.identity_version(current)))
                stale = error.messages[0]
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{subject.reference}: her details have been corrected "
                                          f"({len(changed)} changed). Concerns keep the details as recorded.")
                return redirect("subject-detail", reference=subject.reference)
    else:
        form = RectifyForm(initial=rectify_initial(rights.current_identity(subject), rights.identity_version(subject)))
    return render(request, "referrals/subject_rectify.html", {"subject": subject, "form": form, "active": active,
                                                             "stale": stale})


@require_http_methods(["GET", "POST"])
@audited_view(Action.VIEW, object_type=ObjectType.SUBJECT, reference_kwarg="reference")
def subject_restriction(request: CaseRequest, reference: str) -> HttpResponse:
    """Restrict processing of her record (UK GDPR Art. 18, or an objection under Art. 21), or lift it."""
    subject = _subject(request, reference)
    if not capabilities.can_restrict(request.user, subject):
        raise PermissionDenied
    # Restricting stops her being scored, referred or shared: a stolen session must not do it quietly.
    step_up = step_up_redirect(request)
    if step_up is not None:
        return step_up
    active = subject.status == SubjectStatus.ACTIVE
    lifting = subject.restricted
    form = RestrictionForm(request.POST if request.method == "POST" else None, lifting=lifting)
    if request.method == "POST" and active and form.is_valid():
        service = rights.do_lift_restriction if lifting else rights.do_restrict_processing
        try:
            service(subject=subject, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{subject.reference}: the restriction has been lifted and her record is "
                                      "processed again." if lifting else
                                      f"{subject.reference}: processing of her record is restricted. It is "
                                      "stored, but not scored, referred or shared until the restriction is lifted.")
            return redirect("subject-detail", reference=subject.reference)
    return render(request, "referrals/subject_restriction.html",
                  {"subject": subject, "form": form, "active": active, "lifting": lifting})
