"""Finding a young person by name and date of birth (MASH leads; the data protection officer).

POST only: a name never appears in a URL, a log or the browser's history. Each search is one ``search``
event on the trail with the number of records found and which kinds of detail were given, never the
details themselves.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agencies import capabilities
from agencies.http import CaseRequest
from agencies.two_factor import step_up_redirect
from audit.api import audited_view
from audit.choices import Action
from referrals.search import find_subjects, search_action
from referrals.search_forms import SubjectSearchForm

# The page a result opens: her record for a MASH lead; her subject access report for the officer.
RESULT_PAGES = {"view": "subject-detail", "export": "subject-access-report"}


def run_search(request: CaseRequest, *, action: str, template: str, extra: dict[str, Any] | None = None
               ) -> HttpResponse:
    """The search form, and on a valid POST the records found, as ``action`` (view or export) allows."""
    form = SubjectSearchForm(request.POST if request.method == "POST" else None)
    results = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        results = find_subjects(request.user, given_name=data.get("given_name") or "",
                                family_name=data["family_name"], date_of_birth=data["date_of_birth"])
        # Counts and field names only: never what was typed, nor which records were found.
        request.audit_detail = {
            "results": len(results),
            "given": "first_name" if data.get("given_name") else "",
            "date_of_birth": data["date_of_birth"] is not None,
        }
    return render(request, template, {
        "form": form, "results": results, "result_page": RESULT_PAGES[action], **(extra or {})})


@require_http_methods(["GET", "POST"])
@audited_view(Action.SEARCH, object_type="subject")
def subject_search(request: CaseRequest) -> HttpResponse:
    """Find a young person by name and date of birth, among the records this user may see."""
    if not capabilities.can_search_subjects(request.user):
        raise Http404
    action = search_action(request.user)
    # Every borough's names: the officer gives the second factor again, as for subject access itself.
    if action == "export" and (stale := step_up_redirect(request)):
        return stale
    return run_search(request, action=action, template="referrals/subject_search.html")
