"""Administrators register agency systems as API clients and revoke them. Registration makes the client's
account, whose roles wait for a second administrator on the approvals page (four eyes, as for a person);
the secret is shown once, on the page that answers the registration. Everyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agencies import capabilities
from agencies.choices import RequestStatus
from agencies.models import RoleGrantRequest
from agencies.two_factor import step_up_redirect
from api import services
from api.auth import live_scopes
from api.forms import ApiClientForm, RevokeForm
from api.models import ApiClient
from audit.api import audit_exempt
from referrals.references import looks_like


def _administrators_only(request: HttpRequest) -> None:
    if not capabilities.can_manage_accounts(request.user):
        raise Http404


@require_GET
@audit_exempt("Lists agency systems (names, agencies, scopes): account administration, no case data; "
              "registering and revoking are recorded by their services.")
def client_list(request: HttpRequest) -> HttpResponse:
    """Every registered system, what it may do now, and whether its roles wait for approval."""
    _administrators_only(request)
    clients = list(ApiClient.objects.select_related("agency__borough", "account", "application", "registered_by"))
    waiting = set(RoleGrantRequest.objects.filter(status=RequestStatus.PENDING, expires_at__gt=timezone.now(),
                                                  user_id__in=[c.account_id for c in clients])
                  .values_list("user_id", flat=True))
    rows = [{"client": client, "live": live_scopes(client), "waiting": client.account_id in waiting,
             "revoked": client.revoked_at is not None,
             "expired": client.revoked_at is None and client.expires_at <= timezone.now()} for client in clients]
    return render(request, "api/client_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@audit_exempt("Account administration, no case data: do_register_api_client records the registration; a "
              "form sent back changes nothing.")
def client_register(request: HttpRequest) -> HttpResponse:
    """Register a system: its secret is shown once, here; its roles wait for a second administrator."""
    _administrators_only(request)
    stale = step_up_redirect(request)
    if stale is not None:
        return stale
    form = ApiClientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registered = services.do_register_api_client(
                agency=data["agency"], name=data["name"], scopes=list(data["scopes"]), expires_on=data["expires_on"],
                actor=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            for field, problems in getattr(error, "message_dict", {"__all__": error.messages}).items():
                form.add_error(field if field in form.fields else None, problems)
        except PermissionDenied:
            raise Http404 from None
        else:
            return render(request, "api/client_registered.html", {"registered": registered})
    return render(request, "api/client_register.html", {"form": form})


@require_http_methods(["GET", "POST"])
@audit_exempt("Account administration, no case data: do_revoke_api_client records the revocation; a form "
              "sent back changes nothing.")
def client_revoke(request: HttpRequest, reference: str) -> HttpResponse:
    """Revoke a system now: its tokens end and its account is deactivated."""
    _administrators_only(request)
    client = ApiClient.objects.select_related("agency").filter(reference=reference).first() if looks_like(
        "K", reference) else None
    if client is None:
        raise Http404
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_revoke_api_client(client, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error.messages)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, f"{client.name} is revoked: its tokens no longer work.")
            return redirect("api-client-list")
    return render(request, "api/client_revoke.html", {"form": form, "client": client})
